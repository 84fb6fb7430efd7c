"""Persons in custody or on probation: identity (Mandela Rule 7), documents, aliases, family."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from qadam.people.identity import iin_is_valid
from qadam.people.querysets import PersonQuerySet


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class Person(models.Model):
    """One person. Duplicates are merged by pointing `merged_into` at the surviving record."""

    case_number = models.CharField(_("case number"), max_length=20, unique=True)
    iin = models.CharField(
        _("IIN"),
        max_length=12,
        blank=True,
        db_index=True,
        help_text=_("12-digit individual identification number"),
    )
    surname = models.CharField(_("surname"), max_length=80)
    first_name = models.CharField(_("first name"), max_length=80)
    patronymic = models.CharField(_("patronymic"), max_length=80, blank=True)
    surname_latin = models.CharField(_("surname (Latin)"), max_length=80, blank=True)
    first_name_latin = models.CharField(_("first name (Latin)"), max_length=80, blank=True)
    patronymic_latin = models.CharField(_("patronymic (Latin)"), max_length=80, blank=True)
    # Normalised phonetic keys of surname and first name for typo-tolerant search.
    surname_key = models.CharField(max_length=80, blank=True, db_index=True)
    first_name_key = models.CharField(max_length=80, blank=True)
    birth_date = models.DateField(_("date of birth"))
    birth_place = models.CharField(_("place of birth"), max_length=200, blank=True)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    self_perceived_gender = models.CharField(
        _("self-perceived gender"),
        max_length=60,
        blank=True,
        help_text=_("As the person describes it (Mandela Rule 7(a))."),
    )
    citizenship = models.CharField(
        _("citizenship"),
        max_length=2,
        default="KZ",
        help_text=_("Two-letter country code; KZ for citizens of Kazakhstan."),
    )
    language = models.CharField(
        _("preferred language"),
        max_length=2,
        default="kk",
        choices=[("kk", _("Kazakh")), ("ru", _("Russian")), ("en", _("English"))],
    )
    other_language = models.CharField(_("other language spoken"), max_length=60, blank=True)
    address = models.CharField(_("registered address"), max_length=255, blank=True)
    home_region = models.ForeignKey(
        "core.Region",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("home region"),
    )
    photo = models.ImageField(_("photo"), upload_to="photos/", blank=True)
    # Denormalised from the ledger by custody services, for fast scoping and search.
    current_institution = models.ForeignKey(
        "custody.Institution",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("current institution"),
    )
    # The institution that holds the person now or held them last: the scope of staff access.
    last_institution = models.ForeignKey(
        "custody.Institution",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("last institution"),
    )
    legal_status = models.CharField(_("legal status"), max_length=12, blank=True)
    # The last day the person may lawfully be held, from the governing detention basis.
    lawful_until = models.DateField(_("lawful until"), null=True, blank=True, db_index=True)
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_records",
        verbose_name=_("merged into"),
    )
    created_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords(excluded_fields=["surname_key", "first_name_key"])
    objects = PersonQuerySet.as_manager()

    class Meta:
        ordering = ["surname", "first_name"]
        verbose_name = _("person")
        verbose_name_plural = _("persons")
        indexes = [
            models.Index(fields=["birth_date", "surname_key"]),
            # Name search: surname key, then first-name key or its prefix (people.search).
            models.Index(fields=["surname_key", "first_name_key"], name="person_name_keys_idx"),
            # Merged records are few: search finds their survivors through this small index.
            models.Index(
                fields=["surname_key"],
                name="person_merged_name_idx",
                condition=models.Q(merged_into__isnull=False),
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(sex__in=["M", "F"]), name="person_sex_known"),
            models.CheckConstraint(
                condition=~models.Q(merged_into=models.F("id")), name="person_not_merged_into_self"
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.surname, self.first_name, self.patronymic) if p)

    @property
    def full_name_latin(self) -> str:
        parts = (self.surname_latin, self.first_name_latin, self.patronymic_latin)
        return " ".join(p for p in parts if p)

    @property
    def is_foreign_national(self) -> bool:
        return self.citizenship.upper() != "KZ"

    @property
    def iin_valid(self) -> bool:
        return bool(self.iin) and iin_is_valid(self.iin)

    def age_on(self, day: object) -> int:
        from datetime import date

        assert isinstance(day, date)
        years = day.year - self.birth_date.year
        if (day.month, day.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return years


class IdentityDocument(models.Model):
    class Kind(models.TextChoices):
        ID_CARD = "id_card", _("Identity card")
        PASSPORT = "passport", _("Passport")
        FOREIGN_PASSPORT = "foreign_passport", _("Foreign passport")
        BIRTH_CERTIFICATE = "birth_certificate", _("Birth certificate")
        RESIDENCE_PERMIT = "residence_permit", _("Residence permit")
        STATELESS = "stateless", _("Stateless person's certificate")

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("document"), max_length=24, choices=Kind.choices)
    number = models.CharField(_("number"), max_length=40)
    issued_by = models.CharField(_("issued by"), max_length=200, blank=True)
    issued_on = models.DateField(_("issued on"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)

    class Meta:
        verbose_name = _("identity document")
        verbose_name_plural = _("identity documents")
        constraints = [
            models.UniqueConstraint(fields=["kind", "number"], name="document_kind_number_unique")
        ]


class Alias(models.Model):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="aliases")
    surname = models.CharField(_("surname"), max_length=80)
    first_name = models.CharField(_("first name"), max_length=80, blank=True)
    patronymic = models.CharField(_("patronymic"), max_length=80, blank=True)
    surname_key = models.CharField(max_length=80, blank=True, db_index=True)

    class Meta:
        verbose_name = _("alias")
        verbose_name_plural = _("aliases")


class NextOfKin(models.Model):
    """Family member or other contact (Mandela Rule 7(f)–(g)); children are kept separately."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="next_of_kin")
    name = models.CharField(_("name"), max_length=200)
    relationship = models.CharField(_("relationship"), max_length=60)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    is_emergency_contact = models.BooleanField(_("emergency contact"), default=False)

    class Meta:
        verbose_name = _("next of kin")
        verbose_name_plural = _("next of kin")


class Child(models.Model):
    """A child of the person (Mandela Rule 7(f), Bangkok Rule 3): confidential, child's interest."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="children")
    name = models.CharField(_("name"), max_length=200)
    birth_date = models.DateField(_("date of birth"))
    whereabouts = models.CharField(_("where the child is"), max_length=255)
    carer = models.CharField(_("who cares for the child"), max_length=200)
    custody_status = models.CharField(_("custody or guardianship"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("child")
        verbose_name_plural = _("children")


class AdmissionRecord(models.Model):
    """The Mandela Rule 7 record taken at each admission; one per admission event."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="admission_records")
    movement = models.OneToOneField(
        "custody.Movement", on_delete=models.PROTECT, related_name="admission_record"
    )
    commitment_reason = models.TextField(_("reason for commitment"))
    commitment_authority = models.CharField(_("authority that ordered it"), max_length=255)
    arrested_at = models.DateTimeField(_("date and time of arrest"))
    arrest_place = models.CharField(_("place of arrest"), max_length=255)
    visible_injuries = models.TextField(_("visible injuries"), blank=True)
    ill_treatment_complaint = models.TextField(_("complaints of prior ill-treatment"), blank=True)
    rights_informed_at = models.DateTimeField(_("told rights and rules at"))
    information_language = models.CharField(
        _("language the information was given in"), max_length=40
    )
    interpreter_needed = models.BooleanField(_("interpreter needed"), default=False)
    interpreter_name = models.CharField(_("interpreter"), max_length=200, blank=True)
    consulate_notified_at = models.DateTimeField(
        _("consulate notified at"),
        null=True,
        blank=True,
        help_text=_("Foreign nationals only (Mandela Rule 62)."),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("admission record")
        verbose_name_plural = _("admission records")


class PropertyItem(models.Model):
    """Inventory of personal property taken at admission (Mandela Rule 7(e))."""

    admission = models.ForeignKey(
        AdmissionRecord, on_delete=models.CASCADE, related_name="property"
    )
    description = models.CharField(_("item"), max_length=255)
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    storage = models.CharField(_("kept where"), max_length=120, blank=True)
    returned_at = models.DateTimeField(_("returned"), null=True, blank=True)

    class Meta:
        verbose_name = _("property item")
        verbose_name_plural = _("property items")


class PersonMerge(models.Model):
    """A request to merge a duplicate into a surviving record; a second person approves it."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        UNDONE = "undone", _("Undone")

    survivor = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="merges_kept")
    duplicate = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="merges_absorbed")
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.REQUESTED
    )
    reason = models.TextField(_("reason"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = _("merge of records")
        verbose_name_plural = _("merges of records")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(survivor=models.F("duplicate")), name="merge_two_records"
            )
        ]
