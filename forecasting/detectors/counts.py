"""Count distributions behind the tail probabilities: a negative binomial matched to a forecast.

A forecast frame gives a mean and quantiles, not a distribution. Monthly counts of deaths and
events are overdispersed (attacks cluster), so the predictive distribution is taken to be the
negative binomial with the forecast's mean and the variance implied by its 90% interval (read as
+-1.645 standard deviations), never less than the Poisson variance.
"""

from __future__ import annotations

import numpy as np

from forecasting import distributions

#: z of a central 90% interval: scipy.stats.norm.ppf(0.95), written out (scipy.stats is half a
#: second of import that `detect` does not pay: `forecasting.distributions`).
Z90 = 1.6448536269514722
#: Past this size the negative binomial is a Poisson for every purpose here.
_POISSON_SIZE = 1e7
#: A forecast of exactly zero would make any count infinitely surprising; a month is never that certain.
_MIN_MEAN = 0.5


def negative_binomial_size(mean: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """The size (shape) parameter of the negative binomial with this mean and 90% interval.

    Variance = mean + mean**2 / size. Returns inf where the interval is no wider than Poisson's.
    """
    mean = np.maximum(np.asarray(mean, dtype=float), _MIN_MEAN)
    spread = (np.asarray(upper, dtype=float) - np.asarray(lower, dtype=float)) / (2 * Z90)
    return np.asarray(size_by_moments(mean, spread**2))


def size_by_moments(mean, variance):
    """The size (shape) of the negative binomial with this mean and variance (variance = mean +
    mean**2 / size): inf where the variance is no more than Poisson's. Arrays in, an array out;
    numbers in, a number out."""
    mean, variance = np.asarray(mean, dtype=float), np.asarray(variance, dtype=float)
    excess = variance - mean
    with np.errstate(divide="ignore"):
        size = np.where(excess > 1e-9, mean**2 / np.maximum(excess, 1e-300), np.inf)
    return size if size.ndim else float(size)


def central_range(mean: float, size: float) -> tuple[float, float]:
    """The 5th and 95th percentiles of the negative binomial (mean, size), Poisson where size is
    infinite: the 90% range printed beside a count judged against that distribution, so that a
    count outside it is one its tail probability calls unusual."""
    if not np.isfinite(size):
        return float(distributions.poisson_ppf(0.05, mean)), float(distributions.poisson_ppf(0.95, mean))
    p = size / (size + mean)
    return float(distributions.nbinom_ppf(0.05, size, p)), float(distributions.nbinom_ppf(0.95, size, p))


def upper_tail(observed: np.ndarray, mean: np.ndarray, size: np.ndarray) -> np.ndarray:
    """P(X >= observed) for X negative binomial (mean, size); Poisson where size is infinite."""
    return _tail(observed, mean, size, upper=True)


def lower_tail(observed: np.ndarray, mean: np.ndarray, size: np.ndarray) -> np.ndarray:
    """P(X <= observed) for X negative binomial (mean, size); Poisson where size is infinite."""
    return _tail(observed, mean, size, upper=False)


def _tail(observed, mean, size, *, upper: bool) -> np.ndarray:
    observed = np.asarray(observed, dtype=float)
    mean = np.maximum(np.asarray(mean, dtype=float), _MIN_MEAN)
    size = np.broadcast_to(np.asarray(size, dtype=float), mean.shape)
    poisson = size > _POISSON_SIZE
    result = np.empty(np.broadcast(observed, mean).shape)
    observed = np.broadcast_to(observed, result.shape)
    mean = np.broadcast_to(mean, result.shape)
    size = np.broadcast_to(size, result.shape)
    poisson = np.broadcast_to(poisson, result.shape)
    if poisson.any():
        o, m = observed[poisson], mean[poisson]
        result[poisson] = distributions.poisson_sf(o - 1, m) if upper else distributions.poisson_cdf(o, m)
    rest = ~poisson
    if rest.any():
        o, m, n = observed[rest], mean[rest], size[rest]
        p = n / (n + m)
        result[rest] = distributions.nbinom_sf(o - 1, n, p) if upper else distributions.nbinom_cdf(o, n, p)
    return np.clip(result, 0.0, 1.0)


def beta_binomial_tails(successes: float, trials: float, share: float, rho: float) -> tuple[float, float]:
    """P(X >= successes) and P(X <= successes) for X beta-binomial(trials, share, overdispersion rho).

    `rho` is the intra-class correlation (0: binomial). Used for shares of events at a tier,
    whose months vary more than a binomial allows because attacks are planned in campaigns.
    """
    successes, trials = int(round(successes)), int(round(trials))
    share = min(max(share, 1e-6), 1 - 1e-6)
    if rho <= 1e-9:
        sf, cdf, shape = distributions.binom_sf, distributions.binom_cdf, (trials, share)
    else:
        concentration = (1 - rho) / rho
        sf, cdf = distributions.betabinom_sf, distributions.betabinom_cdf
        shape = (trials, share * concentration, (1 - share) * concentration)
    return float(sf(successes - 1, *shape)), float(cdf(successes, *shape))
