"""Forms of the assessment pages. The assessment form is built from the instrument's items only:
ethnicity, nationality and race can never be asked (the instrument schema refuses such items)."""

from __future__ import annotations

import re
import tomllib
from datetime import date
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from qadam.assessment.charts import signed_points
from qadam.assessment.engine import LAYERS, Instrument, InstrumentError, parse_instrument
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


# --- Loading an instrument version ----------------------------------------------------------------

MAX_INSTRUMENT_BYTES = 1_000_000
_WHERE = r"(?P<where>.+?): "
# The schema validator's problems (`engine.schema`, in English: the engine has no Django) in the
# user's language: each message pattern with its translation; where in the file it is stays as
# the validator names it ("items[3] (age).options[1].points"). A problem that no pattern matches
# is shown as the validator wrote it.
INSTRUMENT_PROBLEMS: list[tuple[re.Pattern[str], Any]] = [
    (re.compile(_WHERE + pattern), message)
    for pattern, message in [
        (
            r"must be a table with kk, ru and en texts",
            _("must be a table of texts in Kazakh (kk), Russian (ru) and English (en)"),
        ),
        (r"text is missing or empty", _("the text is missing or empty")),
        (
            r"unknown languages (?P<value>.+); use kk, ru and en",
            _("unknown languages %(value)s; use kk, ru and en"),
        ),
        (r"must be a finite number, not (?P<value>.+)", _("must be a number, not %(value)s")),
        (
            r"must be a code of letters, digits, '_', '\.', '-', not (?P<value>.+)",
            _("must be a code of Latin letters, digits, “_”, “.” and “-”, not %(value)s"),
        ),
        (
            r"must be a date \(YYYY-MM-DD\), not (?P<value>.+)",
            _("must be a date (YYYY-MM-DD), not %(value)s"),
        ),
        (r"must be a whole number, not (?P<value>.+)", _("must be a whole number, not %(value)s")),
        (
            r"change items only take points off \(zero or negative points\)",
            _("a change item only takes points off (zero or negative points)"),
        ),
        (
            r"must be a list of raw values \(text or whole numbers\)",
            _("must be a list of raw values (texts or whole numbers)"),
        ),
        (
            r"min (?P<min>\S+) must be below max (?P<max>\S+)",
            _("min %(min)s must be below max %(max)s"),
        ),
        (r"must be true or false", _("must be true or false")),
        (r"unknown keys (?P<value>.+)", _("unknown keys %(value)s; remove or rename them")),
        (
            r"must be one of the Central Eight (?P<allowed>.+), not (?P<value>.+)",
            _("must be one of the Central Eight need areas %(allowed)s, not %(value)s"),
        ),
        (
            r"must be one of (?P<allowed>.+), not (?P<value>.+)",
            _("must be one of %(allowed)s, not %(value)s"),
        ),
        (
            r"a (?P<layer>\w+) item must name the need area it informs",
            _("a %(layer)s item must name the need area it informs (need_area)"),
        ),
        (
            r"must name where the answer comes from",
            _("must name where the answer comes from (source)"),
        ),
        (
            r"refers to (?P<value>.+?): ethnicity, nationality and race are never inputs "
            r"\(they may be used only in the fairness audit\)",
            _(
                "refers to %(value)s: ethnicity, nationality and race are never inputs (they may "
                "be used only in the fairness audit)"
            ),
        ),
        (
            r"an item needs at least two answer options",
            _("an item needs at least two answer options"),
        ),
        (r"duplicate option codes (?P<value>.+)", _("the option codes %(value)s occur twice")),
        (
            r"value (?P<value>.+) selects both (?P<first>.+) and (?P<second>.+)",
            _("the value %(value)s selects both %(first)s and %(second)s"),
        ),
        (
            r"only one option may take missing values",
            _("only one option may take missing values"),
        ),
        (r"only one option may take other values", _("only one option may take other values")),
        (
            r"a change item needs an option with negative points \(progress\)",
            _("a change item needs an option with negative points (progress)"),
        ),
        (
            r"this engine reads schema (?P<supported>\S+), not (?P<value>.+)",
            _("this version of Qadam reads schema %(supported)s, not %(value)s"),
        ),
        (
            r"must be a version text such as '1\.0\.0'",
            _("must be a version text such as “1.0.0”"),
        ),
        (r"must be after valid_from (?P<value>\S+)", _("must be after valid_from %(value)s")),
        (
            r"must say on which data the instrument was validated, or (?P<value>.+)",
            _("must say on which data the instrument was validated, or %(value)s"),
        ),
        (r"an instrument needs at least one item", _("an instrument needs at least one item")),
        (r"duplicate item codes (?P<value>.+)", _("the item codes %(value)s occur twice")),
        (
            r"needs at least one of (?P<value>.+) with intercept and slope",
            _("needs at least one of %(value)s with an intercept and a slope"),
        ),
        (r"unknown horizon; use (?P<value>.+)", _("unknown horizon; use %(value)s")),
        (
            r"must be a table with intercept and slope",
            _("must be a table with an intercept and a slope"),
        ),
        (
            r"must be positive: more points, more risk",
            _("must be positive: more points mean more risk"),
        ),
        (r"an instrument needs at least one band", _("an instrument needs at least one band")),
        (
            r"min_points must rise: (?P<band>.+) does not start above (?P<previous>.+)",
            _("min_points must rise: band %(band)s does not start above band %(previous)s"),
        ),
        (
            r"the lowest possible total is (?P<value>\S+); the first band must start at or below "
            r"it",
            _("the lowest possible total is %(value)s; the first band must start at or below it"),
        ),
        (
            r"must be the code of a band, not (?P<value>.+)",
            _("must be the code of a band, not %(value)s"),
        ),
        (r"must be a table", _("must be a table")),
    ]
]
_TOML_POSITION = re.compile(r"\(at line (?P<line>\d+), column (?P<column>\d+)\)")


def instrument_problem_text(problem: str) -> tuple[str, bool]:
    """One problem of the schema validator in the user's language, and whether it was known."""
    for pattern, message in INSTRUMENT_PROBLEMS:
        match = pattern.fullmatch(problem)
        if match is not None:
            fields = match.groupdict()
            where = fields.pop("where")
            return f"{where}: {str(message) % fields}", True
    return problem, False


class InstrumentUploadForm(forms.Form):
    """An instrument file: read as UTF-8 TOML and validated by the engine's schema here, so that
    every problem is shown in the user's language; storing it is `services.instrument_load`."""

    definition = forms.FileField(
        label=_("Instrument file (TOML)"),
        help_text=_(
            "A new version of an instrument, written as the shipped instrument is, or fitted by "
            "“qadam assessment fit”. A published version never changes: a changed file needs a "
            "new version."
        ),
        error_messages={"required": _("Choose the instrument file to upload.")},
    )

    def clean_definition(self) -> str:
        upload = self.cleaned_data["definition"]
        if upload.size > MAX_INSTRUMENT_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(size)s MB; an instrument file is far smaller.")
                % {"size": MAX_INSTRUMENT_BYTES // 1_000_000}
            )
        try:
            text: str = upload.read().decode("utf-8")
        except UnicodeDecodeError:
            raise forms.ValidationError(
                _("The file is not UTF-8 text; save it as UTF-8 and upload it again.")
            ) from None
        self.origin = str(upload.name or "upload")
        try:
            parsed = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            position = _TOML_POSITION.search(str(error))
            if position is None:
                raise forms.ValidationError(
                    _("The file is not valid TOML (at its end): %(error)s") % {"error": error}
                ) from None
            raise forms.ValidationError(
                _("The file is not valid TOML at line %(line)s, column %(column)s: %(error)s")
                % {**position.groupdict(), "error": error}
            ) from None
        try:
            parse_instrument(parsed, origin=self.origin)
        except InstrumentError as error:
            problems = [instrument_problem_text(p)[0] for p in error.problems]
            raise forms.ValidationError(
                [
                    ngettext(
                        "The instrument does not validate; fix this problem and upload it again:",
                        "The instrument does not validate; fix these %(count)s problems and "
                        "upload it again:",
                        len(problems),
                    )
                    % {"count": len(problems)},
                    *problems,
                ]
            ) from None
        return text
