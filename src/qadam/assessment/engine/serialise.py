"""Writing an instrument back to TOML in the format `load_instrument` reads."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import date
from typing import Any

from .schema import SCHEMA_VERSION, Instrument, Texts


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"cannot write {value!r} to an instrument file")
        if value.is_integer() and abs(value) < 1e15:
            return f"{value:.1f}"
        return repr(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, Texts):
        return _inline({"kk": value.kk, "ru": value.ru, "en": value.en})
    if isinstance(value, Mapping):
        return _inline(value)
    raise TypeError(f"cannot write {type(value).__name__} to an instrument file")


def _key(key: str) -> str:
    bare = key.replace("_", "").replace("-", "").isalnum() and key.isascii()
    return key if bare else json.dumps(key, ensure_ascii=False)


def _inline(table: Mapping[str, Any]) -> str:
    return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in table.items()) + " }"


def _points(value: float, integer: bool) -> int | float:
    return round(value) if integer else float(value)


def instrument_to_toml(instrument: Instrument, *, header: str = "") -> str:
    integer = instrument.points_kind == "integer"
    lines: list[str] = [f"# {line}".rstrip() for line in header.splitlines()]
    if lines:
        lines.append("")
    lines += [
        f"schema = {SCHEMA_VERSION}",
        f"code = {_value(instrument.code)}",
        f"version = {_value(instrument.version)}",
        f"valid_from = {_value(instrument.valid_from)}",
    ]
    if instrument.valid_to is not None:
        lines.append(f"valid_to = {_value(instrument.valid_to)}")
    lines += [
        f"validated_on = {_value(instrument.validated_on)}",
        f"points_kind = {_value(instrument.points_kind)}",
        f"decision_band = {_value(instrument.decision_band)}",
        f"name = {_value(instrument.name)}",
    ]
    if instrument.description is not None:
        lines.append(f"description = {_value(instrument.description)}")
    if instrument.provenance:
        lines += ["", "[provenance]"]
        lines += [f"{_key(k)} = {_value(v)}" for k, v in instrument.provenance.items()]
    for horizon, calibration in instrument.calibration.items():
        lines += [
            "",
            f"[calibration.{horizon}]",
            f"intercept = {_value(float(calibration.intercept))}",
            f"slope = {_value(float(calibration.slope))}",
        ]
    for band in instrument.bands:
        lines += [
            "",
            "[[bands]]",
            f"code = {_value(band.code)}",
            f"min_points = {_value(_points(band.min_points, integer))}",
            f"text = {_value(band.text)}",
        ]
    for item in instrument.items:
        lines += ["", "[[items]]", f"code = {_value(item.code)}", f"layer = {_value(item.layer)}"]
        if item.need_area is not None:
            lines.append(f"need_area = {_value(item.need_area)}")
        lines += [f"source = {_value(item.source)}", f"text = {_value(item.text)}"]
        for option in item.options:
            lines += [
                "",
                "[[items.options]]",
                f"code = {_value(option.code)}",
                f"points = {_value(_points(option.points, integer))}",
                f"text = {_value(option.text)}",
            ]
            if option.values:
                lines.append(f"values = {_value(list(option.values))}")
            if option.minimum is not None:
                lines.append(f"min = {_value(float(option.minimum))}")
            if option.maximum is not None:
                lines.append(f"max = {_value(float(option.maximum))}")
            if option.missing:
                lines.append("missing = true")
            if option.other:
                lines.append("other = true")
    return "\n".join(lines) + "\n"
