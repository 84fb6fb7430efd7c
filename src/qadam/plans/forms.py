"""Forms of the plan pages: they parse input; the services decide what is allowed."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qadam.core.forms import DateInput
from qadam.core.models import Organisation
from qadam.core.sorting import NaturalKey, natural_key
from qadam.custody.forms import NaturalOrderChoiceField
from qadam.custody.models import Institution
from qadam.plans.models import (
    AgencyType,
    Agreement,
    Evidence,
    NeedArea,
    Plan,
    PlanNeed,
    Review,
    Stage,
    StepStatus,
)
from qadam.probation.models import ProbationOffice


class NeedForm(forms.Form):
    need_area = forms.ModelChoiceField(label=_("Need area"), queryset=NeedArea.objects.none())
    priority = forms.TypedChoiceField(
        label=_("Priority"),
        choices=PlanNeed.Priority.choices,
        coerce=int,
        initial=PlanNeed.Priority.MEDIUM,
    )
    source = forms.ChoiceField(
        label=_("Where the need comes from"),
        choices=[c for c in PlanNeed.Source.choices if c[0] != PlanNeed.Source.ASSESSMENT],
        initial=PlanNeed.Source.STAFF,
    )
    rationale = forms.CharField(
        label=_("Why (what the social-legal study found)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )

    def __init__(self, *args: Any, plan: Plan, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["need_area"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = NeedArea.objects.filter(is_active=True).exclude(
            pk__in=plan.needs.values("need_area")
        )


class GoalForm(forms.Form):
    text = forms.CharField(label=_("Goal"), widget=forms.Textarea(attrs={"rows": 2}))
    plain_text = forms.CharField(
        label=_("The goal in plain words for the person (optional)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=_("Printed on the person's copy of the plan."),
    )


class StepForm(forms.Form):
    text = forms.CharField(label=_("What is to be done"), widget=forms.Textarea(attrs={"rows": 2}))
    agency_type = forms.ModelChoiceField(
        label=_("Responsible agency"), queryset=AgencyType.objects.filter(is_active=True)
    )
    responsible = forms.CharField(
        label=_("Organisation or person responsible"),
        max_length=255,
        required=False,
        help_text=_("For example: the district employment centre, or the name of the teacher."),
    )
    deadline = forms.DateField(label=_("Deadline"), widget=DateInput())


class StepStatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("New status"),
        choices=[c for c in StepStatus.choices if c[0] != StepStatus.PLANNED],
        help_text=_("A step can be marked done only after evidence is recorded."),
    )
    reason = forms.CharField(
        label=_("Reason (needed to cancel)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )


class EvidenceForm(forms.Form):
    # No kind is ticked in advance: the kind decides what the plan counts (certificates, work
    # records), so the user chooses it.
    kind = forms.ChoiceField(
        label=_("Kind of evidence"), choices=[("", "—"), *Evidence.Kind.choices]
    )
    description = forms.CharField(
        label=_("What it shows"), widget=forms.Textarea(attrs={"rows": 2})
    )
    reference = forms.CharField(
        label=_("Document number or reference"), max_length=120, required=False
    )
    dated = forms.DateField(label=_("Date"), widget=DateInput(), initial=timezone.localdate)
    mark_done = forms.BooleanField(label=_("The step is done"), required=False)


class AgreementForm(forms.Form):
    answer = forms.ChoiceField(
        label=_("The person's answer"), choices=Agreement.Answer.choices, widget=forms.RadioSelect
    )
    persons_words = forms.CharField(
        label=_("The person's own words (needed when they disagree)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    unable_reason = forms.CharField(
        label=_("Why the person cannot take part (needed when unable)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
    dated = forms.DateField(label=_("Date"), widget=DateInput(), initial=timezone.localdate)


class ReviewForm(forms.Form):
    reviewed_on = forms.DateField(
        label=_("Date of review"), widget=DateInput(), initial=timezone.localdate
    )
    # No outcome is ticked in advance: "on track" must be a finding, not a default.
    outcome = forms.ChoiceField(label=_("Outcome"), choices=[("", "—"), *Review.Outcome.choices])
    notes = forms.CharField(
        label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    next_review_due = forms.DateField(
        label=_("Next review (optional)"),
        widget=DateInput(),
        required=False,
        help_text=_("Left empty, the date follows the review rule (time left to serve)."),
    )


def _office_order(office: ProbationOffice) -> NaturalKey:
    return natural_key(office.name)


class ProbationOfficeField(NaturalOrderChoiceField):
    """An office by its name in the reader's language, with its region."""

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} — {obj.region.name}"


class HandoverForm(forms.Form):
    to_organisation = forms.ModelChoiceField(
        label=_("Receiving organisation"), queryset=Organisation.objects.all()
    )
    to_stage = forms.ChoiceField(label=_("Stage"), choices=Stage.choices)
    probation_office = ProbationOfficeField(
        label=_("Probation office"),
        queryset=ProbationOffice.objects.active().select_related("region"),
        required=False,
        sort_key=_office_order,
        help_text=_(
            "Needed when the plan moves to the stage after release: the office where the person "
            "will be supervised. Its probation officers continue the plan."
        ),
    )
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class CountersignForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I have read this version and countersign it"), required=True
    )


def _institution_order(institution: Institution) -> NaturalKey:
    return natural_key(institution.code)


class OverdueFilterForm(forms.Form):
    institution = NaturalOrderChoiceField(
        label=_("Institution"),
        queryset=Institution.objects.none(),
        required=False,
        empty_label=_("All in my scope"),
        sort_key=_institution_order,
    )
    stage = forms.ChoiceField(
        label=_("Stage"), choices=[("", _("Any")), *Stage.choices], required=False
    )
    name = forms.CharField(label=_("Name or case number"), max_length=80, required=False)

    def __init__(self, *args: Any, institutions: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["institution"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = institutions
