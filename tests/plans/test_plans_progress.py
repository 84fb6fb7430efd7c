"""The progress function (pure): derived from evidence only, property-based."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from qadam.plans.progress import (
    EVIDENCE_KINDS,
    StepFacts,
    area_progress,
    overall_progress,
    step_state,
)

TODAY = date(2026, 6, 1)
AREAS = ("education_employment", "substance_use", "housing")
STATUSES = ("planned", "in_progress", "done", "cancelled")

steps_strategy = st.lists(
    st.builds(
        StepFacts,
        need_area=st.sampled_from(AREAS),
        status=st.sampled_from(STATUSES),
        deadline=st.one_of(
            st.none(), st.integers(-60, 60).map(lambda d: TODAY + timedelta(days=d))
        ),
        evidence=st.lists(st.sampled_from(EVIDENCE_KINDS), max_size=4).map(tuple),
    ),
    max_size=30,
)
# No per-example deadline: under load (the whole suite on two cores) an example can take longer
# than Hypothesis's 200 ms default and fail a correct test.
PROPERTY = settings(deadline=None)


@PROPERTY
@given(steps_strategy)
def test_share_is_a_fraction_and_completed_never_exceeds_steps(steps: list[StepFacts]) -> None:
    for progress in area_progress(steps, TODAY).values():
        assert 0 <= progress.completed <= progress.steps
        assert 0.0 <= progress.share <= 1.0
        assert 0 <= progress.percent <= 100


@PROPERTY
@given(steps_strategy)
def test_only_done_steps_with_proof_count(steps: list[StepFacts]) -> None:
    expected: dict[str, int] = {}
    for s in steps:
        proof = any(k != "note" for k in s.evidence)
        if s.status == "done" and proof:
            expected[s.need_area] = expected.get(s.need_area, 0) + 1
    got = {a: p.completed for a, p in area_progress(steps, TODAY).items() if p.completed}
    assert got == expected


@PROPERTY
@given(steps_strategy, st.sampled_from(("certificate", "work_record", "attendance", "document")))
def test_adding_proof_never_lowers_progress(steps: list[StepFacts], kind: str) -> None:
    before = area_progress(steps, TODAY)
    more = [StepFacts(s.need_area, s.status, s.deadline, (*s.evidence, kind)) for s in steps]
    after = area_progress(more, TODAY)
    for area, progress in before.items():
        assert after[area].completed >= progress.completed


@PROPERTY
@given(steps_strategy)
def test_notes_alone_never_complete_a_step(steps: list[StepFacts]) -> None:
    notes_only = [
        StepFacts(s.need_area, s.status, s.deadline, ("note",) * len(s.evidence)) for s in steps
    ]
    assert all(p.completed == 0 for p in area_progress(notes_only, TODAY).values())


@PROPERTY
@given(steps_strategy)
def test_cancelled_steps_do_not_count(steps: list[StepFacts]) -> None:
    kept = [s for s in steps if s.status != "cancelled"]
    with_cancelled = area_progress(steps, TODAY)
    without = area_progress(kept, TODAY)
    for area, progress in without.items():
        assert with_cancelled[area] == progress


@PROPERTY
@given(steps_strategy, st.randoms())
def test_order_does_not_matter(steps: list[StepFacts], rnd: object) -> None:
    shuffled = list(steps)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    assert area_progress(steps, TODAY) == area_progress(shuffled, TODAY)


@PROPERTY
@given(steps_strategy)
def test_overall_is_the_sum_of_the_areas(steps: list[StepFacts]) -> None:
    areas = area_progress(steps, TODAY)
    total = overall_progress(areas.values())
    assert total.steps == sum(p.steps for p in areas.values())
    assert total.completed == sum(p.completed for p in areas.values())


def test_worked_example() -> None:
    """Three employment steps: one done with a certificate, one done with only a note (shown
    in progress, not counted), one planned past its deadline → 1 of 3, one overdue."""
    steps = [
        StepFacts("education_employment", "done", TODAY, ("certificate",)),
        StepFacts("education_employment", "done", TODAY + timedelta(days=5), ("note",)),
        StepFacts("education_employment", "planned", TODAY - timedelta(days=1), ()),
        StepFacts("education_employment", "cancelled", None, ()),
    ]
    progress = area_progress(steps, TODAY)["education_employment"]
    assert (progress.steps, progress.completed, progress.overdue, progress.certificates) == (
        3,
        1,
        1,
        1,
    )
    assert progress.percent == 33
    assert progress.level == "started"
    assert step_state(steps[1], TODAY) == "in_progress"
    assert step_state(steps[2], TODAY) == "overdue"
    assert step_state(steps[3], TODAY) == "cancelled"
