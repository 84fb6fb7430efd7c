"""Sections listed in natural order ("Отряд 2" before "Отряд 10") wherever they are listed."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from factories import (
    CellFactory,
    InstitutionFactory,
    SectionFactory,
    sentenced_person,
    staff,
)
from qadam.core.api_tokens import issue_token
from qadam.core.roles import Role
from qadam.custody import forms, population

pytestmark = pytest.mark.django_db

NAMES = ["Отряд 10", "Отряд 2", "Отряд 1"]
ORDERED = ["Отряд 1", "Отряд 2", "Отряд 10"]


@pytest.fixture
def world() -> dict[str, Any]:
    institution = InstitutionFactory(code="NAT")
    officer = staff(Role.RECEPTION, institution)
    sections = {name: SectionFactory(institution=institution, name=name) for name in NAMES}
    for name in NAMES:
        for number in ("10", "9"):
            CellFactory(section=sections[name], number=number)
    for name in [*NAMES, None]:  # one person in each section, one with no section
        sentenced_person(
            institution, officer, days_ago=10, section=sections[name] if name else None
        )
    return {"institution": institution, "officer": officer, "sections": sections}


def test_population_by_section_in_natural_order(world: dict[str, Any]) -> None:
    rows = population.population_by_section_and_status(world["institution"], timezone.localdate())
    assert [row["section"] for row in rows] == [*ORDERED, ""]


def test_institution_page_lists_sections_in_natural_order(world: dict[str, Any]) -> None:
    client = Client()
    client.force_login(staff(Role.HEAD, world["institution"]))
    body = client.get(
        reverse("custody:institution_detail", kwargs={"pk": world["institution"].pk})
    ).content.decode()
    places = [body.index(f"<td>{name}</td>") for name in ORDERED]
    assert places == sorted(places)


def test_population_table_by_section_in_natural_order(world: dict[str, Any]) -> None:
    rows = population.population_table(
        day=timezone.localdate(), dimension="section", institution_ids=[world["institution"].pk]
    )
    named = [row.label for row in rows if row.key is not None]
    assert named == [f"{world['institution'].name} — {name}" for name in ORDERED]
    assert rows[-1].key is None  # the person with no section last


def test_form_choices_in_natural_order(world: dict[str, Any]) -> None:
    form = forms.MoveForm()
    form.limit_placement([world["institution"]])
    sections = [label for value, label in form.fields["section"].choices if value]
    assert sections == ORDERED
    cells = [label for value, label in form.fields["cell"].choices if value]
    assert cells == [f"{name} — {number}" for name in ORDERED for number in ("9", "10")]
    # The choices still validate as model choices.
    chosen = world["sections"]["Отряд 10"]
    bound = forms.MoveForm({"occurred_at": "2025-01-01T10:00", "section": chosen.pk})
    bound.limit_placement([world["institution"]])
    bound.is_valid()
    assert bound.cleaned_data.get("section") == chosen


def test_api_lists_sections_in_natural_order(world: dict[str, Any]) -> None:
    token = issue_token(user=staff(Role.HEAD, world["institution"]), name="test")
    client = Client(headers={"Authorization": f"Bearer {token}"})
    response = client.get(f"/api/v1/institutions/{world['institution'].pk}")
    assert response.status_code == 200, response.content
    assert response.json()["sections"] == ORDERED
