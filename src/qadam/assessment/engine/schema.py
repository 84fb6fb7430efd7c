"""Instrument definitions: the data classes and the validator for the TOML files.

An instrument is a list of items, each with answer options worth points, the bands the total falls
into, and logistic calibration of the total to the probability of re-offending within one and two
years. The validator collects every problem in a file before it refuses it, and names where each
one is (``items[3] (prior_convictions).options[1].points``), so the author can fix them in one pass.
"""

from __future__ import annotations

import itertools
import math
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

LANGUAGES = ("kk", "ru", "en")
LAYERS = ("static", "dynamic", "change")
HORIZONS = ("year1", "year2")
POINTS_KINDS = ("integer", "weights")
# The "Central Eight" need areas (Andrews & Bonta); dynamic and change items must name one.
NEED_AREAS = (
    "criminal_history",
    "procriminal_attitudes",
    "procriminal_associates",
    "antisocial_pattern",
    "family_marital",
    "education_employment",
    "leisure_recreation",
    "substance_use",
)
NOT_VALIDATED = "not yet validated on Kazakh data"
SCHEMA_VERSION = 1

# Ethnicity, nationality and race are never inputs (issue 5; Constitution art. 14 part 2 forbids
# discrimination by race, nationality and origin). Matched as words of the item's source or code,
# in the three languages, so "race" blocks `person.race` but not `trace_count`.
_PROTECTED_WORDS = frozenset(
    {
        "race",
        "races",
        "racial",
        "ethnic",
        "ethnicity",
        "ethnos",
        "nationality",
        "nation",
        "tribe",
        "clan",
        "раса",
        "расы",
        "национальность",
        "этнос",
        "этничность",
        "ұлты",
        "ұлт",
        "нәсіл",
        "этникалық",
    }
)
_PROTECTED_PHRASES = ("national_origin", "nationalorigin", "ethnic_group", "ethnicgroup")


def protected_attribute(name: str) -> str | None:
    """The protected word `name` refers to (ethnicity, nationality, race), or None."""
    lowered = name.lower()
    for phrase in _PROTECTED_PHRASES:
        if phrase in lowered:
            return phrase
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", name).lower()
    for word in re.split(r"[^0-9a-zа-яёәіңғүұқөһ]+", spaced):
        if word in _PROTECTED_WORDS:
            return word
    return None


class InstrumentError(ValueError):
    """The instrument definition does not validate; `problems` says what to fix, one per line."""

    def __init__(self, origin: str, problems: Sequence[str]) -> None:
        self.origin = origin
        self.problems = list(problems)
        listing = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"instrument {origin} does not validate:\n{listing}")


@dataclass(frozen=True, slots=True)
class Texts:
    kk: str
    ru: str
    en: str

    def get(self, language: str) -> str:
        return str(getattr(self, language, self.en))


@dataclass(frozen=True, slots=True)
class Option:
    code: str
    points: float
    text: Texts
    # How a raw value in a data file selects this option (fitting and validation): listed values,
    # a numeric range [minimum, maximum), the missing value, or any value no other option takes.
    values: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    missing: bool = False
    other: bool = False


@dataclass(frozen=True, slots=True)
class Item:
    code: str
    layer: str
    source: str
    text: Texts
    options: tuple[Option, ...]
    need_area: str | None = None

    def option(self, code: str) -> Option | None:
        for option in self.options:
            if option.code == code:
                return option
        return None


@dataclass(frozen=True, slots=True)
class Band:
    code: str
    min_points: float
    text: Texts


@dataclass(frozen=True, slots=True)
class Calibration:
    """p = 1 / (1 + exp(-(intercept + slope × total points)))."""

    intercept: float
    slope: float

    def probability(self, total: float) -> float:
        z = self.intercept + self.slope * total
        if z >= 0:
            return 1.0 / (1.0 + math.exp(-z))
        e = math.exp(z)
        return e / (1.0 + e)


@dataclass(frozen=True, slots=True)
class Instrument:
    code: str
    version: str
    name: Texts
    valid_from: date
    valid_to: date | None
    validated_on: str
    points_kind: str
    decision_band: str
    items: tuple[Item, ...]
    bands: tuple[Band, ...]
    calibration: Mapping[str, Calibration]
    description: Texts | None = None
    provenance: Mapping[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.code} {self.version}"

    def item(self, code: str) -> Item | None:
        for item in self.items:
            if item.code == code:
                return item
        return None

    def points_range(self) -> tuple[float, float]:
        low = sum(min(o.points for o in item.options) for item in self.items)
        high = sum(max(o.points for o in item.options) for item in self.items)
        return low, high

    def in_force_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day < self.valid_to)


_CODE = re.compile(r"^[a-z0-9][a-z0-9_.-]*$", re.IGNORECASE)


class _Problems:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.items.append(f"{where}: {message}")


def _texts(value: Any, where: str, problems: _Problems) -> Texts:
    if not isinstance(value, Mapping):
        problems.add(where, "must be a table with kk, ru and en texts")
        return Texts("", "", "")
    found: dict[str, str] = {}
    for language in LANGUAGES:
        text = value.get(language)
        if not isinstance(text, str) or not text.strip():
            problems.add(f"{where}.{language}", "text is missing or empty")
            found[language] = ""
        else:
            found[language] = text.strip()
    extra = sorted(set(value) - set(LANGUAGES))
    if extra:
        problems.add(where, f"unknown languages {extra}; use kk, ru and en")
    return Texts(**found)


def _number(value: Any, where: str, problems: _Problems) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        problems.add(where, f"must be a finite number, not {value!r}")
        return 0.0
    return float(value) if isinstance(value, float) else int(value)


def _code(value: Any, where: str, problems: _Problems) -> str:
    if not isinstance(value, str) or not _CODE.match(value):
        problems.add(where, f"must be a code of letters, digits, '_', '.', '-', not {value!r}")
        return str(value)
    return value


def _date(value: Any, where: str, problems: _Problems) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    problems.add(where, f"must be a date (YYYY-MM-DD), not {value!r}")
    return None


def _option(
    raw: Any, where: str, points_kind: str, layer: str, problems: _Problems
) -> Option | None:
    if not isinstance(raw, Mapping):
        problems.add(where, "must be a table")
        return None
    code = _code(raw.get("code"), f"{where}.code", problems)
    where = f"{where} ({code})"
    points = _number(raw.get("points"), f"{where}.points", problems)
    if points_kind == "integer" and isinstance(raw.get("points"), float):
        problems.add(f"{where}.points", f"must be a whole number, not {raw['points']!r}")
    if layer == "change" and points > 0:
        problems.add(
            f"{where}.points", "change items only take points off (zero or negative points)"
        )
    values = raw.get("values", [])
    if not isinstance(values, list) or not all(isinstance(v, str | int) for v in values):
        problems.add(f"{where}.values", "must be a list of raw values (text or whole numbers)")
        values = []
    minimum = raw.get("min")
    maximum = raw.get("max")
    for key, bound in (("min", minimum), ("max", maximum)):
        if bound is not None:
            _number(bound, f"{where}.{key}", problems)
    if (
        minimum is not None
        and maximum is not None
        and _is_num(minimum)
        and _is_num(maximum)
        and not float(minimum) < float(maximum)
    ):
        problems.add(where, f"min {minimum} must be below max {maximum}")
    missing = raw.get("missing", False)
    other = raw.get("other", False)
    for key, flag in (("missing", missing), ("other", other)):
        if not isinstance(flag, bool):
            problems.add(f"{where}.{key}", "must be true or false")
    unknown = sorted(
        set(raw) - {"code", "points", "text", "values", "min", "max", "missing", "other"}
    )
    if unknown:
        problems.add(where, f"unknown keys {unknown}")
    return Option(
        code=code,
        points=points,
        text=_texts(raw.get("text"), f"{where}.text", problems),
        values=tuple(str(v) for v in values),
        minimum=float(minimum) if minimum is not None and _is_num(minimum) else None,
        maximum=float(maximum) if maximum is not None and _is_num(maximum) else None,
        missing=missing is True,
        other=other is True,
    )


def _is_num(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _item(raw: Any, where: str, points_kind: str, problems: _Problems) -> Item | None:
    if not isinstance(raw, Mapping):
        problems.add(where, "must be a table")
        return None
    code = _code(raw.get("code"), f"{where}.code", problems)
    where = f"{where} ({code})"
    layer = raw.get("layer")
    if layer not in LAYERS:
        problems.add(f"{where}.layer", f"must be one of {', '.join(LAYERS)}, not {layer!r}")
        layer = "static"
    need_area = raw.get("need_area")
    if need_area is not None and need_area not in NEED_AREAS:
        problems.add(
            f"{where}.need_area",
            f"must be one of the Central Eight {NEED_AREAS}, not {need_area!r}",
        )
    if need_area is None and layer in {"dynamic", "change"}:
        problems.add(f"{where}.need_area", f"a {layer} item must name the need area it informs")
    source = raw.get("source")
    if not isinstance(source, str) or not source.strip():
        problems.add(f"{where}.source", "must name where the answer comes from")
        source = ""
    for name, value in (("source", source), ("code", code)):
        word = protected_attribute(value)
        if word is not None:
            problems.add(
                f"{where}.{name}",
                f"refers to {word!r}: ethnicity, nationality and race are never inputs "
                "(they may be used only in the fairness audit)",
            )
    raw_options = raw.get("options")
    options: list[Option] = []
    if not isinstance(raw_options, list) or len(raw_options) < 2:
        problems.add(f"{where}.options", "an item needs at least two answer options")
        raw_options = raw_options if isinstance(raw_options, list) else []
    for index, raw_option in enumerate(raw_options):
        option = _option(raw_option, f"{where}.options[{index}]", points_kind, layer, problems)
        if option is not None:
            options.append(option)
    _check_options(options, where, layer, problems)
    unknown = sorted(set(raw) - {"code", "layer", "need_area", "source", "text", "options"})
    if unknown:
        problems.add(where, f"unknown keys {unknown}")
    return Item(
        code=code,
        layer=layer,
        source=source,
        text=_texts(raw.get("text"), f"{where}.text", problems),
        options=tuple(options),
        need_area=need_area if need_area in NEED_AREAS else None,
    )


def _check_options(options: list[Option], where: str, layer: str, problems: _Problems) -> None:
    codes = [o.code for o in options]
    duplicates = sorted({c for c in codes if codes.count(c) > 1})
    if duplicates:
        problems.add(f"{where}.options", f"duplicate option codes {duplicates}")
    seen: dict[str, str] = {}
    for option in options:
        for value in option.values:
            if value in seen:
                problems.add(
                    f"{where}.options",
                    f"value {value!r} selects both {seen[value]!r} and {option.code!r}",
                )
            seen[value] = option.code
    if sum(o.missing for o in options) > 1:
        problems.add(f"{where}.options", "only one option may take missing values")
    if sum(o.other for o in options) > 1:
        problems.add(f"{where}.options", "only one option may take other values")
    if layer == "change" and options and not any(o.points < 0 for o in options):
        problems.add(
            f"{where}.options", "a change item needs an option with negative points (progress)"
        )


def parse_instrument(data: Mapping[str, Any], *, origin: str = "<memory>") -> Instrument:
    """Validate a decoded instrument file and build the instrument, or raise InstrumentError."""
    problems = _Problems()
    schema = data.get("schema", SCHEMA_VERSION)
    if schema != SCHEMA_VERSION:
        problems.add("schema", f"this engine reads schema {SCHEMA_VERSION}, not {schema!r}")
    code = _code(data.get("code"), "code", problems)
    version = data.get("version")
    if not isinstance(version, str) or not version.strip():
        problems.add("version", "must be a version text such as '1.0.0'")
        version = ""
    valid_from = _date(data.get("valid_from"), "valid_from", problems)
    valid_to = None
    if data.get("valid_to") is not None:
        valid_to = _date(data.get("valid_to"), "valid_to", problems)
    if valid_from and valid_to and valid_to <= valid_from:
        problems.add("valid_to", f"must be after valid_from {valid_from.isoformat()}")
    validated_on = data.get("validated_on")
    if not isinstance(validated_on, str) or not validated_on.strip():
        problems.add(
            "validated_on",
            f"must say on which data the instrument was validated, or {NOT_VALIDATED!r}",
        )
        validated_on = ""
    points_kind = data.get("points_kind", "integer")
    if points_kind not in POINTS_KINDS:
        problems.add("points_kind", f"must be one of {POINTS_KINDS}, not {points_kind!r}")
        points_kind = "integer"

    items: list[Item] = []
    raw_items = data.get("items")
    if not isinstance(raw_items, list) or not raw_items:
        problems.add("items", "an instrument needs at least one item")
        raw_items = []
    for index, raw_item in enumerate(raw_items):
        item = _item(raw_item, f"items[{index}]", points_kind, problems)
        if item is not None:
            items.append(item)
    codes = [i.code for i in items]
    duplicates = sorted({c for c in codes if codes.count(c) > 1})
    if duplicates:
        problems.add("items", f"duplicate item codes {duplicates}")

    calibration: dict[str, Calibration] = {}
    raw_calibration = data.get("calibration")
    if not isinstance(raw_calibration, Mapping) or not raw_calibration:
        problems.add("calibration", f"needs at least one of {HORIZONS} with intercept and slope")
        raw_calibration = {}
    for horizon, params in raw_calibration.items():
        where = f"calibration.{horizon}"
        if horizon not in HORIZONS:
            problems.add(where, f"unknown horizon; use {HORIZONS}")
            continue
        if not isinstance(params, Mapping):
            problems.add(where, "must be a table with intercept and slope")
            continue
        intercept = _number(params.get("intercept"), f"{where}.intercept", problems)
        slope = _number(params.get("slope"), f"{where}.slope", problems)
        if slope <= 0:
            problems.add(f"{where}.slope", "must be positive: more points, more risk")
        calibration[horizon] = Calibration(float(intercept), float(slope))

    bands: list[Band] = []
    raw_bands = data.get("bands")
    if not isinstance(raw_bands, list) or not raw_bands:
        problems.add("bands", "an instrument needs at least one band")
        raw_bands = []
    for index, raw_band in enumerate(raw_bands):
        where = f"bands[{index}]"
        if not isinstance(raw_band, Mapping):
            problems.add(where, "must be a table")
            continue
        band_code = _code(raw_band.get("code"), f"{where}.code", problems)
        bands.append(
            Band(
                code=band_code,
                min_points=_number(raw_band.get("min_points"), f"{where}.min_points", problems),
                text=_texts(raw_band.get("text"), f"{where}.text", problems),
            )
        )
    for previous, current in itertools.pairwise(bands):
        if not current.min_points > previous.min_points:
            problems.add(
                "bands",
                f"min_points must rise: {current.code!r} does not start above {previous.code!r}",
            )
    if bands and items and all(i.options for i in items):
        low = sum(min(o.points for o in i.options) for i in items)
        if bands[0].min_points > low:
            problems.add(
                "bands[0].min_points",
                f"the lowest possible total is {low:g}; the first band must start at or below it",
            )
    decision_band = data.get("decision_band")
    if decision_band is None and bands:
        decision_band = bands[-1].code
    if decision_band not in {b.code for b in bands}:
        problems.add("decision_band", f"must be the code of a band, not {decision_band!r}")

    description = None
    if data.get("description") is not None:
        description = _texts(data.get("description"), "description", problems)
    provenance = data.get("provenance", {})
    if not isinstance(provenance, Mapping):
        problems.add("provenance", "must be a table")
        provenance = {}
    known = {
        "schema",
        "code",
        "version",
        "name",
        "description",
        "valid_from",
        "valid_to",
        "validated_on",
        "points_kind",
        "decision_band",
        "calibration",
        "bands",
        "items",
        "provenance",
    }
    unknown = sorted(set(data) - known)
    if unknown:
        problems.add("(top level)", f"unknown keys {unknown}")
    name = _texts(data.get("name"), "name", problems)
    if problems.items:
        raise InstrumentError(origin, problems.items)
    assert valid_from is not None
    return Instrument(
        code=code,
        version=str(version),
        name=name,
        valid_from=valid_from,
        valid_to=valid_to,
        validated_on=str(validated_on),
        points_kind=str(points_kind),
        decision_band=str(decision_band),
        items=tuple(items),
        bands=tuple(bands),
        calibration=calibration,
        description=description,
        provenance=dict(provenance),
    )


def load_instrument(path: Path | str) -> Instrument:
    """Read and validate an instrument file; InstrumentError says what is wrong with it."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InstrumentError(str(path), [f"cannot read the file: {exc.strerror}"]) from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise InstrumentError(str(path), ["the file is not UTF-8 text"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise InstrumentError(str(path), [f"not valid TOML: {exc}"]) from None
    return parse_instrument(data, origin=str(path))
