"""Sentences are written through the services (validation, recalculation, audit), never through
the admin; the reference-data admin shows nothing of this module."""
