"""One demo user per role (design.md §1), scoped like real staff, with one printed demo password.

DEMO ONLY: the password is printed and documented; never run `demo_users` on a real system.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from qadam.core.models import Region, User
from qadam.core.roles import Role, ScopeLevel
from qadam.core.roles_sync import group_for, sync_role_groups
from qadam.custody.models import Institution
from qadam.probation.models import ProbationOffice

DEMO_PASSWORD = "qadam-demo-2026"  # noqa: S105 - demo only, printed on purpose
SYSTEM_USERNAME = "demo-generator"

# username, role, scope level, first name, last name
DEMO_USERS: tuple[tuple[str, Role, str, str, str], ...] = (
    ("reception", Role.RECEPTION, ScopeLevel.INSTITUTION, "Айгүл", "Сәрсенова"),
    ("regime", Role.REGIME, ScopeLevel.INSTITUTION, "Ерлан", "Тоқтаров"),
    ("psychologist", Role.PSYCHOLOGIST, ScopeLevel.INSTITUTION, "Динара", "Ахметова"),
    ("medical", Role.MEDICAL, ScopeLevel.INSTITUTION, "Сергей", "Ковалёв"),
    ("head", Role.HEAD, ScopeLevel.INSTITUTION, "Марат", "Жақыпов"),
    ("probation", Role.PROBATION, ScopeLevel.PROBATION_OFFICE, "Гүлнар", "Исабаева"),
    ("em_operator", Role.EM_OPERATOR, ScopeLevel.REGION, "Олжас", "Нұрланов"),
    ("prosecutor", Role.PROSECUTOR, ScopeLevel.REGION, "Елена", "Морозова"),
    ("monitor", Role.MONITOR, ScopeLevel.REGION, "Сәуле", "Қасымова"),
    ("analyst", Role.ANALYST, ScopeLevel.NATIONAL, "Тимур", "Омаров"),
    ("auditor", Role.AUDITOR, ScopeLevel.NATIONAL, "Ольга", "Петрова"),
    ("admin", Role.ADMIN, ScopeLevel.NATIONAL, "Дархан", "Сейітқалиев"),
)


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role: str
    scope: str


def demo_institution() -> Institution | None:
    """The largest colony for men (medium security if there is one): the institution in scope."""
    colonies = Institution.objects.filter(type__is_pretrial=False, sex_profile="M").order_by(
        "-operational_capacity", "code"
    )
    return colonies.filter(type__code="MED").first() or colonies.first()


def demo_probation_office(region: Region | None) -> ProbationOffice | None:
    """The office in the demo institution's region (its first by code): the probation officer's
    office, which receives the plans of persons released there."""
    if region is None:
        return None
    office: ProbationOffice | None = (
        ProbationOffice.objects.active().filter(region=region).order_by("code").first()
    )
    return office


def system_user() -> User:
    """The account that generated data is recorded by; it cannot log in."""
    user, created = User.objects.get_or_create(
        username=SYSTEM_USERNAME,
        defaults={"first_name": "Demo", "last_name": "data generator", "is_active": False},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


@transaction.atomic
def create_demo_users(password: str = DEMO_PASSWORD) -> list[DemoLogin]:
    """Create or refresh the demo users; returns the login list to print."""
    sync_role_groups()
    institution = demo_institution()
    region: Region | None = institution.region if institution is not None else None
    office = demo_probation_office(region)
    logins: list[DemoLogin] = []
    for username, role, level, first_name, last_name in DEMO_USERS:
        user, _created = User.objects.get_or_create(username=username)
        user.first_name = first_name
        user.last_name = last_name
        user.role = role
        user.scope_level = level
        user.email = f"{username}@demo.qadam.invalid"
        user.is_active = True
        user.is_staff = role == Role.ADMIN
        user.set_password(password)
        user.save()
        user.groups.set([group_for(role)])
        user.institutions.clear()
        user.regions.clear()
        user.probation_offices.clear()
        if level == ScopeLevel.INSTITUTION and institution is not None:
            user.institutions.add(institution)
            scope = f"{institution.code} ({institution.region.code})"
        elif level == ScopeLevel.REGION and region is not None:
            user.regions.add(region)
            scope = f"{region.code} {region.name_en}"
        elif level == ScopeLevel.PROBATION_OFFICE and office is not None:
            user.probation_offices.add(office)
            scope = f"{office.code} {office.name_en}"
        elif level == ScopeLevel.NATIONAL:
            scope = "national"
        else:
            scope = "none (no institutions yet)"
        logins.append(DemoLogin(username, password, role.value, scope))
    return logins


def format_logins(logins: list[DemoLogin], url: str | None = None) -> str:
    lines = [
        "Demo logins (DEMO ONLY — one shared password, never use on real data):",
        f"  {'username':<14} {'password':<17} {'role':<14} scope",
    ]
    lines += [f"  {x.username:<14} {x.password:<17} {x.role:<14} {x.scope}" for x in logins]
    if url:
        lines.append(f"Open {url} and log in with one of them.")
    return "\n".join(lines) + "\n"
