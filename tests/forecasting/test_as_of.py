"""forecasting.as_of: calendar-month arithmetic shared by detectors, alerts and reports."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from forecasting.as_of import months_between


def test_months_between_counts_calendar_months_whatever_the_days():
    assert months_between(dt.date(2025, 5, 31), dt.date(2025, 6, 1)) == 1
    assert months_between(dt.date(2025, 5, 1), dt.date(2025, 5, 31)) == 0
    assert months_between(dt.date(2023, 11, 15), pd.Timestamp("2025-02-01")) == 15
    assert months_between(pd.Timestamp("2025-02-01"), dt.date(2024, 12, 9)) == -2
