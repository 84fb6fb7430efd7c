"""The foundation's own generator steps; other modules add theirs in `qadam.<app>.demo`."""

from __future__ import annotations

from qadam.demo.institutions import create_institutions
from qadam.demo.ledger import persons_and_ledger
from qadam.demo.registry import register

register("institutions", create_institutions)
register("custody", persons_and_ledger, after=["institutions"])
