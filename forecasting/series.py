"""Events -> zero-filled monthly series frames.

What is counted: political violence (ACLED's Battles, Explosions/Remote violence and Violence
against civilians; all of UCDP GED) for the measures `fatalities` and `events`; demonstrations
(Protests and Riots) only for their own measure, `demonstrations` (events); strategic
developments never (see `forecasting.events.DISORDER_TYPES`).

A series frame is the one shape every model, detector and chart consumes (long format, like
Nixtla's `unique_id, ds, y`):

    series_id  level  measure  country  admin1  admin2  tier  actor  period  value

`series_id` is `measure|level|scope names` (`fatalities|admin1|Mali|Kayes`), made here only
(`series_id`, `series_ids`), taken apart here only (`series_scopes`), and used unchanged by
forecasts, alerts and reports.
`period` is the first day of the month (datetime64), `value` a non-negative integer count, and
the scope columns that do not apply to a level are missing. Zero-filled: every series has a row
for every month of the frame's span, 0 where nothing happened. Built and validated here only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from forecasting.errors import ConflictwatchError
from forecasting.events import DEMONSTRATIONS, POLITICAL_VIOLENCE, UNLOCATED

if TYPE_CHECKING:
    from forecasting.store import Store

#: Which event columns define a series at each level. `area` is the whole watch area.
LEVEL_COLUMNS: dict[str, tuple[str, ...]] = {
    "area": (),
    "country": ("country",),
    "admin1": ("country", "admin1"),
    "admin2": ("country", "admin1", "admin2"),
    "tier": ("country", "tier"),
    "actor": ("country", "actor1"),
}
LEVELS = tuple(LEVEL_COLUMNS)
MEASURES = ("fatalities", "events", "demonstrations")
#: What each measure counts: (disorder type of the events counted, what is summed of them).
MEASURE_COUNTS = {
    "fatalities": (POLITICAL_VIOLENCE, "fatalities"),
    "events": (POLITICAL_VIOLENCE, "events"),
    "demonstrations": (DEMONSTRATIONS, "events"),
}
#: The measures detection watches unless configured otherwise (`detect.measures`).
VIOLENCE_MEASURES = ("fatalities", "events")
SCOPE_COLUMNS = ("country", "admin1", "admin2", "tier", "actor")
SERIES_COLUMNS = ("series_id", "level", "measure", *SCOPE_COLUMNS, "period", "value")

#: Name shown for events whose admin unit (or actor) the source left empty.
UNKNOWN = "Unknown"


class SeriesError(ConflictwatchError):
    """A series was asked for in a way that cannot be built (unknown level or measure)."""


class AggregatesOnlyError(SeriesError):
    """A tier or actor series was asked of a store that holds only HDX aggregates, not events."""


#: Levels that ACLED's admin2-month aggregates (HDX) can feed; tier and actor need events.
AGGREGATE_LEVELS = ("area", "country", "admin1", "admin2")


def series_from_events(
    events: pd.DataFrame,
    level: str,
    measure: str = "fatalities",
    *,
    start: dt.date | pd.Timestamp | None = None,
    end: dt.date | pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Monthly series at `level` from an event frame (see `forecasting.events`); actors by family.

    `measure` is `fatalities` (sum of reported deaths in political violence), `events` (count of
    political-violence events) or `demonstrations` (count of protests and riots). A frame
    without a `disorder_type` column is taken to hold political violence only. The span runs
    from `start` (default: the month of the first event counted) to `end` (default: the last).
    """
    _check_measure(measure)
    counts = monthly_counts(counted_events(events, measure), _level_columns(level))
    if level == "actor":
        counts = _by_actor_family(counts)
    return series_from_counts(counts_for_measure(counts, measure), level, measure, start=start, end=end)


def monthly_counts(events: pd.DataFrame, columns: tuple[str, ...] | list[str]) -> pd.DataFrame:
    """Events and fatalities per month and per combination of the event `columns` (empty units
    named `UNKNOWN`): columns, `year`, `month`, `events`, `fatalities`. The one group-by every
    caller uses; `series_from_counts` then sums it up to any level whose columns it holds."""
    months = events["event_date"].dt.to_period("M")
    keys = [events[name].fillna(UNKNOWN).rename(name) for name in columns]
    grouped = events.groupby([*keys, months.dt.year.rename("year"), months.dt.month.rename("month")], sort=False)
    return grouped.agg(events=("source_id", "size"), fatalities=("fatalities", "sum")).reset_index()


def level_columns(levels: tuple[str, ...] | list[str]) -> list[str]:
    """Every event column the `levels` group by, once each (what `monthly_counts` needs)."""
    return list(dict.fromkeys(name for level in levels for name in _level_columns(level)))


def unattributed(series: pd.DataFrame) -> pd.Series:
    """Per row: whether it belongs to an actor series of an unknown or unarmed actor (protesters,
    rioters) or to the settlement-tier series of events not located at their place. Neither is a
    series of its own for detection or forecasts: those events count in their units."""
    return ((series["level"] == "actor") & (series["actor"] == UNKNOWN)) | (
        (series["level"] == "tier") & (series["tier"] == UNLOCATED)
    )


def series_for_levels(
    counts: pd.DataFrame,
    levels: tuple[str, ...] | list[str],
    *,
    end: dt.date | pd.Timestamp | None = None,
    measures: tuple[str, ...] = VIOLENCE_MEASURES,
) -> pd.DataFrame:
    """Every level of `levels` and each of `measures` (political-violence deaths and events by
    default) as one series frame, from monthly counts holding `level_columns(levels)` and a
    column per measure (as `monthly_counts` or the store's HDX aggregates give them; see
    `counts_for_measure`)."""
    if counts.empty:
        return empty_series()
    # Each level's frame is checked once, as part of the whole (a check per level cost a third
    # of building the series); the months and units are read once for every level, and each
    # level is summed and zero-filled once for all its measures.
    prepared = _prepared(counts, level_columns(levels))
    frames = [frame for level in levels for frame in _level_series(prepared, level, measures, end=end)]
    return validate_series(pd.concat(frames, ignore_index=True))


def counted_events(events: pd.DataFrame, measure: str) -> pd.DataFrame:
    """The events a measure counts (`MEASURE_COUNTS`): political violence for `fatalities` and
    `events`, demonstrations for `demonstrations`. A frame without `disorder_type` is taken to
    hold political violence only."""
    from forecasting.events import counted_as_political_violence

    disorder_type, _ = MEASURE_COUNTS[measure]
    if disorder_type == POLITICAL_VIOLENCE:
        return events[counted_as_political_violence(events)]
    if "disorder_type" not in events:
        return events.iloc[0:0]
    return events[events["disorder_type"] == disorder_type]


def counts_for_measure(counts: pd.DataFrame, measure: str) -> pd.DataFrame:
    """Monthly counts of the events a measure counts (columns `events`, `fatalities`) with the
    measure's own column added where it is not one of those (`demonstrations`: their events)."""
    _, column = MEASURE_COUNTS[measure]
    return counts if measure in counts else counts.assign(**{measure: counts[column]})


def series_from_counts(
    counts: pd.DataFrame,
    level: str,
    measure: str = "fatalities",
    *,
    start: dt.date | pd.Timestamp | None = None,
    end: dt.date | pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Zero-filled series from monthly counts: the level's columns, `year`, `month` and a column
    named by the measure (`events`, `fatalities`: the shape `forecasting.store.events.monthly_counts`
    returns; `demonstrations`: see `counts_for_measure`), already counted for the measure."""
    return validate_series(_series_from_counts(counts, level, measure, start=start, end=end))


def _series_from_counts(
    counts: pd.DataFrame,
    level: str,
    measure: str,
    *,
    start: dt.date | pd.Timestamp | None = None,
    end: dt.date | pd.Timestamp | None = None,
) -> pd.DataFrame:
    """`series_from_counts`, not yet checked (`validate_series`) nor sorted."""
    [frame] = _level_series(_prepared(counts, _level_columns(level)), level, (measure,), start=start, end=end)
    return frame


def _prepared(counts: pd.DataFrame, columns: list[str] | tuple[str, ...]) -> pd.DataFrame:
    """Monthly counts with empty units of `columns` named `UNKNOWN` and a `period` column."""
    counts = counts.copy()
    for name in columns:
        counts[name] = counts[name].fillna(UNKNOWN)
    counts["period"] = pd.to_datetime(
        {"year": counts["year"], "month": counts["month"], "day": 1}
    ).astype("datetime64[ns]")
    return counts


def _level_series(
    counts: pd.DataFrame,
    level: str,
    measures: tuple[str, ...] | list[str],
    *,
    start: dt.date | pd.Timestamp | None = None,
    end: dt.date | pd.Timestamp | None = None,
) -> list[pd.DataFrame]:
    """Zero-filled series at `level`, one frame per measure of `measures`, from `_prepared`
    counts; not yet checked nor sorted."""
    columns = _level_columns(level)
    for measure in measures:
        _check_measure(measure)
    if start is not None:
        counts = counts[counts["period"] >= _month_start(start)]
    if end is not None:
        counts = counts[counts["period"] <= _month_start(end)]

    first = _month_start(start) if start is not None else counts["period"].min()
    last = _month_start(end) if end is not None else counts["period"].max()
    if counts.empty and (start is None or end is None):
        return [empty_series() for _ in measures]
    periods = pd.date_range(first, last, freq="MS")

    totals = counts.groupby([*columns, "period"], sort=True)[list(measures)].sum()
    if columns:
        scopes = totals.index.droplevel("period").unique().to_frame(index=False)
        grid = scopes.loc[scopes.index.repeat(len(periods))].reset_index(drop=True)
        grid["period"] = np.tile(periods.values, len(scopes))
        full = pd.MultiIndex.from_frame(grid)
    else:
        full = pd.Index(periods, name="period")
    totals = totals.reindex(full, fill_value=0)
    shared = totals.index.to_frame(index=False)
    shared["level"] = level
    shared["actor"] = shared.pop("actor1") if "actor1" in shared else None
    for name in SCOPE_COLUMNS:
        if name not in shared:
            shared[name] = None
    # The scope part of the ids (`|admin1|Mali|Kayes`), joined once for every measure.
    scope_ids = series_ids(shared, level, "")
    frames = []
    for measure in measures:
        frame = shared.assign(value=totals[measure].to_numpy().astype("int64"), measure=measure,
                              series_id=measure + scope_ids)
        frames.append(frame[list(SERIES_COLUMNS)])
    return frames


def load_series(
    store: Store,
    level: str,
    measure: str = "fatalities",
    *,
    countries: list[str] | None = None,
    until: dt.date | None = None,
) -> pd.DataFrame:
    """Series at `level` from the stored events, counted in the database (fast at millions of
    events; actors by family, as detection counts them). `until` is inclusive and also ends the
    span, so a quiet last month still shows as 0."""
    from forecasting.store import events as stored_events

    columns = list(_level_columns(level))
    _check_measure(measure)
    disorder_type, _ = MEASURE_COUNTS[measure]
    counts = stored_events.monthly_counts(store, columns, countries=countries, until=until, disorder_type=disorder_type)
    if counts.empty:
        if disorder_type != POLITICAL_VIOLENCE and stored_events.count_events(store) > 0:
            return empty_series()  # events are stored, none of this type
        return _series_from_aggregates(store, level, measure, countries=countries, until=until)
    if level == "actor":
        counts = _by_actor_family(counts)
    counts = counts_for_measure(counts, measure)
    end = _month_start(until) if until is not None else None
    return series_from_counts(counts, level, measure, end=end)


def _by_actor_family(counts: pd.DataFrame) -> pd.DataFrame:
    """Monthly counts by actor name (`actor1`) as counts by actor family, as detection counts
    actors (`forecasting.detectors.actors`: JNIM with its katibas, State forces with the army, the
    police and the VDP, ...); protesters and rioters have none, so their rows go."""
    from forecasting.detectors.actors import armed_actor_families

    counted = [name for name in ("events", "fatalities") if name in counts]
    families = counts.assign(actor1=armed_actor_families(counts).to_numpy()).dropna(subset=["actor1"])
    keys = [name for name in families.columns if name not in counted]
    return families.groupby(keys, as_index=False, sort=True)[counted].sum()


def _series_from_aggregates(
    store: Store, level: str, measure: str, *, countries: list[str] | None, until: dt.date | None
) -> pd.DataFrame:
    """Series from HDX admin2-month aggregates, for a store that holds no events.

    The frame is an ordinary series frame marked `frame.attrs["origin"] == "aggregates"`. Tier
    and actor series need events; for aggregates they raise `AggregatesOnlyError`, saying so.
    """
    from forecasting.store import aggregates

    if aggregates.count_aggregates(store) == 0:
        return empty_series()
    if measure not in VIOLENCE_MEASURES:
        raise AggregatesOnlyError(
            f"{measure} series are unavailable: the store holds only ACLED's admin2-month aggregates of"
            " political violence (HDX). Load event-level data (`conflictwatch pull acled` or an ACLED"
            " export with `conflictwatch ingest`) to count demonstrations."
        )
    if level not in AGGREGATE_LEVELS:
        raise AggregatesOnlyError(
            f"{level} series are unavailable: the store holds only ACLED's admin2-month aggregates"
            " (HDX), which have no settlements or actors. Country, admin1 and admin2 series work;"
            " for tier and actor analyses load event-level data (`conflictwatch pull acled` or an"
            " ACLED export with `conflictwatch ingest`)."
        )
    return series_from_aggregates(store, [level], countries=countries, until=until, measures=(measure,))


def series_from_aggregates(
    store: Store,
    levels: tuple[str, ...] | list[str] = AGGREGATE_LEVELS,
    *,
    countries: list[str] | None = None,
    until: dt.date | None = None,
    measures: tuple[str, ...] = VIOLENCE_MEASURES,
) -> pd.DataFrame:
    """Every level of `levels` (of `AGGREGATE_LEVELS`) and each of `measures` (of
    `VIOLENCE_MEASURES`) as one series frame, from the stored HDX admin2-month aggregates up to
    `until` (inclusive; it also ends the span). Marked `frame.attrs["origin"] == "aggregates"`;
    empty without aggregates."""
    from forecasting.store import aggregates

    counts = aggregates.aggregate_monthly_counts(store, level_columns(levels), countries=countries, until=until)
    frame = series_for_levels(counts, levels, end=until, measures=measures)
    if not frame.empty:
        frame.attrs["origin"] = "aggregates"
    return frame


def series_ids(frame: pd.DataFrame, level: str, measure: str) -> pd.Series:
    """`series_id` for every row of a frame of one level and measure (its scope columns named
    as in `SCOPE_COLUMNS`): the vectorised `series_id`."""
    ids = pd.Series(f"{measure}|{level}", index=frame.index, dtype=object)
    # Column-wise concatenation: a row-wise join takes seconds at 10,000 series.
    for name in _scope_names(level):
        ids = ids + "|" + frame[name].astype(str)
    return ids


def series_id(measure: str, scope: Mapping[str, str | None], level: str | None = None) -> str:
    """The id of the series of `measure` over `scope`: `fatalities|admin1|Mali|Kayes`,
    `events|area`. `level` defaults to `scope_level(scope)`; scope keys beyond the level's own
    (an actor at a settlement tier) follow as `key=value`, so every scope has exactly one id."""
    level = level or scope_level(scope)
    names = _scope_names(level)
    parts = [measure, level, *(str(scope.get(name)) for name in names)]
    parts += [f"{name}={scope[name]}" for name in SCOPE_COLUMNS if name not in names and scope.get(name)]
    return "|".join(parts)


def series_scopes(ids: pd.Series) -> pd.Series:
    """The scope part of series ids, the measure cut off (`admin1|Mali|Kayes` of
    `fatalities|admin1|Mali|Kayes`): one key for all the measures counted over one scope."""
    return ids.str.split("|", n=1).str[1]


def watched_places(ids: pd.Series) -> list[np.ndarray]:
    """Per series id, the keys of what it watches (two arrays, for a groupby): a place or actor
    and its political violence, whose fatality and event series share one key, or a place and
    another measure (demonstrations). A series whose key is missing belongs to no group."""
    parts = ids.str.split("|", n=1, expand=True)
    kind = parts[0].where(~parts[0].isin(VIOLENCE_MEASURES), "violence")
    return [kind.to_numpy(), parts[1].to_numpy()]


def series_measures(ids: pd.Series) -> pd.Series:
    """The measure part of series ids (`fatalities` of `fatalities|admin1|Mali|Kayes`)."""
    return ids.str.split("|", n=1).str[0]


def scope_level(scope: Mapping[str, str | None]) -> str:
    """The series level a scope (alert or chart) belongs to: `actor`, `tier`, `admin2`, `admin1`,
    `country` or `area`, the first of these its scope names."""
    for key in ("actor", "tier", "admin2", "admin1", "country"):
        if scope.get(key):
            return key
    return "area"


def _scope_names(level: str) -> list[str]:
    return [name if name != "actor1" else "actor" for name in _level_columns(level)]


def validate_series(frame: pd.DataFrame) -> pd.DataFrame:
    """Check the series-frame contract; return the frame sorted by series and month.

    Raises ValueError (a bug, not a user error) when a frame breaks it.
    """
    missing = [name for name in SERIES_COLUMNS if name not in frame]
    if missing:
        raise ValueError(f"series frame lacks columns {missing}")
    if frame["value"].isna().any() or (frame["value"] < 0).any():
        raise ValueError("series values must be non-negative and present (zero-filled)")
    if not (frame["period"].dt.day == 1).all():
        raise ValueError("series periods must be month starts")
    if frame.duplicated(["series_id", "period"]).any():
        raise ValueError("a series has two rows for one month")
    spans = frame.groupby("series_id")["period"].agg(["min", "max", "size"])
    expected = (spans["max"].dt.year - spans["min"].dt.year) * 12 + spans["max"].dt.month - spans["min"].dt.month + 1
    if not (expected == spans["size"]).all():
        raise ValueError("a series skips a month: series frames are zero-filled")
    return frame.sort_values(["series_id", "period"], kind="stable").reset_index(drop=True)


def empty_series() -> pd.DataFrame:
    """A series frame with no rows."""
    frame = pd.DataFrame({name: pd.Series(dtype=object) for name in SERIES_COLUMNS})
    frame["period"] = pd.Series(dtype="datetime64[ns]")
    frame["value"] = pd.Series(dtype="int64")
    return frame


def _level_columns(level: str) -> tuple[str, ...]:
    if level not in LEVEL_COLUMNS:
        raise SeriesError(f"unknown level {level!r}: choose one of {', '.join(LEVELS)}")
    return LEVEL_COLUMNS[level]


def _check_measure(measure: str) -> None:
    if measure not in MEASURES:
        raise SeriesError(f"unknown measure {measure!r}: choose one of {', '.join(MEASURES)}")


def _month_start(day: dt.date | pd.Timestamp) -> pd.Timestamp:
    return pd.Timestamp(day).to_period("M").to_timestamp()

