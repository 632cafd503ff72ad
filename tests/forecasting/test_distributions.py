"""forecasting.distributions gives what scipy.stats gives, bit for bit, edge cases included."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from forecasting import distributions

RNG = np.random.default_rng(20261130)
COUNTS = np.concatenate([[-np.inf, -3, -1, 0, 0.5, 1, 2, 7, 40, 250, 3000, np.inf, np.nan], RNG.integers(0, 400, 40)])
MEANS = np.concatenate([[0.0, 1e-9, 0.04, 0.5, 1, 3.7, 25, 480, -1, np.nan], RNG.gamma(0.7, 30, 20)])
PROBABILITIES = np.array([0.0, 1e-12, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.975, 1 - 1e-12, 1.0, -0.1, 1.5, np.nan])


def _same(got, expected):
    np.testing.assert_array_equal(np.asarray(got), np.asarray(expected))
    assert np.shape(got) == np.shape(expected)


def test_poisson_tails_and_quantiles_are_scipys():
    k, mu = COUNTS[:, None], MEANS[None, :]
    _same(distributions.poisson_cdf(k, mu), stats.poisson.cdf(k, mu))
    _same(distributions.poisson_sf(k, mu), stats.poisson.sf(k, mu))
    _same(distributions.poisson_ppf(PROBABILITIES[:, None], mu), stats.poisson.ppf(PROBABILITIES[:, None], mu))
    _same(distributions.poisson_sf(4.0, 2.5), stats.poisson.sf(4.0, 2.5))  # a scalar in, a scalar out
    _same(distributions.poisson_ppf(0.95, 2.5), stats.poisson.ppf(0.95, 2.5))


@pytest.mark.parametrize("size", [0.0, 0.3, 1.0, 2.5, 40.0, 1e7, -1.0])
def test_negative_binomial_tails_and_quantiles_are_scipys(size):
    with np.errstate(all="ignore"):
        p = size / (size + np.clip(MEANS, 1e-9, None))
    k = COUNTS[:, None]
    _same(distributions.nbinom_cdf(k, size, p[None, :]), stats.nbinom.cdf(k, size, p[None, :]))
    _same(distributions.nbinom_sf(k, size, p[None, :]), stats.nbinom.sf(k, size, p[None, :]))
    q = PROBABILITIES[:, None]
    _same(distributions.nbinom_ppf(q, size, p[None, :]), stats.nbinom.ppf(q, size, p[None, :]))


@pytest.mark.parametrize("trials", [0, 1, 7, 60, 900, 2.5])
def test_binomial_tails_and_quantiles_are_scipys(trials):
    shares = np.array([0.0, 1e-6, 0.03, 0.31, 0.5, 0.97, 1 - 1e-6, 1.0, 1.2, np.nan])
    k = COUNTS[:, None]
    _same(distributions.binom_cdf(k, trials, shares), stats.binom.cdf(k, trials, shares))
    _same(distributions.binom_sf(k, trials, shares), stats.binom.sf(k, trials, shares))
    q = PROBABILITIES[:, None]
    _same(distributions.binom_ppf(q, trials, shares), stats.binom.ppf(q, trials, shares))


def test_beta_binomial_tails_and_quantiles_are_scipys():
    for trials in (0, 1, 5, 37, 400):
        for share in (1e-6, 0.08, 0.4, 0.93):
            for rho in (1e-6, 0.02, 0.2, 0.5):
                concentration = (1 - rho) / rho
                a, b = share * concentration, (1 - share) * concentration
                for k in (-1, 0, 1, trials // 3, trials - 1, trials, trials + 2):
                    _same(distributions.betabinom_cdf(k, trials, a, b), stats.betabinom.cdf(k, trials, a, b))
                    _same(distributions.betabinom_sf(k, trials, a, b), stats.betabinom.sf(k, trials, a, b))
                for q in (0.0, 0.05, 0.5, 0.95, 1.0):
                    _same(distributions.betabinom_ppf(q, trials, a, b), stats.betabinom.ppf(q, trials, a, b))
    assert np.isnan(distributions.betabinom_cdf(1, 2.5, 1.0, 1.0)) and np.isnan(stats.betabinom.cdf(1, 2.5, 1.0, 1.0))


def test_chi_squared_survival_is_scipys():
    x = np.concatenate([[-1.0, 0.0, 1e-300, 0.5, 3.84, 10.8, 80.0, 1e4, np.inf, np.nan], RNG.gamma(1.0, 4.0, 30)])
    for df in (1, 2, 0, -1):
        _same(distributions.chi2_sf(x, df), stats.chi2.sf(x, df=df))
    _same(distributions.chi2_sf(5.1, 1), stats.chi2.sf(5.1, df=1))
