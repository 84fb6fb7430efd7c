"""Instrument schema validation, scoring and explanations (pure engine, no Django)."""

from __future__ import annotations

import copy
import tomllib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qadam.assessment.engine import (
    NOT_VALIDATED,
    AnswerError,
    InstrumentError,
    compile_instrument,
    load_instrument,
    parse_instrument,
    protected_attribute,
)
from qadam.assessment.engine.serialise import instrument_to_toml
from qadam.assessment.instruments import DEFAULT_INSTRUMENT

TEXT = {"kk": "мәтін", "ru": "текст", "en": "text"}


def small_instrument() -> dict[str, Any]:
    return {
        "schema": 1,
        "code": "test",
        "version": "1",
        "valid_from": "2026-01-01",
        "validated_on": NOT_VALIDATED,
        "points_kind": "integer",
        "decision_band": "high",
        "name": TEXT,
        "calibration": {
            "year1": {"intercept": -2.0, "slope": 0.5},
            "year2": {"intercept": -1.0, "slope": 0.5},
        },
        "bands": [
            {"code": "low", "min_points": -2, "text": TEXT},
            {"code": "high", "min_points": 3, "text": TEXT},
        ],
        "items": [
            {
                "code": "priors",
                "layer": "static",
                "need_area": "criminal_history",
                "source": "sentences.prior_convictions",
                "text": TEXT,
                "options": [
                    {"code": "none", "points": 0, "text": TEXT},
                    {"code": "some", "points": 2, "text": TEXT},
                    {"code": "many", "points": 4, "text": TEXT},
                ],
            },
            {
                "code": "work",
                "layer": "change",
                "need_area": "education_employment",
                "source": "regime.work_record",
                "text": TEXT,
                "options": [
                    {"code": "none", "points": 0, "text": TEXT},
                    {"code": "regular", "points": -2, "text": TEXT},
                ],
            },
        ],
    }


def problems_of(data: dict[str, Any]) -> str:
    with pytest.raises(InstrumentError) as caught:
        parse_instrument(data)
    return "\n".join(caught.value.problems)


class TestDefaultInstrument:
    def test_ships_valid_and_labelled_not_validated(self) -> None:
        instrument = load_instrument(DEFAULT_INSTRUMENT)
        assert instrument.validated_on == "not yet validated on Kazakh data"
        layers = {item.layer for item in instrument.items}
        assert layers == {"static", "dynamic", "change"}

    def test_change_items_only_take_points_off(self) -> None:
        instrument = load_instrument(DEFAULT_INSTRUMENT)
        change = [item for item in instrument.items if item.layer == "change"]
        assert change
        for item in change:
            assert max(o.points for o in item.options) == 0
            assert min(o.points for o in item.options) < 0

    def test_dynamic_items_cover_the_central_eight_needs(self) -> None:
        instrument = load_instrument(DEFAULT_INSTRUMENT)
        areas = {i.need_area for i in instrument.items if i.layer == "dynamic"}
        assert {"procriminal_attitudes", "substance_use", "family_marital"} <= areas

    def test_round_trips_through_toml(self) -> None:
        instrument = load_instrument(DEFAULT_INSTRUMENT)
        assert parse_instrument(tomllib.loads(instrument_to_toml(instrument))) == instrument


class TestSchemaErrors:
    def test_small_instrument_is_valid(self) -> None:
        assert parse_instrument(small_instrument()).code == "test"

    @pytest.mark.parametrize("source", ["person.ethnicity", "Race", "person.nationality", "ұлты"])
    def test_protected_source_is_refused(self, source: str) -> None:
        data = small_instrument()
        data["items"][0]["source"] = source
        assert "never inputs" in problems_of(data)

    def test_protected_words_match_whole_words_only(self) -> None:
        assert protected_attribute("trace_count") is None
        assert protected_attribute("ethnic_group") is not None
        assert protected_attribute("personNationality") == "nationality"

    def test_missing_language(self) -> None:
        data = small_instrument()
        data["items"][0]["text"] = {"kk": "x", "en": "y"}
        assert "items[0] (priors).text.ru: text is missing" in problems_of(data)

    def test_change_item_with_positive_points(self) -> None:
        data = small_instrument()
        data["items"][1]["options"][0]["points"] = 1
        assert "change items only take points off" in problems_of(data)

    def test_change_item_without_negative_option(self) -> None:
        data = small_instrument()
        data["items"][1]["options"][1]["points"] = 0
        assert "needs an option with negative points" in problems_of(data)

    def test_fractional_points_in_integer_instrument(self) -> None:
        data = small_instrument()
        data["items"][0]["options"][1]["points"] = 1.5
        assert "must be a whole number" in problems_of(data)

    def test_unknown_need_area_and_layer(self) -> None:
        data = small_instrument()
        data["items"][0]["need_area"] = "luck"
        data["items"][1]["layer"] = "sometimes"
        problems = problems_of(data)
        assert "Central Eight" in problems
        assert "layer: must be one of" in problems

    def test_dynamic_item_without_need_area(self) -> None:
        data = small_instrument()
        data["items"][0]["layer"] = "dynamic"
        del data["items"][0]["need_area"]
        assert "must name the need area" in problems_of(data)

    def test_duplicate_codes(self) -> None:
        data = small_instrument()
        data["items"][1]["code"] = "priors"
        data["items"][0]["options"][1]["code"] = "none"
        problems = problems_of(data)
        assert "duplicate item codes ['priors']" in problems
        assert "duplicate option codes ['none']" in problems

    def test_bands_must_rise_and_cover_the_lowest_total(self) -> None:
        data = small_instrument()
        data["bands"][0]["min_points"] = 5
        problems = problems_of(data)
        assert "min_points must rise" in problems
        assert "lowest possible total is -2" in problems

    def test_calibration_errors(self) -> None:
        data = small_instrument()
        data["calibration"] = {"year1": {"intercept": "x", "slope": -1}, "year5": {}}
        problems = problems_of(data)
        assert "calibration.year1.intercept: must be a finite number" in problems
        assert "calibration.year1.slope: must be positive" in problems
        assert "calibration.year5: unknown horizon" in problems

    def test_dates_version_and_validated_on(self) -> None:
        data = small_instrument()
        data["valid_from"] = "tomorrow"
        data["valid_to"] = "2020-01-01"
        data["version"] = ""
        del data["validated_on"]
        problems = problems_of(data)
        assert "valid_from: must be a date" in problems
        assert "version: must be a version text" in problems
        assert "validated_on: must say" in problems

    def test_decision_band_must_exist(self) -> None:
        data = small_instrument()
        data["decision_band"] = "severe"
        assert "decision_band: must be the code of a band" in problems_of(data)

    def test_item_with_one_option(self) -> None:
        data = small_instrument()
        data["items"][0]["options"] = data["items"][0]["options"][:1]
        assert "at least two answer options" in problems_of(data)

    def test_unreadable_files(self, tmp_path: Any) -> None:
        bad = tmp_path / "bad.toml"
        bad.write_text("code = [", encoding="utf-8")
        with pytest.raises(InstrumentError, match="not valid TOML"):
            load_instrument(bad)
        with pytest.raises(InstrumentError, match="cannot read the file"):
            load_instrument(tmp_path / "absent.toml")


class TestScoring:
    def test_golden_case(self) -> None:
        # priors "some" = 2, work "regular" = -2: total 0; year1 p = 1/(1+e^2) = 0.1192
        scorer = compile_instrument(parse_instrument(small_instrument()))
        result = scorer.score({"priors": "some", "work": "regular"})
        assert result.total_points == 0
        assert result.probabilities["year1"] == pytest.approx(0.119203, abs=1e-6)
        assert result.probabilities["year2"] == pytest.approx(0.268941, abs=1e-6)
        assert result.band == "low"
        shares = {c.item: c.share for c in result.contributions}
        assert shares == {"priors": 0.5, "work": -0.5}
        texts = [c.explanation.text for c in result.contributions]
        assert texts[0] == 'text: "text" adds 2 points (50% of the weight).'
        assert "progress the person has made" in texts[1]
        assert result.contributions[1].explanation.code == "change_made"

    def test_band_threshold_is_inclusive(self) -> None:
        scorer = compile_instrument(parse_instrument(small_instrument()))
        assert scorer.score({"priors": "many", "work": "none"}).band == "high"
        assert scorer.band_for(2.99) == "low"

    def test_missing_answer(self) -> None:
        scorer = compile_instrument(parse_instrument(small_instrument()))
        with pytest.raises(AnswerError, match="work: no answer given") as caught:
            scorer.score({"priors": "some"})
        assert [p.code for p in caught.value.problems] == ["missing_answer"]

    def test_answer_outside_options(self) -> None:
        scorer = compile_instrument(parse_instrument(small_instrument()))
        with pytest.raises(AnswerError, match=r"'lots' is not one of the item's options") as caught:
            scorer.score({"priors": "lots", "work": "none"})
        assert "(none, some, many)" in str(caught.value)

    def test_unknown_item(self) -> None:
        scorer = compile_instrument(parse_instrument(small_instrument()))
        with pytest.raises(AnswerError, match="colour: the instrument has no such item"):
            scorer.score({"priors": "none", "work": "none", "colour": "red"})


DEFAULT = load_instrument(DEFAULT_INSTRUMENT)
SCORER = compile_instrument(DEFAULT)
answers_strategy = st.fixed_dictionaries(
    {item.code: st.sampled_from([o.code for o in item.options]) for item in DEFAULT.items}
)


@settings(max_examples=200, deadline=None)
@given(answers=answers_strategy)
def test_contributions_sum_to_total(answers: dict[str, str]) -> None:
    result = SCORER.score(answers)
    assert sum(c.points for c in result.contributions) == result.total_points
    weight = sum(abs(c.share) for c in result.contributions)
    assert weight == pytest.approx(1.0) or weight == 0


@settings(max_examples=200, deadline=None)
@given(answers=answers_strategy, item_index=st.integers(0, len(DEFAULT.items) - 1))
def test_more_points_never_lower_probability_or_band(
    answers: dict[str, str], item_index: int
) -> None:
    item = DEFAULT.items[item_index]
    current = item.option(answers[item.code])
    assert current is not None
    higher = [o for o in item.options if o.points > current.points]
    if not higher:
        return
    before = SCORER.score(answers)
    after = SCORER.score({**answers, item.code: higher[0].code})
    assert after.total_points > before.total_points
    for horizon in before.probabilities:
        assert after.probabilities[horizon] >= before.probabilities[horizon]
    bands = [b.code for b in DEFAULT.bands]
    assert bands.index(after.band) >= bands.index(before.band)


@settings(max_examples=100, deadline=None)
@given(answers=answers_strategy)
def test_year2_probability_at_least_year1(answers: dict[str, str]) -> None:
    result = SCORER.score(answers)
    assert 0 < result.probabilities["year1"] <= result.probabilities["year2"] < 1


def test_validator_reports_every_problem_at_once() -> None:
    data = copy.deepcopy(small_instrument())
    data["items"][0]["source"] = "person.race"
    data["items"][1]["options"][0]["points"] = 3
    data["bands"] = []
    problems = problems_of(data)
    assert problems.count("\n") >= 2
