"""Probation offices (reference data) and the scope of a probation officer: the persons whose
plan is with one of their offices after release, in one query, through every module's scope."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from probation_helpers import hand_over, plan_with_step, released, world

from factories import staff
from qadam.assessment.models import Assessment
from qadam.core.models import Region
from qadam.core.roles import Role
from qadam.people.models import Person
from qadam.plans.models import Plan
from qadam.probation.models import ProbationOffice

pytestmark = pytest.mark.django_db


def test_every_region_has_an_office_of_the_probation_service() -> None:
    offices = ProbationOffice.objects.select_related("organisation", "region")
    assert offices.count() == Region.objects.count() == 20
    assert {o.region.code for o in offices} == set(Region.objects.values_list("code", flat=True))
    assert {(o.organisation.code, o.organisation.kind) for o in offices} == {
        ("probation-service", "probation")
    }
    karaganda = offices.get(code="PO-35-01")
    assert (karaganda.name_kk, karaganda.name_ru, karaganda.name_en) == (
        "Қарағанды қаласының пробация қызметі",
        "Служба пробации г. Караганда",
        "Karaganda probation office",
    )
    assert all(o.is_active for o in offices)


class TestWhomAnOfficerSees:
    def test_only_the_persons_whose_plan_is_with_their_office_after_release(self) -> None:
        w = world()
        mine = plan_with_step(released(w["person"], w["a"]), w["psychologist"])
        hand_over(mine, w["office"], w["psychologist"])
        theirs = plan_with_step(w["other"], staff(Role.PSYCHOLOGIST, w["b"]))
        hand_over(theirs, w["other_office"], staff(Role.PSYCHOLOGIST, w["b"]))
        officer, other_officer = w["officer"], w["other_officer"]
        assert list(Person.objects.visible_to(officer)) == [w["person"]]
        assert list(Person.objects.visible_to(other_officer)) == [w["other"]]
        assert list(Plan.objects.visible_to(officer)) == [mine]
        # Through a relation prefix, as the assessment module reads it: the person's plan.
        assert "plans_plan" in str(Assessment.objects.visible_to(officer).query)

    def test_a_plan_in_custody_or_without_an_office_is_not_theirs(self) -> None:
        w = world()
        plan = plan_with_step(w["person"], w["psychologist"])
        assert not Person.objects.visible_to(w["officer"]).exists()  # still in custody
        Plan.objects.filter(pk=plan.pk).update(stage="post_release")  # handed over before offices
        assert not Person.objects.visible_to(w["officer"]).exists()

    def test_an_officer_without_an_office_or_a_merged_record_sees_no_one(self) -> None:
        w = world()
        plan = plan_with_step(w["person"], w["psychologist"])
        hand_over(plan, w["office"], w["psychologist"])
        nobody = staff(Role.PROBATION)
        nobody.scope_level = "probation_office"
        nobody.save()
        assert not Person.objects.visible_to(nobody).exists()
        Person.objects.filter(pk=w["person"].pk).update(merged_into=w["other"])
        assert not Person.objects.visible_to(w["officer"]).exists()

    def test_a_lookup_is_one_query(self, django_assert_num_queries: Any) -> None:
        w = world()
        plan = plan_with_step(w["person"], w["psychologist"])
        hand_over(plan, w["office"], w["psychologist"])
        officer = w["officer"]
        officer.has_perm("core.view_person")  # the permission cache, loaded once per user
        with django_assert_num_queries(1) as captured:
            assert Person.objects.visible_to(officer).filter(pk=w["person"].pk).exists()
        sql = captured.captured_queries[0]["sql"]
        assert "plans_plan" in sql
        assert "core_user_probation_offices" in sql

    def test_the_person_page_stays_within_its_query_budget(
        self, django_assert_max_num_queries: Any
    ) -> None:
        w = world()
        plan = plan_with_step(w["person"], w["psychologist"])
        hand_over(plan, w["office"], w["psychologist"])
        client = Client()
        client.force_login(w["officer"])
        url = reverse("people:person_detail", kwargs={"pk": w["person"].pk})
        client.get(url)
        with django_assert_max_num_queries(30):
            assert client.get(url).status_code == 200


def test_an_office_only_after_release_is_kept_by_the_database() -> None:
    w = world()
    plan = plan_with_step(w["person"], w["psychologist"])
    with pytest.raises(IntegrityError), transaction.atomic():
        Plan.objects.filter(pk=plan.pk).update(probation_office=w["office"])
