"""Detection over a run of months from one load: the series a month-by-month run would build.

A backfill (`detect --from 2018-06 --to 2020-07`) assesses each month in order exactly as
`detect --as-of` month by month would. Building the series from the events costs more than the
rest of a month's detection on large exports, and the series of an earlier month are the later
series cut short: `series_as_of` cuts them, so the events are counted once for the whole run.
Pure: no store, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from forecasting.detectors.settings import AsOf
from forecasting.detectors.synchronized import wave_hits
from forecasting.detectors.tier_shift import EventCodes, event_codes
from forecasting.series import series_scopes


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
        month = as_of.month
        rows = self.series["period"].to_numpy() <= month.to_datetime64()
        known = self.first_month.to_numpy() <= month.to_datetime64()
        rows &= known[self._positions]
        return self.series[rows].reset_index(drop=True)

    @property
    def _positions(self):
        return self.first_month.index.get_indexer(self.series["series_id"])


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
