"""Staff identity, roles and scope, reference data shared by all modules, and the audit trail."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from qadam.core.roles import CAPABILITIES, Role, ScopeLevel


class TranslatedName(models.Model):
    """A reference row with its name in Kazakh, Russian and English."""

    name_kk = models.CharField(_("name in Kazakh"), max_length=255)
    name_ru = models.CharField(_("name in Russian"), max_length=255)
    name_en = models.CharField(_("name in English"), max_length=255)

    class Meta:
        abstract = True

    @property
    def name(self) -> str:
        language = (get_language() or "kk")[:2]
        value: str = getattr(self, f"name_{language}", "") or self.name_ru
        return value

    def __str__(self) -> str:
        return self.name


class Capability(models.Model):
    """Holds the project's capability permissions; it has no table of its own."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [(code, text) for code, text in CAPABILITIES.items()]


class Region(TranslatedName):
    """One of the 20 first-level units (ISO 3166-2:KZ numeric code), with the old letter code."""

    code = models.CharField(_("ISO 3166-2 code"), max_length=8, unique=True)
    legacy_code = models.CharField(_("former letter code"), max_length=8, blank=True)
    centre = models.CharField(_("administrative centre"), max_length=120, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")


class UisDepartment(TranslatedName):
    """A regional department of the penal system; one department may cover several regions."""

    code = models.CharField(_("code"), max_length=16, unique=True)
    regions = models.ManyToManyField(Region, related_name="departments", verbose_name=_("regions"))

    class Meta:
        ordering = ["code"]
        verbose_name = _("regional department")
        verbose_name_plural = _("regional departments")


class Organisation(TranslatedName):
    """A data controller: the penal system, the probation agency, or a partner body."""

    class Kind(models.TextChoices):
        PENAL_SYSTEM = "penal", _("Penal system")
        PROBATION_AGENCY = "probation", _("Probation service")
        PARTNER = "partner", _("Partner body")
        OVERSIGHT = "oversight", _("Oversight body")

    code = models.CharField(_("code"), max_length=32, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)

    class Meta:
        ordering = ["code"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")


class User(AbstractUser):
    """A member of staff (or a machine client), with one role and a scope."""

    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    scope_level = models.CharField(
        _("scope"), max_length=20, choices=ScopeLevel.choices, default=ScopeLevel.INSTITUTION
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("organisation"),
    )
    regions = models.ManyToManyField(Region, blank=True, verbose_name=_("regions in scope"))
    institutions = models.ManyToManyField(
        "custody.Institution", blank=True, verbose_name=_("institutions in scope")
    )
    probation_offices = models.ManyToManyField(
        "probation.ProbationOffice", blank=True, verbose_name=_("probation offices in scope")
    )
    language = models.CharField(
        _("interface language"),
        max_length=2,
        default="kk",
        choices=[("kk", "Қазақша"), ("ru", "Русский"), ("en", "English")],
    )
    is_machine_client = models.BooleanField(_("machine client"), default=False)

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff members")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values) | models.Q(role=""),
                name="user_role_known",
            ),
        ]

    @property
    def role_label(self) -> str:
        return str(Role(self.role).label) if self.role else ""

    @property
    def is_national(self) -> bool:
        return self.scope_level == ScopeLevel.NATIONAL


class ApiToken(models.Model):
    """A bearer token for a machine client; only its hash is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")


class AuditEvent(models.Model):
    """One append-only audit row. Rows are written unchained; the sealer fills `chain_hash`."""

    class Action(models.TextChoices):
        VIEW = "view", _("viewed")
        SEARCH = "search", _("searched")
        EXPORT = "export", _("exported")
        CREATE = "create", _("created")
        UPDATE = "update", _("changed")
        CORRECT = "correct", _("corrected")
        APPROVE = "approve", _("approved")
        REJECT = "reject", _("rejected")
        LOGIN = "login", _("logged in")
        LOGIN_FAILED = "login_failed", _("failed to log in")
        LOGOUT = "logout", _("logged out")
        ALARM = "alarm", _("raised an alarm")

    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("staff member"),
    )
    actor_role = models.CharField(_("role"), max_length=20, blank=True)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    verb = models.CharField(_("what"), max_length=80)
    object_type = models.CharField(_("object type"), max_length=60, blank=True)
    object_id = models.CharField(_("object"), max_length=64, blank=True)
    person_id = models.BigIntegerField(_("person"), null=True, blank=True, db_index=True)
    reason = models.TextField(_("reason"), blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    chain_hash = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        ordering = ["-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [
            models.Index(fields=["actor", "at"]),
            models.Index(fields=["action", "at"]),
            models.Index(
                fields=["chain_hash", "id"],
                name="audit_unsealed_idx",
                condition=models.Q(chain_hash=""),
            ),
        ]

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("Audit events are append-only; write a new event instead")
        super().save(*args, **kwargs)


class AuditSeal(models.Model):
    """An anchor written by the sealer: the chain hash after the last event it sealed."""

    at = models.DateTimeField(default=timezone.now)
    first_event_id = models.BigIntegerField()
    last_event_id = models.BigIntegerField(unique=True)
    chain_hash = models.CharField(max_length=64)
    event_count = models.PositiveIntegerField()

    class Meta:
        ordering = ["-last_event_id"]


class Alert(models.Model):
    """A notice to a role in a scope that stays on their home page until acknowledged."""

    class Kind(models.TextChoices):
        HELD_PAST_LAWFUL_DATE = "held_past_lawful_date", _("Held past the lawful date")
        DETENTION_EXPIRING = "detention_expiring", _("Detention order expiring")
        RELEASE_DUE = "release_due", _("Release due today")
        # Mandela Rule 11(b): raised when a quashed verdict leaves a person on remand where the
        # convicted are held; `due_date` is the day the misplacement began.
        REMAND_OUTSIDE_PRETRIAL = (
            "remand_outside_pretrial",
            _("On remand outside pre-trial premises"),
        )

    kind = models.CharField(_("kind"), max_length=40, choices=Kind.choices)
    person = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="alerts", verbose_name=_("person")
    )
    institution = models.ForeignKey(
        "custody.Institution",
        on_delete=models.PROTECT,
        related_name="alerts",
        verbose_name=_("institution"),
    )
    raised_at = models.DateTimeField(_("raised"), default=timezone.now)
    due_date = models.DateField(_("lawful until"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)

    class Meta:
        ordering = ["-raised_at"]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "person", "due_date"], name="alert_once_per_person_and_date"
            )
        ]


class Offence(models.Model):
    """A Criminal Code article (and part) with its gravity category, valid between two dates."""

    class Gravity(models.TextChoices):
        MISDEMEANOUR = "misdemeanour", _("Criminal misdemeanour")
        MINOR = "minor", _("Minor gravity")
        MEDIUM = "medium", _("Medium gravity")
        GRAVE = "grave", _("Grave")
        ESPECIALLY_GRAVE = "especially_grave", _("Especially grave")

    article = models.CharField(_("article"), max_length=16)
    part = models.CharField(_("part"), max_length=8, blank=True)
    chapter = models.PositiveSmallIntegerField(_("chapter"), null=True, blank=True)
    title_kk = models.CharField(_("title in Kazakh"), max_length=255)
    title_ru = models.CharField(_("title in Russian"), max_length=255)
    title_en = models.CharField(_("title in English"), max_length=255)
    gravity = models.CharField(_("gravity"), max_length=20, choices=Gravity.choices)
    max_term_months = models.PositiveIntegerField(_("maximum term, months"), null=True, blank=True)
    groups = models.JSONField(
        _("legal groups"),
        default=list,
        blank=True,
        help_text=_("Groups the rule files refer to, e.g. corruption, against minors."),
    )
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)

    class Meta:
        ordering = ["article", "part"]
        verbose_name = _("offence")
        verbose_name_plural = _("offences")
        constraints = [
            models.UniqueConstraint(
                fields=["article", "part", "valid_from"], name="offence_article_part_from_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True)
                | models.Q(valid_to__gte=models.F("valid_from")),
                name="offence_validity_ordered",
            ),
        ]

    @property
    def title(self) -> str:
        language = (get_language() or "kk")[:2]
        value: str = getattr(self, f"title_{language}", "") or self.title_ru
        return value

    @property
    def citation(self) -> str:
        return f"CC art. {self.article}" + (f" part {self.part}" if self.part else "")

    def __str__(self) -> str:
        return f"{self.citation} — {self.title}"


class ApiIdempotencyKey(models.Model):
    """An `Idempotency-Key` a machine client sent with a write, and the answer it got: the same
    key with the same request gets the same answer again; with another request, a conflict."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=64)
    fingerprint = models.CharField(max_length=64)  # SHA-256 of the operation and its body
    status_code = models.PositiveSmallIntegerField()
    response = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("API idempotency key")
        verbose_name_plural = _("API idempotency keys")
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_per_user")
        ]
