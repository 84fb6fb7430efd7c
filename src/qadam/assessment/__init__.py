"""Risk and needs assessment: versioned instruments, scoring, fitting and validation on outcomes."""
