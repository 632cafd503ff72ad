"""The count distributions behind tail probabilities."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from forecasting.detectors import counts


def test_the_written_out_z_of_a_90_percent_interval_is_scipys():
    assert counts.Z90 == float(stats.norm.ppf(0.95))


def test_a_forecast_interval_gives_the_negative_binomial_it_was_read_from():
    size, mean = 3.0, 40.0
    lower, upper = 40 - 1.6448536269514722 * np.sqrt(mean + mean**2 / size), 40 + 1.6448536269514722 * np.sqrt(mean + mean**2 / size)
    (found,) = counts.negative_binomial_size(np.array([mean]), np.array([lower]), np.array([upper]))
    assert abs(found - size) < 1e-9
    p = size / (size + mean)
    (tail,) = counts.upper_tail(np.array([90.0]), np.array([mean]), np.array([size]))
    assert tail == stats.nbinom.sf(89, size, p)


def test_a_narrow_interval_is_poisson_and_one_just_wider_is_a_large_size():
    # Mean 40 with the Poisson's own spread (sd sqrt(40)) or less: no overdispersion, size inf.
    sd = np.sqrt(40.0)
    assert counts.negative_binomial_size(np.array([40.0]), np.array([40 - 1.6 * sd]), np.array([40 + 1.6 * sd]))[0] == np.inf
    # Variance 40.5: excess 0.5, size 40**2 / 0.5 = 3200.
    half = counts.Z90 * np.sqrt(40.5)
    (size,) = counts.negative_binomial_size(np.array([40.0]), np.array([40 - half]), np.array([40 + half]))
    assert size == pytest.approx(3200)
    # A forecast of (nearly) nothing is read as a mean of one half: variance 0.5 + 0.25 / 1 = 0.75.
    wide = counts.Z90 * np.sqrt(0.75)
    assert counts.negative_binomial_size(np.array([0.01]), np.array([0.0]), np.array([2 * wide]))[0] == pytest.approx(1.0)


def test_the_size_of_a_sample_by_its_moments():
    # Mean 10, variance 30: 30 = 10 + 100 / size, size 5; no more than Poisson's variance: inf.
    assert counts.size_by_moments(10.0, 30.0) == pytest.approx(5.0)
    assert counts.size_by_moments(10.0, 10.0) == np.inf
    assert counts.size_by_moments(10.0, 4.0) == np.inf
    assert isinstance(counts.size_by_moments(10.0, 30.0), float)
    sizes = counts.size_by_moments(np.array([10.0, 2.0]), np.array([30.0, 1.0]))
    assert sizes.shape == (2,) and sizes[0] == pytest.approx(5.0) and sizes[1] == np.inf


def test_tail_probabilities_by_hand():
    # Poisson (size inf), mean 1: P(X >= 3) = 1 - (1 + 1 + 1/2) / e; P(X <= 0) at mean 2 is e**-2.
    assert counts.upper_tail(np.array([3.0]), np.array([1.0]), np.array([np.inf]))[0] == pytest.approx(1 - 2.5 / np.e)
    assert counts.lower_tail(np.array([0.0]), np.array([2.0]), np.array([np.inf]))[0] == pytest.approx(np.exp(-2))
    # Size 1 and mean 1 is the geometric distribution P(X = k) = 2**-(k + 1).
    geometric = [counts.upper_tail(np.array([k]), np.array([1.0]), np.array([1.0]))[0] for k in (0.0, 1.0, 2.0)]
    assert geometric == pytest.approx([1.0, 0.5, 0.25])
    assert counts.lower_tail(np.array([1.0]), np.array([1.0]), np.array([1.0]))[0] == pytest.approx(0.75)
    # A mean under one half is read as one half: P(X >= 1) = 1 - e**-0.5.
    assert counts.upper_tail(np.array([1.0]), np.array([0.01]), np.array([np.inf]))[0] == pytest.approx(1 - np.exp(-0.5))


def test_tails_broadcast_one_forecast_over_many_counts_and_one_count_over_many_forecasts():
    many_counts = counts.upper_tail(np.array([0.0, 1.0, 2.0]), np.array(1.0), np.array(1.0))
    assert many_counts == pytest.approx([1.0, 0.5, 0.25])
    many_forecasts = counts.lower_tail(np.array(0.0), np.array([2.0, 1.0]), np.array([np.inf, 1.0]))
    assert many_forecasts == pytest.approx([np.exp(-2), 0.5])


def test_beta_binomial_tails_by_hand():
    # Two trials, share one half, rho one half: concentration (1 - rho) / rho = 1, so Beta(0.5, 0.5)
    # mixes the binomial and P(X = 0) = P(X = 2) = Gamma(2.5) / (Gamma(3) Gamma(0.5)) = 0.375.
    assert counts.beta_binomial_tails(1, 2, 0.5, 0.5) == pytest.approx((0.625, 0.625))
    assert counts.beta_binomial_tails(2, 2, 0.5, 0.5) == pytest.approx((0.375, 1.0))
    # rho 0 is the binomial: P(X >= 2) = 0.25 and P(X <= 1) = 0.75 for two fair trials.
    assert counts.beta_binomial_tails(2, 2, 0.5, 0.0) == pytest.approx((0.25, 1.0))
    assert counts.beta_binomial_tails(1, 2, 0.5, 0.0) == pytest.approx((0.75, 0.75))
    # A share of exactly 0 or 1 is kept just inside (0, 1): certain, not undefined.
    assert counts.beta_binomial_tails(5, 5, 1.0, 0.1)[0] == pytest.approx(1.0, abs=1e-3)
    assert counts.beta_binomial_tails(5, 5, 1.0, 0.0)[0] == pytest.approx(1.0, abs=1e-3)
    assert counts.beta_binomial_tails(0, 5, 0.0, 0.1)[1] == pytest.approx(1.0, abs=1e-3)


def test_the_90_percent_range_printed_beside_a_count_is_its_distributions_5th_to_95th_percentiles():
    # Size 1 and mean 1 is geometric: P(X <= k) = 1 - 2**-(k + 1), 0.5 at 0, first 0.95 or more at 4.
    assert counts.central_range(1.0, 1.0) == (0.0, 4.0)
    # Mean 40, size 3 (variance 573): scipy's percentiles, and a count just outside the range is
    # one its tail probability calls unusual (under 5%), one at either edge is not.
    size, mean = 3.0, 40.0
    lower, upper = counts.central_range(mean, size)
    p = size / (size + mean)
    assert (lower, upper) == (stats.nbinom.ppf(0.05, size, p), stats.nbinom.ppf(0.95, size, p))
    assert isinstance(lower, float) and isinstance(upper, float)
    below, at_lower = counts.lower_tail(np.array([lower - 1, lower]), np.array(mean), np.array(size))
    above, at_upper = counts.upper_tail(np.array([upper + 1, upper]), np.array(mean), np.array(size))
    assert below < 0.05 <= at_lower and above <= 0.05 < at_upper
    # Poisson where the size is infinite: mean 14, 8 to 20.
    assert counts.central_range(14.0, np.inf) == (8.0, 20.0)
