"""Fitting and validating on small synthetic data; mapping and data errors; the command."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from django.core.management import CommandError, call_command

from qadam.assessment.engine import load_instrument
from qadam.assessment.fitting import (
    DataError,
    MappingError,
    fit_instruments,
    load_mapping,
    read_dataset,
    run_fit,
    run_validate,
    validate_instrument,
)
from qadam.assessment.fitting.validate import calibration_table, expected_calibration_error

MAPPING = """
[data]
missing_values = ["-1", ""]
min_rows = 100

[outcome]
year1 = "reoffended"

[split]
column = "sample"
train = "train"
test = "test"

[sex]
column = "sex"
male = "M"
female = "F"

[fairness]
column = "group"

[fit]
instrument_code = "synthetic"
max_items = 3

[inputs.age_band]
type = "ordinal"

[inputs.priors]
type = "ordinal"
need_area = "criminal_history"

[inputs.sex]
type = "binary"

[inputs.employed]
type = "binary"
layer = "dynamic"
need_area = "education_employment"

[inputs.noise]
type = "categorical"

[inputs.score]
type = "numeric"
"""


def synthetic_frame(rows: int = 3000, seed: int = 7) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    age = rng.integers(0, 5, rows)
    priors = rng.integers(0, 6, rows)
    sex = rng.choice(["M", "F"], rows, p=[0.8, 0.2])
    employed = rng.integers(0, 2, rows)
    group = rng.choice(["a", "b"], rows)
    score = rng.normal(0, 1, rows)
    z = -1.5 + 0.35 * age + 0.3 * priors + 0.4 * (sex == "M") - 0.6 * employed + 0.3 * score
    y = (rng.random(rows) < 1 / (1 + np.exp(-z))).astype(int)
    priors_text = priors.astype(str)
    priors_text[rng.random(rows) < 0.05] = "-1"  # some missing
    return pl.DataFrame(
        {
            "reoffended": y,
            "sample": np.where(rng.random(rows) < 0.7, "train", "test"),
            "sex": sex,
            "group": group,
            "age_band": age,
            "priors": priors_text,
            "employed": employed,
            "noise": rng.choice(["x", "y", "z"], rows),
            "score": score.round(3),
        }
    )


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    data = tmp_path / "data.csv"
    synthetic_frame().write_csv(data)
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(MAPPING, encoding="utf-8")
    return data, mapping


class TestFit:
    def test_fit_recovers_the_signal_within_twelve_items(self, files: tuple[Path, Path]) -> None:
        data_path, mapping_path = files
        data = read_dataset(data_path, load_mapping(mapping_path))
        result = fit_instruments(data)
        points = result.points
        assert points.points_kind == "integer"
        assert 1 <= len(points.items) <= 3
        assert all(float(o.points).is_integer() for i in points.items for o in i.options)
        assert {i.source for i in points.items} <= {"age_band", "priors", "employed", "score"}
        assert "group" not in {i.source for i in result.unrestricted.items}
        figures = validate_instrument(result.unrestricted, data)["horizons"]["year1"]
        assert figures["all"]["auc"] > 0.65
        points_figures = validate_instrument(points, data)["horizons"]["year1"]
        assert points_figures["all"]["brier"] < figures["all"]["brier"] + 0.01

    def test_run_fit_writes_instruments_report_and_figures(
        self, files: tuple[Path, Path], tmp_path: Path
    ) -> None:
        data_path, mapping_path = files
        out = tmp_path / "out"
        result = run_fit(data_path, mapping_path, out)
        assert load_instrument(out / "instrument.toml").code == "synthetic"
        assert load_instrument(out / "unrestricted.toml").points_kind == "weights"
        html = (out / "report.html").read_text(encoding="utf-8")
        assert html.count("<svg") >= 3
        assert "<table>" in html
        figures = json.loads((out / "report.json").read_text(encoding="utf-8"))
        fairness = figures["validation"]["integer_points"]["horizons"]["year1"]["male"]["fairness"]
        assert {g["group"] for g in fairness["groups"]} == {"a", "b"}
        assert 0 < fairness["nij_fairness_score"] <= 1
        assert result.paths["report"] == out / "report.html"

    def test_validate_the_fitted_instrument(self, files: tuple[Path, Path], tmp_path: Path) -> None:
        data_path, mapping_path = files
        run_fit(data_path, mapping_path, tmp_path / "fit")
        result = run_validate(
            data_path, mapping_path, tmp_path / "fit" / "instrument.toml", tmp_path / "val"
        )
        assert result.figures["data"]["part"] == "test"
        assert (tmp_path / "val" / "validation.html").exists()


class TestValidationFigures:
    def test_perfectly_calibrated_bins_have_no_error(self) -> None:
        p = np.repeat([0.1, 0.5], 10)
        y = np.array([1] + [0] * 9 + [1] * 5 + [0] * 5, dtype=np.int8)
        table = calibration_table(p, y, bins=2)
        assert [row["observed"] for row in table] == [0.1, 0.5]
        assert expected_calibration_error(table) == 0

    def test_fpr_gap_and_nij_score_by_hand(self, files: tuple[Path, Path]) -> None:
        from qadam.assessment.fitting.validate import fairness

        # group a: negatives flagged 1 of 2 (FPR 0.5); group b: 0 of 2 (FPR 0)
        p = np.array([0.6, 0.4, 0.9, 0.2, 0.3, 0.8])
        y = np.array([0, 0, 1, 0, 0, 1], dtype=np.int8)
        group = np.array(["a", "a", "a", "b", "b", "b"])
        result = fairness(p, y, p >= 0.5, group, {})
        brier = float(np.mean((p - y) ** 2))  # 0.1833…
        assert result["fpr_gap_at_0_5"] == 0.5
        assert result["nij_fairness_score"] == pytest.approx((1 - brier) * 0.5, abs=1e-4)

    def test_fnr_gap_by_hand(self) -> None:
        from qadam.assessment.fitting.validate import fairness

        # group a: re-arrested not flagged 1 of 2 (FNR 0.5); group b: 0 of 2 (FNR 0)
        p = np.array([0.9, 0.3, 0.1, 0.8, 0.7, 0.2])
        y = np.array([1, 1, 0, 1, 1, 0], dtype=np.int8)
        group = np.array(["a", "a", "a", "b", "b", "b"])
        result = fairness(p, y, p >= 0.5, group, {})
        assert result["fnr_gap_at_0_5"] == 0.5
        assert result["fnr_gap_band"] == 0.5
        assert result["fpr_gap_at_0_5"] == 0

    def test_calibration_intercept_and_slope_recover_a_known_miscalibration(self) -> None:
        from qadam.assessment.fitting.validate import calibration_intercept_slope

        rng = np.random.default_rng(11)
        z = rng.normal(-0.5, 1.2, 60_000)
        p = 1 / (1 + np.exp(-z))
        # Outcomes drawn from logit P = 0.3 + 0.7 z: predictions too extreme (slope < 1).
        y = (rng.random(len(z)) < 1 / (1 + np.exp(-(0.3 + 0.7 * z)))).astype(np.int8)
        _, slope = calibration_intercept_slope(p, y)
        assert slope == pytest.approx(0.7, abs=0.03)
        # Outcomes drawn from p itself: intercept 0, slope 1.
        y_true = (rng.random(len(z)) < p).astype(np.int8)
        intercept, slope = calibration_intercept_slope(p, y_true)
        assert intercept == pytest.approx(0, abs=0.03)
        assert slope == pytest.approx(1, abs=0.03)
        # Every prediction half the odds it should be: calibration in the large is log 2.
        y_low = (rng.random(len(z)) < 1 / (1 + np.exp(-(z + np.log(2))))).astype(np.int8)
        intercept, _ = calibration_intercept_slope(p, y_low)
        assert intercept == pytest.approx(np.log(2), abs=0.04)

    def test_calibration_within_groups_shows_a_group_the_instrument_misjudges(self) -> None:
        from qadam.assessment.fitting.validate import fairness

        rng = np.random.default_rng(5)
        p = rng.uniform(0.1, 0.6, 20_000)
        group = rng.choice(["a", "b"], len(p))
        # Group a's outcomes follow p; group b's are re-arrested twice as often as predicted.
        truth = np.where(group == "a", p, np.minimum(2 * p, 1))
        y = (rng.random(len(p)) < truth).astype(np.int8)
        groups = {g["group"]: g for g in fairness(p, y, p >= 0.5, group, {})["groups"]}
        assert groups["a"]["expected_calibration_error"] < 0.02
        assert groups["b"]["expected_calibration_error"] > 0.15
        assert groups["a"]["calibration_intercept"] == pytest.approx(0, abs=0.06)
        assert groups["b"]["calibration_intercept"] > 0.5


class TestBadInput:
    def write(self, tmp_path: Path, text: str) -> Path:
        path = tmp_path / "m.toml"
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    def test_race_as_input_is_refused(self, tmp_path: Path) -> None:
        bad = MAPPING + "\n[inputs.Race]\ntype = 'binary'\n"
        with pytest.raises(MappingError, match="never inputs"):
            load_mapping(self.write(tmp_path, bad))

    def test_outcome_or_group_as_input(self, tmp_path: Path) -> None:
        bad = MAPPING + "\n[inputs.reoffended]\ntype = 'binary'\n[inputs.group]\ntype = 'binary'\n"
        with pytest.raises(MappingError) as caught:
            load_mapping(self.write(tmp_path, bad))
        text = str(caught.value)
        assert "outcome cannot be an input" in text
        assert "fairness group column" in text

    def test_bad_types_and_missing_sections(self, tmp_path: Path) -> None:
        with pytest.raises(MappingError) as caught:
            load_mapping(self.write(tmp_path, "[inputs.x]\ntype = 'colour'\n"))
        text = str(caught.value)
        assert "outcome: name the 0/1 outcome column" in text
        assert "sex: give the sex column" in text
        assert "inputs.x.type: must be one of" in text

    def test_unreadable_mapping(self, tmp_path: Path) -> None:
        with pytest.raises(MappingError, match="not valid TOML"):
            load_mapping(self.write(tmp_path, "[data"))
        with pytest.raises(MappingError, match="cannot read"):
            load_mapping(tmp_path / "nothing.toml")

    def test_missing_columns_named_with_a_hint(self, files: tuple[Path, Path]) -> None:
        data_path, mapping_path = files
        frame = pl.read_csv(data_path).rename({"priors": "prior"}).drop("noise")
        frame.write_csv(data_path)
        with pytest.raises(DataError) as caught:
            read_dataset(data_path, load_mapping(mapping_path))
        text = str(caught.value)
        assert (
            "column 'priors' named in the mapping is not in the file (did you mean 'prior'?)"
            in text
        )
        assert "'noise'" in text

    def test_non_binary_outcome(self, files: tuple[Path, Path]) -> None:
        data_path, mapping_path = files
        frame = pl.read_csv(data_path, infer_schema=False)
        frame = frame.with_columns(
            pl.when(pl.int_range(pl.len()) < 3)
            .then(pl.lit("2"))
            .otherwise(pl.col("reoffended"))
            .alias("reoffended")
        )
        frame.write_csv(data_path)
        with pytest.raises(
            DataError,
            match=r"outcome 'reoffended' must be 0 or 1 in every row; found '2' in 3 rows",
        ):
            read_dataset(data_path, load_mapping(mapping_path))

    def test_too_few_rows(self, files: tuple[Path, Path]) -> None:
        data_path, mapping_path = files
        synthetic_frame(rows=120).write_csv(data_path)
        with pytest.raises(DataError, match=r"the test set has .* rows; at least 100 are needed"):
            read_dataset(data_path, load_mapping(mapping_path))

    def test_unnamed_sex_and_split_values(self, files: tuple[Path, Path]) -> None:
        data_path, mapping_path = files
        frame = synthetic_frame().with_columns(
            pl.when(pl.int_range(pl.len()) == 0)
            .then(pl.lit("X"))
            .otherwise(pl.col("sex"))
            .alias("sex"),
            pl.when(pl.int_range(pl.len()) == 1)
            .then(pl.lit("holdout"))
            .otherwise(pl.col("sample"))
            .alias("sample"),
        )
        frame.write_csv(data_path)
        with pytest.raises(DataError) as caught:
            read_dataset(data_path, load_mapping(mapping_path))
        assert "sex column 'sex' has values ['X']" in str(caught.value)
        assert "split column 'sample' has values ['holdout']" in str(caught.value)

    def test_numeric_column_with_text(self, files: tuple[Path, Path]) -> None:
        data_path, mapping_path = files
        frame = synthetic_frame().with_columns(pl.col("score").cast(pl.String))
        frame = frame.with_columns(
            pl.when(pl.int_range(pl.len()) == 0)
            .then(pl.lit("n/a"))
            .otherwise(pl.col("score"))
            .alias("score")
        )
        frame.write_csv(data_path)
        with pytest.raises(DataError, match=r"input 'score' is numeric but has values \['n/a'\]"):
            read_dataset(data_path, load_mapping(mapping_path))

    def test_missing_file(self, tmp_path: Path, files: tuple[Path, Path]) -> None:
        with pytest.raises(DataError, match="does not exist"):
            read_dataset(tmp_path / "none.csv", load_mapping(files[1]))


class TestCommand:
    def test_fit_prints_output_paths(
        self, files: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        data_path, mapping_path = files
        out = tmp_path / "out"
        call_command(
            "assessment",
            "fit",
            "--data",
            str(data_path),
            "--mapping",
            str(mapping_path),
            "--out",
            str(out),
        )
        printed = capsys.readouterr().out
        assert f"report: {out / 'report.html'}" in printed
        assert f"instrument: {out / 'instrument.toml'}" in printed

    def test_bad_mapping_is_a_command_error(self, files: tuple[Path, Path], tmp_path: Path) -> None:
        data_path, _ = files
        bad = tmp_path / "bad.toml"
        bad.write_text("[inputs.Race]\ntype = 'binary'\n", encoding="utf-8")
        with pytest.raises(CommandError, match="never inputs"):
            call_command(
                "assessment",
                "fit",
                "--data",
                str(data_path),
                "--mapping",
                str(bad),
                "--out",
                str(tmp_path),
            )

    def test_invalid_instrument_is_a_command_error(
        self, files: tuple[Path, Path], tmp_path: Path
    ) -> None:
        data_path, mapping_path = files
        bad = tmp_path / "instrument.toml"
        bad.write_text("code = 'x'\n", encoding="utf-8")
        with pytest.raises(CommandError, match="does not validate"):
            call_command(
                "assessment",
                "validate",
                "--data",
                str(data_path),
                "--mapping",
                str(mapping_path),
                "--instrument",
                str(bad),
                "--out",
                str(tmp_path),
            )

    def test_instrument_that_does_not_fit_the_data(
        self, files: tuple[Path, Path], tmp_path: Path
    ) -> None:
        from qadam.assessment.instruments import DEFAULT_INSTRUMENT

        data_path, mapping_path = files
        with pytest.raises(CommandError, match=r"no column for the items. sources"):
            call_command(
                "assessment",
                "validate",
                "--data",
                str(data_path),
                "--mapping",
                str(mapping_path),
                "--instrument",
                str(DEFAULT_INSTRUMENT),
                "--out",
                str(tmp_path),
            )


class TestEncoding:
    def test_women_source_is_derived_from_the_column_and_sex(
        self, files: tuple[Path, Path]
    ) -> None:
        from qadam.assessment.fitting.data import NOT_WOMEN

        data_path, mapping_path = files
        data = read_dataset(data_path, load_mapping(mapping_path))
        columns = data.source_columns(["priors|women", "unknown|women"])
        assert "unknown|women" not in columns
        women = data.sex == "female"
        assert (columns["priors|women"][women] == data.columns["priors"][women]).all()
        assert (columns["priors|women"][~women] == NOT_WOMEN).all()

    def test_fit_records_the_cv_choice_and_writes_loadable_instruments(
        self, files: tuple[Path, Path], tmp_path: Path
    ) -> None:
        data_path, mapping_path = files
        result = run_fit(data_path, mapping_path, tmp_path / "fit")
        chosen = result.figures["fit"]["unrestricted"]
        assert chosen["encoding"] in chosen["cv"]
        best = min(v["brier_mean_of_sexes"] for v in chosen["cv"].values())
        assert chosen["cv"][chosen["encoding"]]["brier_mean_of_sexes"] == best
        unrestricted = load_instrument(tmp_path / "fit" / "unrestricted.toml")
        women_items = [i for i in unrestricted.items if i.source.endswith("|women")]
        assert (chosen["women_ratio"] is None) == (not women_items)
        validated = run_validate(
            data_path, mapping_path, tmp_path / "fit" / "unrestricted.toml", tmp_path / "val"
        )
        assert validated.figures["horizons"]["year1"]["all"]["auc"] > 0.6


def interaction_frame(rows: int = 4000, seed: int = 11) -> pl.DataFrame:
    """The synthetic data with a strong interaction: many priors matter only for the unemployed."""
    frame = synthetic_frame(rows, seed)
    rng = np.random.default_rng(seed + 1)
    priors = frame.get_column("priors").cast(pl.Int64).to_numpy()
    employed = frame.get_column("employed").to_numpy()
    age = frame.get_column("age_band").to_numpy()
    z = -1.2 + 0.3 * age + np.where(employed == 0, 0.45 * np.maximum(priors, 0), -0.2 * priors)
    y = (rng.random(rows) < 1 / (1 + np.exp(-z))).astype(int)
    return frame.with_columns(pl.Series("reoffended", y))


class TestInteractions:
    def test_pair_source_joins_the_two_raw_values(self, files: tuple[Path, Path]) -> None:
        data_path, mapping_path = files
        data = read_dataset(data_path, load_mapping(mapping_path))
        columns = data.source_columns(["priors&employed", "priors&unknown"])
        assert "priors&unknown" not in columns
        pairs = zip(data.columns["priors"], data.columns["employed"], strict=True)
        expected = [f"{p}|{e}" for p, e in pairs]
        assert columns["priors&employed"].tolist() == expected

    def test_pair_parts_tries_every_split(self) -> None:
        from qadam.assessment.fitting.data import pair_parts

        assert pair_parts("a&b&c", ["a&b", "c"]) == ("a&b", "c")
        assert pair_parts("a&b&c", ["a", "b&c"]) == ("a", "b&c")
        assert pair_parts("a&b", ["a"]) is None

    def test_pairwise_trees_are_read_back_exactly(self) -> None:
        from qadam.assessment.fitting.boosting import (
            BoostingSettings,
            Inputs,
            fit_pairwise_trees,
            read_tables,
        )

        rng = np.random.default_rng(3)
        codes = [rng.integers(0, size, 3000) for size in (4, 3, 5)]
        z = 0.6 * (codes[0] == 3) * (codes[1] == 0) + 0.3 * codes[2] - 1
        y = (rng.random(3000) < 1 / (1 + np.exp(-z))).astype(np.int8)
        inputs = Inputs(
            codes=codes,
            sizes=[4, 3, 5],
            ordered=[True, False, True],
            missing=[None, None, 4],
            pairable=[True, True, False],
        )
        model = fit_pairwise_trees(inputs, y, BoostingSettings(0.1, 60, 20))
        tables = read_tables(model, inputs)
        expected = model.decision_function(inputs.matrix())
        assert np.abs(tables.decision(codes) - expected).max() < 1e-6
        assert set(tables.pairs) <= {(0, 1)}  # input 2 enters alone
        assert (0, 1) in tables.pairs

    def test_trees_with_three_way_branches_are_refused(self) -> None:
        from sklearn.ensemble import HistGradientBoostingClassifier

        from qadam.assessment.fitting.boosting import Inputs, ReadBackError, read_tables

        rng = np.random.default_rng(5)
        codes = [rng.integers(0, 2, 3000) for _ in range(3)]
        z = 2.0 * (codes[0] & codes[1] & codes[2]) - 1
        y = (rng.random(3000) < 1 / (1 + np.exp(-z))).astype(np.int8)
        inputs = Inputs(codes, [2, 2, 2], [True] * 3, [None] * 3, [True] * 3)
        model = HistGradientBoostingClassifier(max_iter=30, max_depth=3, early_stopping=False)
        model.fit(inputs.matrix(), y)
        with pytest.raises(ReadBackError, match="the tables miss the model"):
            read_tables(model, inputs)

    def test_fit_writes_interactions_that_score_as_the_model_does(self, tmp_path: Path) -> None:
        data_path = tmp_path / "data.csv"
        interaction_frame().write_csv(data_path)
        mapping_path = tmp_path / "mapping.toml"
        mapping_path.write_text(MAPPING, encoding="utf-8")
        result = run_fit(data_path, mapping_path, tmp_path / "fit")
        chosen = result.figures["fit"]["unrestricted"]
        assert chosen["trees_weight"] > 0
        assert "priors&employed" in chosen["pair_items"]
        # "score" has thousands of raw values: it enters the trees alone, never in a pair.
        assert not any("score" in source for source in chosen["pair_items"])
        assert chosen["written_max_logit_error"] < 0.01
        written = load_instrument(tmp_path / "fit" / "unrestricted.toml")
        pair = next(i for i in written.items if i.source == "priors&employed")
        assert pair.option("other") is not None
        cv = chosen["cv"]
        assert cv[chosen["encoding"]]["brier_mean_of_sexes"] == min(
            v["brier_mean_of_sexes"] for v in cv.values()
        )
        assert cv[chosen["encoding"]]["brier_mean_of_sexes"] < min(
            v["brier_mean_of_sexes"] for k, v in cv.items() if "trees" not in k
        )
        figures = run_validate(
            data_path, mapping_path, tmp_path / "fit" / "unrestricted.toml", tmp_path / "val"
        ).figures["horizons"]["year1"]
        assert figures["all"]["auc"] > 0.65
        html = (tmp_path / "fit" / "report.html").read_text(encoding="utf-8")
        assert "interaction: priors × employed" in html

    def test_unseen_combination_takes_the_other_option(self) -> None:
        from qadam.assessment.engine.batch import encode_column
        from qadam.assessment.engine.schema import Item, Option, Texts
        from qadam.assessment.fitting.fit import pair_item

        def item(code: str, values: list[str]) -> Item:
            return Item(
                code=code,
                layer="static",
                source=code,
                text=Texts(code, code, code),
                options=tuple(
                    Option(code=v, points=0, text=Texts(v, v, v), values=(v,)) for v in values
                ),
            )

        table = np.array([[0.0, 0.5], [1.0, 2.0]])
        pair, weights = pair_item(
            item("a", ["0", "1"]), item("b", ["x", "y"]), [["0"], ["1"]], [["x"], ["y"]], table
        )
        assert pair.source == "a&b"
        rows = np.array(["1|y", "0|y", "2|y"])
        chosen = encode_column(pair, rows)
        assert weights[chosen].tolist() == [2.0, 0.5, 0.0]
        assert pair.options[chosen[2]].other


def test_change_inputs_only_take_points_off(tmp_path: Path) -> None:
    data_path = tmp_path / "data.csv"
    synthetic_frame().write_csv(data_path)
    mapping_path = tmp_path / "mapping.toml"
    text = MAPPING.replace('layer = "dynamic"', 'layer = "change"')
    mapping_path.write_text(text.replace("max_items = 3", "max_items = 6"), "utf-8")
    run_fit(data_path, mapping_path, tmp_path / "fit")
    for name in ("instrument.toml", "unrestricted.toml"):
        instrument = load_instrument(tmp_path / "fit" / name)
        employed = next(i for i in instrument.items if i.source == "employed")
        points = [o.points for o in employed.options]
        assert employed.layer == "change"
        assert max(points) == 0
        assert min(points) < 0


class TestReference:
    """The plain logistic regression the instruments are read against (fitting/reference.py)."""

    def test_fit_report_compares_each_instrument_with_the_reference(
        self, files: tuple[Path, Path], tmp_path: Path
    ) -> None:
        data_path, mapping_path = files
        out = tmp_path / "out"
        result = run_fit(data_path, mapping_path, out)
        reference = json.loads((out / "report.json").read_text(encoding="utf-8"))["reference"]
        assert reference == result.figures["reference"]
        assert reference["part"] == "test"
        test_rows = result.figures["validation"]["unrestricted"]["data"]["rows"]
        assert reference["reference"]["all"]["rows"] == test_rows
        # The reference is a real fit: it beats the base rate on data with signal.
        base = result.figures["validation"]["unrestricted"]["horizons"]["year1"]["all"]
        assert reference["reference"]["all"]["brier"] < base["brier_base_rate"]
        assert reference["reference"]["all"]["auc"] > 0.6
        for key in ("integer_points", "unrestricted"):
            block = reference["instruments"][key]["male"]
            low, high = block["interval"]
            assert low <= block["difference"] <= high
            # The difference is the instrument's Brier minus the reference's, on the same rows.
            assert block["difference"] == pytest.approx(
                block["brier"] - reference["reference"]["male"]["brier"], abs=2e-5
            )
        html = (out / "report.html").read_text(encoding="utf-8")
        assert "Compared with a plain logistic regression on the same rows" in html

    def test_paired_interval_brackets_the_mean_and_narrows_with_agreement(self) -> None:
        from qadam.assessment.fitting.reference import paired_interval

        rng = np.random.default_rng(3)
        noisy = rng.normal(-0.01, 0.05, 4000)
        low, high = paired_interval(noisy)
        assert low < float(noisy.mean()) < high
        assert high - low == pytest.approx(2 * 1.96 * 0.05 / np.sqrt(4000), rel=0.15)
        assert paired_interval(np.full(500, 0.002)) == pytest.approx((0.002, 0.002))


def test_identical_predictions_give_an_intercept_but_no_slope() -> None:
    from qadam.assessment.fitting.validate import calibration_intercept_slope

    intercept, slope = calibration_intercept_slope(
        np.array([0.3, 0.3, 0.3, 0.3]), np.array([0, 1, 1, 0], dtype=np.int8)
    )
    assert slope is None
    assert intercept is not None
    assert intercept == pytest.approx(np.log(0.5 / 0.5) - np.log(0.3 / 0.7), abs=1e-3)


def test_an_answer_coded_other_or_missing_keeps_the_merged_options_apart() -> None:
    from qadam.assessment.engine.batch import MISSING
    from qadam.assessment.fitting.fit import candidate_item
    from qadam.assessment.fitting.mapping import InputColumn

    values = np.array(["other"] * 40 + ["theft"] * 40 + ["rare"] * 3 + ["missing"] * 35 + [MISSING])
    item = candidate_item(InputColumn(column="offence", type="categorical"), values)
    codes = [option.code for option in item.options]
    assert len(codes) == len(set(codes)), codes
    assert {"other", "missing", "theft"} <= set(codes)
    assert "other_2" in codes  # the rare answers
    assert "missing_2" in codes  # the missing values
