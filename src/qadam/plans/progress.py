"""Social-adaptation progress per need area, derived from recorded evidence (no Django imports).

Progress is never typed in. A step counts as completed only when it is marked done *and* at least
one piece of proof is recorded for it (a certificate, a work record, programme attendance or a
document obtained; a note alone is context, not proof). Cancelled steps do not count either way.
The parole report draws on `area_progress` and `overall_progress`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

PROOF_KINDS = frozenset({"certificate", "work_record", "attendance", "document"})
EVIDENCE_KINDS = (*sorted(PROOF_KINDS), "note")

PLANNED, IN_PROGRESS, DONE, CANCELLED, OVERDUE = (
    "planned",
    "in_progress",
    "done",
    "cancelled",
    "overdue",
)


@dataclass(frozen=True)
class StepFacts:
    need_area: str
    status: str  # as recorded: planned, in_progress, done, cancelled
    deadline: date | None
    evidence: tuple[str, ...] = ()  # evidence kinds recorded for the step


@dataclass(frozen=True)
class AreaProgress:
    need_area: str
    steps: int  # steps that count (not cancelled)
    completed: int  # done with proof
    overdue: int
    certificates: int
    work_records: int
    attendance: int
    documents: int

    @property
    def share(self) -> float:
        return self.completed / self.steps if self.steps else 0.0

    @property
    def percent(self) -> int:
        return round(100 * self.share)

    @property
    def level(self) -> str:
        """none (no steps), not_started, started, advancing (half or more), achieved (all)."""
        if self.steps == 0:
            return "none"
        if self.completed == self.steps:
            return "achieved"
        if 2 * self.completed >= self.steps:
            return "advancing"
        if (
            self.completed
            or self.certificates + self.work_records + self.attendance + self.documents
        ):
            return "started"
        return "not_started"


def has_proof(evidence: Iterable[str]) -> bool:
    return any(kind in PROOF_KINDS for kind in evidence)


def step_state(step: StepFacts, today: date) -> str:
    """The status to show: done only with proof; planned or in progress past the deadline → overdue."""
    if step.status == CANCELLED:
        return CANCELLED
    if step.status == DONE and has_proof(step.evidence):
        return DONE
    status = IN_PROGRESS if step.status == DONE else step.status
    if step.deadline is not None and step.deadline < today:
        return OVERDUE
    return status


def area_progress(steps: Iterable[StepFacts], today: date) -> dict[str, AreaProgress]:
    """Progress for each need area that has steps, keyed by need-area code."""
    counts: dict[str, list[int]] = {}
    for step in steps:
        row = counts.setdefault(step.need_area, [0] * 7)
        state = step_state(step, today)
        if state == CANCELLED:
            continue
        row[0] += 1
        row[1] += state == DONE
        row[2] += state == OVERDUE
        row[3] += step.evidence.count("certificate")
        row[4] += step.evidence.count("work_record")
        row[5] += step.evidence.count("attendance")
        row[6] += step.evidence.count("document")
    return {area: AreaProgress(area, *row) for area, row in counts.items()}


def overall_progress(areas: Iterable[AreaProgress]) -> AreaProgress:
    """All areas together (need_area "all")."""
    total = [0] * 7
    for a in areas:
        values = (
            a.steps,
            a.completed,
            a.overdue,
            a.certificates,
            a.work_records,
            a.attendance,
            a.documents,
        )
        total = [x + y for x, y in zip(total, values, strict=True)]
    return AreaProgress("all", *total)
