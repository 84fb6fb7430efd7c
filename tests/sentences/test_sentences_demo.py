"""The demo step "sentences" on a tiny national data set: a verdict for every conviction in the
ledger, the engine's end of sentence equal to the ledger's lawful date for everyone, the end set
by hand (approved by a second person) where the offence precedes the rule files, and no count
above its article's maximum."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from django.db.models import F

from demo_helpers import generated_demo
from qadam.custody.models import DetentionBasis
from qadam.demo.registry import DemoContext
from qadam.sentences import adapters, recalculation
from qadam.sentences.models import Count, DateOverride, SentenceCalculation, Verdict


@pytest.fixture(scope="module")
def demo(django_db_setup: Any, django_db_blocker: Any) -> Iterator[DemoContext]:
    with generated_demo(django_db_blocker, only=["institutions", "custody", "sentences"]) as ctx:
        yield ctx


@pytest.mark.django_db
class TestDemoSentences:
    def test_a_verdict_for_every_conviction_in_the_ledger(self, demo: DemoContext) -> None:
        bases = DetentionBasis.objects.filter(
            kind=DetentionBasis.Kind.VERDICT, valid_until__isnull=False, movement__isnull=False
        ).distinct()
        assert Verdict.objects.count() == bases.count() == demo.summary["verdicts"] > 100
        assert not bases.filter(verdict__isnull=True).exists()
        assert Count.objects.count() == Verdict.objects.count()

    def test_every_stored_end_is_the_ledgers_lawful_date(self, demo: DemoContext) -> None:
        current = recalculation.current_verdict_ids(serving_on=demo.today)
        rows = SentenceCalculation.objects.filter(person_id__in=list(current))
        assert rows.count() == len(current) == demo.summary["sentence_calculations"] > 50
        for row in rows.select_related("verdict__basis"):
            basis = row.verdict.basis
            assert basis is not None
            assert row.end_of_sentence == basis.valid_until, row.person_id
        assert demo.summary["sentence_end_mismatches"] == 0

    def test_offences_before_the_rule_files_have_the_end_set_by_hand(
        self, demo: DemoContext
    ) -> None:
        rules = adapters.active_rules().rules
        invalid = SentenceCalculation.objects.filter(ok=False)
        assert invalid.count() == demo.summary["sentence_not_calculable"] > 0
        for row in invalid:
            assert row.parole_reason == "rule_gap"
            assert row.overridden == ["end_of_sentence"]
            first = Count.objects.filter(verdict=row.verdict).earliest("offence_date")
            assert first.offence_date < date(2015, 1, 1)
            assert rules.at(first.offence_date.toordinal()).missing_required_cc
        overrides = DateOverride.objects.filter(status=DateOverride.Status.APPROVED)
        assert overrides.count() >= invalid.count()
        # Approved by a second member of staff, for the person's latest verdict, after asking.
        assert not overrides.filter(decided_by=F("requested_by")).exists()
        assert not overrides.filter(decided_at__lt=F("requested_at")).exists()
        current = recalculation.current_verdict_ids()
        for override in overrides:
            assert current[override.person_id] == override.verdict_id
            assert override.field == "end_of_sentence"
            assert override.reason
        assert demo.summary["sentence_end_set_by_hand"] == invalid.count()

    def test_no_count_above_its_articles_maximum(self, demo: DemoContext) -> None:
        assert demo.summary["counts_above_article_maximum"] == 0
        for count in Count.objects.select_related("offence"):
            maximum = count.offence.max_term_months
            term = count.term_years * 12 + count.term_months + (1 if count.term_days else 0)
            assert not maximum or term <= maximum, count.pk

    def test_the_engine_agrees_with_what_was_stored(self, demo: DemoContext) -> None:
        """A diff under the rule set in force finds nothing to change or rewrite."""
        run = recalculation.diff_compute(recalculation.diff_start(actor=None), on=demo.today)
        assert run.total == demo.summary["sentence_calculations"]
        assert (run.changed_persons, run.rewrite_persons) == (0, 0)
