"""Small server-rendered SVG charts. Each is drawn with its data table beside it on the page; the
SVG has a title and description, signed value labels (never colour alone), and no script."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from html import escape

from django.utils.formats import date_format, number_format
from django.utils.safestring import SafeString, mark_safe

POSITIVE = "#1d5fa8"
NEGATIVE = "#2e7d32"
AXIS = "#444"


@dataclass(frozen=True)
class Bar:
    label: str
    value: float


def signed_points(value: float) -> str:
    text = number_format(int(value) if float(value).is_integer() else round(value, 2))
    if value > 0:
        return "+" + text
    return text.replace("-", "−") if value < 0 else text


LABEL_CHARS = 28  # per line of a bar's label: about 200 px of Cyrillic at 12 px


def _label_lines(text: str, limit: int = LABEL_CHARS, lines: int = 2) -> list[str]:
    """The label wrapped at words into at most `lines` lines; a longer one ends with "…" (the
    whole text stays in the SVG's <title> and in the table beside the chart)."""
    wrapped = textwrap.wrap(text, limit, break_long_words=True) or [""]
    if len(wrapped) <= lines:
        return wrapped
    last = " ".join(wrapped[lines - 1 :])
    return [*wrapped[: lines - 1], textwrap.shorten(last, limit, placeholder="…")]


def contribution_chart(bars: Sequence[Bar], *, title: str, description: str) -> SafeString:
    """Horizontal bars from a zero line: points added to the right, points taken off to the left."""
    labels = [_label_lines(bar.label) for bar in bars]
    two_lines = any(len(lines) > 1 for lines in labels)
    label_width, bar_area, row, top = 230, 300, (36 if two_lines else 24), 8
    width = label_width + bar_area + 50
    height = top * 2 + row * max(len(bars), 1)
    extent = max([abs(b.value) for b in bars] + [1.0])
    has_negative = any(b.value < 0 for b in bars)
    zero = label_width + (bar_area * 0.35 if has_negative else 10)
    scale = (label_width + bar_area - zero) / extent
    left_scale = (zero - label_width - 10) / extent if has_negative else 0.0
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'aria-labelledby="chart-contrib-title chart-contrib-desc">',
        f'<title id="chart-contrib-title">{escape(title)}</title>',
        f'<desc id="chart-contrib-desc">{escape(description)}</desc>',
    ]
    for index, (bar, lines) in enumerate(zip(bars, labels, strict=True)):
        y = top + index * row
        first = y + row / 2 + 4 - 7 * (len(lines) - 1)  # the lines centred on the bar
        spans = "".join(
            f'<tspan x="{label_width - 8}" y="{first + 14 * n:.1f}">{escape(line)}</tspan>'
            for n, line in enumerate(lines)
        )
        parts.append(
            f'<text text-anchor="end" font-size="12">{spans}<title>{escape(bar.label)}</title>'
            "</text>"
        )
        if bar.value >= 0:
            length = bar.value * scale
            x, colour, anchor, text_x = zero, POSITIVE, "start", zero + length + 4
        else:
            length = -bar.value * left_scale
            x, colour, anchor, text_x = zero - length, NEGATIVE, "end", zero - length - 4
        parts.append(
            f'<rect x="{x:.1f}" y="{y + row / 2 - 8:.1f}" width="{max(length, 0.5):.1f}" height="16" '
            f'fill="{colour}"/>'
        )
        parts.append(
            f'<text x="{text_x:.1f}" y="{y + row / 2 + 4:.1f}" text-anchor="{anchor}" '
            f'font-size="12">{escape(signed_points(bar.value))}</text>'
        )
    parts.append(
        f'<line x1="{zero:.1f}" x2="{zero:.1f}" y1="{top / 2}" y2="{height - top / 2}" '
        f'stroke="{AXIS}" stroke-width="1.5"/>'
    )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every text is escaped above


@dataclass(frozen=True)
class Point:
    day: date
    value: float
    label: str


def history_chart(points: Sequence[Point], *, title: str, description: str) -> SafeString:
    """Total points at each assessment, oldest first, joined by a line; values written out."""
    width, height, pad_left, pad, pad_bottom = 560, 200, 60, 60, 40
    values = [p.value for p in points] or [0.0]
    low, high = min([*values, 0.0]), max([*values, 1.0])
    span = (high - low) or 1.0
    step = (width - pad_left - pad) / max(len(points) - 1, 1)

    def xy(index: int, value: float) -> tuple[float, float]:
        x = pad_left + (index * step if len(points) > 1 else (width - pad_left - pad) / 2)
        y = pad + (high - value) / span * (height - pad - pad_bottom)
        return x, y

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'aria-labelledby="chart-history-title chart-history-desc">',
        f'<title id="chart-history-title">{escape(title)}</title>',
        f'<desc id="chart-history-desc">{escape(description)}</desc>',
        f'<line x1="{pad_left}" x2="{width - pad}" y1="{height - pad_bottom}" '
        f'y2="{height - pad_bottom}" stroke="{AXIS}"/>',
    ]
    coordinates = [xy(i, p.value) for i, p in enumerate(points)]
    if len(coordinates) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coordinates)
        parts.append(
            f'<polyline points="{path}" fill="none" stroke="{POSITIVE}" stroke-width="2"/>'
        )
    for (x, y), point in zip(coordinates, points, strict=True):
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{POSITIVE}"/>')
        parts.append(
            f'<text x="{x:.1f}" y="{y - 8:.1f}" text-anchor="middle" font-size="12">'
            f"{escape(number_format(point.value))} · {escape(point.label)}</text>"
        )
        parts.append(
            f'<text x="{x:.1f}" y="{height - pad_bottom + 16}" text-anchor="middle" '
            f'font-size="11">{escape(date_format(point.day, "SHORT_DATE_FORMAT"))}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every text is escaped above
