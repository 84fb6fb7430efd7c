"""Instruments as stored versions, assessments of persons, band overrides and the reassessment
schedule. Scoring itself is the pure engine (`assessment.engine`); rows keep what it computed."""

from __future__ import annotations

import hashlib
import tomllib
from datetime import date
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from qadam.assessment.engine import (
    NOT_VALIDATED,
    CompiledInstrument,
    compile_instrument,
    parse_instrument,
)
from qadam.assessment.engine import Instrument as EngineInstrument
from qadam.assessment.querysets import (
    AssessmentQuerySet,
    BandOverrideQuerySet,
    InstrumentQuerySet,
    ReassessmentQuerySet,
)

# Compiled instruments by (row id, hash of the definition): parsed and compiled once per process.
_COMPILED: dict[tuple[int, str], CompiledInstrument] = {}


class Instrument(models.Model):
    """One version of a risk and needs instrument: the TOML definition as loaded and validated by
    `engine.schema`, with the figures of the last validation on the registry's own outcomes."""

    code = models.CharField(_("code"), max_length=60)
    version = models.CharField(_("version"), max_length=30)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    definition = models.TextField(_("definition (TOML)"))
    definition_sha256 = models.CharField(max_length=64, editable=False)
    loaded_at = models.DateTimeField(_("loaded"), default=timezone.now)
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    validated_on_local_data = models.BooleanField(_("validated on Kazakh data"), default=False)
    local_validation = models.JSONField(_("local validation figures"), null=True, blank=True)
    local_validated_at = models.DateTimeField(_("validated locally"), null=True, blank=True)

    objects = InstrumentQuerySet.as_manager()

    class Meta:
        ordering = ["code", "-valid_from"]
        verbose_name = _("assessment instrument")
        verbose_name_plural = _("assessment instruments")
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="instrument_code_version"),
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True)
                | models.Q(valid_to__gt=models.F("valid_from")),
                name="instrument_validity_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.version}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.definition_sha256 = hashlib.sha256(self.definition.encode()).hexdigest()
        super().save(*args, **kwargs)

    @property
    def compiled(self) -> CompiledInstrument:
        key = (self.pk or 0, self.definition_sha256)
        compiled = _COMPILED.get(key)
        if compiled is None:
            parsed = parse_instrument(tomllib.loads(self.definition), origin=str(self))
            compiled = compile_instrument(parsed)
            _COMPILED[key] = compiled
        return compiled

    @property
    def engine(self) -> EngineInstrument:
        return self.compiled.instrument

    @property
    def name(self) -> str:
        return self.engine.name.get((get_language() or "kk")[:2])

    @property
    def validation_label(self) -> str:
        """What the instrument was validated on, as the instrument page and results show it."""
        if self.validated_on_local_data and self.local_validated_at is not None:
            return str(_("Validated on Kazakh registry data"))
        if self.engine.validated_on == NOT_VALIDATED:
            return str(_("Not yet validated on Kazakh data"))
        return self.engine.validated_on

    def in_force_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day < self.valid_to)


class AssessmentKind(models.TextChoices):
    ADMISSION = "admission", _("On admission")
    TRANSFER = "transfer", _("After a transfer")
    PERIODIC = "periodic", _("Periodic reassessment")
    PRE_RELEASE = "pre_release", _("Before release")
    OVERRIDE_REVIEW = "override_review", _("Review of an override")


class Assessment(models.Model):
    """One assessment of one person with one instrument version: the answers and what the engine
    computed from them (stored, so that a later instrument version never changes a past result)."""

    person = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="assessments"
    )
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="assessments")
    kind = models.CharField(_("kind"), max_length=16, choices=AssessmentKind.choices)
    assessed_on = models.DateField(_("date of assessment"))
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("assessor"),
    )
    institution = models.ForeignKey(
        "custody.Institution",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("institution"),
    )
    answers = models.JSONField(_("answers"))
    total_points = models.FloatField(_("points"))
    probability_year1 = models.FloatField(_("probability within one year"), null=True)
    probability_year2 = models.FloatField(_("probability within two years"), null=True)
    band = models.CharField(_("band"), max_length=30)
    # The band approved by a supervisor in place of the computed one ("" = no override).
    override_band = models.CharField(_("band after override"), max_length=30, blank=True)
    # [{item, option, points, share, layer, need_area, code}], in the instrument's item order.
    contributions = models.JSONField(_("contributions"))
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = AssessmentQuerySet.as_manager()

    class Meta:
        ordering = ["-assessed_on", "-id"]
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        indexes = [models.Index(fields=["person", "assessed_on"], name="assessment_person_date")]

    def __str__(self) -> str:
        return f"{self.instrument} {self.assessed_on:%Y-%m-%d}"

    @property
    def points(self) -> int | float:
        """The total as shown: whole numbers without a decimal point."""
        total = self.total_points
        return int(total) if float(total).is_integer() else round(total, 2)

    @property
    def effective_band(self) -> str:
        return self.override_band or self.band


class BandOverride(models.Model):
    """The assessor's request to put the person in another band, with the reason, and a
    supervisor's decision (a second person). Both bands stay visible on the assessment."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Awaiting approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT, related_name="overrides")
    computed_band = models.CharField(_("computed band"), max_length=30)
    requested_band = models.CharField(_("requested band"), max_length=30)
    reason = models.TextField(_("reason"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.REQUESTED
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(_("note on the decision"), blank=True)

    objects = BandOverrideQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("band override")
        verbose_name_plural = _("band overrides")
        constraints = [
            models.UniqueConstraint(
                fields=["assessment"],
                condition=models.Q(status="requested"),
                name="one_pending_override_per_assessment",
            ),
            models.CheckConstraint(
                condition=~models.Q(requested_band=models.F("computed_band")),
                name="override_changes_band",
            ),
        ]


class DueReason(models.TextChoices):
    PERIODIC = "periodic", _("Six months since the last assessment")
    ADMISSION = "admission", _("Admission")
    TRANSFER = "transfer", _("Transfer")
    PRE_RELEASE = "pre_release", _("Preparation for release")
    FIRST = "first", _("Not yet assessed")


class Reassessment(models.Model):
    """When the person's next assessment is due, and why (one row per person)."""

    person = models.OneToOneField(
        "people.Person", on_delete=models.CASCADE, related_name="reassessment"
    )
    due_on = models.DateField(_("due on"), db_index=True)
    reason = models.CharField(_("reason"), max_length=16, choices=DueReason.choices)
    last_assessment = models.ForeignKey(
        Assessment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    objects = ReassessmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("reassessment")
        verbose_name_plural = _("reassessments")

    @property
    def suggested_kind(self) -> str:
        kinds: dict[str, str] = {
            DueReason.ADMISSION: AssessmentKind.ADMISSION,
            DueReason.TRANSFER: AssessmentKind.TRANSFER,
            DueReason.PRE_RELEASE: AssessmentKind.PRE_RELEASE,
            DueReason.FIRST: AssessmentKind.ADMISSION,
        }
        return kinds.get(self.reason, AssessmentKind.PERIODIC)
