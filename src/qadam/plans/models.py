"""The individual resocialisation plan: one plan per person, from custody to probation.

need areas → goals → steps (with evidence); versions countersigned by a supervisor; the person's
agreement per version; reviews; explicit hand-overs between organisations. The social-legal
assistance programme of the probation service after release is the post-release stage of the same
plan, never a new one.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qadam.core.models import TranslatedName
from qadam.plans.querysets import PlanQuerySet


class NeedArea(TranslatedName):
    """A need area: the Central Eight (same codes as the assessment) and the pre-release areas."""

    class Group(models.TextChoices):
        CENTRAL_EIGHT = "central_eight", _("Central Eight need area")
        PRE_RELEASE = "pre_release", _("Pre-release area")

    code = models.CharField(_("code"), max_length=40, unique=True)
    group = models.CharField(_("group"), max_length=16, choices=Group.choices)
    checklist = models.BooleanField(
        _("on the pre-release checklist"),
        default=False,
        help_text=_("Shown as a checklist item in the last six months before release."),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=100)
    plain_kk = models.CharField(_("plain words in Kazakh"), max_length=255, blank=True)
    plain_ru = models.CharField(_("plain words in Russian"), max_length=255, blank=True)
    plain_en = models.CharField(_("plain words in English"), max_length=255, blank=True)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("need area")
        verbose_name_plural = _("need areas")

    def plain(self, language: str) -> str:
        value: str = getattr(self, f"plain_{language}", "") or getattr(self, f"name_{language}", "")
        return value or self.name_ru


class AgencyType(TranslatedName):
    """Who is responsible for a step: psychologist, social worker, employer, akimat, NGO, ..."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    order = models.PositiveSmallIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("responsible agency type")
        verbose_name_plural = _("responsible agency types")

    def name_in(self, language: str) -> str:
        value: str = getattr(self, f"name_{language}", "") or self.name_ru
        return value


class Stage(models.TextChoices):
    PENITENTIARY = "penitentiary", _("In custody")
    PRE_RELEASE = "pre_release", _("Preparing for release")
    POST_RELEASE = "post_release", _("After release (probation)")


class Plan(models.Model):
    person = models.OneToOneField(
        "people.Person", on_delete=models.PROTECT, related_name="plan", verbose_name=_("person")
    )
    stage = models.CharField(
        _("stage"), max_length=16, choices=Stage.choices, default=Stage.PENITENTIARY
    )
    organisation = models.ForeignKey(
        "core.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("responsible organisation"),
    )
    institution = models.ForeignKey(
        "custody.Institution",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("institution"),
        help_text=_("The institution where the plan is kept while the person is in custody."),
    )
    probation_office = models.ForeignKey(
        "probation.ProbationOffice",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="plans",
        verbose_name=_("probation office"),
        help_text=_(
            "The office that continues the plan after release; its officers see the person."
        ),
    )
    created_at = models.DateTimeField(_("started"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    next_review_due = models.DateField(_("next review due"), null=True, blank=True, db_index=True)
    next_review_rule = models.CharField(_("why the review is due then"), max_length=120, blank=True)

    objects = PlanQuerySet.as_manager()

    class Meta:
        verbose_name = _("resocialisation plan")
        verbose_name_plural = _("resocialisation plans")
        indexes = [models.Index(fields=["institution", "next_review_due"])]
        constraints = [
            # Only a plan after release is with a probation office (set by the hand-over).
            models.CheckConstraint(
                condition=models.Q(probation_office__isnull=True) | models.Q(stage="post_release"),
                name="plan_probation_office_after_release",
            )
        ]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} #{self.pk}"

    def review_overdue(self, today: date) -> bool:
        return self.next_review_due is not None and self.next_review_due < today


class PlanVersion(models.Model):
    """A version of the plan's goals and steps. Draft until a supervisor other than the author
    countersigns it; the signed content is frozen in `snapshot`."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        COUNTERSIGNED = "countersigned", _("Countersigned")

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    stage = models.CharField(_("stage"), max_length=16, choices=Stage.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("author"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    changes = models.JSONField(_("changes"), default=list, blank=True)
    countersigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("countersigned by"),
    )
    countersigned_at = models.DateTimeField(_("countersigned"), null=True, blank=True)
    snapshot = models.JSONField(_("content as signed"), default=dict, blank=True)

    class Meta:
        ordering = ["plan", "-number"]
        verbose_name = _("plan version")
        verbose_name_plural = _("plan versions")
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="plan_version_number_unique"),
            models.UniqueConstraint(
                fields=["plan"], condition=models.Q(status="draft"), name="plan_one_open_draft"
            ),
            models.CheckConstraint(
                condition=models.Q(countersigned_by__isnull=True)
                | ~models.Q(countersigned_by=models.F("author")),
                name="plan_countersigner_not_author",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="countersigned")
                | models.Q(countersigned_by__isnull=False, countersigned_at__isnull=False),
                name="plan_signed_has_signer",
            ),
        ]

    def __str__(self) -> str:
        return f"v{self.number}"


class PlanNeed(models.Model):
    class Priority(models.IntegerChoices):
        HIGH = 1, _("High")
        MEDIUM = 2, _("Medium")
        LOW = 3, _("Low")

    class Source(models.TextChoices):
        ASSESSMENT = "assessment", _("Risk and needs assessment")
        STAFF = "staff", _("Staff judgement")
        PERSON = "person", _("Raised by the person")
        PRE_RELEASE = "pre_release", _("Pre-release preparation")

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="needs")
    need_area = models.ForeignKey(NeedArea, on_delete=models.PROTECT, verbose_name=_("need area"))
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.MEDIUM
    )
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    # The stored assessment this need came from, when the assessment module records one.
    assessment_id = models.BigIntegerField(_("assessment"), null=True, blank=True)
    assessed_level = models.CharField(_("assessed level"), max_length=20, blank=True)
    rationale = models.TextField(_("why"), blank=True)
    added_in = models.ForeignKey(PlanVersion, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["priority", "need_area__order"]
        verbose_name = _("need")
        verbose_name_plural = _("needs")
        constraints = [
            models.UniqueConstraint(fields=["plan", "need_area"], name="plan_need_area_once"),
        ]


class PlanGoal(models.Model):
    need = models.ForeignKey(PlanNeed, on_delete=models.PROTECT, related_name="goals")
    text = models.TextField(_("goal"))
    plain_text = models.TextField(
        _("goal in plain words for the person"),
        blank=True,
        help_text=_("Printed on the person's copy; the goal's text is used when empty."),
    )
    added_in = models.ForeignKey(PlanVersion, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        verbose_name = _("goal")
        verbose_name_plural = _("goals")


class StepStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class PlanStep(models.Model):
    """A step towards a goal: who does it, by when, its status. Done only with proof recorded;
    "overdue" is derived (planned or in progress past the deadline), never stored."""

    goal = models.ForeignKey(PlanGoal, on_delete=models.PROTECT, related_name="steps")
    text = models.TextField(_("step"))
    agency_type = models.ForeignKey(
        AgencyType, on_delete=models.PROTECT, verbose_name=_("responsible agency")
    )
    responsible = models.CharField(
        _("responsible organisation or person"), max_length=255, blank=True
    )
    deadline = models.DateField(_("deadline"))
    status = models.CharField(
        _("status"), max_length=16, choices=StepStatus.choices, default=StepStatus.PLANNED
    )
    status_changed_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)
    added_in = models.ForeignKey(PlanVersion, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["deadline", "id"]
        verbose_name = _("step")
        verbose_name_plural = _("steps")
        indexes = [models.Index(fields=["status", "deadline"])]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="cancelled") | ~models.Q(cancel_reason=""),
                name="plan_step_cancel_has_reason",
            )
        ]


class Evidence(models.Model):
    class Kind(models.TextChoices):
        CERTIFICATE = "certificate", _("Certificate")
        WORK_RECORD = "work_record", _("Work record")
        ATTENDANCE = "attendance", _("Programme attendance")
        DOCUMENT = "document", _("Document obtained")
        NOTE = "note", _("Note")

    step = models.ForeignKey(PlanStep, on_delete=models.PROTECT, related_name="evidence")
    kind = models.CharField(_("kind of evidence"), max_length=16, choices=Kind.choices)
    description = models.TextField(_("what it shows"))
    reference = models.CharField(_("document number or reference"), max_length=120, blank=True)
    dated = models.DateField(_("date"))
    recorded_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["dated", "id"]
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")


class Agreement(models.Model):
    """The person's answer to a version of the plan, with their own words when they disagree."""

    class Answer(models.TextChoices):
        AGREES = "agrees", _("Agrees with the plan")
        DISAGREES = "disagrees", _("Disagrees (their words recorded)")
        UNABLE = "unable", _("Unable to take part")

    version = models.ForeignKey(PlanVersion, on_delete=models.PROTECT, related_name="agreements")
    answer = models.CharField(_("the person's answer"), max_length=12, choices=Answer.choices)
    persons_words = models.TextField(_("the person's own words"), blank=True)
    unable_reason = models.TextField(_("why the person cannot take part"), blank=True)
    dated = models.DateField(_("date"))
    recorded_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-dated", "-id"]
        verbose_name = _("agreement")
        verbose_name_plural = _("agreements")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(answer="disagrees") | ~models.Q(persons_words=""),
                name="plan_disagreement_has_words",
            ),
            models.CheckConstraint(
                condition=~models.Q(answer="unable") | ~models.Q(unable_reason=""),
                name="plan_unable_has_reason",
            ),
        ]


class Review(models.Model):
    class Outcome(models.TextChoices):
        ON_TRACK = "on_track", _("On track: no change")
        CHANGE_NEEDED = "change_needed", _("Plan to be changed")
        CONCERNS = "concerns", _("Concerns: closer follow-up")
        STAGE_CHANGE = "stage_change", _("Ready for the next stage")

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="reviews")
    reviewed_on = models.DateField(_("date of review"))
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("reviewer"),
    )
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    notes = models.TextField(_("notes"), blank=True)
    next_review_due = models.DateField(_("next review due"))
    version = models.ForeignKey(PlanVersion, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-reviewed_on", "-id"]
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(next_review_due__gt=models.F("reviewed_on")),
                name="plan_review_next_after",
            )
        ]


class Handover(models.Model):
    """An explicit, audited hand-over of the plan to another organisation (and stage)."""

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="handovers")
    from_organisation = models.ForeignKey(
        "core.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    to_organisation = models.ForeignKey(
        "core.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("receiving organisation"),
    )
    from_stage = models.CharField(max_length=16, choices=Stage.choices)
    to_stage = models.CharField(_("new stage"), max_length=16, choices=Stage.choices)
    to_probation_office = models.ForeignKey(
        "probation.ProbationOffice",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("receiving probation office"),
    )
    reason = models.TextField(_("reason"))
    handed_over_at = models.DateTimeField(default=timezone.now)
    handed_over_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-handed_over_at"]
        verbose_name = _("hand-over")
        verbose_name_plural = _("hand-overs")
