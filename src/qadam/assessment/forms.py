"""Forms of the assessment pages. The assessment form is built from the instrument's items only:
ethnicity, nationality and race can never be asked (the instrument schema refuses such items)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qadam.assessment.charts import signed_points
from qadam.assessment.engine import LAYERS, Instrument
from qadam.assessment.models import AssessmentKind, BandOverride
from qadam.assessment.services import answer_field
from qadam.assessment.texts import LAYER_LABELS, NEED_AREA_LABELS, language
from qadam.core.forms import DateInput
from qadam.core.sorting import NaturalKey, natural_key
from qadam.custody.forms import NaturalOrderChoiceField
from qadam.custody.models import Institution
from qadam.people.models import Person


def _suggested(instrument: Instrument, person: Person, day: date) -> dict[str, str]:
    """Answers the record already gives (age on the day, sex), as suggestions to confirm."""
    suggested: dict[str, str] = {}
    for item in instrument.items:
        codes = [o.code for o in item.options]
        if item.source.endswith("sex"):
            wanted = "male" if person.sex == "M" else "female"
            if wanted in codes:
                suggested[item.code] = wanted
        elif item.source.endswith(("date_of_birth", "birth_date", ".age")):
            age = person.age_on(day)
            for code in codes:
                match = re.fullmatch(r"(\d+)_(\d+|plus)", code)
                if match is None:
                    continue
                low = int(match[1])
                high = 999 if match[2] == "plus" else int(match[2])
                if low <= age <= high:
                    suggested[item.code] = code
    return suggested


class AssessmentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of assessment"), choices=AssessmentKind.choices)
    assessed_on = forms.DateField(label=_("Date of assessment"), widget=DateInput())
    notes = forms.CharField(
        label=_("Notes (sources consulted, interview)"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(
        self,
        data: Any = None,
        *,
        instrument: Instrument,
        person: Person,
        previous_answers: dict[str, str] | None = None,
        kind: str = AssessmentKind.PERIODIC,
    ) -> None:
        today = timezone.localdate()
        initial: dict[str, Any] = {"kind": kind, "assessed_on": today}
        answers = {**(previous_answers or {}), **_suggested(instrument, person, today)}
        initial.update({answer_field(code): value for code, value in answers.items()})
        super().__init__(data, initial=initial)
        self.instrument = instrument
        lang = language()
        for item in instrument.items:
            # Free text behind the radio buttons: the service names an answer that is missing or
            # not one of the item's options, so the message is the same for forms and the API.
            self.fields[answer_field(item.code)] = forms.CharField(
                label=item.text.get(lang),
                required=False,
                widget=forms.RadioSelect(
                    choices=[(o.code, o.text.get(lang)) for o in item.options]
                ),
            )

    def answers(self) -> dict[str, str]:
        data = self.cleaned_data
        return {
            item.code: data.get(answer_field(item.code)) or "" for item in self.instrument.items
        }

    def raw_answers(self) -> dict[str, str]:
        """What is ticked so far: the submitted data, or the suggested answers before a submit
        (for the live preview)."""
        ticked = {
            item.code: self[answer_field(item.code)].value() for item in self.instrument.items
        }
        return {code: str(value) for code, value in ticked.items() if value}

    def layers(self) -> list[dict[str, Any]]:
        """The items grouped by layer, each with its options, points and bound field."""
        lang = language()
        groups = []
        for layer in LAYERS:
            items = [i for i in self.instrument.items if i.layer == layer]
            if not items:
                continue
            rows = []
            for item in items:
                bound = self[answer_field(item.code)]
                value = str(bound.value() or "")
                rows.append(
                    {
                        "item": item,
                        "text": item.text.get(lang),
                        "field": bound,
                        "need_area": NEED_AREA_LABELS.get(item.need_area or "", ""),
                        "options": [
                            {
                                "code": o.code,
                                "text": o.text.get(lang),
                                "points": o.points,
                                "points_text": signed_points(o.points),
                                "checked": o.code == value,
                                "id": f"id_{bound.html_name}_{index}",
                            }
                            for index, o in enumerate(item.options)
                        ],
                    }
                )
            groups.append({"code": layer, "label": LAYER_LABELS[layer], "items": rows})
        return groups


class OverrideRequestForm(forms.Form):
    band = forms.ChoiceField(label=_("Band it should be"))
    # Required (marked as such); an empty reason gets the service's message for a too short one.
    reason = forms.CharField(
        label=_("Reason"),
        help_text=_("What the instrument does not see in this person's case, and the sources."),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=4000,
        error_messages={
            "required": _(
                "Explain why the computed band is wrong for this person (at least a sentence)."
            )
        },
    )

    def __init__(self, data: Any = None, *, bands: list[tuple[str, str]]) -> None:
        super().__init__(data)
        band_field = self.fields["band"]
        assert isinstance(band_field, forms.ChoiceField)
        band_field.choices = [("", "—"), *bands]


class OverrideDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve the override")), ("reject", _("Reject the override"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=4000,
        help_text=_("Required when you reject the override."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def _institution_order(institution: Institution) -> NaturalKey:
    return natural_key(institution.code)


class DueFilterForm(forms.Form):
    institution: forms.ModelChoiceField[Any] = NaturalOrderChoiceField(
        label=_("Institution"),
        queryset=Institution.objects.none(),
        required=False,
        empty_label=_("All in my scope"),
        sort_key=_institution_order,
    )
    status = forms.ChoiceField(
        label=_("Show"),
        required=False,
        choices=[
            ("", _("Overdue and due within 30 days")),
            ("overdue", _("Overdue only")),
            ("all", _("All scheduled")),
        ],
    )
    name = forms.CharField(label=_("Name or case number"), required=False, max_length=80)

    def __init__(self, data: Any = None, *, institutions: QuerySet[Any]) -> None:
        super().__init__(data)
        field = self.fields["institution"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = institutions


class OverrideFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any")), *BandOverride.Status.choices],
    )
