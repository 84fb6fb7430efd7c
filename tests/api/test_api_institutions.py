"""Institutions and population in the API: scoped, with capacity and population now."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from factories import InstitutionFactory, region, staff
from qadam.core.models import AuditEvent
from qadam.core.roles import Role

pytestmark = pytest.mark.django_db


class TestInstitutions:
    def test_list_is_scoped_with_population_and_capacity(self, world, token_client):
        user = world["users"][Role.RECEPTION]
        response = token_client(user).get("/api/v1/institutions")
        assert response.status_code == 200
        body = response.json()
        assert body["count"] == 1
        item = body["items"][0]
        assert item["code"] == "A"
        assert item["population"] == 1
        assert item["operational_capacity"] == 450
        assert item["occupancy_percent"] == round(100 / 450, 1)
        assert item["region"]["code"] == "KZ-35"
        assert (
            AuditEvent.objects.filter(actor=user, action="search")
            .latest("id")
            .details["result_count"]
            == 1
        )

    def test_filters_and_sort_for_a_national_user(self, world, token_client, admit):
        head = staff(Role.HEAD, national=True)
        admit(world["b"], world["setup_user"])
        client = token_client(head)
        assert client.get("/api/v1/institutions").json()["count"] == 2
        by_region = client.get("/api/v1/institutions?region=KZ-55").json()
        assert [i["code"] for i in by_region["items"]] == ["B"]
        crowded = client.get("/api/v1/institutions?sort=-population").json()
        assert [i["code"] for i in crowded["items"]] == ["B", "A"]
        assert client.get("/api/v1/institutions?sort=secret").status_code == 422

    def test_detail_and_scope(self, world, token_client):
        client = token_client(world["users"][Role.RECEPTION])
        detail = client.get(f"/api/v1/institutions/{world['a'].pk}")
        assert detail.status_code == 200
        body = detail.json()
        assert body["population_by_legal_status"] == {"remand": 1, "sentenced": 0}
        assert body["population_by_sex"] == {"M": 1}
        assert client.get(f"/api/v1/institutions/{world['b'].pk}").status_code == 404
        assert client.get("/api/v1/institutions/0").status_code == 422


class TestPopulation:
    def test_grouped_by_institution_in_scope(self, world, token_client):
        response = token_client(world["users"][Role.RECEPTION]).get("/api/v1/population")
        assert response.status_code == 200
        body = response.json()
        assert body["total"] == 1
        assert body["groups"] == [
            {"key": "A", "label": world["a"].name, "count": 1, "capacity": 450}
        ]

    @pytest.mark.parametrize(
        ("group_by", "keys"),
        [
            ("region", {"KZ-35", "KZ-55"}),
            ("type", {"SIZO"}),  # the factories' default type
            ("sex", {"M"}),
            ("legal_status", {"remand"}),
        ],
    )
    def test_every_grouping_for_a_national_user(self, world, token_client, group_by, keys):
        head = staff(Role.HEAD, national=True)
        body = token_client(head).get(f"/api/v1/population?group_by={group_by}").json()
        assert body["total"] == 2
        assert {g["key"] for g in body["groups"]} == keys

    def test_a_past_date_counts_who_was_held_then(self, world, token_client):
        head = staff(Role.HEAD, national=True)
        day = (timezone.localdate() - timedelta(days=60)).isoformat()
        body = token_client(head).get(f"/api/v1/population?date={day}").json()
        assert body["total"] == 0
        assert body["date"] == day

    @pytest.mark.parametrize(
        ("query", "status", "field"),
        [
            ("date=2999-01-01", 400, "date"),
            ("date=1800-01-01", 400, "date"),
            ("date=yesterday", 422, "date"),
            ("group_by=colour", 422, "group_by"),
        ],
    )
    def test_bad_input(self, world, token_client, query, status, field):
        response = token_client(world["users"][Role.RECEPTION]).get(f"/api/v1/population?{query}")
        assert response.status_code == status
        assert list(response.json()["errors"]) == [field]

    def test_regional_user_counts_only_their_region(self, world, token_client):
        InstitutionFactory(code="C", region=region("KZ-35"))
        head = staff(Role.HEAD, region("KZ-55"))
        body = token_client(head).get("/api/v1/population").json()
        assert [g["key"] for g in body["groups"]] == ["B"]
