"""factory_boy factories: small data for tests (never the national demo data)."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta
from typing import Any

import factory
from django.utils import timezone

from qadam.core.models import Region, UisDepartment, User
from qadam.core.roles import Role, ScopeLevel
from qadam.core.roles_sync import group_for
from qadam.custody.models import Cell, Institution, InstitutionType, Section
from qadam.people.identity import make_iin, name_key, transliterate
from qadam.people.models import Person
from qadam.probation.models import ProbationOffice

_serial = itertools.count(1)


def region(code: str = "KZ-35") -> Region:
    return Region.objects.get(code=code)


def probation_office(code: str = "PO-35-01") -> ProbationOffice:
    """An office of the reference data (one per region's centre: PO-<region number>-01)."""
    return ProbationOffice.objects.get(code=code)


def institution_type(code: str = "MED") -> InstitutionType:
    return InstitutionType.objects.get(code=code)


class InstitutionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Institution

    code = factory.Sequence(lambda n: f"T-{n:03d}")
    name_kk = factory.Sequence(lambda n: f"Мекеме {n}")
    name_ru = factory.Sequence(lambda n: f"Учреждение {n}")
    name_en = factory.Sequence(lambda n: f"Institution {n}")
    # A pre-trial detention centre unless a test names the type: the one type that may hold both
    # persons on remand and sentenced persons (custody.services.remand_place_errors).
    type = factory.LazyFunction(lambda: institution_type("SIZO"))
    region = factory.LazyFunction(lambda: region("KZ-35"))
    department = factory.LazyAttribute(
        lambda o: UisDepartment.objects.filter(regions=o.region).first()
    )
    sex_profile = Institution.SexProfile.MALE
    age_profile = Institution.AgeProfile.ADULT
    design_capacity = 500
    operational_capacity = 450


class SectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Section

    institution = factory.SubFactory(InstitutionFactory)
    name = factory.Sequence(lambda n: f"Section {n}")


class CellFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cell

    section = factory.SubFactory(SectionFactory)
    number = factory.Sequence(lambda n: f"{n}")
    places = 4
    area_m2 = 12


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    case_number = factory.Sequence(lambda n: f"Q-TEST-{n:07d}")
    surname = "Жанибеков"
    first_name = "Нурлан"
    patronymic = "Серикович"
    birth_date = date(1990, 5, 17)
    sex = "M"
    iin = factory.LazyAttribute(lambda o: make_iin(o.birth_date, o.sex, next(_serial)))
    surname_latin = factory.LazyAttribute(lambda o: transliterate(o.surname))
    first_name_latin = factory.LazyAttribute(lambda o: transliterate(o.first_name))
    surname_key = factory.LazyAttribute(lambda o: name_key(o.surname))
    first_name_key = factory.LazyAttribute(lambda o: name_key(o.first_name))


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"User {n}")
    role = Role.RECEPTION
    scope_level = ScopeLevel.INSTITUTION
    language = "en"
    password = factory.django.Password("correct horse battery staple")

    @factory.post_generation
    def scope(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        """Pass scope=[institution, ...], [region, ...] or [probation office, ...]; the role's
        group is joined."""
        if not create:
            return
        self.groups.set([group_for(self.role)])
        for item in extracted or []:
            if isinstance(item, Institution):
                self.institutions.add(item)
            elif isinstance(item, Region):
                self.regions.add(item)
            elif isinstance(item, ProbationOffice):
                self.probation_offices.add(item)
        self.save()


def staff(role: Role, *scope: Any, national: bool = False, **kwargs: Any) -> User:
    """A user of `role`, scoped to the given institutions, regions or probation offices (or
    national)."""
    if national:
        level = ScopeLevel.NATIONAL
    elif scope and isinstance(scope[0], Region):
        level = ScopeLevel.REGION
    elif scope and isinstance(scope[0], ProbationOffice):
        level = ScopeLevel.PROBATION_OFFICE
    else:
        level = ScopeLevel.INSTITUTION
    user: User = UserFactory(role=role, scope_level=level, scope=list(scope), **kwargs)
    return user


def moment(days_ago: float = 0, hour: int = 10) -> datetime:
    """An aware datetime `days_ago` days before now, at `hour` o'clock local time."""
    day = timezone.localdate() - timedelta(days=days_ago)
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour, 0))


# --- Sentences ---------------------------------------------------------------------------------


def offence(article: str, part: str = "1") -> Any:
    """An article of the offence catalogue loaded by the reference-data migration."""
    from qadam.core.models import Offence

    return Offence.objects.filter(article=article, part=part).order_by("-valid_from").first()


def remanded_person(
    institution: Institution, actor: User, *, days_ago: int = 200, **kwargs: Any
) -> Person:
    """A person admitted on remand `days_ago` days ago, through the custody services (in a
    colony: in its pre-trial section, created if missing)."""
    from qadam.custody import services
    from qadam.custody.models import DetentionBasis

    person: Person = PersonFactory(**kwargs)
    basis = services.basis_record(
        actor=actor,
        person=person,
        kind=DetentionBasis.Kind.REMAND_ORDER,
        authority="Court",
        document_number=f"R-{person.pk}",
        issued_on=moment(days_ago + 1).date(),
        valid_until=moment(-60).date(),
    )
    services.person_admit(
        actor=actor,
        person=person,
        data=services.MovementInput(
            occurred_at=moment(days_ago),
            institution=institution,
            section=None if institution.type.is_pretrial else pretrial_section(institution),
        ),
        legal_status="remand",
        basis=basis,
    )
    person.refresh_from_db()
    return person


def sentenced_person(
    institution: Institution,
    actor: User,
    *,
    days_ago: int = 20,
    section: Section | None = None,
    **kwargs: Any,
) -> Person:
    """A person admitted under a verdict `days_ago` days ago, through the custody services."""
    from qadam.custody import services
    from qadam.custody.models import DetentionBasis

    person: Person = PersonFactory(**kwargs)
    basis = services.basis_record(
        actor=actor,
        person=person,
        kind=DetentionBasis.Kind.VERDICT,
        authority="Court",
        document_number=f"V-{person.pk}",
        issued_on=moment(days_ago + 1).date(),
        valid_until=None,
    )
    services.person_admit(
        actor=actor,
        person=person,
        data=services.MovementInput(
            occurred_at=moment(days_ago), institution=institution, section=section
        ),
        legal_status="sentenced",
        basis=basis,
    )
    person.refresh_from_db()
    return person


def pretrial_section(institution: Institution) -> Section:
    """The institution's section run as a pre-trial centre (premises for persons on remand)."""
    section, _created = Section.objects.get_or_create(
        institution=institution,
        name="Pre-trial section",
        defaults={"type": institution_type("SIZO")},
    )
    return section
