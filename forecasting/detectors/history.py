"""Enough history: how many months of data a place's record rests on.

"Violence spread to X, where none had been recorded before", "the deadliest month on record"
and "a new level" all compare the as-of month with the past, so they mean nothing when the
store holds a few weeks or months. A place's history is that of its country (the whole area for
the area): the months from the country's first political-violence event in the data to the as-of
month, both counted. A district with no events of its own is still covered by its country's
data; that is what lets spread find violence where there was none.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from forecasting import wording
from forecasting.as_of import months_between
from forecasting.detectors.settings import AsOf

#: Key of the whole watch area in `months_of_data`.
AREA = None


def months_of_data(series: pd.DataFrame, as_of: AsOf) -> dict[str | None, int]:
    """Months of data per country (and `AREA`) up to the as-of month, from a series frame
    (`build_series` output): the first month any of the country's series counts something, to
    the as-of month, inclusive. Countries with nothing counted are absent."""
    # The two columns read, not every column of the frame (three detectors ask, every month).
    counted = series.loc[((series["value"] > 0) & (series["period"] <= as_of.month)).to_numpy(), ["country", "period"]]
    if counted.empty:
        return {}
    first = counted[counted["country"].notna()].groupby("country")["period"].min().to_dict()
    first[AREA] = counted["period"].min()
    return {place: months_between(start, as_of.month) + 1 for place, start in first.items()}


def first_days_of_data(events: pd.DataFrame) -> dict[str | None, pd.Timestamp]:
    """The first event's day per country (and `AREA`), from an event frame."""
    if events.empty:
        return {}
    first = events.groupby("country")["event_date"].min().to_dict()
    first[AREA] = events["event_date"].min()
    return first


def with_enough_history(rows: pd.DataFrame, months: dict[str | None, int], minimum: int) -> pd.DataFrame:
    """The rows (of a series or predictive frame, with a `country` column) whose place has at
    least `minimum` months of data; area rows (country missing) go by the whole area's."""
    if minimum <= 0:
        return rows
    enough = {place for place, held in months.items() if held >= minimum}
    # Compared as places, not row by row: the series frame of a long history has 100,000 rows.
    keep = rows["country"].isin([place for place in enough if place is not AREA])
    if AREA in enough:
        keep |= rows["country"].isna()
    return rows[keep.to_numpy()]


@dataclass(frozen=True)
class DataCoverage:
    """What the store holds for the watch area: its first and newest event days."""

    first_day: dt.date
    newest_day: dt.date

    @property
    def months(self) -> int:
        """Calendar months from the first event's to the newest's, both counted."""
        return months_between(self.first_day, self.newest_day) + 1

    @property
    def days(self) -> int:
        return (self.newest_day - self.first_day).days + 1

    def describe(self) -> str:
        """'92 months of events (1 January 2018 to 31 August 2025)', or in days under two months."""
        span = f"{wording.day_name(self.first_day)} to {wording.day_name(self.newest_day)}"
        if self.months < 2:
            return f"{self.days} day{'s' if self.days != 1 else ''} of events ({span})"
        return f"{self.months} months of events ({span})"


def coverage_warnings(
    coverage: DataCoverage | None, as_of: AsOf, *, min_history_months: int, max_data_lag_days: int
) -> list[str]:
    """What an analyst must know before trusting a detection run: too short a history for
    spread, records and level changes, and data that end well before the as-of period (`as_of`
    as asked for, before it is cut to the data). Each warning is one sentence."""
    if coverage is None:
        return []
    warnings = []
    if coverage.months < min_history_months:
        warnings.append(
            f"The store holds {coverage.describe()}, fewer than the {min_history_months} months that spread "
            "(\u201cnone recorded before\u201d), record and level-change alerts need: none of those is raised. "
            "Load a longer history for them (detect.min_history_months sets the minimum)."
        )
    lag = (as_of.day - coverage.newest_day).days
    if lag > max_data_lag_days:
        warnings.append(
            f"The newest stored event is dated {wording.day_name(coverage.newest_day)}, {lag} days before the end of the "
            f"period assessed ({as_of.text}): recent events are probably missing and counts will look low. "
            "Pull or ingest newer data (detect.max_data_lag_days sets how old is too old)."
        )
    return warnings
