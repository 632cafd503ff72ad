"""Synchronized: many distinct admin2 units hit within one or two days by the same actor family.

For each actor family in each country (a family's usual tempo differs by country, and a wave
is planned against one state's positions), every window of `synchronized_window_days` consecutive days counts the
distinct admin2 units the family struck. Against its history (non-overlapping windows of the
three years before the as-of month, a negative binomial fitted by moments) a window of the as-of
month is a candidate when it reaches `synchronized_min_units` units and is unlikely; the p-value
is Bonferroni-corrected for the number of non-overlapping windows in the month, so each family
is one hypothesis per month. Waves that do not overlap are reported separately, dated by their
first day.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecasting import wording
from forecasting.detectors.counts import central_range, size_by_moments, upper_tail
from forecasting.detectors.findings import Finding, Findings
from forecasting.detectors.settings import AsOf, DetectionSettings
from forecasting.series import UNKNOWN

_HISTORY_YEARS = 3
_CANDIDATE_P = 0.05
#: Families with fewer events than this in their history cannot say what is usual for them.
_MIN_HISTORY_EVENTS = 50


def detect_synchronized(
    events: pd.DataFrame, as_of: AsOf, settings: DetectionSettings, *, run_hits: pd.DataFrame | None = None,
    run_windows: dict[int, dict[tuple, pd.Series]] | None = None,
) -> Findings:
    """Synchronized waves in the as-of month up to the as-of day.

    `events`: event frame with event_date, country, admin1, admin2 and actor1 mapped to actor
    families. Windows of one day and of `synchronized_window_days` days are both tried (a
    one-day wave is diluted by a second, ordinary day), with a Bonferroni factor for the two.
    `run_hits`: `wave_hits` of the events of a run of months to its last day, of which `events`
    are those to the as-of day (a backfill works them out once; the month's are cut from them).
    `run_windows`: where given with `run_hits`, the units hit per window of `run_hits`, by width
    (filled here on first use): the month's windows that lie within its history and as-of day
    are cut from them, and only those its history or as-of day cuts short are counted again.
    """
    widths = sorted({1, settings.synchronized_window_days})
    history_start = as_of.month - pd.DateOffset(years=_HISTORY_YEARS)
    if run_hits is None:
        hits = _hits(events[events["event_date"] >= history_start])
    else:
        # A hit's day is its events' day: the hits of events to the as-of day are those to it.
        days = run_hits["day"]
        hits = run_hits[(days >= history_start) & (days <= pd.Timestamp(as_of.day))]
    if hits.empty:
        return Findings([], 0)
    history_events = hits[hits["day"] < as_of.month].groupby(["country", "actor"]).size()
    if run_hits is None or run_windows is None:
        counts = {width: _units_per_window(hits, width) for width in widths}
    else:
        for width in widths:
            if width not in run_windows:
                run_windows[width] = _units_per_window(run_hits, width)
        counts = {width: _cut_windows(run_windows[width], hits, width, history_start, pd.Timestamp(as_of.day))
                  for width in widths}

    candidates, tested = [], 0
    for (country, actor), events_before in history_events.items():
        if events_before < _MIN_HISTORY_EVENTS:
            continue
        tested += 1
        waves = []
        for width in widths:
            per_start = counts[width].get((country, actor))
            if per_start is None:
                continue
            waves += _waves(per_start, width, as_of, settings, len(widths))
        taken: list[tuple[pd.Timestamp, int]] = []
        for p_value, start, width, units, mean, size, history, per_start in sorted(waves, key=lambda wave: wave[0]):
            if any(start <= other + pd.Timedelta(days=w - 1) and other <= start + pd.Timedelta(days=width - 1)
                   for other, w in taken):
                continue
            taken.append((start, width))
            candidates.append(
                _finding(actor, start, units, mean, size, history, per_start,
                         hits[(hits["country"] == country)], p_value, width, settings)
            )
    return Findings(candidates, tested)


def wave_hits(events: pd.DataFrame) -> pd.DataFrame:
    """What synchronized waves count, of `events` (as `detect_synchronized` takes them), for
    `detect_synchronized`'s `run_hits`."""
    return _hits(events)


def _hits(events: pd.DataFrame) -> pd.DataFrame:
    """One row per (country, actor family, admin2 unit, day) with an event: what a wave counts."""
    frame = events[events["actor1"].notna() & events["admin2"].notna() & (events["admin2"] != UNKNOWN)]
    return pd.DataFrame(
        {
            "country": frame["country"].to_numpy(),
            "actor": frame["actor1"].to_numpy(),
            "unit": (frame["country"] + "|" + frame["admin1"].fillna("") + "|" + frame["admin2"]).to_numpy(),
            "day": frame["event_date"].dt.normalize().to_numpy(),
        }
    ).drop_duplicates()


def units_hit_per_day(events: pd.DataFrame, country: str, actor: str) -> pd.Series:
    """Distinct admin2 units `actor` (a family) struck in `country` per day, counted as the
    detector counts them (days without a hit are absent). `events` as for `detect_synchronized`."""
    per_start = _units_per_window(_hits(events), 1).get((country, actor))
    return per_start if per_start is not None else pd.Series(dtype="int64")


def _units_per_window(hits: pd.DataFrame, width: int) -> dict[tuple, pd.Series]:
    """Distinct units hit per (country, family) and window start day."""
    # A hit on day d belongs to the windows starting on d - width + 1 ... d.
    starts = pd.concat(
        [hits.assign(start=hits["day"] - pd.Timedelta(days=offset)) for offset in range(width)], ignore_index=True
    )
    counts = starts.drop_duplicates(["actor", "unit", "start"]).groupby(["country", "actor", "start"]).size()
    return {key: group.droplevel(["country", "actor"]) for key, group in counts.groupby(level=["country", "actor"])}


def _cut_windows(
    run: dict[tuple, pd.Series], hits: pd.DataFrame, width: int, first: pd.Timestamp, last: pd.Timestamp
) -> dict[tuple, pd.Series]:
    """`_units_per_window(hits, width)` for `hits` from day `first` to day `last`, from `run`, the
    windows of hits of days around them: windows inside those days are the run's; those that
    start before `first` or end after `last` hold fewer days' hits here, and are counted from
    `hits` of their days only."""
    inner_end = last - pd.Timedelta(days=width - 1)
    early = _units_per_window(hits[hits["day"] <= first + pd.Timedelta(days=width - 2)], width)
    late = _units_per_window(hits[hits["day"] >= last - pd.Timedelta(days=width - 2)], width)
    counts = {}
    for key in set(run) | set(early) | set(late):
        parts = []
        if key in early:
            parts.append(early[key][early[key].index < first])
        if key in run:
            parts.append(run[key][(run[key].index >= first) & (run[key].index <= inner_end)])
        if key in late:
            parts.append(late[key][late[key].index > inner_end])
        per_start = pd.concat(parts) if len(parts) > 1 else parts[0]
        if len(per_start):
            counts[key] = per_start
    return counts


def _waves(per_start: pd.Series, width: int, as_of: AsOf, settings: DetectionSettings, tries: int) -> list[tuple]:
    """Candidate windows of the as-of month: (p-value, start, width, units, mean, size, history, counts)."""
    month_start, last_day = as_of.month, pd.Timestamp(as_of.day)
    current = per_start[(per_start.index >= month_start) & (per_start.index <= last_day)]
    current = current[current >= settings.synchronized_min_units]
    if current.empty:
        return []  # most families, most months: their history is not needed
    history_start = month_start - pd.DateOffset(years=_HISTORY_YEARS)
    history_days = pd.date_range(history_start, month_start - pd.Timedelta(days=width), freq=f"{width}D")
    history = per_start.reindex(history_days, fill_value=0).to_numpy(float)
    if len(history) < 30:
        return []
    mean = max(float(history.mean()), 1e-3)
    variance = float(history.var(ddof=1))
    size = size_by_moments(mean, variance)
    windows_in_month = max(1.0, as_of.day.day / width)
    p_values = upper_tail(current.to_numpy(float), np.full(len(current), mean), np.full(len(current), size))
    p_values = np.minimum(1.0, p_values * windows_in_month * tries)
    return [
        (float(p), start, width, int(units), mean, size, history, per_start)
        for p, (start, units) in zip(p_values, current.items())
        if p <= _CANDIDATE_P
    ]


def _finding(actor, start, units, mean, size, history, per_start, hits, p_value, width, settings) -> Finding:
    end = start + pd.Timedelta(days=width - 1)
    in_wave = hits[(hits["actor"] == actor) & (hits["day"] >= start) & (hits["day"] <= end)]
    first_day = in_wave["day"].min()
    places = sorted(in_wave["unit"].unique())
    countries = sorted({place.split("|")[0] for place in places})
    admin2 = [place.split("|")[2] for place in places]
    last_day = in_wave["day"].max()
    earlier = per_start[(per_start.index < start - pd.Timedelta(days=width - 1)) & (per_start >= units)]
    since = earlier.index.max() if not earlier.empty else None
    lower, upper = central_range(mean, size)
    scope = {
        "country": countries[0] if len(countries) == 1 else None,
        "admin1": None,
        "admin2": None,
        "tier": None,
        "actor": actor,
    }
    where = countries[0] if len(countries) == 1 else " and ".join([", ".join(countries[:-1]), countries[-1]])
    days_text = (
        wording.day_name(first_day)
        if first_day == last_day
        else f"{first_day.day}\u2013{wording.day_name(last_day)}"
    )
    hit = [dict(zip(("country", "admin1", "admin2"), place.split("|"))) for place in places]
    # Each unit with its region (and country, for a wave across borders): 'Kayes' alone could
    # be the region or its district.
    named = wording.units_by_region(hit) if len(countries) == 1 else wording.place_list(hit, "", limit=10)
    history_text = f"not seen since {wording.day_name(since)}" if since is not None else "not seen in the past three years"
    message = wording.sentence(
        f"{actor} struck {wording.count(units)} admin2 units of {where} on {days_text} ({named}), against "
        f"{wording.expected(round(mean, 2))} expected in {'one day' if width == 1 else f'{width} days'} "
        f"({wording.interval(lower, upper)}): {history_text}."
    )
    return Finding(
        kind="synchronized",
        scope=scope,
        measure="events",
        period=first_day.date().isoformat(),
        observed=float(units),
        expected=round(mean, 2),
        lower=lower,
        upper=upper,
        p_value=p_value,
        size=units / max(mean, 1.0),
        message=message,
        evidence={
            "admin2_units": admin2,
            "admin1_units": sorted({place.split("|")[1] for place in places} - {""}),
            "units": hit,
            "countries": countries,
            "first_day": first_day.date().isoformat(),
            "last_day": last_day.date().isoformat(),
            "window_days": width,
            "windows_in_history": int(len(history)),
            "history_windows_at_least_this_many": int((history >= units).sum()),
            "same_or_more_last_seen": since.date().isoformat() if since is not None else None,
        },
    )

