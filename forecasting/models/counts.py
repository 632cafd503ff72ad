"""Predictive distributions for monthly counts, vectorized over many series and horizons."""

from __future__ import annotations

import numpy as np

from forecasting import distributions
from forecasting.models.base import QUANTILES

#: Below this NB2 dispersion the negative binomial is numerically a Poisson.
_POISSON_DISPERSION = 1e-4


def negative_binomial_quantiles(mean: np.ndarray, dispersion: np.ndarray) -> np.ndarray:
    """Quantiles (last axis, in the order of `QUANTILES`) of negative binomial counts.

    `mean` is the expected count; `dispersion` the NB2 parameter alpha in
    Var = mean + alpha * mean**2 (0: Poisson). Both broadcast; the result has their shape plus
    one axis of len(QUANTILES). Quantiles are whole counts, as the outcomes are.
    """
    mean, dispersion = np.broadcast_arrays(np.clip(mean, 0.0, None), np.clip(dispersion, 0.0, None))
    levels = np.asarray(QUANTILES)
    result = np.zeros((*mean.shape, len(levels)))
    poisson = dispersion < _POISSON_DISPERSION
    if poisson.any():
        result[poisson] = distributions.poisson_ppf(levels, mean[poisson][:, None])
    negbin = ~poisson & (mean > 0)
    if negbin.any():
        size = 1.0 / dispersion[negbin][:, None]
        result[negbin] = distributions.nbinom_ppf(levels, size, size / (size + mean[negbin][:, None]))
    return np.nan_to_num(result, nan=0.0)


def moment_dispersion(values: np.ndarray) -> np.ndarray:
    """NB2 dispersion by the method of moments from each row's months (NaN ignored); 0 where the
    counts are not overdispersed (variance at most the mean)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.nanmean(values, axis=-1)
        variance = np.nanvar(values, axis=-1, ddof=1) if values.shape[-1] > 1 else np.zeros_like(mean)
        dispersion = (np.nan_to_num(variance) - mean) / mean**2
    return np.clip(np.nan_to_num(dispersion, nan=0.0, posinf=0.0), 0.0, None)
