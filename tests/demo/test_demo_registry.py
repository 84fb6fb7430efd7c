"""The generator's step registry: order, unknown dependencies, circles."""

from __future__ import annotations

import pytest

from qadam.demo.registry import DemoContext, Step, StepOrderError, ordered
from qadam.demo.targets import FALLBACK_CUSTODY, load_custody_targets, targets_path


def _noop(ctx: DemoContext) -> None:
    return None


def _steps(*specs: tuple[str, tuple[str, ...]]) -> dict[str, Step]:
    return {name: Step(name, _noop, after) for name, after in specs}


def test_steps_run_after_their_dependencies_else_in_registration_order() -> None:
    steps = _steps(
        ("sentences", ("custody",)),
        ("institutions", ()),
        ("custody", ("institutions",)),
        ("assessment", ("sentences", "custody")),
        ("complaints", ()),
    )
    assert [s.name for s in ordered(steps)] == [
        "institutions",
        "custody",
        "sentences",
        "assessment",
        "complaints",
    ]


def test_unknown_dependency_is_refused() -> None:
    with pytest.raises(StepOrderError, match="unknown"):
        ordered(_steps(("sentences", ("custody",))))


def test_circular_dependencies_are_refused() -> None:
    with pytest.raises(StepOrderError, match="circle"):
        ordered(_steps(("a", ("b",)), ("b", ("a",))))


def test_foundation_steps_are_registered_in_order() -> None:
    from qadam.demo.generate import load_steps

    names = [s.name for s in load_steps()]
    assert names.index("institutions") < names.index("custody")


def test_fallback_targets_equal_the_shared_table() -> None:
    if not targets_path().exists():
        pytest.skip("needs the shared data set: kz-aggregates/demo_targets.csv")
    assert load_custody_targets() == FALLBACK_CUSTODY


def test_progress_bar_shows_counts_and_ends_full() -> None:
    import io

    from qadam.demo.progress import Progress

    stream = io.StringIO()
    bar = Progress("Writing persons", 2000, stream)
    bar.set(500)
    bar.finish()
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("Writing persons")
    assert "0/2,000" in lines[0]
    assert "100.0% 2,000/2,000" in lines[-1]
    assert len(lines) == 2  # a log file gets each state once, not every update
