"""The tier shares of the as-of month that the lifecycle judges open tier shifts back in band by."""

from __future__ import annotations

import pandas as pd

from forecasting.detectors import build_series, month_readings, parse_as_of


def _events(rows):
    frame = pd.DataFrame(rows, columns=["event_date", "country", "actor1", "tier", "fatalities"])
    frame["event_date"] = pd.to_datetime(frame["event_date"])
    frame["source_id"] = [str(number) for number in range(len(frame))]
    frame["admin1"], frame["admin2"] = "Centre", "Kadiogo"
    return frame


def test_month_readings_give_the_as_of_months_tier_counts_for_all_actors_and_each_family():
    events = _events([
        ("2025-06-03", "Burkina Faso", "JNIM: Group for Support of Islam and Muslims", "admin2_capital", 10),
        ("2025-06-09", "Burkina Faso", "Katiba Macina", "other", 2),
        ("2025-06-20", "Burkina Faso", "Military Forces of Burkina Faso (2022-)", "admin2_capital", 0),
        ("2025-06-21", "Burkina Faso", "Military Forces of Burkina Faso (2022-)", "other", 4),
        ("2025-05-30", "Burkina Faso", "JNIM: Group for Support of Islam and Muslims", "admin2_capital", 50),  # May
        ("2025-07-01", "Burkina Faso", "JNIM: Group for Support of Islam and Muslims", "admin2_capital", 50),  # after
    ])
    series = build_series(events, parse_as_of("2025-06"))
    forecasts = pd.DataFrame(columns=["series_id", "period", "model", "mean", "q05", "q50", "q95"])
    readings = month_readings(events, series, forecasts, parse_as_of("2025-06"))
    assert readings.series == {}  # no forecasts, no series bands
    shares = readings.tier_shares
    assert shares[("Burkina Faso", None, "admin2_capital", "events")] == (2.0, 4.0)
    assert shares[("Burkina Faso", None, "admin2_capital", "fatalities")] == (10.0, 16.0)
    # Katiba Macina is of the JNIM family.
    assert shares[("Burkina Faso", "JNIM", "admin2_capital", "events")] == (1.0, 2.0)
    assert shares[("Burkina Faso", "JNIM", "admin1_capital", "fatalities")] == (0.0, 12.0)
    assert shares[("Burkina Faso", "State forces", "admin2_capital", "fatalities")] == (0.0, 4.0)
    assert ("Burkina Faso", "JNIM", "other", "events") not in shares
    # Up to a day as-of: only the month so far.
    early = month_readings(events, series, forecasts, parse_as_of("2025-06-05")).tier_shares
    assert early[("Burkina Faso", None, "admin2_capital", "events")] == (1.0, 1.0)


def test_month_readings_give_each_series_its_observed_count_and_forecast_range():
    events = _events([("2025-06-03", "Burkina Faso", "JNIM", "other", 3)] * 4 + [("2025-05-03", "Burkina Faso", "JNIM", "other", 1)])
    as_of = parse_as_of("2025-06")
    series = build_series(events, as_of)
    forecasts = pd.DataFrame({"series_id": ["events|country|Burkina Faso"], "period": [as_of.month], "model": ["m"],
                              "mean": [2.0], "q05": [0.0], "q50": [2.0], "q95": [5.0]})
    band = month_readings(events, series, forecasts, as_of).series["events|country|Burkina Faso"]
    assert (band.observed, band.lower, band.upper) == (4.0, 0.0, 5.0)
