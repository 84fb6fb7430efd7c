"""Forms of the sentences pages. They parse and check shapes; the services decide the rest."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from qadam.core.forms import DateInput
from qadam.core.models import Offence, Region
from qadam.custody.models import Institution, InstitutionType
from qadam.sentences import services
from qadam.sentences.models import Adjustment, CalculationField, Combination, DateOverride


def _offence_label(offence: Offence) -> str:
    return f"{offence.citation} — {offence.title}"


class OffenceChoiceField(forms.ModelChoiceField[Offence]):
    def label_from_instance(self, obj: Offence) -> str:
        return _offence_label(obj)


class VerdictForm(forms.Form):
    court = forms.CharField(label=_("Court"), max_length=255)
    case_number = forms.CharField(label=_("Court case number"), max_length=64)
    verdict_date = forms.DateField(label=_("Date of the verdict"), widget=DateInput())
    entered_into_force = forms.DateField(
        label=_("Entered into force"),
        required=False,
        widget=DateInput(),
        help_text=_("Leave empty while an appeal is pending."),
    )
    start_date = forms.DateField(
        label=_("Sentence starts on"),
        widget=DateInput(),
        help_text=_(
            "Usually the day the verdict enters into force; detention before it is credited."
        ),
    )
    institution_type = forms.ModelChoiceField(
        label=_("Institution type assigned by the court"),
        queryset=InstitutionType.objects.filter(code__in=services.ASSIGNABLE_TYPES),
    )
    combination = forms.ChoiceField(
        label=_("How the counts combine"),
        choices=Combination.choices,
        initial=Combination.ABSORPTION,
    )
    partial_share = forms.CharField(
        label=_("Share added by partial addition"),
        max_length=8,
        initial="1/2",
        required=False,
        help_text=_('A fraction such as "1/2"; used only for partial addition.'),
    )
    additional_punishments = forms.CharField(
        label=_("Additional punishments"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    dangerous_recidivism = forms.BooleanField(label=_("Dangerous recidivism"), required=False)
    cooperation_agreement = forms.BooleanField(
        label=_("Procedural cooperation agreement fulfilled"), required=False
    )
    earlier_parole_revoked = forms.BooleanField(
        label=_("An earlier early release was revoked"), required=False
    )

    def verdict_input(self) -> services.VerdictInput:
        d = self.cleaned_data
        return services.VerdictInput(
            court=d["court"],
            verdict_date=d["verdict_date"],
            case_number=d["case_number"],
            institution_type=d["institution_type"],
            start_date=d["start_date"],
            entered_into_force=d["entered_into_force"],
            combination=d["combination"],
            partial_share=d["partial_share"] or "1/2",
            additional_punishments=d["additional_punishments"],
            dangerous_recidivism=d["dangerous_recidivism"],
            cooperation_agreement=d["cooperation_agreement"],
            earlier_parole_revoked=d["earlier_parole_revoked"],
        )


class CountForm(forms.Form):
    offence = OffenceChoiceField(
        label=_("Article and part"), queryset=Offence.objects.all(), required=False
    )
    gravity = forms.ChoiceField(
        label=_("Gravity as the verdict determined it"),
        choices=[("", _("As in the catalogue")), *Offence.Gravity.choices],
        required=False,
    )
    years = forms.IntegerField(label=_("Years"), min_value=0, max_value=30, required=False)
    months = forms.IntegerField(label=_("Months"), min_value=0, max_value=11, required=False)
    days = forms.IntegerField(label=_("Days"), min_value=0, max_value=30, required=False)
    life = forms.BooleanField(label=_("Life imprisonment"), required=False)
    offence_date = forms.DateField(
        label=_("Date of the offence"), required=False, widget=DateInput()
    )

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        filled = (
            data.get("offence")
            or data.get("offence_date")
            or any(data.get(k) for k in ("years", "months", "days", "life"))
        )
        if filled:
            if not data.get("offence"):
                self.add_error("offence", _("Choose the article of this count."))
            if not data.get("offence_date"):
                self.add_error("offence_date", _("Give the date of the offence."))
        return data

    def count_input(self) -> services.CountInput | None:
        d = self.cleaned_data
        if not d.get("offence") or not d.get("offence_date"):
            return None
        return services.CountInput(
            offence=d["offence"],
            offence_date=d["offence_date"],
            years=d.get("years") or 0,
            months=d.get("months") or 0,
            days=d.get("days") or 0,
            life=bool(d.get("life")),
            gravity=d.get("gravity") or "",
        )


class PeriodForm(forms.Form):
    date_from = forms.DateField(label=_("First day in custody"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("Last day in custody"), required=False, widget=DateInput())
    source = forms.CharField(label=_("Document"), max_length=255, required=False)

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        if any(data.get(k) for k in ("date_from", "date_to", "source")):
            for key, message in (
                ("date_from", _("Give the first day in custody.")),
                ("date_to", _("Give the last day in custody.")),
            ):
                if not data.get(key):
                    self.add_error(key, message)
        return data

    def period_input(self) -> services.PeriodInput | None:
        d = self.cleaned_data
        if not d.get("date_from") or not d.get("date_to"):
            return None
        return services.PeriodInput(
            date_from=d["date_from"], date_to=d["date_to"], source=d.get("source") or ""
        )


CountFormSet = forms.formset_factory(CountForm, extra=3, max_num=10)
PeriodFormSet = forms.formset_factory(PeriodForm, extra=2, max_num=10)


class AdjustmentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Adjustment.Kind.choices)
    date = forms.DateField(
        label=_("Date of the decision or act"),
        widget=DateInput(),
        help_text=_("For a period (detention, time at large) the first day is used."),
    )
    source = forms.CharField(label=_("Source document"), max_length=255)
    date_from = forms.DateField(label=_("First day"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("Last day"), required=False, widget=DateInput())
    years = forms.IntegerField(label=_("Years"), min_value=0, max_value=30, required=False)
    months = forms.IntegerField(label=_("Months"), min_value=0, max_value=11, required=False)
    days = forms.IntegerField(label=_("Days"), min_value=0, max_value=30, required=False)
    life = forms.BooleanField(label=_("New term: life imprisonment"), required=False)
    commute = forms.BooleanField(
        label=_("Pardon: commutes life imprisonment to the term above"), required=False
    )
    release = forms.BooleanField(label=_("Releases from further serving"), required=False)
    new_institution_type = forms.ModelChoiceField(
        label=_("New institution type"),
        queryset=InstitutionType.objects.filter(code__in=services.ASSIGNABLE_TYPES),
        required=False,
    )
    milder_punishment = forms.CharField(
        label=_("Milder punishment"), max_length=255, required=False
    )
    released_on = forms.DateField(
        label=_("Released on parole on (recall)"), required=False, widget=DateInput()
    )
    days_to_serve = forms.IntegerField(
        label=_("Days left to serve (recall)"), min_value=1, required=False
    )

    def adjustment_input(self) -> services.AdjustmentInput:
        d = self.cleaned_data
        return services.AdjustmentInput(
            kind=d["kind"],
            date=d["date"],
            source=d["source"],
            date_from=d.get("date_from"),
            date_to=d.get("date_to"),
            years=d.get("years") or 0,
            months=d.get("months") or 0,
            days=d.get("days") or 0,
            life=bool(d.get("life")),
            commute=bool(d.get("commute")),
            release=bool(d.get("release")),
            new_institution_type=d.get("new_institution_type"),
            milder_punishment=d.get("milder_punishment") or "",
            released_on=d.get("released_on"),
            days_to_serve=d.get("days_to_serve"),
        )


class InForceForm(forms.Form):
    entered_into_force = forms.DateField(label=_("Entered into force"), widget=DateInput())


class OverrideRequestForm(forms.Form):
    field = forms.ChoiceField(label=_("Date"), choices=CalculationField.choices)
    new_date = forms.DateField(label=_("Date set by hand"), widget=DateInput())
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The document or the error that makes the computed date wrong."),
    )


class OverrideDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve")), ("reject", _("Reject"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when rejecting."),
    )


class WorklistFilterForm(forms.Form):
    institution = forms.ModelChoiceField(
        label=_("Institution"), queryset=Institution.objects.none(), required=False
    )
    region = forms.ModelChoiceField(
        label=_("Region"), queryset=Region.objects.none(), required=False
    )
    name = forms.CharField(label=_("Name or case number"), max_length=80, required=False)

    def __init__(self, *args: Any, institutions: Any, regions: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        institution_field = self.fields["institution"]
        region_field = self.fields["region"]
        assert isinstance(institution_field, forms.ModelChoiceField)
        assert isinstance(region_field, forms.ModelChoiceField)
        institution_field.queryset = institutions
        region_field.queryset = regions


class RecalculationStartForm(forms.Form):
    rules_dir = forms.CharField(
        label=_("Folder of the candidate rule files"),
        max_length=500,
        required=False,
        help_text=_("Leave empty for the rule files shipped with this version of Qadam."),
    )


class ChangeFilterForm(forms.Form):
    field = forms.ChoiceField(
        label=_("Date"), choices=[("", _("Any")), *CalculationField.choices], required=False
    )
    direction = forms.ChoiceField(
        label=_("Change"),
        choices=[("", _("Any")), ("earlier", _("Earlier")), ("later", _("Later"))],
        required=False,
    )


__all__ = [
    "AdjustmentForm",
    "ChangeFilterForm",
    "CountFormSet",
    "DateOverride",
    "InForceForm",
    "OverrideDecisionForm",
    "OverrideRequestForm",
    "PeriodFormSet",
    "RecalculationStartForm",
    "VerdictForm",
    "WorklistFilterForm",
]
