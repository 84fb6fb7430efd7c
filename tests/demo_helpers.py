"""A small demo data set generated once per test module, inside a transaction rolled back after."""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import transaction
from django.utils import timezone

from qadam.demo import generate
from qadam.demo.registry import DemoContext

SCALE = 0.01
SEED = 7


@contextmanager
def generated_demo(django_db_blocker: Any, only: Sequence[str]) -> Iterator[DemoContext]:
    """Generate the steps `only` at `SCALE` with `SEED`; everything is rolled back on exit."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield generate.run(
            seed=SEED,
            scale=SCALE,
            today=timezone.localdate(),
            out=io.StringIO(),
            show_progress=False,
            only=list(only),
        )
        transaction.set_rollback(True)
