"""forecasting.as_of: calendar-month arithmetic shared by detectors, alerts and reports."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from forecasting.as_of import add_months, month_positions, months_between


def test_months_between_counts_calendar_months_whatever_the_days():
    assert months_between(dt.date(2025, 5, 31), dt.date(2025, 6, 1)) == 1
    assert months_between(dt.date(2025, 5, 1), dt.date(2025, 5, 31)) == 0
    assert months_between(dt.date(2023, 11, 15), pd.Timestamp("2025-02-01")) == 15
    assert months_between(pd.Timestamp("2025-02-01"), dt.date(2024, 12, 9)) == -2


def test_add_months_gives_the_first_day_of_a_month_across_years():
    assert add_months(dt.date(2025, 5, 19), 0) == dt.date(2025, 5, 1)
    assert add_months(dt.date(2025, 11, 30), 2) == dt.date(2026, 1, 1)
    assert add_months(dt.date(2025, 2, 14), -3) == dt.date(2024, 11, 1)
    assert add_months(dt.date(2018, 1, 1), 91) == dt.date(2025, 8, 1)


def test_month_positions_place_each_day_in_a_run_of_months():
    days = pd.Series(pd.to_datetime(["2024-11-30", "2024-12-01", "2025-02-14"]))
    assert month_positions(days, pd.Timestamp("2024-11-01")).tolist() == [0, 1, 3]
