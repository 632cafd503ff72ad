"""The as-of date: "now" for detection, forecasts, reports and series, parsed in one place.

`YYYY-MM` is a whole month, `YYYY-MM-DD` the month up to and including that day. Every command
that takes `--as-of` (or `--until`, `--from`, `--to`) parses it here, so that each accepts the
same spellings and refuses the same mistakes with the same message.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecasting.errors import ConflictwatchError


class InvalidAsOfError(ConflictwatchError):
    """The as-of date is not YYYY-MM or YYYY-MM-DD (or not a month where one is needed)."""


@dataclass(frozen=True)
class AsOf:
    """The date detection looks at, and nothing after it.

    `month` is the month assessed (a month start). `day` is the last day whose events count: the
    month's last day for a month as-of, the given day for a day as-of. `is_day` is true when a day
    was given: alerts then cover the partial month up to it, and records use rolling 30-day windows.
    """

    text: str
    day: dt.date
    is_day: bool

    @property
    def month(self) -> pd.Timestamp:
        return pd.Timestamp(self.day.year, self.day.month, 1)

    @property
    def month_text(self) -> str:
        return f"{self.day.year:04d}-{self.day.month:02d}"

    @property
    def share_of_month(self) -> float:
        """The share of the assessed month that has elapsed (1.0 for a month as-of)."""
        return self.day.day / calendar.monthrange(self.day.year, self.day.month)[1]


def parse_as_of(text: str, *, option: str = "--as-of") -> AsOf:
    """`YYYY-MM` (the whole month) or `YYYY-MM-DD` (up to and including that day). `option`
    names the option in the error message."""
    cleaned = text.strip()
    try:
        if len(cleaned) == 7:
            year, month = (int(part) for part in cleaned.split("-"))
            last = calendar.monthrange(year, month)[1]
            return AsOf(text=cleaned, day=dt.date(year, month, last), is_day=False)
        return AsOf(text=cleaned, day=dt.date.fromisoformat(cleaned), is_day=True)
    except ValueError:
        raise InvalidAsOfError(
            f"{option} {text!r} is not a month or a day: use YYYY-MM (e.g. 2025-05) or YYYY-MM-DD (e.g. 2025-07-01)"
        ) from None


def parse_month(text: str, *, option: str = "--as-of") -> AsOf:
    """A whole month, `YYYY-MM`: what commands that fit on complete months take."""
    moment = parse_as_of(text, option=option)
    if moment.is_day:
        raise InvalidAsOfError(f"{option} {text!r}: give a month, YYYY-MM (e.g. {moment.month_text})")
    return moment


def month_range(first: str, last: str) -> list[AsOf]:
    """The months from `first` to `last` (`YYYY-MM`, inclusive), in order."""
    start, end = parse_month(first, option="--from"), parse_month(last, option="--to")
    if end.month < start.month:
        raise InvalidAsOfError(f"--from {first} is after --to {last}: give the earlier month first")
    months = []
    year, month = start.day.year, start.day.month
    while (year, month) <= (end.day.year, end.day.month):
        months.append(parse_as_of(f"{year:04d}-{month:02d}"))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def months_between(earlier: dt.date, later: dt.date) -> int:
    """Calendar months from `earlier`'s month to `later`'s: 0 within one month, 1 from May to
    June whatever the days; negative when `later` is the earlier one. Dates or Timestamps."""
    return (later.year - earlier.year) * 12 + later.month - earlier.month


def add_months(day: dt.date, months: int) -> dt.date:
    """The first day of the month `months` after `day`'s (before it when negative)."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def month_positions(days: pd.Series, start: pd.Timestamp) -> np.ndarray:
    """`months_between(start, day)` of every day of a datetime64 Series, as an integer array:
    each day's month as a position in a run of months from `start`'s."""
    return ((days.dt.year - start.year) * 12 + days.dt.month - start.month).to_numpy()
