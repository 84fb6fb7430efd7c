"""Forms of the custody pages. Field names match the keys of the services' ServiceError."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qadam.core.forms import DateInput, DateTimeInput
from qadam.core.models import Region
from qadam.core.sorting import NaturalKey, natural_key
from qadam.custody.models import (
    AbsenceReason,
    Cell,
    DetentionBasis,
    Institution,
    InstitutionType,
    LegalStatus,
    MovementKind,
    ReleaseReason,
    Section,
)
from qadam.custody.population import DIMENSION_LABELS
from qadam.people.models import Person, Sex


def new_token() -> str:
    return uuid.uuid4().hex


class TokenMixin(forms.Form):
    """A hidden one-time token: a double-clicked submit records the event once."""

    token = forms.CharField(widget=forms.HiddenInput, max_length=80, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("token", new_token())

    @property
    def idempotency_key(self) -> str | None:
        value = self.cleaned_data.get("token") if hasattr(self, "cleaned_data") else None
        return str(value) if value else None


def _now_local() -> datetime:
    return timezone.localtime().replace(second=0, microsecond=0, tzinfo=None)


class EventForm(TokenMixin):
    occurred_at = forms.DateTimeField(
        label=_("Date and time of the event"), widget=DateTimeInput(), initial=_now_local
    )


class InstitutionChoiceField(forms.ModelChoiceField[Institution]):
    def label_from_instance(self, obj: Institution) -> str:
        return f"{obj.code} — {obj.name}"


class TransferForm(EventForm):
    destination = InstitutionChoiceField(
        label=_("Destination"), queryset=Institution.objects.filter(is_active=True)
    )
    reason = forms.CharField(label=_("Reason for the transfer"), widget=forms.Textarea)
    escort = forms.CharField(label=_("Escort (unit or officers)"), max_length=200)
    vehicle = forms.CharField(label=_("Vehicle"), max_length=120, required=False)
    conditions = forms.CharField(
        label=_("Transport conditions"),
        widget=forms.Textarea,
        required=False,
        help_text=_("Ventilation, light, time in transit, medical needs (Mandela Rule 73)."),
    )
    departure_at = forms.DateTimeField(
        label=_("Departure time"), widget=DateTimeInput(), required=False
    )
    capacity_override_reason = forms.CharField(
        label=_("Reason for exceeding the destination's capacity"),
        widget=forms.Textarea,
        required=False,
        help_text=_("Only needed when the destination is full."),
    )

    def __init__(self, *args: Any, current: Institution | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if current is not None:
            field = self.fields["destination"]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = Institution.objects.filter(is_active=True).exclude(pk=current.pk)


def _cell_label(cell: Cell) -> str:
    return f"{cell.section.name} — {cell.number}"


# ModelChoiceIterator is generic for the type checker only (not subscriptable at run time).
class _NaturalOrderIterator(forms.models.ModelChoiceIterator):  # type: ignore[type-arg]
    """The choices sorted by the field's `sort_key` in Python (no database orders numbers in
    names by value the same way on SQLite and PostgreSQL)."""

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        field = self.field
        assert isinstance(field, NaturalOrderChoiceField)
        if field.empty_label is not None:
            yield ("", field.empty_label)
        for obj in sorted(self.queryset, key=field.sort_key):
            yield self.choice(obj)


class NaturalOrderChoiceField(forms.ModelChoiceField[Any]):
    """A model choice listed in natural order: "Отряд 2" before "Отряд 10"."""

    iterator = _NaturalOrderIterator

    def __init__(self, *args: Any, sort_key: Callable[[Any], Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sort_key = sort_key


def _section_order(section: Section) -> tuple[int, NaturalKey]:
    return section.institution_id, natural_key(section.name)


def _cell_order(cell: Cell) -> tuple[int, NaturalKey, NaturalKey]:
    return cell.section.institution_id, natural_key(cell.section.name), natural_key(cell.number)


class PlacementMixin(forms.Form):
    """Section and cell inside one institution."""

    section = NaturalOrderChoiceField(
        label=_("Section"),
        queryset=Section.objects.none(),
        required=False,
        sort_key=_section_order,
    )
    cell = NaturalOrderChoiceField(
        label=_("Cell"), queryset=Cell.objects.none(), required=False, sort_key=_cell_order
    )

    def limit_placement(self, institutions: QuerySet[Institution] | list[Institution]) -> None:
        section = self.fields["section"]
        cell = self.fields["cell"]
        assert isinstance(section, forms.ModelChoiceField)
        assert isinstance(cell, forms.ModelChoiceField)
        section.queryset = Section.objects.filter(institution__in=institutions).select_related(
            "institution"
        )
        cell.queryset = Cell.objects.filter(section__institution__in=institutions).select_related(
            "section"
        )
        cell.label_from_instance = _cell_label  # type: ignore[method-assign,assignment]


class ArrivalForm(EventForm, PlacementMixin):
    pass


class ReleaseForm(EventForm):
    release_reason = forms.ChoiceField(
        label=_("Reason for release"), choices=[("", "—"), *ReleaseReason.choices]
    )
    reason = forms.CharField(label=_("Document and remarks"), widget=forms.Textarea, required=False)


class AbsenceForm(EventForm):
    absence_reason = forms.ChoiceField(
        label=_("Where the person is going"), choices=[("", "—"), *AbsenceReason.choices]
    )
    escort = forms.CharField(label=_("Escort"), max_length=200, required=False)
    reason = forms.CharField(label=_("Remarks"), widget=forms.Textarea, required=False)


class RemarksForm(EventForm):
    reason = forms.CharField(label=_("Remarks"), widget=forms.Textarea, required=False)


class RecaptureForm(EventForm, PlacementMixin):
    institution = InstitutionChoiceField(
        label=_("Institution the person is returned to"), queryset=Institution.objects.none()
    )
    reason = forms.CharField(label=_("Remarks"), widget=forms.Textarea, required=False)


class DeathForm(EventForm):
    reason = forms.CharField(
        label=_("Circumstances and cause of death"),
        widget=forms.Textarea,
        help_text=_("Report the death to an independent authority (Mandela Rule 71)."),
    )


class MoveForm(EventForm, PlacementMixin):
    reason = forms.CharField(label=_("Reason for the move"), widget=forms.Textarea, required=False)

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        if not data.get("section") and not data.get("cell"):
            self.add_error("section", _("Choose the section the person moves to."))
        return data


class ExtendForm(TokenMixin):
    basis_authority = forms.CharField(label=_("Court or authority"), max_length=255)
    basis_number = forms.CharField(label=_("Document number"), max_length=64)
    basis_issued_on = forms.DateField(label=_("Issued on"), widget=DateInput())
    basis_valid_until = forms.DateField(label=_("Detention lawful until"), widget=DateInput())

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        issued, until = data.get("basis_issued_on"), data.get("basis_valid_until")
        if issued and until and until < issued:
            self.add_error(
                "basis_valid_until",
                _("The end of detention cannot be before the document's date."),
            )
        return data


class CorrectForm(TokenMixin):
    reason = forms.CharField(
        label=_("Why the event is wrong"),
        widget=forms.Textarea,
        help_text=_("The event stays in the ledger, reversed by this correction."),
    )


class InstitutionFilterForm(forms.Form):
    q = forms.CharField(label=_("Name or code"), required=False, max_length=100)
    region = forms.ModelChoiceField(
        label=_("Region"), queryset=Region.objects.all(), required=False, empty_label=_("Any")
    )
    type = forms.ModelChoiceField(
        label=_("Type"),
        queryset=InstitutionType.objects.all(),
        required=False,
        empty_label=_("Any"),
    )


class MovementFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Event"), choices=[("", _("Any")), *MovementKind.choices], required=False
    )
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput())

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end of the period must not be before its start."))
        return data


class PopulationForm(forms.Form):
    KNOWN_NOW = "now"
    AS_RECORDED = "recorded"

    day = forms.DateField(label=_("Date"), widget=DateInput(), required=False)
    dimension = forms.ChoiceField(
        label=_("Group by"),
        choices=[(k, v) for k, v in DIMENSION_LABELS.items()],
        required=False,
    )
    institution = InstitutionChoiceField(
        label=_("Institution"),
        queryset=Institution.objects.none(),
        required=False,
        empty_label=_("All in my scope"),
    )
    mode = forms.ChoiceField(
        label=_("Figures"),
        choices=[
            (KNOWN_NOW, _("As known now")),
            (AS_RECORDED, _("As recorded at a moment (audit)")),
        ],
        required=False,
    )
    recorded_at = forms.DateTimeField(
        label=_("Recorded by (date and time)"),
        widget=DateTimeInput(),
        required=False,
        help_text=_("Only events recorded by this moment are counted."),
    )
    flows_from = forms.DateField(label=_("Flows from"), widget=DateInput(), required=False)
    flows_to = forms.DateField(label=_("Flows to"), widget=DateInput(), required=False)

    def __init__(
        self,
        *args: Any,
        institutions: QuerySet[Institution],
        allow_as_recorded: bool,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["institution"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = institutions
        if not allow_as_recorded:
            del self.fields["mode"]
            del self.fields["recorded_at"]

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        today = timezone.localdate()
        day = data.get("day") or today
        if day > today:
            self.add_error("day", _("Choose today or a past date."))
        data["day"] = day
        data["dimension"] = data.get("dimension") or "institution"
        if data.get("mode") == self.AS_RECORDED:
            moment = data.get("recorded_at")
            if moment is None:
                self.add_error("recorded_at", _("Give the moment whose records should be used."))
            elif moment > timezone.now():
                self.add_error("recorded_at", _("The moment cannot be in the future."))
        start: date = data.get("flows_from") or day.replace(day=1)
        end: date = data.get("flows_to") or day
        if end < start:
            self.add_error("flows_to", _("The end of the period must not be before its start."))
        data["flows_from"], data["flows_to"] = start, end
        return data


# ---- Admission -----------------------------------------------------------------------------


class AdmissionForm(TokenMixin, PlacementMixin):
    """Identity, Mandela Rule 7 record, legal basis and placement; one submit, one transaction."""

    IDENTITY_FIELDS = (
        "surname",
        "first_name",
        "patronymic",
        "birth_date",
        "sex",
        "iin",
        "citizenship",
        "language",
        "other_language",
        "self_perceived_gender",
        "birth_place",
        "address",
    )

    # Identity (a new person only).
    surname = forms.CharField(label=_("Surname"), max_length=80, required=False)
    first_name = forms.CharField(label=_("First name"), max_length=80, required=False)
    patronymic = forms.CharField(label=_("Patronymic"), max_length=80, required=False)
    birth_date = forms.DateField(label=_("Date of birth"), widget=DateInput(), required=False)
    sex = forms.ChoiceField(label=_("Sex"), choices=[("", "—"), *Sex.choices], required=False)
    iin = forms.CharField(
        label=_("IIN"),
        max_length=12,
        required=False,
        help_text=_("12 digits; it must match the date of birth and sex."),
    )
    citizenship = forms.CharField(
        label=_("Citizenship (country code)"), max_length=2, initial="KZ", required=False
    )
    language = forms.ChoiceField(
        label=_("Preferred language"),
        choices=[("kk", _("Kazakh")), ("ru", _("Russian")), ("en", _("English"))],
        required=False,
    )
    other_language = forms.CharField(
        label=_("Other language spoken"), max_length=60, required=False
    )
    self_perceived_gender = forms.CharField(
        label=_("Self-perceived gender"), max_length=60, required=False
    )
    birth_place = forms.CharField(label=_("Place of birth"), max_length=200, required=False)
    address = forms.CharField(label=_("Registered address"), max_length=255, required=False)
    allow_duplicate_reason = forms.CharField(
        label=_("This is a different person because…"),
        widget=forms.Textarea,
        required=False,
        help_text=_("Only if a possible match is shown above and it is not this person."),
    )

    # Mandela Rule 7.
    commitment_reason = forms.CharField(label=_("Reason for commitment"), widget=forms.Textarea)
    commitment_authority = forms.CharField(label=_("Authority that ordered it"), max_length=255)
    arrested_at = forms.DateTimeField(label=_("Date and time of arrest"), widget=DateTimeInput())
    arrest_place = forms.CharField(label=_("Place of arrest"), max_length=255)
    visible_injuries = forms.CharField(
        label=_("Visible injuries"), widget=forms.Textarea, required=False
    )
    ill_treatment_complaint = forms.CharField(
        label=_("Complaints of prior ill-treatment"), widget=forms.Textarea, required=False
    )
    rights_informed_at = forms.DateTimeField(
        label=_("Told rights and rules at"), widget=DateTimeInput()
    )
    information_language = forms.CharField(
        label=_("Language the rights and rules were explained in"), max_length=40
    )
    interpreter_needed = forms.BooleanField(label=_("An interpreter was needed"), required=False)
    interpreter_name = forms.CharField(label=_("Interpreter"), max_length=200, required=False)
    consulate_notified_at = forms.DateTimeField(
        label=_("Consulate notified at"),
        widget=DateTimeInput(),
        required=False,
        help_text=_("Foreign nationals only (Mandela Rule 62)."),
    )
    no_next_of_kin_reason = forms.CharField(
        label=_("No next of kin: why"),
        max_length=255,
        required=False,
        help_text=_("Only if no contact is given below."),
    )

    # Legal basis.
    basis_kind = forms.ChoiceField(
        label=_("Document"), choices=[("", "—"), *DetentionBasis.Kind.choices]
    )
    basis_authority = forms.CharField(label=_("Issued by"), max_length=255)
    basis_number = forms.CharField(label=_("Document number"), max_length=64)
    basis_issued_on = forms.DateField(label=_("Issued on"), widget=DateInput())
    basis_valid_until = forms.DateField(
        label=_("Detention lawful until"),
        widget=DateInput(),
        required=False,
        help_text=_("Required for detention and remand orders."),
    )

    # Placement.
    institution = InstitutionChoiceField(
        label=_("Institution"), queryset=Institution.objects.none()
    )
    legal_status = forms.ChoiceField(
        label=_("Legal status"), choices=[("", "—"), *LegalStatus.choices]
    )
    occurred_at = forms.DateTimeField(
        label=_("Date and time of admission"), widget=DateTimeInput(), initial=_now_local
    )
    capacity_override_reason = forms.CharField(
        label=_("Reason for exceeding capacity"),
        widget=forms.Textarea,
        required=False,
        help_text=_("Only needed when the institution is full."),
    )

    def __init__(
        self,
        *args: Any,
        institutions: QuerySet[Institution],
        person: Person | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.person = person
        field = self.fields["institution"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = institutions
        if institutions.count() == 1 and not self.is_bound:
            self.initial.setdefault("institution", institutions.first())
        self.limit_placement(institutions)
        if person is not None:
            for name in (*self.IDENTITY_FIELDS, "allow_duplicate_reason"):
                del self.fields[name]

    def clean(self) -> dict[str, Any]:
        from qadam.people.services import validate_identity

        data: dict[str, Any] = super().clean() or {}
        if self.person is None:
            for name in ("surname", "first_name", "birth_date", "sex"):
                if not data.get(name) and name not in self.errors:
                    self.add_error(name, _("This field is required."))
            identity = self.identity()
            if identity is not None:
                for key, messages in validate_identity(identity).items():
                    if key in self.fields and key not in self.errors:
                        for message in messages:
                            self.add_error(key, message)
        kind = data.get("basis_kind")
        if (
            kind
            in {
                DetentionBasis.Kind.REMAND_ORDER,
                DetentionBasis.Kind.EXTENSION,
                DetentionBasis.Kind.DETENTION_ORDER,
            }
            and not data.get("basis_valid_until")
            and "basis_valid_until" not in self.errors
        ):
            self.add_error(
                "basis_valid_until",
                _("A detention or remand order must say until when it is valid."),
            )
        if data.get("interpreter_needed") and not data.get("interpreter_name"):
            self.add_error(
                "interpreter_name", _("Name the interpreter who explained the rights and rules.")
            )
        if data.get("institution") is not None and data.get("legal_status"):
            from qadam.custody.services import remand_place_errors

            for key, messages in remand_place_errors(
                legal_status=data["legal_status"],
                institution=data["institution"],
                section=data.get("section"),
            ).items():
                if key not in self.errors:
                    for message in messages:
                        self.add_error(key, message)
        return data

    def identity(self) -> Any:
        """The identity as entered (None until the required parts parse)."""
        from qadam.people.services import IdentityInput

        data = getattr(self, "cleaned_data", {})
        if not (data.get("surname") and data.get("birth_date") and data.get("sex")):
            return None
        return IdentityInput(
            surname=data.get("surname", ""),
            first_name=data.get("first_name", ""),
            patronymic=data.get("patronymic", ""),
            birth_date=data["birth_date"],
            sex=data["sex"],
            iin=(data.get("iin") or "").strip(),
            citizenship=data.get("citizenship") or "KZ",
            language=data.get("language") or "kk",
            other_language=data.get("other_language", ""),
            self_perceived_gender=data.get("self_perceived_gender", ""),
            birth_place=data.get("birth_place", ""),
            address=data.get("address", ""),
        )


class KinForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    relationship = forms.CharField(label=_("Relationship"), max_length=60, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    address = forms.CharField(label=_("Address"), max_length=255, required=False)
    is_emergency_contact = forms.BooleanField(label=_("Emergency contact"), required=False)

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        if any(data.get(k) for k in ("name", "relationship", "phone", "address")):
            if not data.get("name"):
                self.add_error("name", _("Enter the contact's name."))
            if not data.get("relationship"):
                self.add_error("relationship", _("Say how the contact is related."))
        return data


class ChildForm(forms.Form):
    name = forms.CharField(label=_("Child's name"), max_length=200, required=False)
    birth_date = forms.DateField(label=_("Date of birth"), widget=DateInput(), required=False)
    whereabouts = forms.CharField(label=_("Where the child is"), max_length=255, required=False)
    carer = forms.CharField(label=_("Who cares for the child"), max_length=200, required=False)

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        if any(data.get(k) for k in ("name", "birth_date", "whereabouts", "carer")):
            for key, message in (
                ("name", _("Enter the child's name.")),
                ("birth_date", _("Enter the child's date of birth.")),
                ("whereabouts", _("Say where the child is.")),
                ("carer", _("Say who cares for the child.")),
            ):
                if not data.get(key) and key not in self.errors:
                    self.add_error(key, message)
        return data


class PropertyForm(forms.Form):
    description = forms.CharField(label=_("Item"), max_length=255, required=False)
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, required=False)
    storage = forms.CharField(label=_("Kept where"), max_length=120, required=False)

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        if (data.get("quantity") or data.get("storage")) and not data.get("description"):
            self.add_error("description", _("Describe the item."))
        return data


KinFormSet = forms.formset_factory(KinForm, extra=2)
ChildFormSet = forms.formset_factory(ChildForm, extra=2)
PropertyFormSet = forms.formset_factory(PropertyForm, extra=3)
