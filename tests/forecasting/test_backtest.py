"""Rolling-origin backtests: right cells, no look-ahead, scores computed as documented."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecasting.backtest import backtest, backtest_forecasts
from forecasting.events import EventBounds
from forecasting.models import QUANTILES
from forecasting.scores import SCORE_COLUMNS, crps_skill, quantile_crps, score, seasonal_naive_scale, summarize
from forecasting.series import series_from_events
from forecasting.sources.files import read_event_file

SHIPPED_SAMPLE = Path(__file__).resolve().parents[2] / "forecasting" / "sample" / "acled_sahel_synthetic.csv.gz"


def series_frame(months: int = 60, count: int = 4, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    periods = pd.date_range("2019-01-01", periods=months, freq="MS")
    frames = [
        pd.DataFrame({"series_id": f"admin1|X|A{i}", "level": "admin1", "period": periods,
                      "value": rng.negative_binomial(2, 2 / (2 + 10.0 * (i + 1)), size=months)})
        for i in range(count)
    ]
    return pd.concat(frames, ignore_index=True)


def test_forecasts_at_an_origin_do_not_see_later_months():
    series = series_frame()
    cells = backtest_forecasts(series, ["negbin", "conflictology"], origins=6, horizons=3, seed=1)
    # Rewrite every month after the earliest origin: forecasts made there must not change.
    earliest = cells["origin"].min()
    changed = series.copy()
    later = changed["period"] > earliest
    changed.loc[later, "value"] = changed.loc[later, "value"] * 7 + 100
    again = backtest_forecasts(changed, ["negbin", "conflictology"], origins=6, horizons=3, seed=1)
    at_origin = lambda frame: frame[frame["origin"] == earliest].sort_values(["model", "series_id", "period"])  # noqa: E731
    before, after = at_origin(cells), at_origin(again)
    pd.testing.assert_frame_equal(
        before[["mean", "q05", "q50", "q95"]].reset_index(drop=True), after[["mean", "q05", "q50", "q95"]].reset_index(drop=True)
    )
    assert not np.allclose(before["observed"].to_numpy(), after["observed"].to_numpy())


def test_cells_cover_every_origin_and_observed_horizon():
    series = series_frame(months=40, count=2)
    cells = backtest_forecasts(series, ["trailing_mean"], origins=5, horizons=3)
    assert sorted(cells["origin"].unique()) == list(pd.date_range("2021-11-01", "2022-03-01", freq="MS"))
    per_horizon = cells.groupby("horizon").size().to_dict()
    assert per_horizon == {1: 2 * 5, 2: 2 * 4, 3: 2 * 3}
    # The outcome joined to each forecast is the series' value in that month.
    values = series.set_index(["series_id", "period"])["value"]
    joined = values.loc[list(zip(cells["series_id"], cells["period"]))].to_numpy()
    assert (cells["observed"].to_numpy() == joined).all()


def test_crps_from_quantiles_matches_the_weighted_interval_score():
    quantiles = np.array([[1.0, 2.0, 4.0, 6.0, 8.0, 11.0, 14.0]])
    observed = np.array([20.0])
    # By hand: every quantile is below 20, so each pinball loss is tau * (20 - q).
    pinball = sum(tau * (20.0 - q) for tau, q in zip(QUANTILES, quantiles[0]))
    assert quantile_crps(observed, quantiles)[0] == pytest.approx(2.0 * pinball / 7)
    # A point mass at the outcome scores 0; a sharper miss scores worse than a wider cover.
    assert quantile_crps(np.array([5.0]), np.full((1, 7), 5.0))[0] == 0.0
    assert quantile_crps(np.array([9.0]), np.full((1, 7), 5.0))[0] > quantile_crps(np.array([9.0]), quantiles)[0]


def test_summary_scores_by_hand():
    cells = pd.DataFrame(
        {
            "model": "m", "level": "admin1", "horizon": 1, "observed": [3.0, 10.0],
            "scale": [2.0, 0.0], "mean": [4.0, 4.0],
            "q05": [0.0, 0.0], "q10": [1.0, 1.0], "q25": [2.0, 2.0], "q50": [4.0, 4.0],
            "q75": [5.0, 5.0], "q90": [7.0, 7.0], "q95": [9.0, 9.0],
        }
    )
    table = summarize(cells)
    row = table.iloc[0]
    assert row["mae"] == pytest.approx((1 + 6) / 2)
    assert row["mase"] == pytest.approx(1 / 2)  # the zero-scale forecast is left out of MASE
    assert row["coverage_50"] == pytest.approx(0.5)  # 3 is in [2, 5]; 10 is not
    assert row["coverage_90"] == pytest.approx(0.5)  # 10 is above q95 = 9
    assert row["n"] == 2
    assert row["crps"] == pytest.approx(score(cells)["crps"].mean())


def test_mase_is_scaled_by_the_recent_years_only():
    # Ten quiet years, then three years of war: the scale is the war's 12-month changes.
    quiet = np.zeros(120)
    war = np.tile([40.0, 10.0], 18)
    values = np.concatenate([quiet, war])[None, :]
    recent = np.abs(values[0, 12:] - values[0, :-12])[-36:].mean()
    assert seasonal_naive_scale(values, years=3)[0] == pytest.approx(recent)
    whole = np.abs(values[0, 12:] - values[0, :-12]).mean()
    assert seasonal_naive_scale(values, years=20)[0] == pytest.approx(whole)
    assert whole < recent / 2  # the whole history would shrink the scale and inflate MASE
    # Left padding (a shorter series in a panel) is ignored; under 13 months there is no scale.
    padded = np.concatenate([np.full((1, 5), np.nan), values[:, 5:]], axis=1)
    assert seasonal_naive_scale(padded, years=3)[0] == pytest.approx(recent)
    assert np.isnan(seasonal_naive_scale(np.ones((1, 12)), years=3)[0])


def test_crps_skill_is_relative_to_conflictology_per_level_and_horizon():
    table = pd.DataFrame(
        {
            "model": ["conflictology", "default", "conflictology", "default", "default"],
            "level": ["admin1", "admin1", "country", "country", "admin2"],
            "horizon": [1, 1, 1, 1, 1],
            "crps": [10.0, 9.0, 40.0, 44.0, 3.0],
        }
    )
    skill = crps_skill(table)
    assert skill.tolist()[:4] == pytest.approx([0.0, 0.1, 0.0, -0.1])
    assert np.isnan(skill.iloc[4])  # no conflictology at admin2 to compare with


def test_backtest_table_has_the_documented_columns_and_baselines_rank_sensibly():
    series = series_frame(months=72, count=6)
    table = backtest(series, ["seasonal_naive", "negbin"], origins=4, horizons=2, seed=3)
    assert list(table.columns) == [
        "model", "level", "horizon", "crps", "crps_skill", "mae", "mase", "coverage_50", "coverage_90", "n"
    ]
    # Conflictology is scored even when not asked for: skill is measured against it.
    assert set(table["model"]) == {"seasonal_naive", "conflictology", "negbin"}
    reference = table[table["model"] == "conflictology"].set_index("horizon")["crps"]
    for row in table.itertuples():
        assert row.crps_skill == pytest.approx(1 - row.crps / reference[row.horizon])
    assert (table.loc[table["model"] == "conflictology", "crps_skill"] == 0).all()
    mean_crps = table.groupby("model")["crps"].mean()
    # On stationary negative binomial noise, last year's month is a poor guess.
    assert mean_crps["negbin"] < mean_crps["seasonal_naive"]
    assert mean_crps["conflictology"] < mean_crps["seasonal_naive"]


def test_the_default_model_beats_last_years_month_on_stationary_noise():
    """The same table for the default model (the ensemble): about 4 s, most of it the ensemble
    backtesting its members to weigh them, which is why `make mutate` leaves this test out of
    the models' judges (the ensemble is not among the files it mutates) and judges the table
    by the test above."""
    series = series_frame(months=72, count=6)
    table = backtest(series, ["seasonal_naive", "default"], origins=4, horizons=2, seed=3)
    assert set(table["model"]) == {"seasonal_naive", "conflictology", "default"}
    mean_crps = table.groupby("model")["crps"].mean()
    assert mean_crps["default"] < mean_crps["seasonal_naive"]


@pytest.fixture(scope="module")
def shipped_admin1_series() -> pd.DataFrame:
    """The shipped sample's admin1 fatality series (31 series, 2018-01 .. 2025-08): the same
    frame `conflictwatch ingest` + `backtest --level admin1` builds from the store."""
    _, _, validated = read_event_file(SHIPPED_SAMPLE, EventBounds(today=dt.date(2026, 1, 1)))
    return series_from_events(validated.events, "admin1")


def test_default_beats_the_field_benchmarks_at_admin1_on_the_shipped_sample(shipped_admin1_series):
    """Issue 5, criterion 3, on the sample the default was first chosen on: lower mean CRPS than
    conflictology and seasonal naive, 90% intervals covering 85-95% of outcomes. The last 6 of
    the 24 origins docs/benchmarks.md reports (1-6 months ahead, 609 forecasts per model), to
    keep the test to seconds. The claims that matter are measured on held-out worlds too
    (tests/forecasting/models/test_realistic.py)."""
    assert shipped_admin1_series["series_id"].nunique() == 29  # admin1 units with political violence
    cells = backtest_forecasts(
        shipped_admin1_series, ["default", "conflictology", "seasonal_naive"], origins=6, horizons=6, seed=0
    )
    scored = score(cells).join(cells["model"])
    per_model = scored.groupby("model").agg(crps=("crps", "mean"), coverage_90=("in_90", "mean"), n=("crps", "size"))
    assert (per_model["n"] == 29 * (1 + 2 + 3 + 4 + 5 + 6)).all()
    assert per_model.loc["default", "crps"] < per_model.loc["conflictology", "crps"]
    assert per_model.loc["default", "crps"] < per_model.loc["seasonal_naive", "crps"]
    assert 0.85 <= per_model.loc["default", "coverage_90"] <= 0.95


def test_a_forecast_error_is_scaled_by_a_scale_under_one_too():
    cells = pd.DataFrame({"observed": [3.0], "scale": [0.5], "q05": [0.0], "q10": [0.0], "q25": [1.0], "q50": [2.0],
                          "q75": [2.0], "q90": [4.0], "q95": [4.0]})
    assert score(cells)["scaled_error"].tolist() == [2.0]  # |3 - 2| / 0.5


def test_backtest_defaults_are_24_origins_6_months_ahead_seed_0_and_it_passes_its_settings_on():
    series = series_frame(months=40, count=2)
    table = backtest(series, ["trailing_mean"])
    assert table.groupby("horizon")["n"].first().to_dict() == {1: 48, 2: 46, 3: 44, 4: 42, 5: 40, 6: 38}
    cells = backtest_forecasts(series, ["conflictology"])
    assert cells.groupby("horizon").size().to_dict() == {1: 48, 2: 46, 3: 44, 4: 42, 5: 40, 6: 38}
    pd.testing.assert_frame_equal(cells, backtest_forecasts(series, ["conflictology"], origins=24, horizons=6, seed=0))
    settings = dict(origins=3, horizons=2, seed=5, mase_years=1)
    expected = summarize(backtest_forecasts(series, ["trailing_mean", "conflictology"], **settings))
    pd.testing.assert_frame_equal(backtest(series, ["trailing_mean"], **settings), expected)
    assert not backtest(series, ["trailing_mean"], origins=3, horizons=2, seed=6, mase_years=1).equals(expected)
    default_seed = summarize(backtest_forecasts(series, ["trailing_mean", "conflictology"], origins=3, horizons=2, seed=0))
    pd.testing.assert_frame_equal(backtest(series, ["trailing_mean"], origins=3, horizons=2), default_seed)


def test_each_cells_scale_is_the_seasonal_naives_over_the_years_asked_for():
    # One origin, a month before the end: the history is every month but the last, and the MASE
    # scale is its mean absolute 12-month change over the last `mase_years` years (config.yaml's
    # `mase_years`, handed down by the forecast job), 3 by default.
    series = series_frame(months=40, count=2)
    history = np.stack([group["value"].to_numpy(dtype=float)[:-1] for _, group in series.groupby("series_id")])
    for years in (1, 2, None):
        asked = {} if years is None else {"mase_years": years}
        cells = backtest_forecasts(series, ["trailing_mean"], origins=1, horizons=1, **asked)
        scales = cells.sort_values("series_id")["scale"].to_numpy()
        assert scales.tolist() == seasonal_naive_scale(history, years or 3).tolist()
    assert seasonal_naive_scale(history, 1).tolist() != seasonal_naive_scale(history, 3).tolist()


def test_crps_of_an_outcome_below_every_quantile_and_over_series_and_months_ahead():
    # Every quantile at 10 and nothing happened: each pinball loss is (1 - tau) * 10, summing to
    # 10 * (7 - 3.5) = 35; CRPS = 2 * 35 / 7 = 10.
    assert quantile_crps(np.array([0.0]), np.full((1, 7), 10.0))[0] == pytest.approx(10.0)
    # Series x months ahead x quantiles: one score per series and month.
    grid = np.stack([np.full((3, 7), 10.0), np.full((3, 7), 20.0)])
    assert quantile_crps(np.zeros((2, 3)), grid) == pytest.approx(np.array([[10.0] * 3, [20.0] * 3]))


def test_outcomes_on_an_interval_bound_are_inside_it_and_scores_keep_the_cells_index():
    cells = pd.DataFrame({"observed": [2.0, 9.0], "scale": [1.0, 1.0], "q05": [0.0, 0.0], "q10": [1.0, 1.0],
                          "q25": [2.0, 2.0], "q50": [4.0, 4.0], "q75": [5.0, 9.0], "q90": [7.0, 9.0], "q95": [9.0, 9.0]},
                         index=[5, 9])
    scored = score(cells)
    assert scored.index.tolist() == [5, 9]
    assert scored["in_50"].tolist() == [True, True] and scored["in_90"].tolist() == [True, True]


def test_summaries_are_sorted_and_an_empty_backtest_has_the_columns():
    assert list(summarize(pd.DataFrame()).columns) == list(SCORE_COLUMNS)
    cells = pd.DataFrame({"model": ["z", "a"], "level": "admin1", "horizon": 1, "observed": 1.0, "scale": 1.0,
                          **{column: 1.0 for column in ("q05", "q10", "q25", "q50", "q75", "q90", "q95")}})
    assert summarize(cells)["model"].tolist() == ["a", "z"]


def test_crps_skill_is_undefined_against_a_perfect_reference_or_without_one():
    table = pd.DataFrame({"model": ["conflictology", "default", "conflictology", "default"],
                          "level": ["admin1", "admin1", "country", "country"], "horizon": [1, 1, 1, 1],
                          "crps": [0.0, 2.0, 0.5, 0.25]}, index=[7, 8, 9, 10])
    skill = crps_skill(table)
    assert skill.index.tolist() == [7, 8, 9, 10]
    assert np.isnan(skill[7]) and np.isnan(skill[8]) and skill[10] == pytest.approx(0.5)
    unleveled = crps_skill(table.drop(columns=["level"]))
    assert unleveled.index.tolist() == [7, 8, 9, 10] and unleveled.dtype == float and unleveled.isna().all()
