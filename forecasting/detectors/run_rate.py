"""Run rate: a year-to-date pace against earlier full years ("on pace for more than twice 2023
and 2024 combined").

For every country, the whole area, and each country's settlement tiers (all actors and each
actor family), the year-to-date total is projected to a full year (linearly: monthly seasonality
in these series is weak next to their trends) and compared with the `run_rate_years` previous
full years together. It is a candidate when the projection exceeds them combined, i.e. when the
monthly rate is more than `run_rate_years` times theirs. The p-value is the upper tail of the
year-to-date total under the earlier years' monthly rate, negative binomial with the dispersion
of their months.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecasting import distributions, wording
from forecasting.detectors.actors import MIN_FAMILY_EVENTS
from forecasting.detectors.counts import size_by_moments, upper_tail
from forecasting.detectors.findings import Finding, Findings
from forecasting.detectors.settings import AsOf, DetectionSettings
from forecasting.detectors.tier_shift import SHIFT_TIERS, EventCodes, event_months
from forecasting.events import UNLOCATED

_CANDIDATE_P = 0.05


def detect_run_rates(
    events: pd.DataFrame, as_of: AsOf, settings: DetectionSettings, *, codes: EventCodes | None = None
) -> Findings:
    """Run-rate findings for the as-of year up to the as-of day.

    `events`: event frame up to the as-of day (event_date, country, tier, fatalities, actor1
    mapped to actor families). `codes`: as `tier_shift.event_months` takes them.
    """
    elapsed = as_of.month.month - 1 + as_of.share_of_month
    if elapsed < settings.run_rate_min_months:
        return Findings([], 0)
    year = as_of.day.year
    first_year = year - settings.run_rate_years
    if events.empty or events["event_date"].min() > pd.Timestamp(first_year, 1, 31):
        return Findings([], 0)
    start = pd.Timestamp(first_year, 1, 1)
    months = pd.date_range(start, as_of.month, freq="MS")
    coded = event_months(events, start, len(months), codes=codes)
    position, countries, actors, tiers = coded.position, coded.countries, coded.actors, coded.tiers
    weights = {"events": None, "fatalities": coded.fatalities}
    earlier = position < 12 * settings.run_rate_years

    scopes: list[tuple[dict, np.ndarray]] = [({}, np.ones(len(position), dtype=bool))]
    # Per tier scope, the events of its country (and family) that no tier counts: not located at
    # a named place (`forecasting.events.UNLOCATED`); the alert says how many were left out.
    unlocated: dict[int, np.ndarray] = {}
    unlocated_code = coded.code("tiers", UNLOCATED)
    for country in coded.present("countries"):
        in_country = countries == coded.code("countries", country)
        scopes.append(({"country": country}, in_country))
        sizes = coded.counts("actors", in_country & earlier)
        families = [None, *sorted(family for family, size in sizes.items() if size >= MIN_FAMILY_EVENTS)]
        for actor in families:
            by_actor = in_country if actor is None else in_country & (actors == coded.code("actors", actor))
            if actor is not None:
                scopes.append(({"country": country, "actor": actor}, by_actor))
            for tier in SHIFT_TIERS:
                unlocated[len(scopes)] = by_actor & (tiers == unlocated_code)
                scopes.append(({"country": country, "tier": tier, "actor": actor},
                               by_actor & (tiers == coded.code("tiers", tier))))
    candidates, tested = [], 0
    this_year = position >= 12 * settings.run_rate_years
    for index, (partial_scope, rows) in enumerate(scopes):
        scope = {name: partial_scope.get(name) for name in ("country", "admin1", "admin2", "tier", "actor")}
        for measure in ("fatalities", "events"):
            weight = weights[measure]
            totals = np.bincount(
                position[rows], weights=None if weight is None else weight[rows], minlength=len(months)
            )
            monthly = pd.Series(totals.astype("int64"), index=months)
            tested += 1
            finding = _project(monthly, scope, measure, year, elapsed, as_of, settings)
            if finding is not None and index in unlocated:
                left_out = unlocated[index] & this_year
                finding.evidence["unlocated_left_out"] = float(
                    left_out.sum() if weight is None else weight[left_out].sum()
                )
            if finding is not None:
                candidates.append(finding)
    return Findings(candidates, tested)


def earlier_pace(earlier: pd.Series) -> float:
    """The earlier years' mean monthly total (events or deaths), what this year's pace is judged
    against; at least one a period, so that a quiet past still gives a pace to exceed."""
    return max(float(earlier.sum()), 1.0) / len(earlier)


#: Growth a year is assumed to carry on at most this fast (a doubling): beyond it, a pace is news
#: however fast the place grew before.
_MAX_GROWTH = 2.0


def trend_pace(earlier: pd.Series) -> float:
    """What this year's monthly pace would be if the last earlier year's growth carried on: last
    year's mean month times its ratio to the year before (at least 1, at most `_MAX_GROWTH`; a
    fall is not extrapolated), never below the earlier years' pace (`earlier_pace`)."""
    years = earlier.index.year.to_numpy()
    values = earlier.to_numpy(dtype=float)
    distinct = np.unique(years)
    if distinct.size < 2:
        return earlier_pace(earlier)
    before, last = (values[years == year].mean() for year in distinct[-2:])
    growth = min(max((last + 0.5) / (before + 0.5), 1.0), _MAX_GROWTH)
    return max(earlier_pace(earlier), last * growth)


def _project(monthly: pd.Series, scope, measure, year, elapsed, as_of, settings) -> Finding | None:
    earlier = monthly[monthly.index.year < year]
    year_to_date = float(monthly[monthly.index.year == year].sum())
    combined = float(earlier.sum())
    projected = year_to_date * 12 / elapsed
    if projected <= combined or year_to_date < 3 * settings.floor(measure):
        return None
    rate = earlier_pace(earlier)
    expected = rate * elapsed
    variance = float(earlier.var(ddof=1)) if len(earlier) > 1 else rate
    # Months are independent draws: the size of a sum of m negative binomial months is m times
    # a month's size.
    size = size_by_moments(rate, variance) * elapsed
    p_value = float(upper_tail(np.array([year_to_date]), np.array([expected]), np.array([size]))[0])
    if p_value > _CANDIDATE_P:
        return None
    # Against the trend too: in a place whose violence has grown year on year, more of the same
    # growth is no new story. The pace must also be unusual against last year's pace grown as
    # it grew the year before (`trend_pace`), with the same dispersion (variance-to-mean ratio).
    trend = trend_pace(earlier) * elapsed
    trend_size = size * trend / expected if np.isfinite(size) else np.inf
    trend_p = float(upper_tail(np.array([year_to_date]), np.array([trend]), np.array([trend_size]))[0])
    p_value = max(p_value, trend_p)
    if p_value > _CANDIDATE_P:
        return None
    ratio = projected / max(combined, 1.0)
    years = [str(y) for y in sorted(set(earlier.index.year))]
    years_text = " and ".join([", ".join(years[:-1]), years[-1]]) if len(years) > 1 else years[0]
    comparison = (
        f"more than {_times_words(ratio)} {years_text} combined"
        if ratio >= 2
        else f"more than {years_text} combined"
    )
    noun = wording.subject(measure, scope, "the watch area") if scope["country"] else None
    if scope["tier"]:
        whose = f" by {scope['actor']}" if scope["actor"] else ""
        noun = f"{wording.MEASURE_NAMES[measure]}{whose} at {wording.TIER_NAMES[scope['tier']]} of {scope['country']}"
    elif noun is None:
        noun = wording.subject(measure, scope, settings.area_name)
    through = wording.day_name(as_of.day) if as_of.is_day else wording.month_name(as_of.month)
    lower_q = distributions.poisson_ppf(0.05, expected) if not np.isfinite(size) else distributions.nbinom_ppf(0.05, size, size / (size + expected))
    upper_q = distributions.poisson_ppf(0.95, expected) if not np.isfinite(size) else distributions.nbinom_ppf(0.95, size, size / (size + expected))
    message = wording.sentence(
        f"{noun} are on pace for {wording.count(projected)} in {year} ({wording.count(year_to_date)} to {through}, "
        f"against {wording.expected(expected)} expected at the earlier pace, {wording.interval(lower_q, upper_q)}), "
        f"{comparison} ({wording.count(combined)})."
    )
    return Finding(
        kind="run_rate",
        scope=scope,
        measure=measure,
        period=as_of.month_text,
        observed=year_to_date,
        expected=round(expected, 1),
        lower=float(lower_q),
        upper=float(upper_q),
        p_value=p_value,
        size=float(year_to_date / max(expected, 1.0)),
        message=message,
        evidence={
            "projected_year_total": round(projected),
            "months_elapsed": round(elapsed, 2),
            "earlier_years": {str(y): float(v) for y, v in earlier.groupby(earlier.index.year).sum().items()},
            "earlier_years_combined": combined,
            "ratio_to_combined": round(ratio, 2),
            # The trend the pace is also judged against (`trend_pace`), and the larger of the two
            # p-values is the alert's.
            "expected_at_trend": round(trend, 1),
        },
    )


def _times_words(ratio: float) -> str:
    """'twice', 'three times', '4.5 times' (floored: 'more than twice' must be true)."""
    if ratio < 3:
        return "twice"
    if ratio < 4:
        return "three times"
    return f"{int(ratio)} times"
