"""Verdicts, counts and dated adjustments; the stored result of the release-date engine per person;
manual overrides of a date (second-person approval); bulk recalculations under new rule files.

The engine (`sentences.engine`) never reads these tables: `sentences.adapters` turns rows into
its dataclasses, and `sentences.recalculation` stores what it returns in `SentenceCalculation`, so
that worklists are indexed range queries.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qadam.core.models import Offence
from qadam.sentences.querysets import (
    CalculationQuerySet,
    DateOverrideQuerySet,
    VerdictQuerySet,
)


class Combination(models.TextChoices):
    ABSORPTION = "absorption", _("Absorption: the strictest term absorbs the others")
    CONSECUTIVE = "consecutive", _("Full addition of the terms")
    PARTIAL = "partial", _("Partial addition: the strictest term plus a share of the others")


class Verdict(models.Model):
    """A court's verdict of imprisonment for one person."""

    person = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="verdicts", verbose_name=_("person")
    )
    court = models.CharField(_("court"), max_length=255)
    verdict_date = models.DateField(_("date of the verdict"))
    case_number = models.CharField(_("court case number"), max_length=64)
    entered_into_force = models.DateField(
        _("entered into force"),
        null=True,
        blank=True,
        help_text=_("Leave empty while an appeal is pending."),
    )
    institution_type = models.ForeignKey(
        "custody.InstitutionType",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("institution type assigned by the court"),
    )
    combination = models.CharField(
        _("how the counts combine"),
        max_length=12,
        choices=Combination.choices,
        default=Combination.ABSORPTION,
    )
    partial_share = models.CharField(
        _("share added by partial addition"),
        max_length=8,
        default="1/2",
        help_text=_('A fraction such as "1/2"; used only for partial addition.'),
    )
    additional_punishments = models.TextField(_("additional punishments"), blank=True)
    start_date = models.DateField(_("sentence starts on"))
    dangerous_recidivism = models.BooleanField(_("dangerous recidivism"), default=False)
    cooperation_agreement = models.BooleanField(
        _("procedural cooperation agreement fulfilled"), default=False
    )
    earlier_parole_revoked = models.BooleanField(
        _("an earlier early release was revoked"), default=False
    )
    basis = models.OneToOneField(
        "custody.DetentionBasis",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="verdict",
        verbose_name=_("detention basis"),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = VerdictQuerySet.as_manager()

    class Meta:
        ordering = ["-verdict_date", "-id"]
        verbose_name = _("verdict")
        verbose_name_plural = _("verdicts")
        indexes = [models.Index(fields=["person", "verdict_date"], name="verdict_person_date_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(entered_into_force__isnull=True)
                | models.Q(entered_into_force__gte=models.F("verdict_date")),
                name="verdict_force_after_verdict",
            )
        ]

    def __str__(self) -> str:
        return f"{self.court} {self.case_number} ({self.verdict_date:%Y-%m-%d})"


class Count(models.Model):
    """One count of the verdict: an offence (article and part) and the term imposed for it."""

    verdict = models.ForeignKey(Verdict, on_delete=models.CASCADE, related_name="counts")
    number = models.PositiveSmallIntegerField(_("count"))
    offence = models.ForeignKey(
        Offence, on_delete=models.PROTECT, related_name="+", verbose_name=_("article")
    )
    gravity = models.CharField(
        _("gravity as the verdict determined it"), max_length=20, choices=Offence.Gravity.choices
    )
    term_years = models.PositiveSmallIntegerField(_("years"), default=0)
    term_months = models.PositiveSmallIntegerField(_("months"), default=0)
    term_days = models.PositiveSmallIntegerField(_("days"), default=0)
    life = models.BooleanField(_("life imprisonment"), default=False)
    offence_date = models.DateField(_("date of the offence"))

    class Meta:
        ordering = ["verdict", "number"]
        verbose_name = _("count")
        verbose_name_plural = _("counts")
        constraints = [
            models.UniqueConstraint(fields=["verdict", "number"], name="count_number_unique")
        ]


class Adjustment(models.Model):
    """A dated, sourced change to how the sentence is served."""

    class Kind(models.TextChoices):
        DETENTION = "detention", _("Pre-trial detention (credit, CC art. 62)")
        ESCAPE = "escape", _("Unlawfully at large after an escape (not counted)")
        AMNESTY = "amnesty", _("Amnesty")
        PARDON = "pardon", _("Pardon")
        COURT_CHANGE = "court_change", _("Court decision changing the term or institution type")
        REPLACEMENT = "replacement", _("Replacement by a milder punishment (CC art. 73)")
        RECALL = "recall", _("Recall after a revoked parole")

    verdict = models.ForeignKey(Verdict, on_delete=models.CASCADE, related_name="adjustments")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    date = models.DateField(
        _("date"), help_text=_("The date of the decision or act; for a period, its first day.")
    )
    source = models.CharField(_("source document"), max_length=255)
    date_from = models.DateField(_("first day"), null=True, blank=True)
    date_to = models.DateField(_("last day"), null=True, blank=True)
    years = models.PositiveSmallIntegerField(_("years"), default=0)
    months = models.PositiveSmallIntegerField(_("months"), default=0)
    days = models.PositiveSmallIntegerField(_("days"), default=0)
    life = models.BooleanField(_("life imprisonment"), default=False)
    commute = models.BooleanField(_("commutes life imprisonment to the term"), default=False)
    release = models.BooleanField(_("releases from further serving"), default=False)
    new_institution_type = models.ForeignKey(
        "custody.InstitutionType",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("new institution type"),
    )
    milder_punishment = models.CharField(_("milder punishment"), max_length=255, blank=True)
    released_on = models.DateField(_("released on parole on"), null=True, blank=True)
    days_to_serve = models.PositiveIntegerField(_("days left to serve"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["verdict", "date", "id"]
        verbose_name = _("adjustment")
        verbose_name_plural = _("adjustments")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind__in=["detention", "escape"])
                | (
                    models.Q(date_from__isnull=False)
                    & models.Q(date_to__isnull=False)
                    & models.Q(date_to__gte=models.F("date_from"))
                ),
                name="adjustment_period_ordered",
            ),
        ]

    @property
    def has_term(self) -> bool:
        return self.life or bool(self.years or self.months or self.days)


class CalculationField(models.TextChoices):
    """The dates of a sentence that are stored, listed and may be overridden."""

    END = "end_of_sentence", _("End of sentence")
    PAROLE = "parole", _("Parole eligibility (CC art. 72)")
    REPLACEMENT = "replacement", _("Replacement by a milder punishment (CC art. 73)")
    TRANSFER = "transfer", _("Transfer to another institution type (PEC art. 96)")
    PREFERENTIAL = "preferential", _("Preferential conditions possible")


# CalculationField → the column of SentenceCalculation holding the date in effect.
DATE_COLUMNS: dict[str, str] = {
    CalculationField.END: "end_of_sentence",
    CalculationField.PAROLE: "parole_date",
    CalculationField.REPLACEMENT: "replacement_date",
    CalculationField.TRANSFER: "transfer_date",
    CalculationField.PREFERENTIAL: "preferential_date",
}


class SentenceCalculation(models.Model):
    """The dates in effect for a person's current verdict: computed by the engine, or an approved
    override in their place (the computed value stays in `result`)."""

    person = models.OneToOneField(
        "people.Person", on_delete=models.CASCADE, related_name="sentence_calculation"
    )
    verdict = models.ForeignKey(Verdict, on_delete=models.CASCADE, related_name="+")
    ok = models.BooleanField(_("calculated"), default=True)
    end_of_sentence = models.DateField(_("end of sentence"), null=True, blank=True)
    parole_date = models.DateField(_("parole eligibility"), null=True, blank=True)
    parole_status = models.CharField(_("parole"), max_length=16, blank=True)
    parole_reason = models.CharField(_("reason"), max_length=40, blank=True)
    replacement_date = models.DateField(_("replacement possible (art. 73)"), null=True, blank=True)
    transfer_date = models.DateField(_("transfer possible"), null=True, blank=True)
    transfer_target = models.CharField(_("transfer to"), max_length=12, blank=True)
    transfer_conditions_met = models.BooleanField(default=False)
    preferential_date = models.DateField(_("preferential conditions from"), null=True, blank=True)
    mandatory_parole = models.BooleanField(_("mandatory parole candidate"), default=False)
    overridden = models.JSONField(default=list, blank=True)  # CalculationField values in effect
    result = models.JSONField(default=dict)  # breakdowns, computed dates, issues
    ruleset_version = models.CharField(_("rule set"), max_length=16)
    as_of = models.DateField(_("calculated as of"))
    computed_at = models.DateTimeField(_("calculated at"), default=timezone.now)
    # Digest of the engine's inputs and of everything the result states (dates, statuses,
    # reasons, conditions, the rules cited with their content, the law chosen): a recalculation
    # rewrites the row only when it differs (`adapters.calculation_fingerprint`).
    fingerprint = models.CharField(max_length=32, blank=True, default="")

    objects = CalculationQuerySet.as_manager()

    class Meta:
        verbose_name = _("sentence calculation")
        verbose_name_plural = _("sentence calculations")
        indexes = [
            models.Index(fields=["end_of_sentence"], name="calc_end_idx"),
            models.Index(fields=["parole_date"], name="calc_parole_idx"),
            models.Index(fields=["transfer_date"], name="calc_transfer_idx"),
            models.Index(fields=["parole_status"], name="calc_parole_status_idx"),
        ]


class DateOverride(models.Model):
    """A date set by hand instead of the computed one: requested by one member of staff, in force
    only once a second one approves it."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Awaiting approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        SUPERSEDED = "superseded", _("Replaced by a later override")

    person = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="date_overrides"
    )
    verdict = models.ForeignKey(Verdict, on_delete=models.PROTECT, related_name="overrides")
    field = models.CharField(_("date"), max_length=16, choices=CalculationField.choices)
    computed_date = models.DateField(_("computed date"), null=True, blank=True)
    new_date = models.DateField(_("date set by hand"))
    reason = models.TextField(_("reason"))
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.REQUESTED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(_("note on the decision"), blank=True)

    objects = DateOverrideQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("date override")
        verbose_name_plural = _("date overrides")
        constraints = [
            models.UniqueConstraint(
                fields=["person", "field"],
                condition=models.Q(status="requested"),
                name="override_one_open_request",
            ),
            models.UniqueConstraint(
                fields=["person", "field"],
                condition=models.Q(status="approved"),
                name="override_one_in_force",
            ),
        ]


class RecalculationRun(models.Model):
    """Everyone's dates recomputed under a candidate rule set: the diff, then the activation."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Calculating")
        READY = "ready", _("Diff ready: awaiting activation")
        ACTIVATING = "activating", _("Activating")
        ACTIVATED = "activated", _("Activated")
        FAILED = "failed", _("Failed")
        DISCARDED = "discarded", _("Discarded")

    rules_dir = models.CharField(_("rule files"), max_length=500)
    ruleset_version = models.CharField(_("rule set"), max_length=16)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.RUNNING
    )
    total = models.PositiveIntegerField(_("persons"), default=0)
    processed = models.PositiveIntegerField(_("processed"), default=0)
    changed_persons = models.PositiveIntegerField(_("persons with a changed date"), default=0)
    invalid = models.PositiveIntegerField(_("sentences that cannot be calculated"), default=0)
    rewrite_persons = models.PositiveIntegerField(_("stored calculations to rewrite"), default=0)
    summary = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    seconds = models.FloatField(default=0)
    # The day the diff was computed for: an activation on that day writes only the persons the
    # diff found changed (`RecalculationRewrite`); on another day it compares everyone again.
    as_of = models.DateField(_("calculated as of"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    activated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("recalculation")
        verbose_name_plural = _("recalculations")

    @property
    def percent(self) -> int:
        return round(100 * self.processed / self.total) if self.total else 100


class RecalculationChange(models.Model):
    """One date of one person that the candidate rule set changes."""

    run = models.ForeignKey(RecalculationRun, on_delete=models.CASCADE, related_name="changes")
    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="+")
    field = models.CharField(max_length=16, choices=CalculationField.choices)
    old_date = models.DateField(null=True, blank=True)
    new_date = models.DateField(null=True, blank=True)
    delta_days = models.IntegerField(null=True, blank=True)

    class Meta:
        ordering = ["run", "field", "delta_days", "id"]
        indexes = [
            models.Index(fields=["run", "field", "delta_days"], name="recalc_change_idx"),
        ]


class RecalculationRewrite(models.Model):
    """A person whose stored calculation the run's activation rewrites: a date, a status, a
    reason, a condition, a rule cited, the law chosen or an input of the engine differs from what
    is stored, or nothing is stored yet. The others keep their row (only the rule set is noted)."""

    run = models.ForeignKey(RecalculationRun, on_delete=models.CASCADE, related_name="rewrites")
    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "person"], name="recalc_rewrite_unique")
        ]


class LegislationVersion(models.Model):
    """A rule set that was activated: the stored calculations follow it from then on."""

    ruleset_version = models.CharField(_("rule set"), max_length=16)
    rules_dir = models.CharField(_("rule files"), max_length=500)
    run = models.ForeignKey(
        RecalculationRun, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    activated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-activated_at", "-id"]
        verbose_name = _("legislation version")
        verbose_name_plural = _("legislation versions")
