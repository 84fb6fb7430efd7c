"""Subject access (Mandela Rule 9; data-protection law): everything held about one person.

One document, built from the same record as the person page plus the audit events about the
person, rendered as JSON (machine-readable, every stored field) and as a readable, printable HTML
page (and PDF). Staff are named by role only: the audit viewer shows auditors who they were.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qadam.core.models import AuditEvent
from qadam.core.roles import Role
from qadam.people.record import PersonRecord, Whereabouts
from qadam.people.sections import subject_access_data

# Internal search keys and technical fields that say nothing about the person.
_SKIPPED = {"surname_key", "first_name_key", "idempotency_key", "chain_hash"}
_STAFF_FIELDS = {"recorded_by", "requested_by", "decided_by", "undone_by", "acknowledged_by"}
# Links back to the record being read: obvious to the reader of the readable document.
_DISPLAY_SKIPPED = {"id", "person", "admission"}
AUDIT_EVENT_LIMIT = 20_000


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, models.fields.files.FieldFile):
        return value.name or ""
    return value


def _display_value(obj: models.Model, field: models.Field[Any, Any]) -> str:
    value = getattr(obj, field.attname)
    if value is None or value == "":
        return ""
    if field.name in _STAFF_FIELDS:
        return _("staff member")
    if field.choices:
        display = getattr(obj, f"get_{field.name}_display", None)
        if callable(display):
            return str(display())
    if isinstance(field, models.ForeignKey):
        related = getattr(obj, field.name, None)
        return str(related) if related is not None else str(value)
    if isinstance(field, models.BooleanField):
        return _("yes") if value else _("no")
    if isinstance(value, datetime):
        return date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
    if isinstance(value, date):
        return date_format(value, "SHORT_DATE_FORMAT")
    if isinstance(value, models.fields.files.FieldFile):
        return value.name or ""
    return str(value)


def _fields(obj: models.Model) -> list[models.Field[Any, Any]]:
    return [f for f in obj._meta.concrete_fields if f.name not in _SKIPPED]


def row_json(obj: models.Model) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for field in _fields(obj):
        if field.name in _STAFF_FIELDS:
            continue
        data[field.attname] = _json_value(getattr(obj, field.attname))
    return data


def row_display(obj: models.Model) -> list[tuple[str, str]]:
    """(label, value) for each filled field, labels in the reader's language."""
    pairs: list[tuple[str, str]] = []
    for field in _fields(obj):
        text = _display_value(obj, field)
        if text and field.name not in _DISPLAY_SKIPPED:
            pairs.append((str(field.verbose_name).capitalize(), text))
    return pairs


@dataclass(frozen=True)
class Part:
    key: str
    title: str
    rows: list[list[tuple[str, str]]]


def _audit_rows(record: PersonRecord) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(person_id__in=record.identity_ids).order_by("at", "id")[
            :AUDIT_EVENT_LIMIT
        ]
    )


def _audit_json(event: AuditEvent) -> dict[str, Any]:
    return {
        "at": event.at.isoformat(),
        "staff_role": event.actor_role,
        "action": event.action,
        "what": event.verb,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "reason": event.reason,
    }


def _audit_display(event: AuditEvent) -> list[tuple[str, str]]:
    role = str(Role(event.actor_role).label) if event.actor_role in Role.values else ""
    pairs = [
        (_("When"), date_format(timezone.localtime(event.at), "SHORT_DATETIME_FORMAT")),
        (_("Staff role"), role or "—"),
        (_("Action"), str(event.get_action_display())),
        (_("What"), event.verb),
    ]
    if event.reason:
        pairs.append((_("Reason"), event.reason))
    return pairs


def _collections(record: PersonRecord) -> list[tuple[str, Any, list[models.Model]]]:
    property_items = [item for a in record.admissions for item in a.property.all()]
    movements = [entry.movement for entry in record.timeline]
    return [
        ("identity_documents", gettext_lazy("Identity documents"), list(record.documents)),
        ("aliases", gettext_lazy("Other names used"), list(record.aliases)),
        ("next_of_kin", gettext_lazy("Next of kin and contacts"), list(record.next_of_kin)),
        ("children", gettext_lazy("Children"), list(record.children)),
        ("admission_records", gettext_lazy("Admission records"), list(record.admissions)),
        ("property", gettext_lazy("Property taken at admission"), list(property_items)),
        ("movements", gettext_lazy("Movements"), list(movements)),
        ("detention_bases", gettext_lazy("Legal bases of detention"), list(record.bases)),
        ("alerts", gettext_lazy("Open alerts"), list(record.alerts)),
        ("merges", gettext_lazy("Merges of records"), list(record.merges)),
        (
            "merged_records",
            gettext_lazy("Records merged into this one"),
            list[models.Model](record.merged_records),
        ),
    ]


def subject_access_json(record: PersonRecord) -> dict[str, Any]:
    """Every stored field, by its database name; audit events with the staff role only."""
    document: dict[str, Any] = {
        "generated_at": timezone.now().isoformat(),
        "person": row_json(record.person),
        "whereabouts": record.whereabouts,
    }
    for key, _title, rows in _collections(record):
        document[key] = [row_json(row) for row in rows]
    document["audit_events"] = [_audit_json(e) for e in _audit_rows(record)]
    document["sections"] = subject_access_data(record)
    return document


def subject_access_parts(record: PersonRecord) -> list[Part]:
    """The same content for people to read: one part per kind of record, labelled fields."""
    person_rows = row_display(record.person)
    person_rows.append((_("Where now"), Whereabouts.label(record.whereabouts)))
    parts = [Part("person", _("Identity"), [person_rows])]
    for key, title, rows in _collections(record):
        parts.append(Part(key, str(title), [row_display(row) for row in rows]))
    parts.append(
        Part(
            "audit_events",
            _("Who consulted or changed the record"),
            [_audit_display(e) for e in _audit_rows(record)],
        )
    )
    return parts
