"""The reference baselines and the count distributions behind them, on series small enough to
work out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from forecasting.models.base import QUANTILE_COLUMNS, Panel
from forecasting.models.counts import moment_dispersion, negative_binomial_quantiles
from forecasting.models.reference import Conflictology, RecentMean, SeasonalNaive, TrailingMean


def panel(*rows: list[float]) -> Panel:
    """One series per row, all ending in December 2024."""
    frames = [pd.DataFrame({"series_id": f"admin1|Mali|S{index}", "level": "admin1", "value": values,
                            "period": pd.date_range(end="2024-12-01", periods=len(values), freq="MS")})
              for index, values in enumerate(rows)]
    return Panel.from_series(pd.concat(frames, ignore_index=True))


def quantiles(frame: pd.DataFrame) -> np.ndarray:
    return frame[list(QUANTILE_COLUMNS)].to_numpy(dtype=float)


def test_seasonal_naive_repeats_last_year_with_the_spread_of_its_changes_wider_in_the_second_year():
    # A quiet year, then 1, 2, ..., 12: every year-on-year change is the month's own number.
    frame = SeasonalNaive().fit(panel([0.0] * 12 + list(range(1, 13)))).predict(14)
    assert frame["mean"].tolist() == [*range(1, 13), 1, 2]
    # Quantiles of the changes 1..12 (linear, at (n - 1) * level): 1.55, 2.1, 3.75, 6.5, 9.25, 10.9, 11.45.
    spread = np.array([1.55, 2.1, 3.75, 6.5, 9.25, 10.9, 11.45])
    assert quantiles(frame)[0] == pytest.approx(1 + spread)
    assert quantiles(frame)[11] == pytest.approx(12 + spread)
    assert quantiles(frame)[12] == pytest.approx(1 + spread * np.sqrt(2))  # a year further: sqrt(2) wider
    # Only the last `residual_months` changes count: the last three are 10, 11, 12.
    recent = SeasonalNaive(residual_months=3).fit(panel([0.0] * 12 + list(range(1, 13)))).predict(1)
    assert quantiles(recent)[0] == pytest.approx(1 + np.quantile([10, 11, 12], [0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95]))


def test_seasonal_naive_default_spread_is_three_years_of_changes():
    # Year-on-year changes of 100 in the first year, then 0, 0 and 1: only the last three years count.
    values = [0.0] * 12 + [100.0] * 12 + [100.0] * 12 + [100.0] * 12 + [101.0] * 12
    frame = SeasonalNaive().fit(panel(values)).predict(1)
    assert quantiles(frame)[0].max() == pytest.approx(101 + 1)


def test_trailing_mean_is_the_last_twelve_months_with_their_variance():
    # Last 12 months alternate 0 and 10: mean 5, sample variance 300 / 11.
    frame = TrailingMean().fit(panel([1000.0] * 6 + [0.0, 10.0] * 6)).predict(3)
    assert frame["mean"].tolist() == [5.0, 5.0, 5.0]
    variance = 300 / 11
    n, p = 5.0**2 / (variance - 5.0), 5.0 / variance  # the negative binomial with that mean and variance
    expected = stats.nbinom.ppf([0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95], n, p)
    assert quantiles(frame) == pytest.approx(np.tile(expected, (3, 1)))
    # Fewer months than twelve: all of them; a window of three: the last three.
    assert TrailingMean().fit(panel([4.0, 8.0])).predict(1)["mean"].tolist() == [6.0]
    assert TrailingMean(months=3).fit(panel([100.0, 1.0, 2.0, 3.0])).predict(1)["mean"].tolist() == [2.0]


def test_recent_mean_is_the_last_six_months_under_its_own_name():
    # The last 6 months average 3; the last 7 would give 16 / 7, the last 12 more.
    frame = RecentMean().fit(panel([100.0] * 6 + [10.0, 0.0, 6.0, 0.0, 6.0, 0.0, 6.0])).predict(2)
    assert frame["mean"].tolist() == [3.0, 3.0] and set(frame["model"]) == {"recent_mean"}


def test_moment_dispersion_by_hand_and_zero_when_not_overdispersed():
    assert moment_dispersion(np.array([[0.0, 10.0] * 6]))[0] == pytest.approx((300 / 11 - 5) / 25)
    # Variance under the mean (Poisson-like or steadier), a single month, all zero: 0.
    assert moment_dispersion(np.array([[4.0, 5.0, 6.0]]))[0] == 0.0
    assert moment_dispersion(np.array([[7.0]]))[0] == 0.0
    assert moment_dispersion(np.array([[0.0, 0.0, 0.0]]))[0] == 0.0
    # Months missing (NaN, left padding) are ignored.
    assert moment_dispersion(np.array([[np.nan, 0.0, 10.0]]))[0] == pytest.approx((50 - 5) / 25)


def test_negative_binomial_quantiles_are_poisson_without_dispersion_and_zero_without_mean():
    levels = [0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95]
    found = negative_binomial_quantiles(np.array([6.0, 6.0, 0.0, 6.0]), np.array([0.0, 0.5, 0.5, -1.0]))
    assert found[0] == pytest.approx(stats.poisson.ppf(levels, 6.0))
    # Variance 6 + 0.5 * 36 = 24.
    assert found[1] == pytest.approx(stats.nbinom.ppf(levels, 36 / 18, 6 / 24))
    assert (found[2] == 0).all()
    assert found[3] == pytest.approx(found[0])  # a negative dispersion is none
    # Just below the threshold the negative binomial is taken as the Poisson it nearly is.
    assert negative_binomial_quantiles(np.array([50.0]), np.array([0.99e-4]))[0] == pytest.approx(stats.poisson.ppf(levels, 50.0))
    # A mean under one still has a negative binomial's spread: mean 0.9, variance 0.9 + 0.5 * 0.81.
    small = negative_binomial_quantiles(np.array([0.9]), np.array([0.5]))[0]
    assert small == pytest.approx(stats.nbinom.ppf(levels, 0.81 / 0.405, 0.9 / 1.305)) and small[-1] > 0
    # A negative mean is none; shapes broadcast (one dispersion for two series and two horizons).
    assert (negative_binomial_quantiles(np.array([-3.0]), np.array([0.0])) == 0).all()
    assert negative_binomial_quantiles(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array(0.2)).shape == (2, 2, 7)


def test_conflictology_draws_from_the_last_twelve_months_only():
    steady = Conflictology().fit(panel([500.0] * 12 + [7.0] * 12)).predict(2)
    assert steady["mean"].tolist() == [7.0, 7.0] and (quantiles(steady) == 7.0).all()
    # Half the last twelve months 0, half 10: the outer quantiles of 1,000 draws are the two values.
    mixed = Conflictology(seed=4).fit(panel([0.0, 10.0] * 6)).predict(1)
    assert mixed["mean"].tolist() == [5.0]
    assert (quantiles(mixed)[0, 0], quantiles(mixed)[0, -1]) == (0.0, 10.0)
    # Seeded: the same seed draws the same, another seed (or fewer draws) differs on a wide series.
    wide = panel(list(np.arange(12.0) ** 2))
    same = Conflictology(seed=4).fit(wide).predict(1)
    pd.testing.assert_frame_equal(same, Conflictology(seed=4).fit(wide).predict(1))
    assert not np.array_equal(quantiles(same), quantiles(Conflictology(seed=5).fit(wide).predict(1)))
    assert not np.array_equal(quantiles(same), quantiles(Conflictology(seed=4, draws=10).fit(wide).predict(1)))


def test_each_baseline_names_itself_and_a_single_year_has_no_spread_to_add():
    one_year = panel([float(month) for month in range(1, 13)])
    frame = SeasonalNaive().fit(one_year).predict(2)
    assert set(frame["model"]) == {"seasonal_naive"}
    # No year-on-year change to learn from: every quantile is last year's month.
    assert (quantiles(frame) == np.array([[1.0] * 7, [2.0] * 7])).all()
    assert set(TrailingMean().fit(one_year).predict(1)["model"]) == {"trailing_mean"}
    assert set(Conflictology().fit(one_year).predict(1)["model"]) == {"conflictology"}


def test_conflictology_defaults_to_seed_0_and_1000_draws_from_every_one_of_the_twelve_months():
    wide = panel(list(np.arange(12.0) ** 2))
    pd.testing.assert_frame_equal(Conflictology().fit(wide).predict(1),
                                  Conflictology(seed=0, draws=1000).fit(wide).predict(1))
    # One month in twelve at 100: about 83 of 1,000 draws, more than the 5% above q95.
    first = Conflictology().fit(panel([100.0] + [0.0] * 11)).predict(1)
    assert quantiles(first)[0, -1] == 100.0
