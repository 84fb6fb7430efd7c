"""Institutions, sections and cells; the movements ledger; the lawful basis of each stay.

The ledger (`Movement`) is the source of truth for where a person is. `Stay` rows are derived from
it by `custody.services.rebuild_stays` after every event (and by the demo's bulk load); nothing
else writes them. "Population on date D" is a month-start `PopulationSnapshot` plus the stays
started and ended since (`custody.snapshots`), two short range scans.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from qadam.core.models import TranslatedName
from qadam.custody.querysets import InstitutionQuerySet, MovementQuerySet, StayQuerySet


class LegalStatus(models.TextChoices):
    REMAND = "remand", _("On remand")
    SENTENCED = "sentenced", _("Sentenced")


class InstitutionType(TranslatedName):
    """Security type (PEC art. 89): MIN, MED, MED_JUV, MAX, FULL, EXTRA, MIXED, SIZO."""

    code = models.CharField(_("code"), max_length=12, unique=True)
    rank = models.PositiveSmallIntegerField(_("strictness"), default=0)
    is_pretrial = models.BooleanField(_("pre-trial detention"), default=False)
    is_mixed = models.BooleanField(_("mixed (each section has its own type)"), default=False)

    class Meta:
        ordering = ["rank", "code"]
        verbose_name = _("institution type")
        verbose_name_plural = _("institution types")


class Institution(TranslatedName):
    class SexProfile(models.TextChoices):
        MALE = "M", _("Men")
        FEMALE = "F", _("Women")
        BOTH = "MF", _("Men and women (separate sections)")

    class AgeProfile(models.TextChoices):
        ADULT = "adult", _("Adults")
        JUVENILE = "juvenile", _("Minors")
        BOTH = "both", _("Adults and minors (separate sections)")

    code = models.CharField(_("code"), max_length=16, unique=True)
    type = models.ForeignKey(InstitutionType, on_delete=models.PROTECT, verbose_name=_("type"))
    region = models.ForeignKey(
        "core.Region",
        on_delete=models.PROTECT,
        related_name="institutions",
        verbose_name=_("region"),
    )
    department = models.ForeignKey(
        "core.UisDepartment",
        on_delete=models.PROTECT,
        related_name="institutions",
        verbose_name=_("regional department"),
    )
    sex_profile = models.CharField(_("sex"), max_length=2, choices=SexProfile.choices)
    age_profile = models.CharField(_("age"), max_length=8, choices=AgeProfile.choices)
    design_capacity = models.PositiveIntegerField(_("design capacity"))
    operational_capacity = models.PositiveIntegerField(_("operational capacity"))
    address = models.CharField(_("address"), max_length=255, blank=True)
    is_active = models.BooleanField(_("in use"), default=True)

    history = HistoricalRecords()
    objects = InstitutionQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("institution")
        verbose_name_plural = _("institutions")


class Section(models.Model):
    """A section (отряд / участок); in a mixed institution each section has its own type."""

    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="sections")
    name = models.CharField(_("name"), max_length=80)
    type = models.ForeignKey(
        InstitutionType,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("security type"),
    )
    sex = models.CharField(_("sex"), max_length=1, blank=True)
    is_juvenile = models.BooleanField(_("for minors"), default=False)

    class Meta:
        ordering = ["institution", "name"]
        verbose_name = _("section")
        verbose_name_plural = _("sections")
        constraints = [
            models.UniqueConstraint(fields=["institution", "name"], name="section_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Cell(models.Model):
    section = models.ForeignKey(Section, on_delete=models.PROTECT, related_name="cells")
    number = models.CharField(_("number"), max_length=16)
    places = models.PositiveSmallIntegerField(_("places"))
    area_m2 = models.DecimalField(_("living space, m²"), max_digits=7, decimal_places=2)

    class Meta:
        ordering = ["section", "number"]
        verbose_name = _("cell")
        verbose_name_plural = _("cells")
        constraints = [
            models.UniqueConstraint(fields=["section", "number"], name="cell_number_unique"),
            models.CheckConstraint(condition=models.Q(places__gt=0), name="cell_has_places"),
        ]

    def __str__(self) -> str:
        return self.number


class DetentionBasis(models.Model):
    """A document on which a stay rests, with the date it ends (Mandela Rule 7)."""

    class Kind(models.TextChoices):
        DETENTION_ORDER = "detention_order", _("Detention order")
        REMAND_ORDER = "remand_order", _("Remand order")
        EXTENSION = "extension", _("Extension of remand")
        VERDICT = "verdict", _("Verdict")
        COURT_DECISION = "court_decision", _("Other court decision")

    person = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="detention_bases"
    )
    kind = models.CharField(_("document"), max_length=20, choices=Kind.choices)
    authority = models.CharField(_("issued by"), max_length=255)
    document_number = models.CharField(_("document number"), max_length=64)
    issued_on = models.DateField(_("issued on"))
    valid_until = models.DateField(
        _("lawful until"),
        null=True,
        blank=True,
        help_text=_("Last day the person may lawfully be held on this document."),
    )
    extends = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="extensions",
        verbose_name=_("extends"),
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # A form's one-time token: the same submission sent twice records one document.
    idempotency_key = models.CharField(max_length=80, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["-issued_on", "-id"]
        verbose_name = _("legal basis of detention")
        verbose_name_plural = _("legal bases of detention")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_until__isnull=True)
                | models.Q(valid_until__gte=models.F("issued_on")),
                name="basis_valid_after_issue",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.document_number}"


class MovementKind(models.TextChoices):
    ADMISSION = "admission", _("Admission")
    SECTION_MOVE = "section_move", _("Move within the institution")
    TRANSFER_OUT = "transfer_out", _("Transfer out")
    TRANSFER_IN = "transfer_in", _("Transfer in")
    ABSENCE_OUT = "absence_out", _("Temporary absence")
    ABSENCE_RETURN = "absence_return", _("Return from absence")
    ESCAPE = "escape", _("Escape")
    RECAPTURE = "recapture", _("Recapture")
    STATUS_CHANGE = "status_change", _("Change of legal status")
    RELEASE = "release", _("Release")
    DEATH = "death", _("Death in custody")
    CORRECTION = "correction", _("Correction")


class ReleaseReason(models.TextChoices):
    END_OF_SENTENCE = "end_of_sentence", _("End of sentence")
    PAROLE = "parole", _("Parole")
    AMNESTY = "amnesty", _("Amnesty")
    PARDON = "pardon", _("Pardon")
    COURT_DECISION = "court_decision", _("Court decision")
    MILDER_PUNISHMENT = "milder_punishment", _("Replacement by a milder punishment")
    TO_PROBATION = "to_probation", _("Transfer to probation")
    REMAND_ENDED = "remand_ended", _("Remand ended")
    HEALTH = "health", _("Release on health grounds")


class AbsenceReason(models.TextChoices):
    COURT = "court", _("Court attendance")
    HOSPITAL = "hospital", _("Hospital")
    INVESTIGATION = "investigation", _("Investigative actions")
    OTHER = "other", _("Other")


class Movement(models.Model):
    """One dated, append-only ledger event. A correction is a new event that reverses another."""

    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="movements")
    kind = models.CharField(_("event"), max_length=16, choices=MovementKind.choices)
    occurred_at = models.DateTimeField(_("when it happened"))
    recorded_at = models.DateTimeField(_("when it was recorded"), default=timezone.now)
    institution = models.ForeignKey(
        Institution,
        on_delete=models.PROTECT,
        related_name="movements",
        verbose_name=_("institution"),
    )
    section = models.ForeignKey(
        Section, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("section")
    )
    cell = models.ForeignKey(
        Cell, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("cell")
    )
    # Transfer out: where the person is sent. Transfer in: the transfer-out it completes. A
    # transfer may have several arrivals: all but one reversed by corrections. That only one is
    # effective is the engine's check (`custody.engine`), under the row lock on the person; a
    # unique constraint could not tell a reversed arrival from an effective one.
    destination = models.ForeignKey(
        Institution,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("destination"),
    )
    transfer_out = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="arrivals",
        verbose_name=_("transfer it completes"),
    )
    legal_status = models.CharField(
        _("legal status"), max_length=12, choices=LegalStatus.choices, blank=True
    )
    basis = models.ForeignKey(
        DetentionBasis,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("legal basis"),
    )
    release_reason = models.CharField(
        _("release reason"), max_length=20, choices=ReleaseReason.choices, blank=True
    )
    absence_reason = models.CharField(
        _("absence reason"), max_length=16, choices=AbsenceReason.choices, blank=True
    )
    escort = models.CharField(_("escort"), max_length=200, blank=True)
    vehicle = models.CharField(_("vehicle"), max_length=120, blank=True)
    conditions = models.TextField(_("transport conditions"), blank=True)
    departure_at = models.DateTimeField(_("departure"), null=True, blank=True)
    arrival_at = models.DateTimeField(_("arrival"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    capacity_override_reason = models.TextField(_("reason for exceeding capacity"), blank=True)
    reverses = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_by",
        verbose_name=_("reverses"),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    idempotency_key = models.CharField(max_length=80, null=True, blank=True, unique=True)

    objects = MovementQuerySet.as_manager()

    class Meta:
        ordering = ["occurred_at", "id"]
        verbose_name = _("movement")
        verbose_name_plural = _("movements")
        indexes = [
            models.Index(fields=["person", "occurred_at", "id"]),
            models.Index(fields=["institution", "occurred_at"]),
            models.Index(fields=["kind", "occurred_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind="correction") | models.Q(reverses__isnull=False),
                name="correction_names_event",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="release") | ~models.Q(release_reason=""),
                name="release_has_reason",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="transfer_out") | models.Q(destination__isnull=False),
                name="transfer_has_destination",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.occurred_at:%Y-%m-%d}"


class Stay(models.Model):
    """A derived interval during which a person was on an institution's roll."""

    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="stays")
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="stays")
    section = models.ForeignKey(Section, on_delete=models.SET_NULL, null=True, blank=True)
    cell = models.ForeignKey(Cell, on_delete=models.SET_NULL, null=True, blank=True)
    legal_status = models.CharField(max_length=12, choices=LegalStatus.choices)
    sex = models.CharField(max_length=1)
    birth_date = models.DateField()
    start = models.DateTimeField()
    end = models.DateTimeField(null=True, blank=True)
    start_event = models.ForeignKey(Movement, on_delete=models.CASCADE, related_name="+")
    end_event = models.ForeignKey(
        Movement, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )

    objects = StayQuerySet.as_manager()

    class Meta:
        ordering = ["start"]
        indexes = [
            models.Index(fields=["start", "end", "institution"], name="stay_range_idx"),
            models.Index(fields=["institution", "start"], name="stay_institution_idx"),
            models.Index(fields=["end"], name="stay_end_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__isnull=True) | models.Q(end__gte=models.F("start")),
                name="stay_ordered",
            ),
            # At most one open stay per person: one place at a time.
            models.UniqueConstraint(
                fields=["person"], condition=models.Q(end__isnull=True), name="one_open_stay"
            ),
        ]


class PopulationSnapshot(models.Model):
    """The population at the end of one day (the 1st of a month) is stored: its counts are in
    `PopulationSnapshotCount` (no rows when nobody was held). Derived from the stays by
    `custody.snapshots`, deleted from a day on when a backdated event or a correction changes
    the stays before it; never edited."""

    day = models.DateField(unique=True)
    stored_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["day"]


class PopulationSnapshotCount(models.Model):
    """Persons on the roll at the end of the snapshot's day, by institution, section, legal
    status and sex (region and institution type follow from the institution)."""

    snapshot = models.ForeignKey(
        PopulationSnapshot, on_delete=models.CASCADE, related_name="counts"
    )
    # Read by snapshot only: no index of their own (they would slow the writing of the rows).
    institution = models.ForeignKey(
        Institution, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    section = models.ForeignKey(
        Section, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    legal_status = models.CharField(max_length=12, choices=LegalStatus.choices)
    sex = models.CharField(max_length=1)
    count = models.PositiveIntegerField()


class PopulationSnapshotGeneration(models.Model):
    """One row whose value every change of stays before today increments, in the writer's
    transaction: a snapshot computed while the value moved is not stored (see
    `custody.snapshots`)."""

    value = models.PositiveBigIntegerField(default=0)
