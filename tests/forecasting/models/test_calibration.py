"""Conformal calibration, ensemble weights and the robust level: each checked where it could fail."""

from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd
import pytest

from forecasting.models import make_model
from forecasting.models.base import QUANTILE_COLUMNS, QUANTILES, Panel, forecast_frame
from forecasting.models.calibration import (
    ANY,
    Calibration,
    adaptive_ends,
    apply_calibration,
    fit_calibration,
    inner_scale,
    recency_weights,
    residual_quantiles,
    scaled_inner,
)
from forecasting.models.ensemble import combine_cells, ensemble_weights, member_record
from forecasting.models.robust import RobustLevel
from forecasting.models.rolling import rolling_origin_forecasts
from forecasting.scores import score


class TooSure:
    """A deliberately wrong model family: Poisson-narrow intervals around the trailing mean, on
    series whose months are far more dispersed than that. The same band at every horizon
    (`centre` and `spread` say which)."""

    name = "too_sure"
    min_months = 1

    def fit(self, panel: Panel):
        self.panel = panel
        return self

    def centre(self) -> np.ndarray:
        return np.nanmean(self.panel.values[:, -12:], axis=1)

    def spread(self, centre: np.ndarray) -> np.ndarray:
        return np.sqrt(centre)[:, None] * np.array([-1.0, -0.8, -0.4, 0.0, 0.4, 0.8, 1.0])

    def predict(self, horizon: int) -> pd.DataFrame:
        centre = self.centre()
        quantiles = np.repeat((centre[:, None] + self.spread(centre))[:, None, :], horizon, axis=1)
        return forecast_frame(self.panel, self.name, np.repeat(centre[:, None], horizon, axis=1), quantiles)


def dispersed_series(seed: int, count: int = 40, months: int = 72) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    periods = pd.date_range("2019-01-01", periods=months, freq="MS")
    level = rng.gamma(2.0, 10.0, size=count)
    frames = [
        pd.DataFrame({"series_id": f"admin2|X|R|D{i}", "level": "admin2", "period": periods,
                      "value": rng.negative_binomial(0.8, 0.8 / (0.8 + level[i]), size=months)})
        for i in range(count)
    ]
    return pd.concat(frames, ignore_index=True)


def coverage(cells: pd.DataFrame) -> tuple[float, float]:
    scored = score(cells.assign(scale=1.0))
    return float(scored["in_50"].mean()), float(scored["in_90"].mean())


def issued(cells: pd.DataFrame, calibration: Calibration) -> pd.DataFrame:
    """Rolling-origin `cells` of admin2 series as `calibration` would have issued them, origin by
    origin, with their outcomes and months ahead."""
    levels = pd.Series("admin2", index=cells["series_id"].unique())
    return pd.concat(
        [apply_calibration(frame.drop(columns=["origin", "horizon", "observed", "scale", "level"]), levels, calibration)
         .assign(observed=frame["observed"].to_numpy(), horizon=frame["horizon"].to_numpy())
         for _, frame in cells.groupby("origin")],
        ignore_index=True,
    )


def test_calibration_repairs_a_wrong_model_family_on_held_out_months():
    """Shifts learnt on one set of series and months bring a far too narrow model's 50% and 90%
    intervals to 45-55% and 85-95% on other series it never saw."""
    models = {"too_sure": TooSure}
    learnt = rolling_origin_forecasts(Panel.from_series(dispersed_series(1)), models, origins=12, horizons=3)
    held_out = rolling_origin_forecasts(Panel.from_series(dispersed_series(2)), models, origins=12, horizons=3)
    raw_50, raw_90 = coverage(held_out)
    assert raw_90 < 0.6  # the model really is wrong

    # Every quantile, as plain split conformal.
    plain = fit_calibration(learnt, adjusted=QUANTILES, margin=0.0, inner=False)
    assert not plain.inner_scale
    fixed_50, fixed_90 = coverage(issued(held_out, plain))
    assert 0.45 <= fixed_50 <= 0.55, fixed_50
    assert 0.85 <= fixed_90 <= 0.95, fixed_90
    # The ensemble's own: the 90% interval's ends shifted, the 50% interval's width scaled.
    default = fit_calibration(learnt)
    assert default.scale_for("admin2") > 1.2  # the model's 50% interval was far too narrow
    fixed_50, fixed_90 = coverage(issued(held_out, default))
    assert 0.45 <= fixed_50 <= 0.55, fixed_50
    assert 0.85 <= fixed_90 <= 0.95, fixed_90


def test_the_50_percent_width_factor_matches_coverage_and_leaves_ties_alone():
    # Outcomes 0..99 around a median of 49.5 with a 50% interval of [40, 60] (20% of them): the
    # factor that holds half of them widens it on the root scale.
    observed = np.arange(100, dtype=float)
    quantiles = np.tile([5.0, 10.0, 40.0, 49.5, 60.0, 90.0, 95.0], (100, 1))
    scale = inner_scale(quantiles, observed)
    low, high = scaled_inner(quantiles, scale)
    assert scale > 2.0
    assert abs(np.mean((low <= observed) & (observed <= high)) - 0.5) <= 0.02
    # Every outcome 0 and every quantile 0: no factor changes the coverage, so it stays 1.
    assert inner_scale(np.zeros((50, 7)), np.zeros(50)) == 1.0
    # A level with too few forecasts takes the pooled factor.
    rows = [{"level": level, "horizon": 1, "observed": float(value), **dict(zip(QUANTILE_COLUMNS, quantiles[0]))}
            for level, count in (("admin1", 100), ("country", 10)) for value in np.linspace(0, 99, count)]
    calibration = fit_calibration(pd.DataFrame(rows))
    assert ("country", ANY) not in calibration.inner_scale and ("country", 1) not in calibration.inner_scale
    # Forecasts of one horizon (detect's) get the factors over all horizons only: the same numbers.
    assert {horizon for _, horizon in calibration.inner_scale} == {ANY}
    assert calibration.scale_for("admin1", 1) == calibration.inner_scale[("admin1", ANY)]
    assert calibration.scale_for("country", 1) == calibration.scale_for("country") == calibration.inner_scale[(ANY, ANY)]


class FlatBand(TooSure):
    """A wrong model family for drifting series: the last month carried forward with the same
    band at every horizon, where the series' real spread grows with the months ahead."""

    name = "flat_band"

    def centre(self) -> np.ndarray:
        return self.panel.values[:, -1]

    def spread(self, centre: np.ndarray) -> np.ndarray:
        return 0.1 * centre[:, None] * np.array([-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0])


def drifting_series(seed: int, count: int = 60, months: int = 72) -> pd.DataFrame:
    """Series that wander: a multiplicative random walk around a few hundred a month, so that
    what a forecast misses by grows with the months ahead (and counts rarely tie)."""
    rng = np.random.default_rng(seed)
    periods = pd.date_range("2019-01-01", periods=months, freq="MS")
    walks = 300.0 * np.exp(np.cumsum(rng.normal(0.0, 0.15, size=(count, months)), axis=1))
    return pd.concat(
        [pd.DataFrame({"series_id": f"admin2|X|R|D{i}", "level": "admin2", "period": periods, "value": np.round(walks[i])})
         for i in range(count)],
        ignore_index=True,
    )


def test_the_50_percent_width_follows_the_months_ahead():
    """A model whose band does not widen with the months ahead, on series whose misses do: the
    50% interval's width factor is fitted per months ahead, so the interval holds about half of
    held-out outcomes one month ahead and six months ahead alike. One factor for all horizons
    would leave the first month's too wide and the sixth's too narrow."""
    models = {"flat_band": FlatBand}
    learnt = rolling_origin_forecasts(Panel.from_series(drifting_series(1)), models, origins=12, horizons=6)
    held_out = rolling_origin_forecasts(Panel.from_series(drifting_series(2)), models, origins=12, horizons=6)
    calibration = fit_calibration(learnt)
    assert calibration.scale_for("admin2", 6) > 1.5 * calibration.scale_for("admin2", 1)
    by_horizon = issued(held_out, calibration)
    for horizon in (1, 6):
        within, _ = coverage(by_horizon[by_horizon["horizon"] == horizon])
        assert 0.43 <= within <= 0.57, (horizon, within)
    # One factor for every horizon, as before 2026-12-01: too wide at one month, too narrow at six.
    pooled = issued(held_out, Calibration(calibration.shifts, calibration.horizons,
                                          {(ANY, ANY): calibration.scale_for("admin2")}))
    assert coverage(pooled[pooled["horizon"] == 1])[0] > 0.6
    assert coverage(pooled[pooled["horizon"] == 6])[0] < 0.4


def test_residual_quantiles_round_the_tails_outward():
    residuals = np.repeat(np.arange(20, dtype=float)[:, None], len(QUANTILES), axis=1)
    shifts = residual_quantiles(residuals)
    assert shifts[0] == 0.0  # 5% of 20: the lower order statistic (0.95), not an interpolation
    assert shifts[-1] == 19.0  # 95%: the higher one (18.05 -> 19)
    assert shifts[3] == pytest.approx(9.5)  # the median interpolates


def test_by_default_only_the_ends_of_the_90_percent_interval_move_and_a_little_further_out():
    """The ensemble's calibration: q05 and q95 get the 4th and 96th percentiles of their
    residuals; the median and the inner quantiles are left as the members said."""
    rows = [{"level": "admin1", "horizon": 1, "observed": float(value), **{name: 50.0 for name in QUANTILE_COLUMNS}}
            for value in range(100)]
    cells = pd.DataFrame(rows)
    residuals = np.sqrt(cells["observed"].to_numpy()) - np.sqrt(50.0)
    shifts = fit_calibration(cells).shift_for("admin1", 1)
    assert shifts[1:-1].tolist() == [0.0] * 5
    assert shifts[0] == pytest.approx(np.quantile(residuals, 0.04, method="lower"))  # observed 3, not 4
    assert shifts[-1] == pytest.approx(np.quantile(residuals, 0.96, method="higher"))  # observed 96, not 95
    assert (np.sqrt(50.0) + shifts[0]) ** 2 == pytest.approx(3.0)
    plain = fit_calibration(cells, margin=0.0).shift_for("admin1", 1)
    assert plain[0] > shifts[0] and plain[-1] < shifts[-1]


def test_recent_origins_weigh_more_so_a_war_that_starts_moves_the_interval_sooner():
    """Residuals halve their weight every HALF_LIFE (12) months of origin. After 30 calm origins
    (outcomes a root below, at or above the forecast) and 6 of a war (4 roots above), the war's
    forecasts are 17% of the record counted alike and 33% weighted: the 75th percentile of the
    residuals is a calm one counted alike, the war's weighted."""
    from forecasting.models import calibration

    origins = pd.date_range("2022-01-01", periods=36, freq="MS")
    rows = []
    for index, origin in enumerate(origins):
        for series in range(3):
            residual = 4.0 if index >= 30 else (-1.0, 0.0, 1.0)[series]
            rows.append({"level": "country", "horizon": 1, "origin": origin, "observed": (10.0 + residual) ** 2,
                         **{name: 100.0 for name in QUANTILE_COLUMNS}})
    cells = pd.DataFrame(rows)
    weights = recency_weights(cells, 12.0)
    assert weights.max() == 1.0 and weights[(cells["origin"] == origins[-13]).to_numpy()] == pytest.approx(0.5)
    assert weights[cells["origin"] >= origins[30]].sum() / weights.sum() == pytest.approx(0.335, abs=0.005)
    assert recency_weights(cells, None) is None and recency_weights(cells.drop(columns="origin"), 12.0) is None
    assert calibration.HALF_LIFE == 12.0
    q75 = QUANTILES.index(0.75)
    weighted = fit_calibration(cells, adjusted=QUANTILES, margin=0.0, inner=False).shift_for("country", 1)
    try:
        calibration.HALF_LIFE = None
        plain = fit_calibration(cells, adjusted=QUANTILES, margin=0.0, inner=False).shift_for("country", 1)
    finally:
        calibration.HALF_LIFE = 12.0
    assert weighted[q75] == pytest.approx(4.0) and plain[q75] == pytest.approx(1.0)
    # The lower tail is calm either way.
    assert weighted[0] == pytest.approx(-1.0) and plain[0] == pytest.approx(-1.0)


def parent_cells(outcomes: dict[str, list[float]], horizon: int = 1) -> pd.DataFrame:
    """Rolling-origin cells of countries forecast alike at every origin (q05 81, q95 144: roots 9
    and 12, median 100), with the given outcomes in origin order."""
    origins = pd.date_range("2022-01-01", periods=max(len(values) for values in outcomes.values()), freq="MS")
    forecast = dict(zip(QUANTILE_COLUMNS, (81.0, 90.0, 95.0, 100.0, 105.0, 120.0, 144.0)))
    return pd.DataFrame([
        {"series_id": series_id, "level": "country", "horizon": horizon, "origin": origin,
         "period": origin + pd.DateOffset(months=horizon), "observed": observed, **forecast}
        for series_id, values in outcomes.items() for origin, observed in zip(origins, values)
    ])


def test_a_parent_that_jumps_widens_its_own_interval_and_a_calm_one_narrows_back():
    """Quantile tracking per series (`adaptive_ends`) on forecasts as issued: a country whose outcomes jump above its q95 for 6 months widens its upper end by about
    6 misses x 0.96 x step x width (width: 3 roots), its lower end drifts in; a calm country narrows
    both ends a little; and once the jump is over, the widening shrinks month by month."""
    calm = [100.0] * 36
    jump = [100.0] * 30 + [400.0] * 6
    cells = parent_cells({"calm": calm, "jump": jump})
    offsets = adaptive_ends(cells, ("country",), step=0.1, horizons=1)
    low, high = QUANTILES.index(0.05), QUANTILES.index(0.95)
    assert offsets["jump"][0, high] == pytest.approx(0.3 * (6 * 0.96 - 30 * 0.04))
    assert offsets["calm"][0, high] == pytest.approx(-0.3 * 36 * 0.04) == offsets["calm"][0, low]
    assert offsets["jump"][0, 1:high].tolist() == [0.0] * (high - 1)
    # Applied to a new forecast: the jumping country's q95 root is 12 + 1.368, the calm one's 12 - 0.432.
    forecast = parent_cells({"calm": [0.0], "jump": [0.0]})[["series_id", "period", *QUANTILE_COLUMNS]]
    calibrated = apply_calibration(forecast, pd.Series({"calm": "country", "jump": "country"}),
                                   Calibration({}, 1, {}, offsets)).set_index("series_id")
    assert np.sqrt(calibrated.loc["jump", "q95"]) == pytest.approx(13.368)
    assert np.sqrt(calibrated.loc["calm", "q95"]) == pytest.approx(11.568)
    assert np.sqrt(calibrated.loc["calm", "q05"]) == pytest.approx(9.432)
    # After the jump, calm months bring the widening back down; without `narrow` it never goes below 0.
    after = adaptive_ends(parent_cells({"jump": jump + [100.0] * 12}), ("country",), step=0.1, horizons=1)
    assert 0 < after["jump"][0, high] < offsets["jump"][0, high]
    wide = adaptive_ends(cells, ("country",), step=0.1, horizons=1, narrow=False)
    assert wide["calm"][0, high] == 0.0 and wide["jump"][0, high] == pytest.approx(0.3 * 6 * 0.96)
    # Other levels are left to the pooled calibration.
    assert adaptive_ends(cells, ("admin1",), step=0.1, horizons=1) == {}


def test_a_forecast_months_ahead_is_judged_with_the_widening_known_at_its_origin():
    """Three months ahead, the first three misses in a row are each judged with no widening yet
    (their outcomes come after the origins of the next two), so each moves the end out in full;
    one month ahead, the second and third are judged with the first's widening (beyond the
    outcome here, so no miss)."""
    outcomes = {"war": [100.0] * 10 + [169.0] * 3}
    step, width = 1.0, 3.0
    three = adaptive_ends(parent_cells(outcomes, horizon=3), ("country",), step, horizons=3)["war"][2, -1]
    one = adaptive_ends(parent_cells(outcomes, horizon=1), ("country",), step, horizons=1)["war"][0, -1]
    assert three == pytest.approx(step * width * (3 * 0.96 - 10 * 0.04))
    assert one == pytest.approx(step * width * (0.96 - 12 * 0.04))


def test_calibration_pools_where_a_level_and_horizon_has_too_few_residuals():
    rows = []
    for level, count, residual in (("admin1", 100, 1.0), ("country", 10, -1.0)):
        for index in range(count):
            quantile = 9.0
            observed = (np.sqrt(quantile) + residual) ** 2
            rows.append({"level": level, "horizon": 1, "observed": observed, **{name: quantile for name in QUANTILE_COLUMNS}})
    calibration = fit_calibration(pd.DataFrame(rows), adjusted=QUANTILES)
    assert calibration.shift_for("admin1", 1) == pytest.approx(np.ones(len(QUANTILES)))
    # The country's 10 residuals are too few, at its horizon and over all: it gets the shifts of
    # all 110 pooled.
    assert ("country", 1) not in calibration.shifts
    np.testing.assert_allclose(calibration.shift_for("country", 1), calibration.shifts[(ANY, 1)])
    # With horizons: the level's own shifts plus the horizon's departure from the pooled ones.
    made = Calibration(
        {("country", ANY): np.full(7, -0.5), (ANY, 3): np.full(7, 0.4), (ANY, ANY): np.full(7, 0.1)}, 6
    )
    np.testing.assert_allclose(made.shift_for("country", 3), np.full(7, -0.5 + 0.4 - 0.1))
    np.testing.assert_allclose(made.shift_for("country", 2), np.full(7, -0.5))
    # Beyond the calibrated horizons, the furthest one's shifts.
    np.testing.assert_allclose(calibration.shift_for("admin1", 6), calibration.shift_for("admin1", 1))
    # Nothing known: quantiles stay as they are.
    assert not Calibration({}, 1).shift_for("admin2", 1).any()


def test_apply_calibration_shifts_on_the_square_root_scale_and_keeps_the_contract():
    panel = Panel.from_series(dispersed_series(3, count=2, months=24))
    quantiles = np.tile(np.array([0.0, 1.0, 3.0, 9.0, 15.0, 30.0, 40.0]), (2, 2, 1))
    frame = forecast_frame(panel, "m", np.full((2, 2), 10.0), quantiles)
    shifts = np.array([-1.0, -1.0, 0.0, 0.0, 0.0, 0.5, 0.5])
    calibration = Calibration({("admin2", 1): shifts, ("admin2", 2): np.zeros(7)}, 2)
    levels = pd.Series("admin2", index=panel.series_ids)
    result = apply_calibration(frame, levels, calibration)
    first = result[result["period"] == result["period"].min()][list(QUANTILE_COLUMNS)].to_numpy()[0]
    expected = np.clip(np.sqrt([0.0, 1.0, 3.0, 9.0, 15.0, 30.0, 40.0]) + shifts, 0, None) ** 2
    np.testing.assert_allclose(first, np.sort(expected))
    assert first[0] == 0.0  # shifted below zero on the root scale: floored at 0, never negative
    second = result[result["period"] == result["period"].max()][list(QUANTILE_COLUMNS)].to_numpy()[0]
    np.testing.assert_allclose(second, [0.0, 1.0, 3.0, 9.0, 15.0, 30.0, 40.0])
    assert (result["mean"] == frame["mean"]).all()


def test_ensemble_weights_follow_the_better_member_and_are_pure():
    series = dispersed_series(4, count=10, months=48)
    panel = Panel.from_series(series)

    members = {"trailing_mean": partial(make_model, "trailing_mean"), "too_sure": TooSure}
    cells = rolling_origin_forecasts(panel, members, origins=6, horizons=2)
    # Make "too_sure" exact: quantiles equal to the outcome, so any weight on the other costs.
    exact = cells["model"] == "too_sure"
    cells.loc[exact, list(QUANTILE_COLUMNS)] = np.repeat(cells.loc[exact, "observed"].to_numpy()[:, None], 7, axis=1)
    record = member_record(cells, ["trailing_mean", "too_sure"])
    weights = ensemble_weights(record, 2)
    np.testing.assert_allclose(weights["admin2"], [0.0, 1.0])
    shuffled = member_record(cells.sample(frac=1.0, random_state=0), ["trailing_mean", "too_sure"])
    np.testing.assert_allclose(ensemble_weights(shuffled, 2)["admin2"], weights["admin2"])
    # Between two members each right half the time, the mix beats either alone.
    halves = cells.copy()
    rows = halves["model"] == "trailing_mean"
    halves.loc[rows, list(QUANTILE_COLUMNS)] = np.repeat(halves.loc[rows, "observed"].to_numpy()[:, None] + 10.0, 7, axis=1)
    halves.loc[~rows, list(QUANTILE_COLUMNS)] = np.repeat(halves.loc[~rows, "observed"].to_numpy()[:, None] - 10.0, 7, axis=1)
    np.testing.assert_allclose(ensemble_weights(member_record(halves, ["trailing_mean", "too_sure"]), 2)["admin2"], [0.5, 0.5])
    # The combined record is the weighted average, cell by cell.
    combined = combine_cells(record, {"admin2": np.array([0.5, 0.5])})
    mine = cells[cells["model"] == "trailing_mean"].sort_values(["series_id", "origin", "period"])
    other = cells[cells["model"] == "too_sure"].sort_values(["series_id", "origin", "period"])
    np.testing.assert_allclose(
        combined["q50"].to_numpy(), 0.5 * mine["q50"].to_numpy() + 0.5 * other["q50"].to_numpy()
    )


def test_one_massacre_barely_moves_the_robust_level_but_a_lasting_rise_gets_through():
    periods = pd.date_range("2020-01-01", periods=36, freq="MS")
    calm = np.random.default_rng(5).poisson(6, size=36)
    spike = calm.copy()
    spike[-3] += 150  # one event of 150 deaths three months ago
    rise = calm.copy()
    rise[-8:] += 30  # eight months of a new regime
    frame = pd.concat(
        [pd.DataFrame({"series_id": name, "level": "admin2", "period": periods, "value": values})
         for name, values in (("calm", calm), ("spike", spike), ("rise", rise))],
        ignore_index=True,
    )
    panel = Panel.from_series(frame)
    robust = RobustLevel().fit(panel).predict(1).set_index("series_id")["mean"]
    trailing = make_model("trailing_mean").fit(panel).predict(1).set_index("series_id")["mean"]
    assert trailing["spike"] - trailing["calm"] == pytest.approx(150 / 12)
    assert robust["spike"] - robust["calm"] < 4  # a trailing mean moves 12.5
    assert robust["rise"] > 25  # the new level (about 36) is mostly taken in


def test_a_level_of_few_series_takes_the_weights_of_the_level_below_it():
    from forecasting.models.ensemble import share_weights

    def panel(countries: int) -> Panel:
        levels = np.array(["country"] * countries + ["admin1"] * 12, dtype=object)
        ids = np.array([f"s{i}" for i in range(len(levels))], dtype=object)
        return Panel(ids, np.ones((len(levels), 3)), np.full(len(levels), np.datetime64("2025-01", "M")),
                     np.full(len(levels), 3), levels)

    weights = {"country": np.array([1.0, 0.0]), "admin1": np.array([0.3, 0.7])}
    shared = share_weights(weights, panel(3))
    np.testing.assert_allclose(shared["country"], [0.3, 0.7])
    np.testing.assert_allclose(weights["country"], [1.0, 0.0])  # the input is left as it was
    np.testing.assert_allclose(share_weights(weights, panel(10))["country"], [1.0, 0.0])  # enough to weigh
    assert share_weights({"country": np.array([1.0, 0.0])}, panel(3))["country"].tolist() == [1.0, 0.0]
