"""Scoped reads of sentences, their stored dates and overrides; the worklists as indexed queries.

Scope follows `Person.objects.visible_to` (people.querysets): the `view_sentence` capability, then
the person's last institution in the user's institutions or regions, or national. It is written
with joins rather than a subquery so the worklists stay one indexed query.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from django.db import models

from qadam.core.policies import has_capability
from qadam.core.roles import ScopeLevel

if TYPE_CHECKING:
    from qadam.core.models import User


def _person_scope(user: User, prefix: str) -> models.Q | None:
    """The Q that limits rows to persons in the user's scope; None when the user sees nothing."""
    if not has_capability(user, "view_sentence") or not has_capability(user, "view_person"):
        return None
    active = models.Q(**{f"{prefix}merged_into__isnull": True})
    if user.scope_level == ScopeLevel.NATIONAL:
        return active
    if user.scope_level == ScopeLevel.REGION:
        return active & models.Q(
            **{
                f"{prefix}last_institution__region__in": list(
                    user.regions.values_list("pk", flat=True)
                )
            }
        )
    if user.scope_level == ScopeLevel.INSTITUTION:
        return active & models.Q(
            **{
                f"{prefix}last_institution__in": list(
                    user.institutions.values_list("pk", flat=True)
                )
            }
        )
    # Other scopes (probation offices) as the people module defines them.
    from qadam.people.querysets import visible_persons_q

    return visible_persons_q(user, through=prefix.removesuffix("__"))


class VerdictQuerySet(models.QuerySet[Any]):
    def visible_to(self, user: User) -> VerdictQuerySet:
        scope = _person_scope(user, "person__")
        return self.none() if scope is None else self.filter(scope)


class DateOverrideQuerySet(models.QuerySet[Any]):
    def visible_to(self, user: User) -> DateOverrideQuerySet:
        scope = _person_scope(user, "person__")
        return self.none() if scope is None else self.filter(scope)


WORKLISTS = ("release_due", "parole_now", "parole_soon", "transfer", "not_eligible")
RELEASE_HORIZON_DAYS = 30
ALMOST_ELIGIBLE_DAYS = 90


class CalculationQuerySet(models.QuerySet[Any]):
    def visible_to(self, user: User) -> CalculationQuerySet:
        scope = _person_scope(user, "person__")
        return self.none() if scope is None else self.filter(scope)

    def in_custody(self) -> CalculationQuerySet:
        """Persons on an institution's roll now, serving their sentence."""
        return self.filter(person__current_institution__isnull=False)

    def worklist(self, kind: str, today: date) -> CalculationQuerySet:
        """One worklist as one filter over indexed date columns (see WORKLISTS)."""
        qs = self.in_custody()
        if kind == "release_due":
            return qs.filter(
                end_of_sentence__lte=today + timedelta(days=RELEASE_HORIZON_DAYS),
            )
        if kind == "parole_now":
            return qs.filter(parole_date__lte=today, end_of_sentence__gt=today)
        if kind == "parole_soon":
            return qs.filter(
                parole_date__gt=today,
                parole_date__lte=today + timedelta(days=ALMOST_ELIGIBLE_DAYS),
            )
        if kind == "transfer":
            return qs.filter(transfer_date__lte=today, end_of_sentence__gt=today)
        if kind == "not_eligible":
            return qs.filter(models.Q(ok=False) | models.Q(parole_date__isnull=True))
        raise ValueError(kind)
