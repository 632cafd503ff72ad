"""Regional drop: violence in a region (or a country, or the whole area) falls far below its own
past year in one month, as after a ceasefire, a local truce or a withdrawal.

The forecast-based drop (`forecasting.detectors.surge`) judges a month against the forecast's
90% range. For a region whose level rose or fell for years that range is wide, because it holds
the uncertainty about where the trend goes: a region that saw 14 attacks a month all year and
then 1 is inside a range of 7-35 at p = 0.012, and among the month's hundreds of tests that is
nothing. An analyst judges such a month against the region's own recent months: 1 attack where
there were 8 to 21 every month of the past year is a fall. So here:

- the **null** is the place's own last `regional_drop_months` (12) complete months: a negative
  binomial with their mean and variance (by moments, never below Poisson), so a region whose
  months swing widely needs a deeper fall than a steady one;
- the fall must be **large**: the month at most `regional_drop_share` (a third) of the year's
  mean, and below the forecast's 90% range too (a month the forecast expected to be low, after
  a year of decline, is no fall);
- it is judged on **events**, attacks and clashes, not on deaths: deaths come in clumps, and a
  region whose attacks went on as before but killed fewer has not become calmer (the mirror of
  "deadlier attacks are not more attacks", docs/detectors.md). A fall of deaths stays a
  forecast-based drop, in the surge family;
- **complete months only**: a fortnight of quiet is not a fall, and the last days of a month are
  the ones a data lag leaves out.

The hypotheses are the event series of the area, each country and each admin1 unit whose past
year's mean and forecast are at least the events floor (`min_events`): the filter reads the past
and the forecast, never the month, so the family's false-discovery control holds. They are a
family of their own, a few dozen, not hundreds of district surges. Alerts are of kind `drop`, so
one series' drop of a month is one alert whichever test found it (`pipeline.deduplicate` keeps
the lower score) and its lifecycle is a drop's (resolved when back above the bottom of its
forecast range).
"""

from __future__ import annotations

import pandas as pd

from forecasting import wording
from forecasting.detectors.counts import central_range, lower_tail, size_by_moments
from forecasting.detectors.findings import Finding, Findings
from forecasting.detectors.predictive import forecast_evidence, scope_of
from forecasting.detectors.settings import AsOf, DetectionSettings

#: Places large enough for a fall of one month to be read as a change of the place.
REGIONAL_LEVELS = ("area", "country", "admin1")
_CANDIDATE_P = 0.05


def detect_regional_drops(series: pd.DataFrame, predictive: pd.DataFrame, as_of: AsOf,
                          settings: DetectionSettings) -> Findings:
    """Falls of political-violence events in the as-of month against each regional series' own
    past year (see the module's docstring). `series`: `build_series` output; `predictive`: its
    as-of month against the forecast (`month_against_forecast`)."""
    if as_of.is_day or predictive.empty:
        return Findings([], 0)
    months = settings.regional_drop_months
    first = as_of.month - pd.DateOffset(months=months)
    past = series[(series["measure"] == "events") & series["level"].isin(REGIONAL_LEVELS)
                  & (series["period"] >= first) & (series["period"] < as_of.month)]
    year = past.groupby("series_id", sort=False)["value"].agg(["mean", "var", "min", "max", "count"])
    year = year[year["count"] == months]
    rows = predictive[predictive["series_id"].isin(year.index)].join(year, on="series_id")
    floor = settings.min_events
    rows = rows[(rows["mean"] >= floor) & (rows["expected"] >= floor)]
    if rows.empty:
        return Findings([], 0)
    mean = rows["mean"].to_numpy(float)
    size = size_by_moments(mean, rows["var"].to_numpy(float))
    observed = rows["observed"].to_numpy(float)
    p_values = lower_tail(observed, mean, size)
    wanted = ((observed <= settings.regional_drop_share * mean) & (observed < rows["lower"].to_numpy(float))
              & (p_values <= _CANDIDATE_P))
    candidates = [
        _finding(row, float(p_value), float(row_size), as_of, settings)
        for row, p_value, row_size, keep in zip(rows.itertuples(index=False), p_values, size, wanted)
        if keep
    ]
    return Findings(candidates, tested=len(rows))


def _finding(row, p_value: float, size: float, as_of: AsOf, settings: DetectionSettings) -> Finding:
    scope = scope_of(row)
    observed, mean = float(row.observed), float(row.mean)
    told = round(mean, 1)
    # The year's 90% range under the same negative binomial the test uses.
    lower, upper = central_range(mean, size)
    fall = 1 - wording.printed(observed) / max(wording.printed(told), 1e-9)
    months = settings.regional_drop_months
    message = (
        f"{wording.subject(row.measure, scope, settings.area_name)} fell to {wording.count(observed)} in "
        f"{wording.month_name(as_of.month)}, against {wording.rate(mean)} in the {months} months before "
        f"({wording.interval(lower, upper)}; from {wording.count(row.min)} to {wording.count(row.max)}) and "
        f"{wording.expected(round(float(row.expected), 1))} expected by the forecast "
        f"({wording.interval(row.lower, row.upper)}): {wording.percent(fall)} below the past year's level "
        f"({wording.p_value(p_value)} against the past year, before correction for multiple series)."
    )
    return Finding(
        kind="drop",
        scope=scope,
        measure=row.measure,
        period=as_of.month_text,
        observed=observed,
        expected=told,
        lower=lower,
        upper=upper,
        p_value=p_value,
        size=max(mean, 1.0) / max(observed, 1.0),
        message=wording.sentence(message),
        evidence={
            "series_id": row.series_id,
            "level": row.level,
            "judged_against": "past_year",
            "past_months": months,
            "past_lowest": float(row.min),
            "past_highest": float(row.max),
            "forecast_expected": round(float(row.expected), 1),
            "forecast_lower": float(row.lower),
            "forecast_upper": float(row.upper),
            **forecast_evidence(row),
        },
    )
