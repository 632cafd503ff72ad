"""Surge and drop: a month far outside its forecast.

A series' as-of month is a surge candidate when it is above the forecast's 90% range, at least
the count floor of its measure (0 -> 3 deaths is not news), and unlikely under the negative
binomial matched to the forecast; a drop is the mirror image, for series expected to be at least
the floor. The p-value is the one-sided tail probability; false-discovery control happens later,
across every detector.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecasting import wording
from forecasting.detectors.findings import Finding, Findings
from forecasting.detectors.predictive import forecast_evidence, scope_of
from forecasting.detectors.settings import AsOf, DetectionSettings

#: A candidate must be at least this unlikely before BH even looks at it (saves work on 10,000 series).
_CANDIDATE_P = 0.05


def detect_surges_and_drops(predictive: pd.DataFrame, as_of: AsOf, settings: DetectionSettings) -> Findings:
    """Surges and drops in the as-of month.

    `predictive` is `forecasting.detectors.predictive.month_against_forecast(...)`: one row per
    series with observed, expected, lower, upper, p_upper, p_lower. Every row is
    a surge hypothesis, and a drop hypothesis where its forecast is at least the floor (see the end).
    """
    if predictive.empty:
        return Findings([], 0)
    floors = np.where(predictive["measure"] == "fatalities", settings.min_fatalities, settings.min_events)
    observed = predictive["observed"].to_numpy(float)
    expected = predictive["expected"].to_numpy(float)
    # The floors are not scaled down for a partial month: 5 deaths on the 1st are no more news
    # than 5 deaths in a whole month where a few are usual.
    surge = (observed > predictive["upper"].to_numpy(float)) & (observed >= floors) & (
        predictive["p_upper"].to_numpy(float) <= _CANDIDATE_P
    )
    drop = (observed < predictive["lower"].to_numpy(float)) & (expected >= floors) & (
        predictive["p_lower"].to_numpy(float) <= _CANDIDATE_P
    )
    candidates = []
    for row in predictive[surge].itertuples(index=False):
        candidates.append(_finding("surge", row, as_of, settings))
    for row in predictive[drop].itertuples(index=False):
        candidates.append(_finding("drop", row, as_of, settings))
    # Every row is a surge hypothesis; only rows expected at least at the floor are drop
    # hypotheses: below it no count can be a drop, whatever is observed. The filter reads the
    # forecast alone, never the month, so leaving those out of the false-discovery family keeps
    # its control (independent filtering) and stops a thousand quiet districts that can never
    # fall from diluting every test of the month.
    return Findings(candidates, tested=len(predictive) + int((expected >= floors).sum()))


def _finding(kind: str, row, as_of: AsOf, settings: DetectionSettings) -> Finding:
    scope = scope_of(row)
    observed, expected = float(row.observed), float(row.expected)
    # The message states the expectation the alert carries (rounded), and compares the numbers
    # as printed.
    told = round(expected, 1)
    if kind == "surge":
        size = observed / max(expected, 1.0)
        p_value = float(row.p_upper)
        comparison = wording.above_expected(observed, told).replace(", ", ": ", 1)
    else:
        size = max(expected, 1.0) / max(observed, 1.0)
        p_value = float(row.p_lower)
        fall = 1 - wording.printed(observed) / max(wording.printed(told), 1e-9)
        comparison = f": {wording.percent(fall)} below the expected level"
    when = _when(as_of)
    verb = "rose to" if kind == "surge" else "fell to"
    message = (
        f"{wording.subject(row.measure, scope, settings.area_name)} {verb} {wording.count(observed)} "
        f"{when}, against {wording.expected(told)} expected ({wording.interval(row.lower, row.upper)})"
        f"{comparison}."
    )
    return Finding(
        kind=kind,
        scope=scope,
        measure=row.measure,
        period=as_of.month_text,
        observed=observed,
        expected=told,
        lower=float(row.lower),
        upper=float(row.upper),
        p_value=p_value,
        size=size,
        message=wording.sentence(message),
        evidence={
            "series_id": row.series_id,
            "level": row.level,
            **({"partial_month_through": as_of.day.isoformat()} if as_of.is_day else {}),
            **forecast_evidence(row),
        },
    )


def _when(as_of: AsOf) -> str:
    if as_of.is_day:
        return f"in {wording.month_name(as_of.month)} (to {as_of.day.day} {as_of.day.strftime('%B')})"
    return f"in {wording.month_name(as_of.month)}"

