"""The generator's steps: each module registers what it adds to the national demo data.

    from qadam.demo.registry import register

    def sentences(ctx: DemoContext) -> None: ...

    register("sentences", sentences, after=["custody"])

`demo_generate` imports `qadam.<app>.demo` of every installed app (Django's autodiscovery), then
runs the steps in dependency order; steps with no order between them run in registration order.
Each step gets the shared `DemoContext` with a random generator of its own, derived from the seed
and the step's name, so adding a step never changes what the others generate.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from qadam.core.models import User
    from qadam.custody.models import Institution
    from qadam.demo.progress import Progress


class Output(Protocol):
    """Where messages go: a text stream or a management command's stdout."""

    def write(self, text: str, /) -> Any: ...


@dataclass
class DemoContext:
    """What every step receives: seed, scale, the demo's "today" and what earlier steps made."""

    seed: int
    scale: float
    today: date
    start: date
    system_user: User
    out: Output
    progress: Callable[[str, int], Progress]
    rng: random.Random = field(default_factory=random.Random)
    institutions: list[Institution] = field(default_factory=list)
    # Ids of the persons generated, in generation order, and of those in custody today.
    person_ids: list[int] = field(default_factory=list)
    population_ids: list[int] = field(default_factory=list)
    # Free-form results shared between steps (e.g. "custody.plans") and per-step figures.
    data: dict[str, Any] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

    def random_for(self, step_name: str) -> random.Random:
        return random.Random(f"qadam-demo/{self.seed}/{step_name}")


StepFunction = Callable[[DemoContext], None]


@dataclass(frozen=True)
class Step:
    name: str
    function: StepFunction
    after: tuple[str, ...]


_steps: dict[str, Step] = {}


def register(name: str, function: StepFunction, *, after: Iterable[str] = ()) -> None:
    """Add (or replace, on re-import) a step that runs after the named steps."""
    _steps[name] = Step(name, function, tuple(after))


def registered() -> dict[str, Step]:
    return dict(_steps)


class StepOrderError(RuntimeError):
    pass


def ordered(steps: dict[str, Step] | None = None) -> list[Step]:
    """Steps in dependency order (stable: registration order where there is no constraint)."""
    pending = dict(steps if steps is not None else _steps)
    for step in pending.values():
        missing = [name for name in step.after if name not in pending]
        if missing:
            raise StepOrderError(f"demo step {step.name!r} runs after unknown steps {missing}")
    done: list[Step] = []
    placed: set[str] = set()
    while pending:
        ready = [s for s in pending.values() if all(a in placed for a in s.after)]
        if not ready:
            raise StepOrderError(f"demo steps depend on each other in a circle: {list(pending)}")
        step = ready[0]
        done.append(step)
        placed.add(step.name)
        del pending[step.name]
    return done
