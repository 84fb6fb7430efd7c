"""Background jobs: the diff of a recalculation and its activation (Django's task framework, run
by `qadam db_worker`). Both are idempotent: a rerun recomputes from the start and the progress
record of the run is updated after each batch."""

from __future__ import annotations

from django.tasks import task


@task()
def recalculation_diff(run_id: int) -> int:
    from qadam.sentences import recalculation
    from qadam.sentences.models import RecalculationRun

    run = RecalculationRun.objects.get(pk=run_id)
    run = recalculation.diff_compute(run)
    return run.changed_persons


@task()
def recalculation_activate(run_id: int, actor_id: int | None) -> int:
    from qadam.core.models import User
    from qadam.sentences import services
    from qadam.sentences.models import RecalculationRun

    run = RecalculationRun.objects.get(pk=run_id)
    actor = User.objects.get(pk=actor_id) if actor_id else None
    if actor is None:
        from qadam.sentences import recalculation

        return recalculation.activate(run, actor=None).processed
    return services.legislation_activate(actor=actor, run=run).processed
