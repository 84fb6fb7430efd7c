"""The assessment module's panel on the home page: what the user has to do, as counts that link
to the lists (no person is named here, so nothing is read that the lists do not audit)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from qadam.assessment import policies
from qadam.assessment.models import BandOverride, Reassessment
from qadam.core.http import AuthenticatedHttpRequest

# As the due list: overdue, or due within this many days.
DUE_SOON_DAYS = 30


def home_panels(request: AuthenticatedHttpRequest) -> list[dict[str, Any]]:
    user = request.user
    if not policies.can_view_assessment(user):
        return []
    today = timezone.localdate()
    items: list[dict[str, Any]] = []
    if policies.can_assess(user):
        due = Reassessment.objects.visible_to(user)
        overdue = due.filter(due_on__lt=today).count()
        soon = due.filter(due_on__gte=today, due_on__lte=today + timedelta(DUE_SOON_DAYS)).count()
        url = reverse("assessment:due_list")
        if overdue:
            items.append(
                {
                    "urgent": True,
                    "url": f"{url}?status=overdue",
                    "text": ngettext(
                        "%(count)s assessment overdue",
                        "%(count)s assessments overdue",
                        overdue,
                    )
                    % {"count": overdue},
                }
            )
        if soon:
            items.append(
                {
                    "url": url,
                    "text": ngettext(
                        "%(count)s assessment due in the next %(days)s days",
                        "%(count)s assessments due in the next %(days)s days",
                        soon,
                    )
                    % {"count": soon, "days": DUE_SOON_DAYS},
                }
            )
    if policies.can_approve_override(user):
        pending = (
            BandOverride.objects.visible_to(user)
            .filter(status=BandOverride.Status.REQUESTED)
            .exclude(requested_by=user)
            .count()
        )
        if pending:
            items.append(
                {
                    "url": reverse("assessment:override_list"),
                    "text": ngettext(
                        "%(count)s band override awaits your decision",
                        "%(count)s band overrides await your decision",
                        pending,
                    )
                    % {"count": pending},
                }
            )
    if not items:
        return []
    return [
        {
            "template": "core/panels/work.html",
            "order": 10,
            "key": "assessment-work",
            "title": _("Risk and needs assessments"),
            "items": items,
        }
    ]
