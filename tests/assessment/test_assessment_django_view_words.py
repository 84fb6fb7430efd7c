"""Assessment pages read as a user reads them: the same signed figures in the tables as in the
charts, the instrument by its name, a required reason marked as required, and institutions in
natural order in the filter."""

from __future__ import annotations

from typing import Any

import pytest
from assessment_helpers import assess, default_instrument, world
from django.test import Client
from django.urls import reverse

from factories import InstitutionFactory, staff
from qadam.assessment.models import BandOverride
from qadam.core.roles import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def w() -> dict[str, Any]:
    return world()


def client_for(user: Any) -> Client:
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return client


def test_history_signs_the_change_and_names_the_instrument(w: dict[str, Any]) -> None:
    assess(w["pa"], w["psychologist"], pick="last")
    assess(w["pa"], w["psychologist"], pick="last", overrides={"substance_use": "none"})
    html = (
        client_for(w["head"])
        .get(reverse("assessment:person_assessments", kwargs={"person_pk": w["pa"].pk}))
        .content.decode()
    )
    assert '<td class="num">−2</td>' in html  # a true minus sign, as in the charts
    instrument = default_instrument()
    assert f"<td>{instrument.name} · {instrument.version}</td>" in html
    assert f"<td>{instrument.code} {instrument.version}</td>" not in html


def test_result_table_signs_points_as_the_chart_does(w: dict[str, Any]) -> None:
    assessment = assess(w["pa"], w["psychologist"], pick="last")
    html = (
        client_for(w["head"])
        .get(reverse("assessment:detail", kwargs={"pk": assessment.pk}))
        .content.decode()
    )
    table = html.split('<table id="contributions-table">', 1)[1].split("</table>", 1)[0]
    # Substance use "Current" adds 2 points; discipline at its last option takes 2 off.
    assert '<td class="num">+2</td>' in table
    assert '<td class="num">−2</td>' in table
    assert '<td class="num">-' not in table


def test_override_reason_is_marked_required_and_empty_is_refused(w: dict[str, Any]) -> None:
    assessment = assess(w["pa"], w["psychologist"])
    url = reverse("assessment:override_request", kwargs={"pk": assessment.pk})
    client = client_for(w["psychologist"])
    page = client.get(url).content.decode()
    assert '<label for="id_reason">Reason <span aria-hidden="true">*</span></label>' in page
    response = client.post(url, {"band": "high", "reason": ""})
    assert response.status_code == 400
    assert "Explain why the computed band is wrong for this person" in response.content.decode()
    assert not BandOverride.objects.exists()


def test_due_list_institutions_in_natural_order() -> None:
    ten, three = InstitutionFactory(code="ЕЦ-151/10"), InstitutionFactory(code="ЕЦ-151/3")
    head = staff(Role.HEAD, ten, three)
    html = client_for(head).get(reverse("assessment:due_list")).content.decode()
    assert html.index(f'value="{three.pk}"') < html.index(f'value="{ten.pk}"')
