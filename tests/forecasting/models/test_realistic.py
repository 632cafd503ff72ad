"""The realistic labelled worlds really carry what real conflict series have (and the tests
measured on them would otherwise be measured on the same easy noise as before)."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest
from realistic_series import (
    HELD_OUT_SEEDS,
    ORIGINAL_HELD_OUT_SEEDS,
    RISING_SEEDS,
    RISING_TUNING_SEEDS,
    STRESS_SEEDS,
    TUNING_SEEDS,
    make_world,
)


def test_worlds_carry_long_regimes_ramps_massacres_and_sudden_onsets():
    rising = []
    for seed in (*TUNING_SEEDS, *HELD_OUT_SEEDS):
        world = make_world(seed)
        # Regimes that last years: the median spell is at least two years.
        assert world.regimes["months"].median() >= 24, seed
        # Mass-casualty events of 100+ deaths, and the district series really show them.
        assert len(world.mass_casualty) >= 5, seed
        assert (world.mass_casualty["deaths"] >= 100).all()
        district = world.admin2.set_index(["admin2", "period"])["value"]
        hits = world.mass_casualty.set_index(["admin2", "period"])["deaths"]
        assert (district.reindex(hits.index).to_numpy() >= hits.to_numpy()).all()
        # Long quiet, then sudden onset: a region quiet for 3+ years whose next regime is a war.
        spells = world.regimes.sort_values(["admin1", "start"])
        onsets = 0
        for _, region in spells.groupby("admin1"):
            regimes = region["regime"].tolist()
            months = region["months"].tolist()
            onsets += sum(
                1 for a, b, m in zip(regimes, regimes[1:], months) if a == "quiet" and m >= 36 and b in ("active", "escalation")
            )
        assert onsets >= 2, seed
        # Years-long escalation ramps the region's own series shows: the least-squares slope of
        # log(1 + deaths) over a ramp's months at least 2% a month, in every world for at least
        # two ramps and in 85% of all ramps (noise and massacres blur a few); and slow declines.
        region = world.admin1.set_index(["admin1", "period"])["value"]
        ramps = spells[(spells["regime"] == "ramp") & (spells["months"] >= 18)]
        assert ramps["growth"].between(0.02, 0.1).all(), seed
        slopes = [
            np.polyfit(np.arange(ramp.months), np.log1p(region.loc[ramp.admin1].loc[ramp.start:].iloc[: ramp.months]), 1)[0]
            for ramp in ramps.itertuples()
        ]
        rising += [slope >= 0.02 for slope in slopes]
        assert sum(slope >= 0.02 for slope in slopes) >= 2, (seed, slopes)
        declines = spells[(spells["regime"] == "decline") & (spells["months"] >= 12)]
        assert len(declines) >= 1 and (declines["growth"] < 0).all(), seed
    assert np.mean(rising) >= 0.85, np.mean(rising)


def test_levels_add_up_and_the_same_seed_gives_the_same_world():
    world = make_world(HELD_OUT_SEEDS[0])
    districts = world.admin2.groupby(["country", "admin1", "period"])["value"].sum()
    regions = world.admin1.set_index(["country", "admin1", "period"])["value"]
    pd.testing.assert_series_equal(districts.sort_index(), regions.sort_index(), check_names=False)
    countries = world.admin1.groupby(["country", "period"])["value"].sum()
    assert (countries.sort_index().to_numpy() == world.country.set_index(["country", "period"])["value"].sort_index().to_numpy()).all()
    again = make_world(HELD_OUT_SEEDS[0])
    pd.testing.assert_frame_equal(world.admin2, again.admin2)
    assert not np.array_equal(make_world(HELD_OUT_SEEDS[1]).admin2["value"], world.admin2["value"])


def _regions_moving_together(world) -> float:
    """Median over countries of the mean correlation between its regions' yearly log1p deaths."""
    yearly = world.admin1.assign(year=world.admin1["period"].dt.year).groupby(["country", "admin1", "year"])["value"].sum()
    correlations = []
    for _, country in yearly.groupby(level="country"):
        table = np.log1p(country.unstack("year").to_numpy(dtype=float))
        matrix = np.corrcoef(table)
        correlations.append(matrix[np.triu_indices_from(matrix, k=1)].mean())
    return float(np.median(correlations))


def test_stress_worlds_are_country_wide_wars_with_faster_ramps():
    """The stress worlds (reported in docs/benchmarks.md, never tuned on): each country's regions
    follow one war, so they move together far more than the ordinary worlds' independent regions;
    its ramps are faster; levels still add up and the worlds differ from the ordinary ones."""
    stress = [make_world(seed, national=True) for seed in STRESS_SEEDS]
    ordinary = [make_world(seed) for seed in STRESS_SEEDS]
    together = np.median([_regions_moving_together(world) for world in stress])
    apart = np.median([_regions_moving_together(world) for world in ordinary])
    assert together >= 0.5 and together >= apart + 0.3, (together, apart)
    growth = pd.concat([world.regimes for world in stress]).query("regime == 'ramp' and months >= 12")["growth"]
    assert growth.max() >= 0.1 and growth.median() >= 0.06, growth.describe()
    for world in stress:
        regions = world.admin1.groupby(["country", "period"])["value"].sum().sort_index().to_numpy()
        assert (regions == world.country.set_index(["country", "period"])["value"].sort_index().to_numpy()).all()
        assert len(world.mass_casualty) >= 5
    assert not np.array_equal(stress[0].admin2["value"], ordinary[0].admin2["value"])


def test_rising_worlds_end_inside_a_war_that_is_still_growing():
    """The rising worlds (issue 16's real exports end in the middle of an escalation): each
    region's last spell is a ramp of 3-6% a month, so every country's deaths grow over its last
    three years (the least-squares slope of log(1 + deaths) at least 1% a month, and 2% for nine
    in ten countries; noise, lags and massacres blur the rest), its last twelve months typically
    three times the twelve three years before; levels still add up."""
    slopes, ratios = [], []
    for seed in (*RISING_TUNING_SEEDS, *RISING_SEEDS):
        world = make_world(seed, national=True, rising=True)
        for _, series in world.country.groupby("country"):
            values = series.sort_values("period")["value"].to_numpy(dtype=float)
            slopes.append(np.polyfit(np.arange(36), np.log1p(values[-36:]), 1)[0])
            ratios.append(values[-12:].sum() / max(values[-48:-36].sum(), 1.0))
        last = world.regimes.sort_values("start").groupby(["country", "admin1"]).tail(1)
        assert (last["regime"] == "ramp").all() and last["growth"].between(0.03, 0.06).all(), seed
        regions = world.admin1.groupby(["country", "period"])["value"].sum().sort_index().to_numpy()
        assert (regions == world.country.set_index(["country", "period"])["value"].sort_index().to_numpy()).all()
    assert min(slopes) >= 0.01 and np.mean(np.array(slopes) >= 0.02) >= 0.9, np.round(sorted(slopes), 3)
    assert np.median(ratios) >= 3, np.round(sorted(ratios), 2)


@functools.cache
def held_out_record(origins: int, horizons: int, seeds=ORIGINAL_HELD_OUT_SEEDS) -> pd.DataFrame:
    """Backtest cells of the default and the two field benchmarks on held-out worlds (the
    original three by default: all nine take three times as long), all three geographic levels
    in one frame (so the default's levels are reconciled as in use). Each world's backtest keeps
    the ensemble's inner origins in memory, as `backtest_forecasts` does unless told otherwise
    (the same forecasts at about a third of the cost, tests/forecasting/models/test_memo.py)."""
    from forecasting.backtest import backtest_forecasts

    frames = []
    for seed in seeds:
        series = make_world(seed).levels()
        cells = backtest_forecasts(
            series, ["default", "trailing_mean", "conflictology"], origins=origins, horizons=horizons, seed=0
        )
        frames.append(cells.assign(world=seed))
    return pd.concat(frames, ignore_index=True)


def held_out_table() -> pd.DataFrame:
    """Mean CRPS and 90% coverage per level and model over the original three held-out worlds'
    last 3 origins, 1-3 months ahead (short, to keep the test short)."""
    from forecasting.scores import score

    cells = held_out_record(origins=3, horizons=3)
    scored = score(cells).join(cells[["model", "level"]])
    return scored.groupby(["level", "model"]).agg(crps=("crps", "mean"), coverage_90=("in_90", "mean"))


@pytest.mark.slow  # 3 worlds x 3 backtests of 3 origins: about 60 s wall at load 8 (2026-11-30)
def test_on_held_out_worlds_the_default_covers_at_every_level_and_beats_both_benchmarks_by_region():
    """Issues 16 and 18, on worlds whose seeds nothing was chosen on (the original three; all
    nine are in docs/benchmarks.md, 12 origins, 1-6 months ahead): the default's 90% intervals
    cover at least 85% of outcomes at admin2, admin1 and country, and its CRPS is below
    trailing_mean's and conflictology's at admin2 and admin1, at least 5% below both at admin1
    (measured on the worlds with escalation ramps, 2026-11-30, these origins, on 000c3e3: admin1
    7.6% and 7.7% below, admin2 2.7% and 4.3%; 90% coverage 0.933, 0.968 and 1.000 by country, 54
    forecasts of 3 series)."""
    table = held_out_table()
    for level in ("admin2", "admin1", "country"):
        assert table.loc[(level, "default"), "coverage_90"] >= 0.85, (level, table.round(3))
    for level in ("admin2", "admin1"):
        for benchmark in ("trailing_mean", "conflictology"):
            assert table.loc[(level, "default"), "crps"] < table.loc[(level, benchmark), "crps"], (level, table.round(3))
    for benchmark in ("trailing_mean", "conflictology"):
        assert table.loc[("admin1", "default"), "crps"] <= 0.95 * table.loc[("admin1", benchmark), "crps"], table.round(3)


@pytest.mark.slow  # shares the record of the test above
@pytest.mark.xfail(strict=True, reason="issue 16, not met on the worlds with escalation ramps: by country the default's CRPS "
                   "is 1.7% above conflictology's and 6.8% above trailing_mean's on these origins (the seventh "
                   "round, on 000c3e3, 2026-11-30; over all nine worlds' 12 origins 5.4% and 2.8% below)")
def test_on_held_out_worlds_the_default_beats_both_benchmarks_by_country():
    """Issue 16's target by country: the default's CRPS at least 5% below trailing_mean's and
    conflictology's. Strict: when it holds, this test fails and the mark must go."""
    table = held_out_table()
    for benchmark in ("trailing_mean", "conflictology"):
        assert table.loc[("country", "default"), "crps"] <= 0.95 * table.loc[("country", benchmark), "crps"], table.round(3)


@pytest.mark.slow  # one world, six months ahead: about 6 s of CPU
def test_a_region_quiet_for_two_years_keeps_an_interval_the_size_of_its_history():
    """World 44 (a seed outside every named set, kept as a regression case): Burkina Faso's Bur-R1
    has no deaths from January 2024, and its districts next to none. Bottom-up, its 95th
    percentile was its own (0.2) scaled by the ratio of its districts' summed mean to its own,
    two numbers below 1e-3: 1e6 to 8e7 deaths, from origins August to November 2025."""
    from forecasting.models import forecast

    series = make_world(44).levels()
    series = series[series["period"] <= "2025-08-01"]
    quiet = "fatalities|admin1|Burkina Faso|Bur-R1"
    assert series.loc[(series["series_id"] == quiet) & (series["period"] >= "2024-01-01"), "value"].eq(0).all()
    forecasts = forecast(series, "default", horizon=6)
    highest = forecasts["series_id"].map(series.groupby("series_id")["value"].max())
    assert (forecasts["q95"] <= 3 * (highest + 1)).all(), forecasts.loc[forecasts["q95"] > 3 * (highest + 1)]
    assert forecasts.loc[forecasts["series_id"] == quiet, "q95"].max() < 5
