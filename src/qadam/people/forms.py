from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from qadam.people.models import PersonMerge


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Name, IIN or case number"),
        required=False,
        max_length=200,
        help_text=_(
            "Surname and first name in any order, in Cyrillic or Latin letters; "
            "or the 12-digit IIN; or the case number."
        ),
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    legal_status = forms.ChoiceField(
        label=_("Legal status"),
        required=False,
        choices=[
            ("", _("Any")),
            ("remand", _("On remand")),
            ("sentenced", _("Sentenced")),
            ("none", _("Not in custody")),
        ],
    )


class MergeRequestForm(forms.Form):
    duplicate_case_number = forms.CharField(
        label=_("Case number of the duplicate record"),
        max_length=20,
        help_text=_("The record that will be merged into this one; its history is kept."),
    )
    reason = forms.CharField(
        label=_("Why these records are the same person"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean_duplicate_case_number(self) -> str:
        value: str = self.cleaned_data["duplicate_case_number"]
        return value.strip()


class MergeDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve the merge")), ("reject", _("Reject the merge"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Reason or note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        if data.get("decision") == "reject" and not str(data.get("reason", "")).strip():
            self.add_error("reason", _("Say why the merge is rejected."))
        return data


class MergeUndoForm(forms.Form):
    reason = forms.CharField(
        label=_("Why the merge is being undone"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class MergeFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any")), *PersonMerge.Status.choices],
    )
    q = forms.CharField(label=_("Case number"), required=False, max_length=20)
