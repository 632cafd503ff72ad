"""Change point: a lasting level shift, e.g. a region whose monthly deaths have doubled and stayed
there.

The last `change_point_months` months (the new level) are compared with the 24 months before
them (the old level) by a likelihood-ratio test of equal Poisson means, scaled by the old
level's overdispersion (quasi-Poisson: the statistic is divided by the variance-to-mean ratio of
the old months, at least 1) and referred to chi-squared with one degree of freedom. "Lasting"
is required, not just tested: every month of the new level must lie beyond the old mean, so one
spike does not make a change point. Places whose country the data cover for fewer than
`min_history_months` are not tested (`forecasting.detectors.history`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecasting import distributions, wording
from forecasting.detectors.findings import Finding, Findings
from forecasting.detectors.history import months_of_data, with_enough_history
from forecasting.detectors.predictive import scope_of
from forecasting.detectors.settings import AsOf, DetectionSettings

CHANGE_LEVELS = ("area", "country", "admin1")
_BEFORE_MONTHS = 24
_CANDIDATE_P = 0.05
#: A new level must differ from the old by at least this factor to be worth an alert.
_MIN_FACTOR = 1.5
#: The new level is also compared with this many months just before it (see `detect_change_points`).
_RECENT_MONTHS = 12


def detect_change_points(series: pd.DataFrame, as_of: AsOf, settings: DetectionSettings) -> Findings:
    """Level shifts ending in the as-of month (complete months only: a partial month cannot
    show a level), from `build_series` output."""
    if as_of.is_day:
        return Findings([], 0)
    after_months = settings.change_point_months
    start = as_of.month - pd.DateOffset(months=after_months + _BEFORE_MONTHS - 1)
    wanted = series[series["level"].isin(CHANGE_LEVELS) & (series["period"] >= start) & (series["period"] <= as_of.month)]
    wanted = with_enough_history(wanted, months_of_data(series, as_of), settings.min_history_months)
    candidates, tested = [], 0
    for series_id, group in wanted.groupby("series_id", sort=False):
        if len(group) < after_months + 12:
            continue
        values = group["value"].to_numpy(float)
        before, after = values[:-after_months], values[-after_months:]
        tested += 1
        mean_before, mean_after = before.mean(), after.mean()
        floor = settings.floor(group["measure"].iloc[0])
        if abs(mean_after - mean_before) * after_months < floor:
            continue
        rising = mean_after > mean_before
        lasting = after.min() > mean_before if rising else after.max() < mean_before
        factor = (mean_after / max(mean_before, 0.5)) if rising else (mean_before / max(mean_after, 0.5))
        if not lasting or factor < _MIN_FACTOR:
            continue
        dispersion = max(1.0, float(before.var(ddof=1)) / max(mean_before, 1e-9))
        statistic = _likelihood_ratio(before, after) / dispersion
        p_value = float(distributions.chi2_sf(statistic, 1))
        if p_value > _CANDIDATE_P:
            continue
        # A level reached by a rise that lasted the whole baseline is where the trend led, not a
        # change: the new level must also be a change from the most recent `_RECENT_MONTHS`
        # (at least the factor, the same test), and the larger p-value is the finding's.
        recent = before[-_RECENT_MONTHS:]
        mean_recent = recent.mean()
        recent_factor = (mean_after / max(mean_recent, 0.5)) if rising else (mean_recent / max(mean_after, 0.5))
        if recent_factor < _MIN_FACTOR:
            continue
        recent_dispersion = max(1.0, float(recent.var(ddof=1)) / max(mean_recent, 1e-9))
        recent_p = float(distributions.chi2_sf(_likelihood_ratio(recent, after) / recent_dispersion, 1))
        p_value = max(p_value, recent_p)
        if p_value > _CANDIDATE_P:
            continue
        row = group.iloc[-1]
        scope = scope_of(row)
        changed = group["period"].iloc[-after_months]
        lower, upper = (float(value) for value in np.quantile(before, [0.05, 0.95]))
        candidates.append(
            Finding(
                kind="change_point",
                scope=scope,
                measure=row["measure"],
                period=as_of.month_text,
                observed=round(float(mean_after), 1),
                expected=round(float(mean_before), 1),
                lower=lower,
                upper=upper,
                p_value=p_value,
                size=float(factor),
                message=_message(scope, row["measure"], after, mean_before, lower, upper, changed, len(before),
                                 p_value, settings),
                evidence={
                    "series_id": series_id,
                    "level": row["level"],
                    "new_level_since": changed.strftime("%Y-%m"),
                    "months_at_new_level": after_months,
                    "months_before": int(len(before)),
                    "dispersion": round(dispersion, 2),
                    "likelihood_ratio": round(float(statistic), 2),
                    "recent_level": round(float(mean_recent), 1),
                    "recent_months": int(len(recent)),
                },
            )
        )
    return Findings(candidates, tested)


def _likelihood_ratio(before: np.ndarray, after: np.ndarray) -> float:
    """2 x log-likelihood ratio of two Poisson means against one."""
    def log_likelihood(values: np.ndarray, mean: float) -> float:
        if mean <= 0:
            return 0.0
        return float((values * np.log(mean) - mean).sum())

    both = np.concatenate([before, after])
    return 2 * (
        log_likelihood(before, before.mean()) + log_likelihood(after, after.mean()) - log_likelihood(both, both.mean())
    )


def _message(scope, measure, after, mean_before, lower, upper, changed, before_months, p_value, settings) -> str:
    """The sentence; every number as `forecasting.wording` prints it, the multiple computed from
    the printed levels, and the new level's range when its months differ a lot."""
    mean_after = float(after.mean())
    rising = mean_after > mean_before
    direction = "risen" if rising else "fallen"
    if wording.printed(mean_before) == 0:
        old = f"none in the {before_months} months before"
    else:
        old = f"{wording.rate(mean_before)} in the {before_months} months before ({wording.interval(lower, upper)})"
        if rising:
            ratio = wording.times(mean_after, mean_before)
            old += f", {ratio} the old level" if ratio else ""
        else:
            old += f", {wording.percent(wording.printed(mean_after) / wording.printed(mean_before))} of the old level"
    return wording.sentence(
        f"{wording.subject(measure, scope, settings.area_name)} have {direction} to a new level held for "
        f"{len(after)} months: {wording.level_held(after)} since {wording.month_name(changed)}, against "
        f"{old} (level-shift test, {wording.p_value(p_value)} before correction for multiple series)."
    )
