"""The validation report: one self-contained HTML page (inline SVG charts, each with its data
table beside it) and a JSON file with every figure."""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import altair as alt
import vl_convert

from ..engine.schema import Instrument
from .data import PAIR_SEPARATOR

STRATA = ("all", "male", "female")
SUMMARY_FIELDS = (
    ("rows", "Rows"),
    ("events", "Events"),
    ("base_rate", "Base rate"),
    ("mean_predicted", "Mean predicted"),
    ("auc", "AUC"),
    ("brier", "Brier"),
    ("brier_base_rate", "Brier of the base rate"),
    ("calibration_intercept", "Calibration intercept"),
    ("calibration_slope", "Calibration slope"),
    ("expected_calibration_error", "Expected calibration error"),
)

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #1b1b1b; max-width: 1200px; }
h1, h2, h3 { font-weight: 600; }
table { border-collapse: collapse; font-size: 0.85rem; margin: 0.5rem 0 1rem; }
th, td { border: 1px solid #ccc; padding: 0.2rem 0.5rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.figure { display: flex; gap: 1.5rem; align-items: flex-start; flex-wrap: wrap; }
.note { color: #555; font-size: 0.9rem; }
"""


def _data(values: list[dict[str, Any]]) -> Any:
    return alt.Data(values=values)  # type: ignore[no-untyped-call]


def _svg(chart: alt.TopLevelMixin) -> str:
    svg = vl_convert.vegalite_to_svg(chart.to_dict())
    return str(svg)


def _table(rows: Sequence[dict[str, Any]], columns: Sequence[tuple[str, str]]) -> str:
    head = "".join(f"<th scope='col'>{html.escape(label)}</th>" for _, label in columns)
    body = []
    for row in rows:
        cells = []
        for key, _ in columns:
            value = row.get(key)
            text = (
                "–" if value is None else (f"{value:g}" if isinstance(value, float) else str(value))
            )
            cells.append(f"<td>{html.escape(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _figure(title: str, chart: alt.TopLevelMixin, table: str) -> str:
    return (
        f"<h4>{html.escape(title)}</h4><div class='figure'><div>{_svg(chart)}</div>"
        f"<div>{table}</div></div>"
    )


def _calibration_figure(figures: dict[str, Any]) -> str:
    rows = [
        {"stratum": stratum, **row}
        for stratum in STRATA
        for row in figures[stratum].get("calibration_table", [])
    ]
    if not rows:
        return ""
    data = _data(rows)
    diagonal = (
        alt.Chart(_data([{"x": 0, "y": 0}, {"x": 1, "y": 1}]))
        .mark_line(color="#999", strokeDash=[4, 4])
        .encode(x="x:Q", y="y:Q")
    )
    points = (
        alt.Chart(data)
        .mark_line(point=True)
        .encode(
            x=alt.X("mean_predicted:Q", title="Mean predicted", scale=alt.Scale(domain=[0, 1])),
            y=alt.Y("observed:Q", title="Observed rate", scale=alt.Scale(domain=[0, 1])),
            color=alt.Color("stratum:N", title="Sex"),
        )
    )
    chart = (diagonal + points).properties(width=320, height=320)
    table = _table(
        rows,
        [
            ("stratum", "Sex"),
            ("bin", "Bin"),
            ("rows", "Rows"),
            ("mean_predicted", "Predicted"),
            ("observed", "Observed"),
        ],
    )
    return _figure("Calibration (ten equal-count bins)", chart, table)


def _bands_figure(figures: dict[str, Any]) -> str:
    rows = figures.get("bands", [])
    if not rows:
        return ""
    chart = (
        alt.Chart(_data(rows))
        .mark_bar()
        .encode(
            x=alt.X("band:N", sort=None, title="Band"),
            y=alt.Y("observed:Q", title="Observed rate"),
        )
        .properties(width=260, height=220)
    )
    table = _table(
        rows,
        [
            ("band", "Band"),
            ("min_points", "From points"),
            ("rows", "Rows"),
            ("mean_predicted", "Predicted"),
            ("observed", "Observed"),
        ],
    )
    return _figure("Observed rate by band", chart, table)


def _fairness_figure(figures: dict[str, Any], group_column: str) -> str:
    rows = []
    summary = []
    for stratum in STRATA:
        fairness = figures[stratum].get("fairness")
        if not fairness:
            continue
        summary.append({"stratum": stratum, **{k: v for k, v in fairness.items() if k != "groups"}})
        for group in fairness["groups"]:
            for measure in ("fpr_band", "fnr_band", "fpr_at_0_5"):
                rows.append(
                    {
                        "stratum": stratum,
                        "group": group["label"],
                        "measure": measure,
                        "rate": group[measure],
                    }
                )
    if not rows:
        return ""
    chart = (
        alt.Chart(_data(rows))
        .mark_bar()
        .encode(
            x=alt.X("group:N", title=group_column),
            y=alt.Y("rate:Q", title="Rate"),
            color=alt.Color("group:N", legend=None),
            column=alt.Column("measure:N", title=None),
            row=alt.Row("stratum:N", title=None),
        )
        .properties(width=90, height=110)
    )
    group_rows = [
        {"stratum": stratum, **{k: v for k, v in group.items() if k != "calibration_table"}}
        for stratum in STRATA
        for group in (figures[stratum].get("fairness") or {}).get("groups", [])
    ]
    table = _table(
        summary,
        [
            ("stratum", "Sex"),
            ("fpr_gap_band", "FPR gap (band)"),
            ("fnr_gap_band", "FNR gap (band)"),
            ("fpr_gap_at_0_5", "FPR gap (p ≥ 0.5)"),
            ("nij_fairness_score", "NIJ fairness score"),
        ],
    ) + _table(
        group_rows,
        [
            ("stratum", "Sex"),
            ("label", "Group"),
            ("rows", "Rows"),
            ("base_rate", "Base rate"),
            ("mean_predicted", "Predicted"),
            ("brier", "Brier"),
            ("fpr_band", "FPR band"),
            ("fnr_band", "FNR band"),
            ("fpr_at_0_5", "FPR 0.5"),
            ("calibration_intercept", "Cal. intercept"),
            ("calibration_slope", "Cal. slope"),
            ("expected_calibration_error", "ECE"),
        ],
    )
    return _figure(f"Fairness by {group_column} (audit only, never an input)", chart, table)


def _items_table(instrument: Instrument) -> str:
    """One row per option; an interaction of two inputs (source "<column>&<column>", one option
    per combination) in one row with the range of its points."""
    rows: list[dict[str, Any]] = []
    for item in instrument.items:
        common = {"item": item.code, "layer": item.layer, "need_area": item.need_area or ""}
        if PAIR_SEPARATOR in item.source:
            points = [float(option.points) for option in item.options]
            rows.append(
                {
                    **common,
                    "option": f"{len(item.options)} combinations",
                    "text": f"interaction: {item.text.en}",
                    "points": f"{min(points):g} to {max(points):g}",
                }
            )
            continue
        rows += [
            {**common, "option": option.code, "text": option.text.en, "points": option.points}
            for option in item.options
        ]
    return _table(
        rows,
        [
            ("item", "Item"),
            ("layer", "Layer"),
            ("need_area", "Need area"),
            ("option", "Option"),
            ("text", "Answer"),
            ("points", "Points"),
        ],
    )


def _reference_section(reference: dict[str, Any]) -> str:
    """The instruments against a plain logistic regression on the same rows (reference.py)."""
    rows: list[dict[str, Any]] = [
        {
            "model": f"reference: {reference['method']}",
            **{f"brier_{s}": block["brier"] for s, block in reference["reference"].items()},
            **{f"auc_{s}": block["auc"] for s, block in reference["reference"].items()},
        }
    ]
    for key, figures in reference["instruments"].items():
        row: dict[str, Any] = {"model": f"{figures['code']} ({key.replace('_', ' ')})"}
        for stratum in STRATA:
            block = figures.get(stratum)
            if block is None:
                continue
            low, high = block["interval"]
            row[f"brier_{stratum}"] = block["brier"]
            row[f"difference_{stratum}"] = f"{block['difference']:+.5f} [{low:+.5f}, {high:+.5f}]"
        rows.append(row)
    columns = [("model", "Model")]
    for stratum in STRATA:
        columns += [
            (f"brier_{stratum}", f"Brier {stratum}"),
            (f"difference_{stratum}", f"− reference, {stratum} [95% interval]"),
        ]
    columns += [(f"auc_{s}", f"AUC {s} (reference)") for s in STRATA]
    return "\n".join(
        [
            "<h2>Compared with a plain logistic regression on the same rows</h2>",
            "<p class='note'>Published baselines are plain logistic regressions fitted on their "
            "own files, which may hold inputs this file lacks. Here the same method is fitted on "
            f"the same training rows and scored on the same {html.escape(reference['part'])} rows "
            f"(outcome within {html.escape(reference['horizon'])}). A negative difference means the "
            f"instrument's Brier is lower (better); the interval is a paired bootstrap of the rows "
            f"({reference['resamples']} resamples).</p>",
            _table(rows, columns),
        ]
    )


def render_html(
    title: str,
    sections: Sequence[tuple[Instrument, dict[str, Any]]],
    *,
    summary: Sequence[dict[str, Any]] = (),
    notes: Sequence[str] = (),
    reference: dict[str, Any] | None = None,
) -> str:
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
    ]
    parts += [f"<p class='note'>{html.escape(note)}</p>" for note in notes]
    if summary:
        keys = list(summary[0])
        parts.append(_table(summary, [(k, k.replace("_", " ")) for k in keys]))
    if reference:
        parts.append(_reference_section(reference))
    for instrument, figures in sections:
        data = figures["data"]
        parts.append(
            f"<h2>{html.escape(instrument.name.en)} ({html.escape(instrument.label)})</h2>"
        )
        parts.append(
            f"<p class='note'>{html.escape(instrument.points_kind)} points, "
            f"{len(instrument.items)} items; validated on: {html.escape(instrument.validated_on)}. "
            f"Figures on {html.escape(data['origin'])}, {html.escape(data['part'])} rows "
            f"({data['rows']}).</p>"
        )
        for horizon, horizon_figures in figures["horizons"].items():
            parts.append(f"<h3>Outcome within {html.escape(horizon)}</h3>")
            parts.append(
                _table(
                    [
                        {"measure": label, **{s: horizon_figures[s].get(key) for s in STRATA}}
                        for key, label in SUMMARY_FIELDS
                    ],
                    [("measure", "Measure"), *((s, s) for s in STRATA)],
                )
            )
            parts.append(_calibration_figure(horizon_figures))
            parts.append(_bands_figure(horizon_figures))
            if figures.get("fairness_group"):
                parts.append(_fairness_figure(horizon_figures, str(figures["fairness_group"])))
        parts.append("<h3>Items and points</h3>")
        parts.append(_items_table(instrument))
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(
    out_dir: Path,
    title: str,
    sections: Sequence[tuple[Instrument, dict[str, Any]]],
    *,
    figures: dict[str, Any],
    summary: Sequence[dict[str, Any]] = (),
    notes: Sequence[str] = (),
    stem: str = "report",
    reference: dict[str, Any] | None = None,
) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    html_path = out_dir / f"{stem}.html"
    json_path = out_dir / f"{stem}.json"
    html_path.write_text(
        render_html(title, sections, summary=summary, notes=notes, reference=reference),
        encoding="utf-8",
    )
    json_path.write_text(json.dumps(figures, indent=2, ensure_ascii=False), encoding="utf-8")
    return html_path, json_path
