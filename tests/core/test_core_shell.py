"""Log in, lockout, idle timeout, language per user, audit viewer, reference-data admin."""

from __future__ import annotations

import time

import pytest
from django.test import Client
from django.urls import reverse

from factories import InstitutionFactory, staff
from qadam.core.middleware import SessionTimeoutMiddleware
from qadam.core.models import AuditEvent, Region
from qadam.core.roles import Role

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"


def test_login_is_audited_and_sets_the_users_language() -> None:
    user = staff(Role.REGIME, InstitutionFactory(), username="officer", language="ru")
    client = Client()
    response = client.post(reverse("core:login"), {"username": "officer", "password": PASSWORD})
    assert response.status_code == 302
    assert AuditEvent.objects.filter(actor=user, action="login").count() == 1
    page = client.get(reverse("core:home"))
    assert page["Content-Language"] == "ru"


def test_failed_logins_are_audited_and_lock_the_account(settings) -> None:
    settings.AXES_FAILURE_LIMIT = 3
    staff(Role.REGIME, InstitutionFactory(), username="officer")
    client = Client(headers={"Accept-Language": "en"})
    for _ in range(3):
        client.post(reverse("core:login"), {"username": "officer", "password": "wrong"})
    assert AuditEvent.objects.filter(action="login_failed").count() >= 2
    response = client.post(reverse("core:login"), {"username": "officer", "password": PASSWORD})
    assert response.status_code == 429
    assert "Account locked" in response.content.decode() or "locked" in response.content.decode()


def test_idle_session_is_logged_out(settings) -> None:
    settings.SESSION_IDLE_TIMEOUT_SECONDS = 60
    user = staff(Role.REGIME, InstitutionFactory())
    client = Client()
    client.force_login(user)
    assert client.get(reverse("core:home")).status_code == 200
    session = client.session
    session[SessionTimeoutMiddleware.key] = time.time() - 120
    session.save()
    response = client.get(reverse("core:home"))
    assert response.status_code == 302
    assert reverse("core:login") in response["Location"]


def test_language_choice_is_remembered_on_the_account() -> None:
    user = staff(Role.REGIME, InstitutionFactory(), language="en")
    client = Client()
    client.force_login(user)
    response = client.post(reverse("core:set_language"), {"language": "kk", "next": "/"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.language == "kk"


def test_language_switch_refuses_foreign_redirects() -> None:
    user = staff(Role.REGIME, InstitutionFactory())
    client = Client()
    client.force_login(user)
    response = client.post(
        reverse("core:set_language"), {"language": "kk", "next": "https://elsewhere.example/"}
    )
    assert response["Location"] == "/"


def test_audit_list_filters_and_exports() -> None:
    auditor = staff(Role.AUDITOR, national=True)
    other = staff(Role.REGIME, InstitutionFactory(), username="someone")
    AuditEvent.objects.create(actor=other, action="view", verb="person viewed", person_id=7)
    client = Client()
    client.force_login(auditor)
    page = client.get(reverse("core:audit_list"), {"staff": "someone"})
    assert page.status_code == 200
    assert "person viewed" in page.content.decode()
    assert page.context["page_obj"].paginator.count == 1
    export = client.get(reverse("core:audit_list"), {"staff": "someone", "format": "csv"})
    body = b"".join(export.streaming_content).decode()
    assert "person viewed" in body
    assert AuditEvent.objects.filter(actor=auditor, action="export").count() == 1


def test_audit_filter_errors_are_explained() -> None:
    client = Client()
    client.force_login(staff(Role.AUDITOR, national=True))
    page = client.get(
        reverse("core:audit_list"), {"date_from": "2026-02-01", "date_to": "2026-01-01"}
    )
    assert page.status_code == 200
    assert "must not be before its start" in page.content.decode()


@pytest.mark.parametrize("role", list(Role))
def test_reference_admin_is_for_administrators_only(role: Role) -> None:
    user = staff(role, national=True)
    client = Client()
    client.force_login(user)
    response = client.get("/reference/core/region/")
    if role == Role.ADMIN:
        assert response.status_code == 200
        assert "KZ-35" in response.content.decode()
    else:
        assert response.status_code == 302  # to the admin login, which refuses them


def test_reference_change_is_audited() -> None:
    admin = staff(Role.ADMIN, national=True)
    client = Client()
    client.force_login(admin)
    region = Region.objects.get(code="KZ-35")
    response = client.post(
        f"/reference/core/region/{region.pk}/change/",
        {
            "code": "KZ-35",
            "legacy_code": "KZ-KAR",
            "name_kk": "Қарағанды облысы",
            "name_ru": "Карагандинская область",
            "name_en": "Karaganda Oblast",
            "centre": "Қарағанды",
        },
    )
    assert response.status_code == 302
    region.refresh_from_db()
    assert region.name_en == "Karaganda Oblast"
    event = AuditEvent.objects.get(verb="reference data changed")
    assert event.details == {"fields": ["name_en"]}


def test_error_summary_links_a_radio_group_to_its_first_option() -> None:
    """A radio group has no element for its label; the summary link goes to the first option."""
    from django import forms
    from django.template.loader import render_to_string

    class Choice(forms.Form):
        answer = forms.ChoiceField(choices=[("a", "A"), ("b", "B")], widget=forms.RadioSelect)
        note = forms.CharField()

    form = Choice(data={})
    assert not form.is_valid()
    html = render_to_string("includes/form_errors.html", {"form": form})
    assert 'href="#id_answer_0"' in html
    assert 'href="#id_note"' in html
    assert 'id="id_answer_0"' in str(form["answer"])
