"""Persons in the API: scoped list and detail, filters, paging, audit, errors."""

from __future__ import annotations

from typing import Any

import pytest

from factories import staff
from qadam.core.models import AuditEvent
from qadam.core.roles import Role

pytestmark = pytest.mark.django_db


class TestPersonList:
    def test_lists_only_persons_in_scope_and_audits_the_search(self, world, token_client):
        user = world["users"][Role.RECEPTION]
        response = token_client(user).get("/api/v1/persons")
        assert response.status_code == 200
        body = response.json()
        assert body["count"] == 1
        assert [p["id"] for p in body["items"]] == [world["pa"].pk]
        assert body["items"][0]["current_institution"]["code"] == "A"
        event = AuditEvent.objects.filter(actor=user, action="search").latest("id")
        assert event.details["result_count"] == 1
        assert event.verb == "persons searched (API)"

    def test_national_user_sees_both_institutions(self, world, token_client):
        head = staff(Role.HEAD, national=True)
        body = token_client(head).get("/api/v1/persons?sort=-id").json()
        assert body["count"] == 2
        assert [p["id"] for p in body["items"]] == [world["pb"].pk, world["pa"].pk]

    def test_filters_by_iin_name_institution_and_legal_status(self, world, token_client):
        head = staff(Role.HEAD, national=True)
        client = token_client(head)
        pa, pb = world["pa"], world["pb"]
        assert [p["id"] for p in client.get(f"/api/v1/persons?iin={pb.iin}").json()["items"]] == [
            pb.pk
        ]
        assert [p["id"] for p in client.get("/api/v1/persons?q=Борисов").json()["items"]] == [pb.pk]
        by_place = client.get(f"/api/v1/persons?institution={world['a'].pk}").json()
        assert [p["id"] for p in by_place["items"]] == [pa.pk]
        assert client.get("/api/v1/persons?legal_status=sentenced").json()["count"] == 0
        assert client.get("/api/v1/persons?legal_status=remand").json()["count"] == 2

    def test_name_search_is_transliteration_aware(self, world, token_client):
        head = staff(Role.HEAD, national=True)
        body = token_client(head).get("/api/v1/persons?q=Borisov").json()
        assert [p["id"] for p in body["items"]] == [world["pb"].pk]
        event = AuditEvent.objects.filter(actor=head, action="search").latest("id")
        assert event.details["filters"] == {"q": "Borisov"}
        assert event.details["result_count"] == 1

    def test_pages_with_limit_and_offset(self, world, token_client, admit):
        head = staff(Role.HEAD, national=True)
        for _ in range(3):
            admit(world["a"], world["setup_user"])
        client = token_client(head)
        first = client.get("/api/v1/persons?limit=2&offset=0&sort=id").json()
        second = client.get("/api/v1/persons?limit=2&offset=2&sort=id").json()
        assert first["count"] == second["count"] == 5
        assert len(first["items"]) == 2
        assert len(second["items"]) == 2
        assert not {p["id"] for p in first["items"]} & {p["id"] for p in second["items"]}

    @pytest.mark.parametrize(
        ("query", "field"),
        [
            ("iin=123", "iin"),
            ("limit=0", "limit"),
            ("limit=abc", "limit"),
            ("offset=-1", "offset"),
            ("legal_status=free", "legal_status"),
            ("sort=password", "sort"),
            ("institution=0", "institution"),
        ],
    )
    def test_bad_filters_answer_422_naming_the_field(self, world, token_client, query, field):
        response = token_client(world["users"][Role.RECEPTION]).get(f"/api/v1/persons?{query}")
        assert response.status_code == 422
        assert list(response.json()["errors"]) == [field]

    def test_role_without_search_capability_gets_403(self, world, token_client):
        # An analyst holds no person capability; give the role the API to isolate the check.
        analyst = world["users"][Role.ANALYST]
        from django.contrib.auth.models import Permission

        analyst.user_permissions.add(Permission.objects.get(codename="use_api"))
        response = token_client(analyst).get("/api/v1/persons")
        assert response.status_code == 403
        assert "__all__" in response.json()["errors"]


class TestPersonDetail:
    def test_detail_shows_identity_location_and_lawful_date_and_audits_the_view(
        self, world, token_client
    ):
        user = world["users"][Role.HEAD]
        pa = world["pa"]
        before = AuditEvent.objects.filter(action="view", person_id=pa.pk).count()
        response = token_client(user).get(f"/api/v1/persons/{pa.pk}")
        assert response.status_code == 200
        body: dict[str, Any] = response.json()
        assert body["iin"] == pa.iin
        assert body["surname"] == "Ахметов"
        assert body["legal_status"] == "remand"
        assert body["location"]["status"] == "in"
        assert body["location"]["institution"]["code"] == "A"
        assert body["lawful_until"] == (pa.lawful_until.isoformat() if pa.lawful_until else None)
        views = AuditEvent.objects.filter(action="view", person_id=pa.pk)
        assert views.count() == before + 1
        assert views.latest("id").actor == user

    def test_person_outside_scope_is_404_and_not_audited_as_shown(self, world, token_client):
        pb = world["pb"]
        response = token_client(world["users"][Role.RECEPTION]).get(f"/api/v1/persons/{pb.pk}")
        assert response.status_code == 404
        assert response.json() == {
            "errors": {"__all__": ["Not found, or outside what you may see."]}
        }
        assert not AuditEvent.objects.filter(action="view", person_id=pb.pk).exists()

    def test_unknown_and_malformed_ids(self, world, token_client):
        client = token_client(world["users"][Role.RECEPTION])
        assert client.get("/api/v1/persons/999999").status_code == 404
        response = client.get("/api/v1/persons/abc")
        assert response.status_code == 422
        assert list(response.json()["errors"]) == ["person_id"]
        assert client.get(f"/api/v1/persons/{2**70}").status_code == 422


class TestLanguages:
    def test_messages_follow_accept_language(self, world, token_client):
        from django.utils import translation

        client_ru = token_client(world["users"][Role.RECEPTION], language="ru")
        response = client_ru.get("/api/v1/persons/999999")
        assert response.status_code == 404
        assert response["Content-Language"] == "ru"
        with translation.override("ru"):
            expected = translation.gettext("Not found, or outside what you may see.")
        assert response.json()["errors"]["__all__"] == [expected]
