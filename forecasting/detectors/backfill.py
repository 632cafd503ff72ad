"""Detection over a run of months from one load: the series a month-by-month run would build.

A backfill (`detect --from 2018-06 --to 2020-07`) assesses each month in order exactly as
`detect --as-of` month by month would. Building the series from the events costs more than the
rest of a month's detection on large exports, and the series of an earlier month are the later
series cut short: `series_as_of` cuts them, so the events are counted once for the whole run.
Pure: no store, no clock.
"""

from __future__ import annotations

import functools
from collections.abc import Collection
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from forecasting.detectors.settings import AsOf
from forecasting.detectors.synchronized import wave_hits
from forecasting.detectors.tier_shift import EventCodes, event_codes
from forecasting.series import series_scopes, watched_places


@dataclass(frozen=True)
class SeriesHistory:
    """Series built once up to the last month of a run, with the month each series' scope had
    its first event: a series appears in a month's detection from that month on."""

    series: pd.DataFrame
    first_month: pd.Series  # period of first event, indexed by series_id

    def as_of(self, as_of: AsOf) -> pd.DataFrame:
        """What `build_series(events up to as_of.day, as_of)` gives: the rows up to the as-of
        month of the series whose scope had an event by then (a scope with events but no deaths
        has a fatality series of zeros, as the counts it is built from say)."""
        month = _month_number(as_of.month)
        rows = (self._rows.period <= month) & (self._rows.first <= month)
        return self.series[rows].reset_index(drop=True)

    def forecast_parts(self, as_of: AsOf, names: Collection[str]) -> list[tuple[str, pd.DataFrame]]:
        """Of the parts named in `names`, what
        `parts_apart(pipeline.history_for_forecast(self.as_of(as_of), as_of))` gives, index
        included, without cutting the whole history twice a month: each row's part, and the
        month from which its place or actor counts as seen, are worked out once for the run."""
        month = _month_number(as_of.month)
        rows = self._rows
        kept = (rows.period < month) & (rows.first <= month) & (rows.seen_from <= month)
        # The rows' places in the history for the forecast, which is cut and numbered afresh.
        numbers = np.cumsum(kept) - 1
        found = []
        for name, part in rows.parts:
            if name not in names:
                continue
            taken = part[kept[part]]
            if len(taken):
                frame = self.series.take(taken)
                frame.index = pd.Index(numbers[taken])
                found.append((name, frame))
        return found

    @functools.cached_property
    def _rows(self) -> _HistoryRows:
        return _history_rows(self.series, self.first_month)


@dataclass(frozen=True)
class _HistoryRows:
    """Per row of a `SeriesHistory`'s series, as month numbers (`_month_number`): its `period`,
    the `first` month its series appears in, and the month from which its place or actor counts as
    seen before the as-of month (`seen_from`; `pipeline.history_for_forecast`); and each part of
    `parts_apart` with its rows, in that order."""

    period: np.ndarray
    first: np.ndarray
    seen_from: np.ndarray
    parts: list[tuple[str, np.ndarray]]


def _history_rows(series: pd.DataFrame, first_month: pd.Series) -> _HistoryRows:
    from forecasting.models import parts_apart

    period = _month_number(series["period"].to_numpy())
    first = _month_number(first_month.to_numpy())[first_month.index.get_indexer(series["series_id"])]
    # A row with a count makes its place seen in every as-of month after its own that it is in the
    # history of (history_for_forecast: a count before the month, in a series known by then);
    # a place is seen from the first such month of any of its rows.
    with_count = series["value"].fillna(0).to_numpy(dtype=float) > 0
    counts_from = np.where(with_count, np.maximum(period + 1, first), _NEVER)
    place = pd.Series(counts_from).groupby(watched_places(series["series_id"].reset_index(drop=True)))
    seen_from = place.transform("min").fillna(_NEVER).to_numpy(dtype=np.int64)
    parts = [(name, part.index.to_numpy()) for name, part in parts_apart(series.reset_index(drop=True))]
    return _HistoryRows(period=period, first=first, seen_from=seen_from, parts=parts)


#: A month number later than any (and exact as a float, as a groupby's result may hold it).
_NEVER = 1 << 40


def _month_number(months) -> np.ndarray:
    """Months (datetime64 values or a timestamp) as whole months since 1970-01."""
    return np.asarray(months, dtype="datetime64[ns]").astype("datetime64[M]").astype(np.int64)


def series_history(series: pd.DataFrame) -> SeriesHistory:
    """`SeriesHistory` of a `build_series` frame (ids as `forecasting.series` makes them). A scope's first
    event is the first month its `events` series is above zero; its fatality series starts
    counting from the same month."""
    if series.empty:
        return SeriesHistory(series=series, first_month=pd.Series(dtype="datetime64[ns]"))
    scope = series_scopes(series["series_id"])
    counted = series["measure"].eq("events") & series["value"].gt(0)
    first_by_scope = series.loc[counted, "period"].groupby(scope[counted]).min()
    ids = pd.DataFrame({"series_id": series["series_id"], "scope": scope}).drop_duplicates("series_id")
    first_month = pd.Series(ids["scope"].map(first_by_scope).to_numpy(), index=ids["series_id"].to_numpy())
    first_month = first_month.fillna(pd.Timestamp.max.normalize())
    return SeriesHistory(series=series, first_month=first_month)


@dataclass(frozen=True)
class RunEvents:
    """What detectors work out from a run's events once (the events as the detectors see them,
    `pipeline.known_events`, to the run's last day), for every month of the run: each month's
    events are the first rows of the run's (they are ordered by date), and each detector cuts
    the month's part from these by day or by row. `hits`: what synchronized waves count
    (`synchronized.wave_hits`); `codes`: the events' countries, actor families and tiers as
    codes (`tier_shift.event_codes`), for tier shifts and run rates; `windows`: the units hit
    per window of `hits`, by window width, filled by synchronized waves on first use."""

    hits: pd.DataFrame
    codes: EventCodes
    windows: dict[int, dict[tuple, pd.Series]] = field(default_factory=dict)


def run_events(known: pd.DataFrame) -> RunEvents:
    """`RunEvents` of a run's known events."""
    return RunEvents(hits=wave_hits(known), codes=event_codes(known))
