"""Reads of probation offices. Which persons a probation officer sees is decided with everyone
else's scope, in `people.querysets.visible_persons_q`: those whose plan is with one of their
offices after release."""

from __future__ import annotations

from typing import Any

from django.db import models


class ProbationOfficeQuerySet(models.QuerySet[Any]):
    def active(self) -> ProbationOfficeQuerySet:
        """Offices that may receive a plan now; a closed office keeps the plans it had."""
        return self.filter(is_active=True)
