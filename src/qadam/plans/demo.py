"""Demo data: resocialisation plans built from the demo assessments, as the plan service builds
them for a real person: the need areas of an assessment with a level that calls for work
(`assessment.services.need_levels`), each with the priority of its level
(`services.PRIORITY_BY_LEVEL`).

Most persons held under a sentence whose latest assessment shows a need have a plan, started after
their first assessment; each later assessment brings the needs up to date in a new version, and
the pre-release checklist is added when the last six months begin. Every version but possibly the
newest is countersigned by a supervisor; the person's agreement is recorded. Progress follows from
recorded evidence (a step is done only with a certificate, work record, attendance or document);
reviews follow the schedule rule, some not held (overdue now).

For persons released under a sentence in the last year to probation (parole, a milder punishment,
transfer to probation, and some at the end of the sentence), the same plan was handed over to the
probation service on the day of release (post-release stage): the institution's steps left
unfinished were cancelled, and steps for probation, the akimat, the employment centre and others
continue it. Written as rows with explicit ids (`demo.writer`), the versions (JSON) through the ORM.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from qadam.assessment.demo import Released, released_after_sentence
from qadam.assessment.models import Assessment, Instrument
from qadam.assessment.services import SCHEDULED_LEGAL_STATUS, need_levels
from qadam.core.models import Organisation, User
from qadam.demo.registry import DemoContext, register
from qadam.demo.writer import IdBlock, Table, reset_sequences
from qadam.people.models import Person
from qadam.plans import schedule
from qadam.plans.models import (
    AgencyType,
    Agreement,
    Evidence,
    Handover,
    NeedArea,
    Plan,
    PlanGoal,
    PlanNeed,
    PlanStep,
    PlanVersion,
    Review,
    Stage,
)
from qadam.plans.services import IGNORED_LEVELS, PRIORITY_BY_LEVEL

SHARE_WITH_PLAN = 0.85  # of the persons whose latest assessment shows a need
# Released under a sentence → share whose plan went on with the probation service.
SHARE_TO_PROBATION = {
    "parole": 1.0,
    "milder_punishment": 1.0,
    "to_probation": 1.0,
    "end_of_sentence": 0.5,  # post-penitentiary probation, for those who need it
}
SHARE_NEWEST_SIGNED = 0.85
SHARE_REVIEW_MISSED = 0.12
SUPERVISOR_USERNAME = "demo-plans-supervisor"
BATCH = 1000

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
# After release, with the probation service: need area → (step, agency type, proof kind).
AFTER_RELEASE: dict[str, tuple[str, str, str]] = {
    "registration": ("Встать на учёт в службе пробации", "probation_office", "document"),
    "housing": ("Заселиться в центр социальной адаптации", "akimat", "document"),
    "employment": (
        "Пройти собеседование по направлению центра занятости",
        "employment_centre",
        "work_record",
    ),
    "benefits": ("Получить адресную социальную помощь", "social_worker", "document"),
    "health_continuity": (
        "Встать на учёт в поликлинике по месту жительства",
        "health_service",
        "document",
    ),
    "identity_documents": ("Получить удостоверение личности в ЦОН", "social_worker", "document"),
    "substance_use": (
        "Посещать группу взаимопомощи по месту жительства",
        "ngo",
        "attendance",
    ),
    "education_employment": ("Работать по полученной профессии", "employer", "work_record"),
}
# Steps carried out inside the institution: those unfinished at release are cancelled.
INSIDE = frozenset({"psychologist", "teacher", "employer"})
CANCELLED_AT_RELEASE = "Освобождён до окончания шага"
DISAGREEMENTS = (
    "Я хочу работать, а не учиться",
    "Мне не нужна программа, я не пью",
    "Мен бұл жоспармен келіспеймін, маған жұмыс керек",
)
RELEASE_WORDS = {
    "parole": "условно-досрочное освобождение",
    "milder_punishment": "замена наказания более мягким",
    "to_probation": "передача под надзор службы пробации",
    "end_of_sentence": "освобождение по отбытии срока",
}


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


@dataclass
class Holder:
    """A person with demo assessments who may get a plan: held now, or released to probation."""

    person_id: int
    institution_id: int | None
    end_of_sentence: date | None  # for the review rule and the pre-release window
    released: Released | None = None
    assessments: list[Assessment] = field(default_factory=list)


def _holders(ctx: DemoContext, rng: random.Random) -> list[Holder]:
    """The sentenced held now, then those released to probation in the last year (drawn by
    `SHARE_TO_PROBATION`), each with their assessments oldest first; only the assessed."""
    holders = [
        Holder(pk, institution_id, lawful_until)
        for pk, institution_id, lawful_until in Person.objects.filter(
            pk__in=ctx.population_ids, legal_status=SCHEDULED_LEGAL_STATUS
        )
        .order_by("pk")
        .values_list("pk", "current_institution_id", "lawful_until")
    ]
    for released in released_after_sentence(ctx.today):
        if rng.random() < SHARE_TO_PROBATION.get(released.reason, 0.0):
            holders.append(
                Holder(
                    released.person_id,
                    released.institution_id,
                    released.released_on,
                    released=released,
                )
            )
    instruments = {i.pk: i for i in Instrument.objects.all()}
    by_person = {h.person_id: h for h in holders}
    ids = list(by_person)
    for offset in range(0, len(ids), BATCH):
        rows = (
            Assessment.objects.filter(person_id__in=ids[offset : offset + BATCH])
            .order_by("person_id", "assessed_on", "id")
            .only("id", "person_id", "assessed_on", "contributions", "instrument")
        )
        for row in rows:
            row.instrument = instruments[row.instrument_id]
            by_person[row.person_id].assessments.append(row)
    return [h for h in holders if h.assessments]


def _needs(assessment: Assessment) -> list[tuple[str, str]]:
    """The need areas of the assessment with a level that calls for work, as the plan service
    takes them from the assessment's plan button (`plan_from_assessment`)."""
    return [(area, level) for area, level in need_levels(assessment) if level not in IGNORED_LEVELS]


@dataclass
class Change:
    """One version of the plan: when, at which stage, and why."""

    day: date
    stage: str
    what: str
    assessment: Assessment | None = None
    pre_release: bool = False
    handover: bool = False


def _changes(holder: Holder, started: date, today: date) -> list[Change]:
    """The plan's versions in order: started from the first assessment, brought up to date by each
    later one, the pre-release checklist when the last six months began, the hand-over."""
    first, *later = holder.assessments
    events: list[tuple[date, int, Change]] = [
        (started, 0, Change(started, "", "plan started", first))
    ]
    for assessment in later:
        day = max(assessment.assessed_on, started)
        events.append((day, 1, Change(day, "", "needs from assessment", assessment)))
    end = holder.released.released_on if holder.released else today
    if holder.end_of_sentence is not None:
        opened = schedule.add_months(holder.end_of_sentence, -schedule.PRE_RELEASE_WINDOW_MONTHS)
        if opened <= end:
            day = max(opened, started)
            events.append((day, 2, Change(day, "", "pre-release items", pre_release=True)))
    if holder.released is not None:
        events.append((end, 3, Change(end, "", "handed over to probation", handover=True)))
    changes = [change for _day, _order, change in sorted(events, key=lambda e: (e[0], e[1]))]
    stage = Stage.PENITENTIARY
    for change in changes:
        if change.pre_release:
            stage = Stage.PRE_RELEASE
        if change.handover:
            stage = Stage.POST_RELEASE
        change.stage = stage
    return changes


@dataclass
class Need:
    """A need of the plan as its versions left it (written as a row of `PlanNeed`)."""

    id: int
    code: str
    priority: int
    source: str
    assessment_id: int | None
    assessed_level: str
    version_id: int
    added: date


@dataclass
class Built:
    """One plan as it will be written: ids handed out before any row is."""

    id: int
    holder: Holder
    started: date
    changes: list[Change]
    reviews: list[tuple[date, date]]
    next_review: schedule.ReviewDue
    version_ids: list[int] = field(default_factory=list)
    signed: list[date | None] = field(default_factory=list)


class Writer:
    """The plans' tables as rows (`demo.writer`): no model instances but the versions' (JSON)."""

    def __init__(self) -> None:
        self.plan_ids, self.version_ids = IdBlock(Plan), IdBlock(PlanVersion)
        self.need_ids, self.goal_ids = IdBlock(PlanNeed), IdBlock(PlanGoal)
        self.step_ids, self.evidence_ids = IdBlock(PlanStep), IdBlock(Evidence)
        self.agreement_ids, self.review_ids = IdBlock(Agreement), IdBlock(Review)
        self.handover_ids = IdBlock(Handover)
        self.plans = Table(Plan, PLAN_FIELDS)
        self.versions: list[PlanVersion] = []
        self.needs = Table(PlanNeed, NEED_FIELDS)
        self.goals = Table(PlanGoal, GOAL_FIELDS)
        self.steps = Table(PlanStep, STEP_FIELDS)
        self.evidence = Table(Evidence, EVIDENCE_FIELDS)
        self.agreements = Table(Agreement, AGREEMENT_FIELDS)
        self.reviews = Table(Review, REVIEW_FIELDS)
        self.handovers = Table(Handover, HANDOVER_FIELDS)
        self.stamp = self.plans.stamp
        self.moments: dict[date, datetime] = {}
        self.stamped: dict[date, Any] = {}

    def aware(self, day: date) -> datetime:
        """10:00 local time on `day` (the same few hundred days again and again: kept)."""
        moment = self.moments.get(day)
        if moment is None:
            moment = self.moments[day] = _aware(day)
        return moment

    def at(self, day: date) -> Any:
        """10:00 local time on `day`, as this database takes it in a row."""
        stamped = self.stamped.get(day)
        if stamped is None:
            stamped = self.stamped[day] = self.stamp(self.aware(day))
        return stamped

    def flush(self) -> None:
        self.plans.flush()
        PlanVersion.objects.bulk_create(self.versions, batch_size=1000)
        self.versions.clear()
        for table in (
            self.needs,
            self.goals,
            self.steps,
            self.evidence,
            self.agreements,
            self.reviews,
            self.handovers,
        ):
            table.flush()


PLAN_FIELDS = (
    "id",
    "person_id",
    "stage",
    "organisation_id",
    "institution_id",
    "created_at",
    "created_by_id",
    "next_review_due",
    "next_review_rule",
)
NEED_FIELDS = (
    "id",
    "plan_id",
    "need_area_id",
    "priority",
    "source",
    "assessment_id",
    "assessed_level",
    "rationale",
    "added_in_id",
    "added_at",
)
GOAL_FIELDS = ("id", "need_id", "text", "plain_text", "added_in_id", "added_at")
STEP_FIELDS = (
    "id",
    "goal_id",
    "text",
    "agency_type_id",
    "responsible",
    "deadline",
    "status",
    "status_changed_at",
    "cancel_reason",
    "added_in_id",
    "added_at",
)
EVIDENCE_FIELDS = (
    "id",
    "step_id",
    "kind",
    "description",
    "reference",
    "dated",
    "recorded_at",
    "recorded_by_id",
)
AGREEMENT_FIELDS = (
    "id",
    "version_id",
    "answer",
    "persons_words",
    "unable_reason",
    "dated",
    "recorded_at",
    "recorded_by_id",
)
REVIEW_FIELDS = (
    "id",
    "plan_id",
    "reviewed_on",
    "reviewer_id",
    "outcome",
    "notes",
    "next_review_due",
    "version_id",
)
HANDOVER_FIELDS = (
    "id",
    "plan_id",
    "from_organisation_id",
    "to_organisation_id",
    "from_stage",
    "to_stage",
    "reason",
    "handed_over_at",
    "handed_over_by_id",
)


def _plan(rng: random.Random, holder: Holder, today: date, plan_id: int) -> Built:
    """The plan's versions and its reviews by the schedule rule (now and then one not held)."""
    first = holder.assessments[0]
    end = holder.released.released_on if holder.released else today
    started = min(first.assessed_on + timedelta(days=rng.randint(1, 14)), end)
    changes = _changes(holder, started, today)
    reviews: list[tuple[date, date]] = []
    day = started
    while True:
        due = schedule.next_regular_review(today=day, end_of_sentence=holder.end_of_sentence)
        if due.due >= today or due.due <= day or rng.random() < SHARE_REVIEW_MISSED:
            break
        after = schedule.next_regular_review(today=due.due, end_of_sentence=holder.end_of_sentence)
        reviews.append((due.due, after.due))
        day = due.due
    next_review = schedule.next_regular_review(
        today=reviews[-1][0] if reviews else started, end_of_sentence=holder.end_of_sentence
    )
    return Built(plan_id, holder, started, changes, reviews, next_review)


def _versions(
    rng: random.Random, built: Built, writer: Writer, author: User, signer: User, today: date
) -> None:
    """One version per change; each signed before the next, the newest mostly signed too."""
    changes = built.changes
    for number, change in enumerate(changes, start=1):
        proposed = change.day + timedelta(days=rng.randint(1, 10))
        signed: date | None = proposed
        if number < len(changes):
            signed = min(proposed, changes[number].day)
        elif proposed > today or rng.random() >= SHARE_NEWEST_SIGNED:
            signed = None
        version_id = writer.version_ids.take()
        writer.versions.append(
            PlanVersion(
                id=version_id,
                plan_id=built.id,
                number=number,
                stage=change.stage,
                status=(
                    PlanVersion.Status.COUNTERSIGNED
                    if signed is not None
                    else PlanVersion.Status.DRAFT
                ),
                author=author,
                created_at=writer.aware(change.day),
                countersigned_by=signer if signed is not None else None,
                countersigned_at=writer.aware(signed) if signed is not None else None,
                changes=[
                    {
                        "by": author.pk,
                        "at": writer.aware(change.day).isoformat(),
                        "what": change.what,
                    }
                ],
            )
        )
        built.version_ids.append(version_id)
        built.signed.append(signed)


def _version_on(built: Built, day: date) -> int:
    current = built.version_ids[0]
    for change, version_id in zip(built.changes, built.version_ids, strict=True):
        if change.day <= day:
            current = version_id
    return current


def _plan_needs(built: Built, writer: Writer, checklist: Sequence[str]) -> list[Need]:
    """The needs as the versions left them: each assessment adds its need areas or brings their
    level, priority and assessment up to date; the pre-release checklist adds its areas."""
    needs: dict[str, Need] = {}
    for change, version_id in zip(built.changes, built.version_ids, strict=True):
        if change.assessment is not None:
            for code, level in _needs(change.assessment):
                need = needs.get(code)
                if need is None:
                    need = needs[code] = Need(
                        writer.need_ids.take(), code, 0, "", None, "", version_id, change.day
                    )
                need.priority = PRIORITY_BY_LEVEL[level]
                need.source = PlanNeed.Source.ASSESSMENT
                need.assessment_id = change.assessment.pk
                need.assessed_level = level
        elif change.pre_release:
            for code in checklist:
                if code not in needs:
                    needs[code] = Need(
                        writer.need_ids.take(),
                        code,
                        PlanNeed.Priority.HIGH,
                        PlanNeed.Source.PRE_RELEASE,
                        None,
                        "",
                        version_id,
                        change.day,
                    )
    return list(needs.values())


def _steps(
    rng: random.Random,
    built: Built,
    need: Need,
    goal_id: int,
    writer: Writer,
    agencies: dict[str, int],
    author_id: int,
    today: date,
) -> tuple[int, int]:
    """The goal's steps (in custody, and after release), each with its evidence when it is
    done (proof) or in progress (a note); returns (steps, steps done)."""
    released = built.holder.released
    # (text, agency, proof kind, deadline, version id, added on, after release)
    plan: list[tuple[str, str, str, date, int, date, bool]] = []
    options = CATALOGUE[need.code][1]
    longest = 150 if need.source == PlanNeed.Source.PRE_RELEASE else 540
    for text, agency, kind in rng.sample(options, rng.randint(1, len(options))):
        deadline = need.added + timedelta(days=rng.randint(30, longest))
        if released is not None and agency in INSIDE:
            # A step inside the institution ends by the release at the latest.
            latest = released.released_on - timedelta(days=rng.randint(0, 20))
            deadline = max(min(deadline, latest), need.added + timedelta(days=1))
        plan.append((text, agency, kind, deadline, need.version_id, need.added, False))
    if released is not None and need.code in AFTER_RELEASE:
        text, agency, kind = AFTER_RELEASE[need.code]
        deadline = released.released_on + timedelta(days=rng.randint(14, 120))
        after = (text, agency, kind, deadline, built.version_ids[-1], released.released_on, True)
        plan.append(after)
    done = 0
    for text, agency, kind, deadline, version_id, added, after_release in plan:
        status = _status(rng, deadline, today)
        cancel_reason = ""
        if status == "cancelled":
            cancel_reason = "Не явился" if after_release else "Программа не проводится"
        if released is not None and agency in INSIDE and status in ("planned", "in_progress"):
            status, cancel_reason = "cancelled", CANCELLED_AT_RELEASE
        step_id = writer.step_ids.take()
        changed_at = None
        if status in ("done", "in_progress"):
            dated = max(min(today, deadline - timedelta(days=rng.randint(0, 30))), added)
            proof = status == "done"
            writer.evidence.add(
                (
                    writer.evidence_ids.take(),
                    step_id,
                    kind if proof else Evidence.Kind.NOTE,
                    text if proof else "Занятия идут",
                    f"№ {rng.randint(100, 9999)}" if proof else "",
                    dated,
                    writer.at(dated),
                    author_id,
                )
            )
            if proof:
                changed_at = writer.at(dated)
                done += 1
        writer.steps.add(
            (
                step_id,
                goal_id,
                text,
                agencies[agency],
                "",
                deadline,
                status,
                changed_at,
                cancel_reason,
                version_id,
                writer.at(added),
            )
        )
    return len(plan), done


def _agreement(
    rng: random.Random, writer: Writer, version_id: int, day: date, author_id: int, today: date
) -> None:
    answer = rng.choices(["agrees", "disagrees", "unable"], [82, 12, 6])[0]
    dated = min(day + timedelta(days=rng.randint(0, 7)), today)
    writer.agreements.add(
        (
            writer.agreement_ids.take(),
            version_id,
            answer,
            rng.choice(DISAGREEMENTS) if answer == "disagrees" else "",
            "Находится на лечении" if answer == "unable" else "",
            dated,
            writer.at(dated),
            author_id,
        )
    )


@transaction.atomic
def plans(ctx: DemoContext) -> None:
    rng = ctx.rng
    today = ctx.today
    author, signer = ctx.system_user, _supervisor()
    penal = Organisation.objects.get(code="penal-system")
    probation = Organisation.objects.get(code="probation-service")
    areas = {a.code: a for a in NeedArea.objects.all()}
    agencies = dict(AgencyType.objects.values_list("code", "pk"))
    # The areas the service's pre-release items add (`plan_pre_release_items_add`).
    checklist = [
        a.code
        for a in sorted(areas.values(), key=lambda a: (a.order, a.code))
        if a.checklist and a.is_active and a.code in CATALOGUE
    ]
    holders = [
        h
        for h in _holders(ctx, rng)
        if _needs(h.assessments[-1]) and rng.random() < SHARE_WITH_PLAN
    ]
    bar = ctx.progress("plans", max(len(holders), 1))
    made: dict[str, int] = {
        "plans": 0,
        "post_release": 0,
        "versions": 0,
        "needs": 0,
        "needs_from_assessment": 0,
        "steps": 0,
        "done": 0,
        "overdue_reviews": 0,
    }
    writer = Writer()
    for offset in range(0, len(holders), BATCH):
        for holder in holders[offset : offset + BATCH]:
            built = _plan(rng, holder, today, writer.plan_ids.take())
            released = holder.released
            writer.plans.add(
                (
                    built.id,
                    holder.person_id,
                    built.changes[-1].stage,
                    (probation if released is not None else penal).pk,
                    holder.institution_id,
                    writer.at(built.started),
                    author.pk,
                    built.next_review.due,
                    built.next_review.rule[:120],
                )
            )
            _versions(rng, built, writer, author, signer, today)
            needs = _plan_needs(built, writer, checklist)
            for need in needs:
                goal_id = writer.goal_ids.take()
                writer.needs.add(
                    (
                        need.id,
                        built.id,
                        areas[need.code].pk,
                        need.priority,
                        need.source,
                        need.assessment_id,
                        need.assessed_level,
                        "",
                        need.version_id,
                        writer.at(need.added),
                    )
                )
                writer.goals.add(
                    (
                        goal_id,
                        need.id,
                        CATALOGUE[need.code][0],
                        "",
                        need.version_id,
                        writer.at(need.added),
                    )
                )
                steps, done = _steps(rng, built, need, goal_id, writer, agencies, author.pk, today)
                made["steps"] += steps
                made["done"] += done
            _agreement(rng, writer, built.version_ids[0], built.started, author.pk, today)
            newest = built.signed[-1]
            if len(built.version_ids) > 1 and newest is not None:
                _agreement(rng, writer, built.version_ids[-1], newest, author.pk, today)
            for held, next_due in built.reviews:
                writer.reviews.add(
                    (
                        writer.review_ids.take(),
                        built.id,
                        held,
                        author.pk,
                        rng.choices(["on_track", "change_needed", "concerns"], [70, 20, 10])[0],
                        "",
                        next_due,
                        _version_on(built, held),
                    )
                )
            if released is not None:
                # The plan handed to the probation service on the day of release.
                writer.handovers.add(
                    (
                        writer.handover_ids.take(),
                        built.id,
                        penal.pk,
                        probation.pk,
                        built.changes[-2].stage,
                        Stage.POST_RELEASE,
                        f"{RELEASE_WORDS[released.reason]}: программа продолжается "
                        "службой пробации",
                        writer.at(released.released_on),
                        author.pk,
                    )
                )
            made["plans"] += 1
            made["post_release"] += released is not None
            made["versions"] += len(built.version_ids)
            made["needs"] += len(needs)
            made["needs_from_assessment"] += sum(n.source == "assessment" for n in needs)
            made["overdue_reviews"] += built.next_review.due < today
        writer.flush()
        bar.advance(min(BATCH, len(holders) - offset))
    reset_sequences(
        [Plan, PlanVersion, PlanNeed, PlanGoal, PlanStep, Evidence, Agreement, Review, Handover]
    )
    made["with_probation_office"] = _assign_probation_offices()
    ctx.summary["plans"] = made


def _assign_probation_offices() -> int:
    """Each plan handed over after release goes to the probation office of the region the person
    was released from (the first office of the region by code), on the plan and on its hand-over
    row, so that the office's officers see the person. Returns the plans assigned."""
    from qadam.probation.models import ProbationOffice

    offices: dict[int, int] = {}
    for office in ProbationOffice.objects.filter(is_active=True).order_by("code"):
        offices.setdefault(office.region_id, office.pk)
    assigned = 0
    with transaction.atomic():
        for region_id, office_id in offices.items():
            plans = Plan.objects.filter(
                stage=Stage.POST_RELEASE,
                probation_office__isnull=True,
                person__last_institution__region_id=region_id,
            )
            ids = list(plans.values_list("pk", flat=True))
            assigned += Plan.objects.filter(pk__in=ids).update(probation_office_id=office_id)
            Handover.objects.filter(
                plan_id__in=ids, to_stage=Stage.POST_RELEASE, to_probation_office__isnull=True
            ).update(to_probation_office_id=office_id)
    return assigned


register("plans", plans, after=["custody", "assessments"])
