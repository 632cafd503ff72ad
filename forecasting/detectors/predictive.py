"""Each series' as-of month next to its forecast: observed, expected, 90% range, tail probabilities.

Shared by the detectors that judge a month against its forecast (surge, drop, record).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecasting import distributions
from forecasting.detectors.counts import lower_tail, negative_binomial_size, upper_tail
from forecasting.detectors.settings import AsOf

SCOPE_COLUMNS = ("country", "admin1", "admin2", "tier", "actor")


def month_against_forecast(series: pd.DataFrame, forecasts: pd.DataFrame, as_of: AsOf) -> pd.DataFrame:
    """One row per series that has a forecast for the as-of month.

    Columns: series_id, level, measure, the scope columns, observed, expected, lower, upper
    (the 90% range), size (negative binomial shape) and p_upper = P(X >= observed),
    p_lower = P(X <= observed). For a day as-of the month is partial: the forecast is thinned to
    the elapsed share of the month (a thinned negative binomial keeps its shape, scales its mean).
    """
    observed = series[series["period"] == as_of.month]
    wanted = forecasts[forecasts["period"] == as_of.month]
    wanted = wanted.assign(
        model=wanted["model"] if "model" in wanted else None, fallback=wanted["fallback"] if "fallback" in wanted else None
    )
    joined = observed.merge(
        wanted[["series_id", "mean", "q05", "q95", "model", "fallback"]], on="series_id", how="inner", validate="one_to_one"
    )
    if joined.empty:
        return pd.DataFrame(
            columns=["series_id", "level", "measure", *SCOPE_COLUMNS, "observed", "expected", "lower", "upper",
                     "size", "p_upper", "p_lower", "model", "fallback"]
        )
    size = negative_binomial_size(joined["mean"].to_numpy(), joined["q05"].to_numpy(), joined["q95"].to_numpy())
    share = as_of.share_of_month
    expected = joined["mean"].to_numpy(dtype=float) * share
    if share < 1:
        lower, upper = _interval(expected, size)
    else:
        lower, upper = joined["q05"].to_numpy(dtype=float), joined["q95"].to_numpy(dtype=float)
    values = joined["value"].to_numpy(dtype=float)
    result = joined[["series_id", "level", "measure", *SCOPE_COLUMNS]].copy()
    result["observed"] = values
    result["expected"] = expected
    result["lower"] = lower
    result["upper"] = upper
    result["size"] = size
    result["p_upper"] = upper_tail(values, expected, size)
    result["p_lower"] = lower_tail(values, expected, size)
    result["model"] = joined["model"].to_numpy(dtype=object)
    result["fallback"] = joined["fallback"].to_numpy(dtype=object)
    return result


def forecast_evidence(row) -> dict[str, str]:
    """Which model made a row's forecast, and the fallback it used (a series too short, all zero
    or constant for the model), for an alert's evidence: an analyst must see when an alert
    rests on a fallback."""
    evidence = {"forecast_model": row.model} if isinstance(row.model, str) else {}
    if isinstance(row.fallback, str) and row.fallback:
        evidence["forecast_fallback"] = row.fallback
    return evidence


def _interval(mean: np.ndarray, size: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean = np.maximum(mean, 1e-9)
    finite = np.isfinite(size)
    lower, upper = distributions.poisson_ppf(0.05, mean), distributions.poisson_ppf(0.95, mean)
    if finite.any():
        n = size[finite]
        p = n / (n + mean[finite])
        lower[finite] = distributions.nbinom_ppf(0.05, n, p)
        upper[finite] = distributions.nbinom_ppf(0.95, n, p)
    return lower, upper


def scope_of(row) -> dict[str, str | None]:
    """The alert scope of a row with scope columns (missing -> None)."""
    return {name: (None if pd.isna(getattr(row, name)) else getattr(row, name)) for name in SCOPE_COLUMNS}
