"""Tails and quantiles of the count distributions the detectors and models use, computed as
scipy.stats computes them, from the scipy.special kernels it calls.

Why not scipy.stats itself: importing it costs about half a second of CPU (it formats the
docstrings of every distribution it has), more than pandas, and every `detect` would pay it for
a few dozen tail probabilities. Each function returns exactly what the scipy.stats method named
in its docstring returns, edge cases included (a count below or beyond the support, a
probability of 0 or 1, invalid parameters give NaN): `tests/forecasting/test_distributions.py`
compares them bit for bit over a grid of arguments, so a SciPy upgrade that changes either side
is caught there.

Arguments broadcast like scipy.stats' (arrays in, an array out; scalars in, a NumPy scalar out),
except the beta-binomial's, which take one count at a time (their callers test one share).
"""

from __future__ import annotations

import numpy as np
from scipy import special
# scipy.stats' own kernels for the negative binomial and the binomial (Boost's), so that the
# values are its values; `special.nbdtr` and friends are other implementations.
from scipy.special import _ufuncs


def _discrete_cdf(kernel, k, high, valid, *params):
    """rv_discrete.cdf on a support [0, high]: 0 below it, 1 from `high` on, NaN where the
    parameters are invalid, else the kernel at floor(k) clipped to [0, 1]."""
    k, high, valid, *params = np.broadcast_arrays(np.asarray(k, dtype=float), high, valid, *params)
    inside = valid & (k >= 0) & (k < high) & np.isfinite(k)
    result = np.where(k >= high, 1.0, 0.0)
    result[~valid | np.isnan(k)] = np.nan
    if inside.any():
        result[inside] = np.clip(kernel(np.floor(k[inside]), *(param[inside] for param in params)), 0, 1)
    return result[()]


def _discrete_sf(kernel, k, high, valid, *params):
    """rv_discrete.sf on a support [0, high]: 1 below it, 0 from `high` on."""
    k, high, valid, *params = np.broadcast_arrays(np.asarray(k, dtype=float), high, valid, *params)
    inside = valid & (k >= 0) & (k < high) & np.isfinite(k)
    result = np.zeros(k.shape)
    result[~valid | np.isnan(k)] = np.nan
    result[((k < 0) | np.isneginf(k)) & valid] = 1.0
    if inside.any():
        result[inside] = np.clip(kernel(np.floor(k[inside]), *(param[inside] for param in params)), 0, 1)
    return result[()]


def _discrete_ppf(kernel, q, high, valid, *params):
    """rv_discrete.ppf on a support [0, high]: -1 at q = 0, `high` at q = 1, NaN outside [0, 1]."""
    q, high, valid, *params = np.broadcast_arrays(np.asarray(q, dtype=float), high, valid, *params)
    inside = valid & (q > 0) & (q < 1)
    result = np.full(q.shape, np.nan)
    result[(q == 0) & valid] = -1.0
    result[(q == 1) & valid] = high[(q == 1) & valid]
    if inside.any():
        result[inside] = kernel(q[inside], *(param[inside] for param in params))
    return result[()]


def _poisson_ppf(q, mu):
    vals = np.ceil(special.pdtrik(q, mu))
    vals1 = np.maximum(vals - 1, 0)
    return np.where(special.pdtr(vals1, mu) >= q, vals1, vals)


def poisson_cdf(k, mu):
    """`scipy.stats.poisson.cdf(k, mu)`."""
    mu = np.asarray(mu, dtype=float)
    return _discrete_cdf(special.pdtr, k, np.inf, mu >= 0, mu)


def poisson_sf(k, mu):
    """`scipy.stats.poisson.sf(k, mu)`: P(X > k)."""
    mu = np.asarray(mu, dtype=float)
    return _discrete_sf(special.pdtrc, k, np.inf, mu >= 0, mu)


def poisson_ppf(q, mu):
    """`scipy.stats.poisson.ppf(q, mu)`."""
    mu = np.asarray(mu, dtype=float)
    return _discrete_ppf(_poisson_ppf, q, np.inf, mu >= 0, mu)


def _nbinom_valid(n, p):
    return (n > 0) & (p > 0) & (p <= 1)


def nbinom_cdf(k, n, p):
    """`scipy.stats.nbinom.cdf(k, n, p)`."""
    n, p = np.asarray(n, dtype=float), np.asarray(p, dtype=float)
    return _discrete_cdf(_ufuncs._nbinom_cdf, k, np.inf, _nbinom_valid(n, p), n, p)


def nbinom_sf(k, n, p):
    """`scipy.stats.nbinom.sf(k, n, p)`: P(X > k)."""
    n, p = np.asarray(n, dtype=float), np.asarray(p, dtype=float)
    return _discrete_sf(_ufuncs._nbinom_sf, k, np.inf, _nbinom_valid(n, p), n, p)


def nbinom_ppf(q, n, p):
    """`scipy.stats.nbinom.ppf(q, n, p)`."""
    n, p = np.asarray(n, dtype=float), np.asarray(p, dtype=float)
    with np.errstate(over="ignore"):
        return _discrete_ppf(_ufuncs._nbinom_ppf, q, np.inf, _nbinom_valid(n, p), n, p)


def _binom_valid(n, p):
    return (n >= 0) & (n == np.floor(n)) & (p >= 0) & (p <= 1)


def binom_cdf(k, n, p):
    """`scipy.stats.binom.cdf(k, n, p)`."""
    n, p = np.asarray(n, dtype=float), np.asarray(p, dtype=float)
    return _discrete_cdf(_ufuncs._binom_cdf, k, n, _binom_valid(n, p), n, p)


def binom_sf(k, n, p):
    """`scipy.stats.binom.sf(k, n, p)`: P(X > k)."""
    n, p = np.asarray(n, dtype=float), np.asarray(p, dtype=float)
    return _discrete_sf(_ufuncs._binom_sf, k, n, _binom_valid(n, p), n, p)


def binom_ppf(q, n, p):
    """`scipy.stats.binom.ppf(q, n, p)`."""
    n, p = np.asarray(n, dtype=float), np.asarray(p, dtype=float)
    return _discrete_ppf(_ufuncs._binom_ppf, q, n, _binom_valid(n, p), n, p)


def _betabinom_pmf(k: np.ndarray, n: float, a: float, b: float) -> np.ndarray:
    k = np.floor(k)
    combiln = -np.log(n + 1) - special.betaln(n - k + 1, k + 1)
    return np.exp(combiln + special.betaln(k + a, n - k + b) - special.betaln(a, b))


def _betabinom_kernel_cdf(k: float, n: float, a: float, b: float) -> float:
    # rv_discrete's generic cdf: the sum of the pmf from 0 to k, in one call, as its
    # `_cdf_single` sums it (the same additions in the same order).
    return np.sum(_betabinom_pmf(np.arange(0, np.floor(k) + 1), n, a, b), axis=0)


def _betabinom_valid(n: float, a: float, b: float) -> bool:
    return n >= 0 and n == np.floor(n) and a > 0 and b > 0


def betabinom_cdf(k: float, n: float, a: float, b: float) -> float:
    """`scipy.stats.betabinom.cdf(k, n, a, b)` for one count."""
    if not _betabinom_valid(n, a, b) or np.isnan(k):
        return np.float64(np.nan)
    if k >= n:
        return np.float64(1.0)
    if k < 0:
        return np.float64(0.0)
    return np.clip(_betabinom_kernel_cdf(k, n, a, b), 0, 1)


def betabinom_sf(k: float, n: float, a: float, b: float) -> float:
    """`scipy.stats.betabinom.sf(k, n, a, b)` for one count: P(X > k)."""
    if not _betabinom_valid(n, a, b) or np.isnan(k):
        return np.float64(np.nan)
    if k < 0:
        return np.float64(1.0)
    if k >= n:
        return np.float64(0.0)
    return np.clip(1.0 - _betabinom_kernel_cdf(k, n, a, b), 0, 1)


def betabinom_ppf(q: float, n: float, a: float, b: float) -> float:
    """`scipy.stats.betabinom.ppf(q, n, a, b)` for one probability: rv_discrete's bisection
    (`_drv2_ppfsingle`) on the finite support [0, n], step for step."""
    if not _betabinom_valid(n, a, b) or not 0 <= q <= 1:
        return np.float64(np.nan)
    if q == 0:
        return np.float64(-1.0)
    if q == 1:
        return np.float64(n)
    low, high = 0, int(n)
    q_low, q_high = _betabinom_kernel_cdf(low, n, a, b), 1.0
    for _ in range(2046):
        if q_low == q:
            return np.float64(low)
        if q_high == q:
            return np.float64(high)
        if high <= low + 1:
            return np.float64(low if q_low > q else high)
        middle = int((low + high) / 2.0)
        q_middle = _betabinom_kernel_cdf(middle, n, a, b)
        if q_middle < q:
            low, q_low = middle, q_middle
        elif q_middle > q:
            high, q_high = middle, q_middle
        else:
            return np.float64(middle)
    raise RuntimeError(f"betabinom_ppf({q}, {n}, {a}, {b}) did not converge")


def chi2_sf(x, df):
    """`scipy.stats.chi2.sf(x, df)`."""
    x, df = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(df, dtype=float))
    valid = df > 0
    result = np.zeros(x.shape)
    result[~valid | np.isnan(x)] = np.nan
    result[valid & (x <= 0)] = 1.0
    inside = valid & (x > 0) & (x < np.inf)
    if inside.any():
        result[inside] = special.chdtrc(df[inside], x[inside])
    return result[()]
