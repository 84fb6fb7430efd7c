"""Authentication: bearer tokens (expiry, revocation, capability), the command that issues
them, and session authentication with CSRF for staff in the browser."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from factories import moment
from qadam.core.api_tokens import issue_token
from qadam.core.models import ApiToken, AuditEvent
from qadam.core.roles import Role

pytestmark = pytest.mark.django_db


def bearer(token: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {token}", "Accept-Language": "en"})


class TestBearerTokens:
    def test_no_or_unknown_token_is_401(self, world):
        assert Client().get("/api/v1/me").status_code == 401
        response = bearer("qdm_not-a-token").get("/api/v1/me")
        assert response.status_code == 401
        assert "__all__" in response.json()["errors"]
        assert response["WWW-Authenticate"].startswith("Bearer")

    def test_expired_token_is_refused(self, world):
        user = world["users"][Role.RECEPTION]
        token = issue_token(user=user, name="short", valid_days=1)
        assert bearer(token).get("/api/v1/me").status_code == 200
        with time_machine.travel(timezone.now() + timedelta(days=2)):
            assert bearer(token).get("/api/v1/me").status_code == 401

    def test_revoked_token_and_inactive_account_are_refused(self, world):
        user = world["users"][Role.RECEPTION]
        token = issue_token(user=user, name="ops")
        ApiToken.objects.filter(user=user, name="ops").update(revoked_at=timezone.now())
        assert bearer(token).get("/api/v1/me").status_code == 401
        other = issue_token(user=user, name="ops2")
        user.is_active = False
        user.save(update_fields=["is_active"])
        assert bearer(other).get("/api/v1/me").status_code == 401

    def test_account_without_the_api_capability_is_403(self, world):
        token = issue_token(user=world["users"][Role.REGIME], name="x")
        response = bearer(token).get("/api/v1/me")
        assert response.status_code == 403
        assert response.json()["errors"]["__all__"] == ["This account may not use the machine API."]

    def test_me_names_the_account_and_its_capabilities(self, world):
        user = world["users"][Role.HEAD]
        body = bearer(issue_token(user=user, name="x")).get("/api/v1/me").json()
        assert body["username"] == user.username
        assert body["institutions"] == ["A"]
        assert "record_movement" in body["capabilities"]
        assert "view_audit" not in body["capabilities"]

    def test_token_writes_are_attributed_to_the_machine_client(self, world):
        user = world["users"][Role.RECEPTION]
        token = issue_token(user=user, name="bot")
        response = bearer(token).post(
            f"/api/v1/persons/{world['pa'].pk}/movements",
            data=json.dumps({"kind": "escape", "occurred_at": moment(1).isoformat()}),
            content_type="application/json",
        )
        assert response.status_code == 201
        event = AuditEvent.objects.filter(action="create", verb="escape recorded").get()
        assert event.actor == user
        assert event.actor_role == "reception"


class TestTokenCommand:
    def test_create_prints_the_token_once_and_it_works(self, world):
        user = world["users"][Role.HEAD]
        out, err = io.StringIO(), io.StringIO()
        call_command(
            "api_token",
            "create",
            "--user",
            user.username,
            "--name",
            "registry",
            "--days",
            "30",
            stdout=out,
            stderr=err,
        )
        token = out.getvalue().strip()
        assert token.startswith("qdm_")
        assert "only once" in err.getvalue()
        record = ApiToken.objects.get(user=user, name="registry")
        assert record.token_hash != token
        assert record.expires_at is not None
        assert abs((record.expires_at - timezone.now()) - timedelta(days=30)) < timedelta(minutes=1)
        assert bearer(token).get("/api/v1/me").status_code == 200

    def test_revoke_stops_the_token(self, world):
        user = world["users"][Role.HEAD]
        out = io.StringIO()
        call_command(
            "api_token",
            "create",
            "--user",
            user.username,
            "--name",
            "bot",
            stdout=out,
            stderr=io.StringIO(),
        )
        token = out.getvalue().strip()
        call_command(
            "api_token", "revoke", "--user", user.username, "--name", "bot", stdout=io.StringIO()
        )
        assert bearer(token).get("/api/v1/me").status_code == 401
        assert AuditEvent.objects.filter(verb="API token revoked").count() == 1
        listing = io.StringIO()
        call_command("api_token", "list", "--user", user.username, stdout=listing)
        assert "bot\trevoked" in listing.getvalue()

    def test_errors(self, world):
        user = world["users"][Role.HEAD]
        with pytest.raises(CommandError, match="No account"):
            call_command("api_token", "create", "--user", "nobody", "--name", "x")
        with pytest.raises(CommandError, match="no active token"):
            call_command("api_token", "revoke", "--user", user.username, "--name", "x")
        call_command(
            "api_token",
            "create",
            "--user",
            user.username,
            "--name",
            "x",
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
        with pytest.raises(CommandError, match="already has an active token"):
            call_command("api_token", "create", "--user", user.username, "--name", "x")


class TestSessionAuthentication:
    def test_staff_session_reads_without_a_token(self, world):
        client = Client()
        client.force_login(world["users"][Role.PSYCHOLOGIST])
        response = client.get(f"/api/v1/persons/{world['pa'].pk}")
        assert response.status_code == 200
        assert response.json()["id"] == world["pa"].pk

    def test_session_write_needs_the_csrf_token(self, world):
        client = Client(enforce_csrf_checks=True)
        client.force_login(world["users"][Role.RECEPTION])
        url = f"/api/v1/persons/{world['pa'].pk}/movements"
        body = json.dumps({"kind": "escape", "occurred_at": moment(1).isoformat()})
        refused = client.post(url, data=body, content_type="application/json")
        assert refused.status_code == 403
        assert "__all__" in refused.json()["errors"]
        client.get("/")  # sets the CSRF cookie
        csrf = client.cookies["csrftoken"].value
        accepted = client.post(
            url, data=body, content_type="application/json", headers={"X-CSRFToken": csrf}
        )
        assert accepted.status_code == 201, accepted.content
