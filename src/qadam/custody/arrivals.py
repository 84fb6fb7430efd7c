"""Persons on their way to an institution: the one exception to scoping by the roll.

A person transferred out is on no institution's roll until the arrival is recorded, and
`Person.objects.visible_to` places them by their last institution: the receiving institution
would not see them. Its staff must, to record the arrival, so the arrival form, the API's
arrival and the institution page's list of expected arrivals add the persons in transit to an
institution in the user's scope — and nobody else: an officer of a third institution still gets
404. The person page itself stays hidden until the person is on the roll.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet

from qadam.custody.models import Institution, Movement
from qadam.people.models import Person

if TYPE_CHECKING:
    from qadam.core.models import User


def pending_transfers(institutions: QuerySet[Institution] | list[Institution]) -> QuerySet[Any]:
    """Effective transfers to `institutions` with no effective arrival (an arrival reversed by
    a correction puts its transfer back here)."""
    transfers: QuerySet[Any] = (
        Movement.objects.filter(destination__in=institutions)
        .awaiting_arrival()
        .filter(person__merged_into__isnull=True, person__current_institution__isnull=True)
    )
    return transfers


def persons_arriving(user: User) -> QuerySet[Person]:
    """Persons in transit to an institution in the user's scope (none without `view_person`)."""
    if not user.is_authenticated or not user.has_perm("core.view_person"):
        return Person.objects.none()
    transfers = pending_transfers(Institution.objects.visible_to(user))
    return Person.objects.filter(pk__in=transfers.values("person_id"))


def visible_or_arriving(user: User) -> QuerySet[Person]:
    """The persons the user may see, and those on their way to the user's institutions."""
    visible = Person.objects.visible_to(user)
    arriving = persons_arriving(user)
    return Person.objects.filter(pk__in=visible.values("pk")) | Person.objects.filter(
        pk__in=arriving.values("pk")
    )


__all__ = ["pending_transfers", "persons_arriving", "visible_or_arriving"]
