"""Demo data: resocialisation plans for about a third of the sentenced population, with progress
that follows from recorded evidence (steps done with certificates and work records), agreement,
reviews (some overdue) and pre-release items for those close to release. Bulk-created."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from qadam.core.models import Organisation, User
from qadam.demo.registry import DemoContext, register
from qadam.people.models import Person
from qadam.plans import schedule
from qadam.plans.models import (
    AgencyType,
    Agreement,
    Evidence,
    NeedArea,
    Plan,
    PlanGoal,
    PlanNeed,
    PlanStep,
    PlanVersion,
    Review,
)

SHARE_WITH_PLAN = 0.35
SUPERVISOR_USERNAME = "demo-plans-supervisor"

# need area → (goal, [(step, agency type, proof kind)]) in the staff's working language (ru).
CATALOGUE: dict[str, tuple[str, list[tuple[str, str, str]]]] = {
    "education_employment": (
        "Получить профессию и опыт работы",
        [
            ("Пройти курс сварщика в профессиональном лицее", "teacher", "certificate"),
            ("Работать на швейном производстве учреждения", "employer", "work_record"),
            ("Закончить основное среднее образование", "teacher", "certificate"),
        ],
    ),
    "substance_use": (
        "Отказаться от употребления алкоголя и наркотиков",
        [
            ("Посещать группу взаимопомощи еженедельно", "ngo", "attendance"),
            ("Пройти программу профилактики зависимости", "psychologist", "attendance"),
        ],
    ),
    "procriminal_attitudes": (
        "Изменить отношение к совершённому преступлению",
        [
            ("Пройти программу когнитивно-поведенческой коррекции", "psychologist", "attendance"),
            ("Индивидуальные беседы с психологом раз в месяц", "psychologist", "attendance"),
        ],
    ),
    "procriminal_associates": (
        "Найти поддерживающее окружение",
        [("Участвовать в работе наставника от НПО", "ngo", "attendance")],
    ),
    "antisocial_pattern": (
        "Научиться управлять гневом",
        [("Пройти тренинг управления гневом", "psychologist", "certificate")],
    ),
    "family_marital": (
        "Восстановить связь с семьёй",
        [
            ("Организовать длительные свидания с семьёй", "social_worker", "document"),
            ("Семейная консультация с участием супруги", "psychologist", "attendance"),
        ],
    ),
    "leisure_recreation": (
        "Проводить свободное время с пользой",
        [("Заниматься в спортивной секции учреждения", "teacher", "attendance")],
    ),
    "criminal_history": (
        "Понять причины прошлых преступлений",
        [("Составить с психологом план предупреждения рецидива", "psychologist", "document")],
    ),
    "identity_documents": (
        "Получить удостоверение личности",
        [("Подать документы на восстановление удостоверения", "social_worker", "document")],
    ),
    "registration": (
        "Встать на регистрацию по месту жительства",
        [("Согласовать адрес проживания с акиматом", "akimat", "document")],
    ),
    "housing": (
        "Найти жильё после освобождения",
        [("Подать заявку в центр социальной адаптации", "akimat", "document")],
    ),
    "employment": (
        "Найти работу после освобождения",
        [("Встать на учёт в центре занятости", "employment_centre", "document")],
    ),
    "benefits": (
        "Оформить положенные выплаты",
        [("Подать документы на адресную социальную помощь", "social_worker", "document")],
    ),
    "health_continuity": (
        "Продолжить лечение после освобождения",
        [("Передать медицинские сведения в поликлинику", "health_service", "document")],
    ),
}
CENTRAL = list(CATALOGUE)[:8]  # the Central Eight, in catalogue order
PRE_RELEASE = list(CATALOGUE)[8:]
DISAGREEMENTS = (
    "Я хочу работать, а не учиться",
    "Мне не нужна программа, я не пью",
    "Мен бұл жоспармен келіспеймін, маған жұмыс керек",
)


def _aware(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(10, 0)))


def _supervisor() -> User:
    user, created = User.objects.get_or_create(
        username=SUPERVISOR_USERNAME,
        defaults={
            "first_name": "Demo",
            "last_name": "supervisor",
            "is_active": False,
            "role": "head",
        },
    )
    if created:
        user.set_unusable_password()
        user.save()
    return user


def _status(rng: random.Random, deadline: date, today: date) -> str:
    if deadline < today:
        return rng.choices(["done", "in_progress", "planned", "cancelled"], [70, 12, 10, 8])[0]
    return rng.choices(["done", "in_progress", "planned"], [15, 40, 45])[0]


@transaction.atomic
def plans(ctx: DemoContext) -> None:
    rng = ctx.rng
    today = ctx.today
    author, signer = ctx.system_user, _supervisor()
    penal = Organisation.objects.get(code="penal-system")
    areas = {a.code: a for a in NeedArea.objects.all()}
    agencies = {a.code: a for a in AgencyType.objects.all()}
    people = list(
        Person.objects.filter(pk__in=ctx.population_ids, legal_status="sentenced")
        .order_by("pk")
        .values_list("pk", "current_institution_id", "lawful_until")
    )
    chosen = [p for p in people if rng.random() < SHARE_WITH_PLAN]
    bar = ctx.progress("plans", max(len(chosen), 1))
    made: dict[str, int] = {"plans": 0, "steps": 0, "done": 0, "overdue_reviews": 0}
    for offset in range(0, len(chosen), 1000):
        batch = chosen[offset : offset + 1000]
        plan_rows: list[Plan] = []
        info: list[dict[str, Any]] = []
        for person_id, institution_id, lawful_until in batch:
            started = today - timedelta(days=rng.randint(30, 900))
            pre_release = schedule.in_pre_release_window(today=today, end_of_sentence=lawful_until)
            reviews = []
            day = started
            while True:
                due = schedule.next_regular_review(today=day, end_of_sentence=lawful_until).due
                if due >= today or due <= day:
                    break
                if rng.random() < 0.12:  # a review that was not held: overdue now
                    break
                reviews.append(
                    (due, schedule.next_regular_review(today=due, end_of_sentence=lawful_until).due)
                )
                day = due
            next_due = (
                reviews[-1][1]
                if reviews
                else schedule.next_regular_review(today=started, end_of_sentence=lawful_until).due
            )
            made["overdue_reviews"] += next_due < today
            plan_rows.append(
                Plan(
                    person_id=person_id,
                    stage="pre_release" if pre_release else "penitentiary",
                    organisation=penal,
                    institution_id=institution_id,
                    created_at=_aware(started),
                    created_by=author,
                    next_review_due=next_due,
                    next_review_rule="demo data",
                )
            )
            info.append({"started": started, "reviews": reviews, "pre_release": pre_release})
        Plan.objects.bulk_create(plan_rows)
        versions = [
            PlanVersion(
                plan=plan,
                number=1,
                stage=plan.stage,
                status="countersigned",
                author=author,
                created_at=_aware(i["started"]),
                countersigned_by=signer,
                countersigned_at=_aware(i["started"] + timedelta(days=rng.randint(1, 10))),
                changes=[{"by": author.pk, "what": "demo plan"}],
            )
            for plan, i in zip(plan_rows, info, strict=True)
        ]
        PlanVersion.objects.bulk_create(versions)
        needs: list[PlanNeed] = []
        for plan, version, i in zip(plan_rows, versions, info, strict=True):
            codes = rng.sample(CENTRAL, rng.randint(2, 4))
            if i["pre_release"]:
                codes += rng.sample(PRE_RELEASE, rng.randint(3, 6))
            for rank, code in enumerate(codes):
                needs.append(
                    PlanNeed(
                        plan=plan,
                        need_area=areas[code],
                        priority=1 if rank == 0 else rng.choice((1, 2, 2, 3)),
                        source="pre_release" if code in PRE_RELEASE else "staff",
                        added_in=version,
                        added_at=version.created_at,
                    )
                )
        PlanNeed.objects.bulk_create(needs)
        goals = [
            PlanGoal(
                need=need,
                text=CATALOGUE[need.need_area.code][0],
                added_in=need.added_in,
                added_at=need.added_at,
            )
            for need in needs
        ]
        PlanGoal.objects.bulk_create(goals)
        steps: list[PlanStep] = []
        proof: list[tuple[PlanStep, str]] = []
        for goal in goals:
            start = goal.added_at.date()
            options = CATALOGUE[goal.need.need_area.code][1]
            for text, agency, kind in rng.sample(options, rng.randint(1, len(options))):
                deadline = start + timedelta(days=rng.randint(60, 540))
                status = _status(rng, deadline, today)
                step = PlanStep(
                    goal=goal,
                    text=text,
                    agency_type=agencies[agency],
                    responsible="",
                    deadline=deadline,
                    status=status,
                    cancel_reason="Программа не проводится" if status == "cancelled" else "",
                    added_in=goal.added_in,
                    added_at=goal.added_at,
                )
                steps.append(step)
                proof.append((step, kind))
        PlanStep.objects.bulk_create(steps)
        evidence = []
        for step, kind in proof:
            if step.status in ("done", "in_progress"):
                dated = min(today, step.deadline - timedelta(days=rng.randint(0, 30)))
                dated = max(dated, step.added_at.date())
                evidence.append(
                    Evidence(
                        step=step,
                        kind=kind if step.status == "done" else "note",
                        description=step.text if step.status == "done" else "Занятия идут",
                        reference=f"№ {rng.randint(100, 9999)}" if step.status == "done" else "",
                        dated=dated,
                        recorded_at=_aware(dated),
                        recorded_by=author,
                    )
                )
                made["done"] += step.status == "done"
        Evidence.objects.bulk_create(evidence)
        agreements = []
        for version, i in zip(versions, info, strict=True):
            answer = rng.choices(["agrees", "disagrees", "unable"], [82, 12, 6])[0]
            agreements.append(
                Agreement(
                    version=version,
                    answer=answer,
                    persons_words=rng.choice(DISAGREEMENTS) if answer == "disagrees" else "",
                    unable_reason="Находится на лечении" if answer == "unable" else "",
                    dated=i["started"] + timedelta(days=rng.randint(0, 7)),
                    recorded_by=author,
                )
            )
        Agreement.objects.bulk_create(agreements)
        Review.objects.bulk_create(
            Review(
                plan=plan,
                reviewed_on=held,
                reviewer=author,
                outcome=rng.choices(["on_track", "change_needed", "concerns"], [70, 20, 10])[0],
                next_review_due=next_due,
                version=version,
            )
            for plan, version, i in zip(plan_rows, versions, info, strict=True)
            for held, next_due in i["reviews"]
        )
        made["plans"] += len(plan_rows)
        made["steps"] += len(steps)
        bar.advance(len(batch))
    ctx.summary["plans"] = made


register("plans", plans, after=["custody"])
