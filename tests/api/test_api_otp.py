"""TOTP second factor: enrolment with a QR code, verification after login, the requirement for
privileged roles, the same rule for the API's session authentication, and the audit trail."""

from __future__ import annotations

import re
import time

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from factories import staff
from qadam.core.models import AuditEvent
from qadam.core.roles import Role

pytestmark = pytest.mark.django_db


def code_for(device: TOTPDevice, offset: int = 0) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=offset):06d}"


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def enrolled(user) -> TOTPDevice:
    device: TOTPDevice = TOTPDevice.objects.create(user=user, name="default", confirmed=True)
    return device


class TestEnrolment:
    def test_page_shows_qr_code_key_and_uri(self):
        user = staff(Role.RECEPTION, username="aigerim")
        response = logged_in(user).get("/otp/enrol/")
        assert response.status_code == 200
        html = response.content.decode()
        assert "<svg" in html
        assert "otpauth://totp/Qadam%3Aaigerim" in html or "otpauth://totp/Qadam:aigerim" in html
        device = TOTPDevice.objects.get(user=user)
        assert device.confirmed is False
        assert re.search(r'<label for="id_code">', html)

    def test_correct_code_confirms_and_is_audited(self):
        user = staff(Role.HEAD)
        client = logged_in(user)
        client.get("/otp/enrol/")
        device = TOTPDevice.objects.get(user=user)
        response = client.post("/otp/enrol/", {"code": code_for(device), "next": "/audit/"})
        assert response.status_code == 302
        assert response["Location"] == "/audit/"
        device.refresh_from_db()
        assert device.confirmed is True
        assert AuditEvent.objects.filter(actor=user, verb="second factor enrolled").count() == 1
        # The session that enrolled is verified: pages open without another code.
        assert client.get("/").status_code == 200

    def test_wrong_code_is_refused_audited_and_nothing_confirmed(self):
        user = staff(Role.HEAD)
        client = logged_in(user)
        client.get("/otp/enrol/")
        response = client.post("/otp/enrol/", {"code": "000000"})
        assert response.status_code == 200
        assert "The code is wrong or has expired" in response.content.decode()
        assert TOTPDevice.objects.get(user=user).confirmed is False
        assert AuditEvent.objects.filter(
            actor=user, action="login_failed", verb="second-factor code rejected"
        ).exists()
        malformed = client.post("/otp/enrol/", {"code": "12ab"})
        assert "six digits" in malformed.content.decode()

    def test_external_next_is_ignored(self):
        user = staff(Role.HEAD)
        client = logged_in(user)
        client.get("/otp/enrol/")
        device = TOTPDevice.objects.get(user=user)
        response = client.post(
            "/otp/enrol/", {"code": code_for(device), "next": "https://evil.example/"}
        )
        assert response["Location"] == "/"


class TestVerification:
    def test_user_with_a_device_must_verify_after_login(self):
        user = staff(Role.RECEPTION)
        device = enrolled(user)
        client = logged_in(user)
        response = client.get("/audit/")
        assert response.status_code == 302
        assert response["Location"].startswith("/otp/verify/?next=")
        wrong = client.post("/otp/verify/", {"code": "000000", "next": "/"})
        assert wrong.status_code == 200
        assert AuditEvent.objects.filter(actor=user, action="login_failed").count() == 1
        # django-otp throttles after a failure; wait out the first back-off second.
        time.sleep(1.1)
        right = client.post("/otp/verify/", {"code": code_for(device), "next": "/"})
        assert right.status_code == 302
        assert right["Location"] == "/"
        assert client.get("/").status_code == 200
        assert AuditEvent.objects.filter(actor=user, verb="second factor verified").count() == 1

    def test_api_session_waits_for_the_second_factor_but_tokens_do_not(self, world, token_client):
        user = world["users"][Role.RECEPTION]
        enrolled(user)
        assert logged_in(user).get("/api/v1/me").status_code == 401
        assert token_client(user).get("/api/v1/me").status_code == 200

    def test_user_without_device_goes_on_unhindered(self):
        client = logged_in(staff(Role.RECEPTION))
        assert client.get("/").status_code == 200
        assert client.get("/otp/verify/").status_code == 302


class TestRequirement:
    def test_privileged_role_must_enrol_when_required(self, settings):
        settings.REQUIRE_SECOND_FACTOR = True
        auditor = staff(Role.AUDITOR, national=True)
        client = logged_in(auditor)
        response = client.get("/audit/")
        assert response.status_code == 302
        assert response["Location"].startswith("/otp/enrol/")
        assert client.get("/otp/enrol/").status_code == 200
        assert client.get("/api/v1/persons").status_code == 401
        htmx = client.get("/audit/", headers={"HX-Request": "true"})
        assert htmx["HX-Redirect"].startswith("/otp/enrol/")

    def test_other_roles_are_not_held_and_nothing_when_not_required(self, settings):
        settings.REQUIRE_SECOND_FACTOR = True
        assert logged_in(staff(Role.RECEPTION)).get("/").status_code == 200
        settings.REQUIRE_SECOND_FACTOR = False
        assert logged_in(staff(Role.AUDITOR, national=True)).get("/audit/").status_code == 200

    def test_login_page_stays_reachable(self, settings):
        settings.REQUIRE_SECOND_FACTOR = True
        client = logged_in(staff(Role.ADMIN, national=True))
        assert client.post("/language/", {"language": "ru", "next": "/"}).status_code == 302
        assert client.post("/logout/").status_code == 302
