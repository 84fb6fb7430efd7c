"""Write workflows for person records: registration, duplicates, merges (with undo)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from qadam.core.audit import audit_write
from qadam.core.errors import ConflictError, ServiceError
from qadam.core.models import AuditEvent, Region
from qadam.core.policies import has_capability, require
from qadam.people.identity import IinError, name_key, parse_iin, transliterate
from qadam.people.models import (
    AdmissionRecord,
    Alias,
    Child,
    NextOfKin,
    Person,
    PersonMerge,
    PropertyItem,
    Sex,
)

if TYPE_CHECKING:
    from qadam.core.models import User
    from qadam.custody.models import Movement


def iin_message(code: str) -> str:
    return {
        "format": _("The IIN must have exactly 12 digits."),
        "century": _("The 7th digit of the IIN must be 1 to 6: it encodes century and sex."),
        "date": _("The first six digits of the IIN must be the date of birth (YYMMDD)."),
        "check_digit": _("The IIN's last digit does not match: check it against the document."),
    }[code]


@dataclass(frozen=True)
class IdentityInput:
    surname: str
    first_name: str
    birth_date: date
    sex: str
    patronymic: str = ""
    iin: str = ""
    citizenship: str = "KZ"
    language: str = "kk"
    other_language: str = ""
    self_perceived_gender: str = ""
    birth_place: str = ""
    address: str = ""
    home_region: Region | None = None


def validate_identity(data: IdentityInput) -> dict[str, list[Any]]:
    errors: dict[str, list[Any]] = {}
    if not data.surname.strip():
        errors["surname"] = [_("Enter the surname.")]
    if not data.first_name.strip():
        errors["first_name"] = [_("Enter the first name.")]
    if data.sex not in Sex.values:
        errors["sex"] = [_("Choose the sex as recorded in the identity document.")]
    today = timezone.localdate()
    if data.birth_date > today:
        errors["birth_date"] = [_("The date of birth cannot be in the future.")]
    elif data.birth_date.year < today.year - 110:
        errors["birth_date"] = [_("Check the date of birth: it is more than 110 years ago.")]
    citizenship = data.citizenship.strip().upper()
    if len(citizenship) != 2 or not citizenship.isalpha():
        errors["citizenship"] = [_("Give citizenship as a two-letter country code, e.g. KZ.")]
    if data.iin:
        try:
            facts = parse_iin(data.iin)
        except IinError as error:
            errors["iin"] = [iin_message(error.code)]
        else:
            if facts.birth_date != data.birth_date:
                errors["iin"] = [
                    _("The IIN encodes the date of birth %(date)s; check the IIN or the date.")
                    % {"date": facts.birth_date.isoformat()}
                ]
            elif facts.sex != data.sex:
                errors["iin"] = [_("The IIN encodes the other sex; check the IIN or the sex.")]
    elif citizenship == "KZ":
        errors["iin"] = [_("Citizens of Kazakhstan have an IIN: enter its 12 digits.")]
    return errors


def _apply_identity(person: Person, data: IdentityInput) -> None:
    person.surname = data.surname.strip()
    person.first_name = data.first_name.strip()
    person.patronymic = data.patronymic.strip()
    person.surname_latin = transliterate(person.surname)
    person.first_name_latin = transliterate(person.first_name)
    person.patronymic_latin = transliterate(person.patronymic)
    person.surname_key = name_key(person.surname)
    person.first_name_key = name_key(person.first_name)
    person.birth_date = data.birth_date
    person.sex = data.sex
    person.iin = data.iin
    person.citizenship = data.citizenship.strip().upper()
    person.language = data.language
    person.other_language = data.other_language
    person.self_perceived_gender = data.self_perceived_gender
    person.birth_place = data.birth_place
    person.address = data.address
    person.home_region = data.home_region


def next_case_number() -> str:
    """Case numbers are Q-<year>-<sequence>, sequence continuing across years."""
    year = timezone.localdate().year
    last = Person.objects.aggregate(m=Max("id"))["m"] or 0
    return f"Q-{year}-{last + 1:07d}"


@dataclass(frozen=True)
class DuplicateCandidate:
    person: Person
    reason: str


def find_duplicates(
    data: IdentityInput, *, exclude_id: int | None = None
) -> list[DuplicateCandidate]:
    """Records that may be the same person: same IIN, or a similar name with the same birth date
    (Kazakh and Russian spellings and Latin transliterations fold to the same key)."""
    found: dict[int, DuplicateCandidate] = {}
    base = Person.objects.filter(merged_into__isnull=True)
    if exclude_id is not None:
        base = base.exclude(pk=exclude_id)
    if data.iin:
        for person in base.filter(iin=data.iin)[:10]:
            found[person.pk] = DuplicateCandidate(person, _("same IIN"))
    surname_key = name_key(data.surname)
    first_key = name_key(data.first_name)
    similar = base.filter(birth_date=data.birth_date, surname_key=surname_key)[:20]
    for person in similar:
        if person.pk not in found and (not first_key or person.first_name_key[:2] == first_key[:2]):
            found[person.pk] = DuplicateCandidate(person, _("similar name and same date of birth"))
    alias_hits = Alias.objects.filter(
        surname_key=surname_key,
        person__birth_date=data.birth_date,
        person__merged_into__isnull=True,
    ).select_related("person")[:10]
    for alias in alias_hits:
        if alias.person_id not in found and alias.person_id != exclude_id:
            found[alias.person_id] = DuplicateCandidate(
                alias.person, _("alias with same date of birth")
            )
    return list(found.values())


def person_register(
    *, actor: User, data: IdentityInput, allow_duplicate_reason: str = ""
) -> Person:
    """Create a person record (inside the caller's transaction, usually an admission)."""
    require(has_capability(actor, "admit_person"))
    errors = validate_identity(data)
    if errors:
        raise ServiceError(errors)
    duplicates = find_duplicates(data)
    if duplicates and not allow_duplicate_reason.strip():
        names = "; ".join(
            f"{d.person.case_number} {d.person.full_name} ({d.reason})" for d in duplicates
        )
        raise ConflictError(
            {
                "duplicates": [
                    _(
                        "This may be a person already on record: %(names)s. Open that record, or confirm that "
                        "this is a different person and say why."
                    )
                    % {"names": names}
                ]
            }
        )
    person = Person(case_number=next_case_number())
    _apply_identity(person, data)
    person.save()
    audit_write(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        verb="person registered",
        obj=person,
        person_id=person.pk,
        reason=allow_duplicate_reason,
        details={"possible_duplicates": [d.person.pk for d in duplicates]},
    )
    return person


@dataclass(frozen=True)
class KinInput:
    name: str
    relationship: str
    phone: str = ""
    address: str = ""
    is_emergency_contact: bool = False


@dataclass(frozen=True)
class ChildInput:
    name: str
    birth_date: date
    whereabouts: str
    carer: str
    custody_status: str = ""


@dataclass(frozen=True)
class PropertyInput:
    description: str
    quantity: int = 1
    storage: str = ""


@dataclass(frozen=True)
class AdmissionRecordInput:
    """Mandela Rule 7 and Rules 54–55, 62: all mandatory at admission (consulate: foreigners)."""

    commitment_reason: str
    commitment_authority: str
    arrested_at: datetime
    arrest_place: str
    rights_informed_at: datetime
    information_language: str
    visible_injuries: str = ""
    ill_treatment_complaint: str = ""
    interpreter_needed: bool = False
    interpreter_name: str = ""
    consulate_notified_at: datetime | None = None
    property: list[PropertyInput] = field(default_factory=list)
    next_of_kin: list[KinInput] = field(default_factory=list)
    children: list[ChildInput] = field(default_factory=list)
    no_next_of_kin_reason: str = ""


def validate_admission_record(
    record: AdmissionRecordInput, *, person_is_foreign: bool, admitted_at: datetime
) -> dict[str, list[Any]]:
    errors: dict[str, list[Any]] = {}
    if not record.commitment_reason.strip():
        errors["commitment_reason"] = [_("State the reason for commitment.")]
    if not record.commitment_authority.strip():
        errors["commitment_authority"] = [_("Name the authority that ordered the detention.")]
    if not record.arrest_place.strip():
        errors["arrest_place"] = [_("Give the place of arrest.")]
    if record.arrested_at > admitted_at:
        errors["arrested_at"] = [_("The arrest cannot be after the admission.")]
    if record.rights_informed_at < record.arrested_at:
        errors["rights_informed_at"] = [
            _("The person cannot be told their rights before the arrest.")
        ]
    if not record.information_language.strip():
        errors["information_language"] = [
            _("Say in which language the rights and rules were explained.")
        ]
    if record.interpreter_needed and not record.interpreter_name.strip():
        errors["interpreter_name"] = [_("Name the interpreter who explained the rights and rules.")]
    if person_is_foreign and record.consulate_notified_at is None:
        errors["consulate_notified_at"] = [
            _("For a foreign national, record when the consulate was notified (Mandela Rule 62).")
        ]
    if not record.next_of_kin and not record.no_next_of_kin_reason.strip():
        errors["next_of_kin"] = [
            _("Record at least one next of kin or emergency contact, or say why there is none.")
        ]
    for index, kin in enumerate(record.next_of_kin):
        if not kin.name.strip() or not kin.relationship.strip():
            errors[f"next_of_kin_{index}"] = [_("Each contact needs a name and a relationship.")]
    for index, child in enumerate(record.children):
        if not child.name.strip() or not child.whereabouts.strip() or not child.carer.strip():
            errors[f"children_{index}"] = [
                _("For each child give the name, where the child is and who cares for them.")
            ]
        if child.birth_date > admitted_at.date():
            errors[f"children_{index}"] = [_("A child's date of birth cannot be in the future.")]
    for index, item in enumerate(record.property):
        if not item.description.strip() or item.quantity < 1:
            errors[f"property_{index}"] = [
                _("Each property item needs a description and a quantity.")
            ]
    return errors


def admission_record_create(
    *, actor: User, person: Person, movement: Movement, record: AdmissionRecordInput
) -> AdmissionRecord:
    admission = AdmissionRecord.objects.create(
        person=person,
        movement=movement,
        commitment_reason=record.commitment_reason.strip(),
        commitment_authority=record.commitment_authority.strip(),
        arrested_at=record.arrested_at,
        arrest_place=record.arrest_place.strip(),
        visible_injuries=record.visible_injuries.strip(),
        ill_treatment_complaint=record.ill_treatment_complaint.strip(),
        rights_informed_at=record.rights_informed_at,
        information_language=record.information_language.strip(),
        interpreter_needed=record.interpreter_needed,
        interpreter_name=record.interpreter_name,
        consulate_notified_at=record.consulate_notified_at,
        recorded_by=actor,
    )
    PropertyItem.objects.bulk_create(
        PropertyItem(
            admission=admission,
            description=i.description.strip(),
            quantity=i.quantity,
            storage=i.storage,
        )
        for i in record.property
    )
    NextOfKin.objects.bulk_create(
        NextOfKin(
            person=person,
            name=k.name.strip(),
            relationship=k.relationship.strip(),
            phone=k.phone,
            address=k.address,
            is_emergency_contact=k.is_emergency_contact,
        )
        for k in record.next_of_kin
    )
    Child.objects.bulk_create(
        Child(
            person=person,
            name=c.name.strip(),
            birth_date=c.birth_date,
            whereabouts=c.whereabouts.strip(),
            carer=c.carer.strip(),
            custody_status=c.custody_status,
        )
        for c in record.children
    )
    audit_write(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        verb="admission record taken",
        obj=admission,
        person_id=person.pk,
        details={
            "property_items": len(record.property),
            "children": len(record.children),
            "visible_injuries": bool(record.visible_injuries.strip()),
            "ill_treatment_complaint": bool(record.ill_treatment_complaint.strip()),
        },
    )
    return admission


def alias_add(
    *, actor: User, person: Person, surname: str, first_name: str = "", patronymic: str = ""
) -> Alias:
    require(has_capability(actor, "admit_person"))
    if not surname.strip():
        raise ServiceError({"surname": [_("Enter the surname the person has also used.")]})
    with transaction.atomic():
        alias = Alias.objects.create(
            person=person,
            surname=surname.strip(),
            first_name=first_name,
            patronymic=patronymic,
            surname_key=name_key(surname),
        )
        audit_write(
            actor=actor,
            action=AuditEvent.Action.CREATE,
            verb="alias added",
            obj=alias,
            person_id=person.pk,
        )
    return alias


@transaction.atomic
def merge_request(*, actor: User, survivor: Person, duplicate: Person, reason: str) -> PersonMerge:
    """Ask for two records to be merged; another person must approve it."""
    require(has_capability(actor, "request_merge"))
    if survivor.pk == duplicate.pk:
        raise ServiceError({"duplicate": [_("Choose two different records.")]})
    if not reason.strip():
        raise ServiceError({"reason": [_("Say why these records are the same person.")]})
    if survivor.merged_into_id or duplicate.merged_into_id:
        raise ConflictError({"duplicate": [_("One of these records has already been merged.")]})
    if PersonMerge.objects.filter(
        duplicate=duplicate, status=PersonMerge.Status.REQUESTED
    ).exists():
        raise ConflictError(
            {"duplicate": [_("A merge of this record is already waiting for approval.")]}
        )
    if survivor.current_institution_id and duplicate.current_institution_id:
        raise ConflictError(
            {
                "duplicate": [
                    _(
                        "Both records are in custody now. Release or correct one ledger before merging."
                    )
                ]
            }
        )
    merge = PersonMerge.objects.create(
        survivor=survivor, duplicate=duplicate, reason=reason.strip(), requested_by=actor
    )
    audit_write(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        verb="merge requested",
        obj=merge,
        person_id=survivor.pk,
        reason=reason,
        details={"duplicate": duplicate.pk},
    )
    return merge


@transaction.atomic
def merge_decide(
    *, actor: User, merge: PersonMerge, approve: bool, reason: str = ""
) -> PersonMerge:
    """The second person's decision; on approval the duplicate points at the survivor and both
    ledgers stay as they were (histories are read together through `identity_ids`)."""
    require(has_capability(actor, "approve_merge"))
    merge = PersonMerge.objects.select_for_update().get(pk=merge.pk)
    if merge.status != PersonMerge.Status.REQUESTED:
        raise ConflictError({"": [_("This merge has already been decided.")]})
    if merge.requested_by_id == actor.pk:
        raise ServiceError(
            {"": [_("A merge must be approved by someone other than who asked for it.")]}
        )
    merge.decided_by = actor
    merge.decided_at = timezone.now()
    if approve:
        duplicate = Person.objects.select_for_update().get(pk=merge.duplicate_id)
        duplicate.merged_into_id = merge.survivor_id
        duplicate.save(update_fields=["merged_into"])
        merge.status = PersonMerge.Status.APPROVED
    else:
        merge.status = PersonMerge.Status.REJECTED
    merge.save()
    audit_write(
        actor=actor,
        action=AuditEvent.Action.APPROVE if approve else AuditEvent.Action.REJECT,
        verb="merge approved" if approve else "merge rejected",
        obj=merge,
        person_id=merge.survivor_id,
        reason=reason,
        details={"duplicate": merge.duplicate_id},
    )
    return merge


@transaction.atomic
def merge_undo(*, actor: User, merge: PersonMerge, reason: str) -> PersonMerge:
    require(has_capability(actor, "approve_merge"))
    merge = PersonMerge.objects.select_for_update().get(pk=merge.pk)
    if merge.status != PersonMerge.Status.APPROVED:
        raise ConflictError({"": [_("Only an approved merge can be undone.")]})
    if not reason.strip():
        raise ServiceError({"reason": [_("Say why the merge is being undone.")]})
    Person.objects.filter(pk=merge.duplicate_id).update(merged_into=None)
    merge.status = PersonMerge.Status.UNDONE
    merge.undone_by = actor
    merge.undone_at = timezone.now()
    merge.save()
    audit_write(
        actor=actor,
        action=AuditEvent.Action.CORRECT,
        verb="merge undone",
        obj=merge,
        person_id=merge.survivor_id,
        reason=reason,
        details={"duplicate": merge.duplicate_id},
    )
    return merge


def identity_ids(person: Person) -> list[int]:
    """The person's id and the ids of every record merged into it (their histories are one)."""
    ids = [person.pk]
    frontier = [person.pk]
    while frontier:
        children = list(
            Person.objects.filter(merged_into__in=frontier).values_list("pk", flat=True)
        )
        ids.extend(children)
        frontier = children
    return ids
