"""The plans module's panel on the home page: overdue reviews (a count linking to the list) and,
for supervisors, the plan versions waiting for their countersignature (named, audited)."""

from __future__ import annotations

from typing import Any

from django.db.models import OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from qadam.core.audit import audit_search
from qadam.core.http import AuthenticatedHttpRequest
from qadam.plans import policies
from qadam.plans.models import Plan, PlanVersion

SHOWN = 10


def home_panels(request: AuthenticatedHttpRequest) -> list[dict[str, Any]]:
    user = request.user
    if not policies.can_view_plan(user):
        return []
    today = timezone.localdate()
    items: list[dict[str, Any]] = []
    persons: list[tuple[str, str, Any, str]] = []
    waiting = 0
    if policies.can_manage_plan(user) or policies.can_countersign(user):
        overdue = Plan.objects.visible_to(user).review_overdue(today).count()
        if overdue:
            items.append(
                {
                    "urgent": True,
                    "url": reverse("plans:overdue_list"),
                    "text": ngettext(
                        "%(count)s plan review overdue",
                        "%(count)s plan reviews overdue",
                        overdue,
                    )
                    % {"count": overdue},
                }
            )
    if policies.can_countersign(user):
        # A draft someone else wrote (nobody countersigns their own version).
        open_drafts = PlanVersion.objects.filter(
            plan=OuterRef("pk"), status=PlanVersion.Status.DRAFT
        ).exclude(author=user)
        drafts = (
            Plan.objects.visible_to(user)
            .annotate(since=Subquery(open_drafts.order_by("created_at").values("created_at")[:1]))
            .filter(since__isnull=False)
            .select_related("person")
            .order_by("since", "pk")
        )
        waiting = drafts.count()
        persons = [
            (
                plan.person.full_name,
                plan.person.case_number,
                timezone.localtime(plan.since).date(),
                reverse("plans:plan_detail", kwargs={"person_pk": plan.person_id}),
            )
            for plan in drafts[:SHOWN]
        ]
        if persons:
            audit_search(
                actor=user,
                verb="home page: plan versions awaiting countersignature",
                filters={},
                result_count=len(persons),
            )
    if not items and not persons:
        return []
    return [
        {
            "template": "core/panels/work.html",
            "order": 11,
            "key": "plans-work",
            "title": _("Resocialisation plans"),
            "items": items,
            "persons": persons,
            "persons_caption": ngettext(
                "%(count)s plan version awaits countersignature (oldest first)",
                "%(count)s plan versions await countersignature (oldest first)",
                waiting,
            )
            % {"count": waiting},
        }
    ]
