"""Messages that add up: every number a record, spread or wave message states is a value of its
alert, formatted by `forecasting.wording`; no "None" and no raw field name reaches a person."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from forecasting import wording
from forecasting.detectors import parse_as_of
from forecasting.detectors.findings import Finding
from forecasting.detectors.predictive import month_against_forecast
from forecasting.detectors.record import detect_monthly_records, detect_window_records
from forecasting.detectors.spread import detect_spread
from forecasting.detectors.synchronized import detect_synchronized
from forecasting.series import series_from_events
from jobs.config import DetectConfig

SETTINGS = DetectConfig().detection_settings("the Central Sahel")
#: A number as messages write them: 1,187 / 4.3 / 62%.
NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


def _events(rows) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["event_date", "country", "admin1", "admin2", "actor1", "fatalities", "tier"])
    frame["event_date"] = pd.to_datetime(frame["event_date"])
    frame["source_id"] = [f"E{i}" for i in range(len(frame))]
    return frame


def _numbers_left(message: str, words: list[str]) -> list[str]:
    """The numbers of `message` once the dates and fixed words it holds (as `wording` writes
    them) are taken out."""
    for text in sorted(words, key=len, reverse=True):
        message = message.replace(text, " ")
    return NUMBER.findall(message)


def _range(lower: float, upper: float) -> list[str]:
    return wording.value_range(lower, upper).split("\u2013")


def _readable(message: str) -> None:
    assert "None" not in message and "nan" not in message
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", message), message  # no raw field names


#: Words of the sentences themselves that hold digits.
FIXED = ["90% range", "30 days", "30-day", "admin2 units", "12 months"]


def _adds_up(finding: Finding, stated: list[str], dates: list[str]) -> None:
    """Every number in the message is one of `stated` (the alert's values as `wording` formats
    them), and each of them is in it; a value written in words ('almost none') is in it."""
    _readable(finding.message)
    numbers = [text for text in stated if NUMBER.fullmatch(text)]
    assert all(text in finding.message for text in stated if text not in numbers), (finding.message, stated)
    left = _numbers_left(finding.message, dates + FIXED)
    assert sorted(left) == sorted(numbers), (finding.message, stated)


def test_a_monthly_record_states_its_observed_expected_range_and_multiple():
    values = [50] * 12 + [300] + [100] * 11 + [263]  # Jan 2023 ... Jan 2025; Jan 2024 was higher
    periods = pd.date_range("2023-01", periods=len(values), freq="MS")
    series = pd.DataFrame({"series_id": "fatalities|area", "level": "area", "measure": "fatalities", "country": None,
                           "admin1": None, "admin2": None, "tier": None, "actor": None, "period": periods,
                           "value": values})
    forecast = pd.DataFrame({"series_id": ["fatalities|area"], "period": pd.Timestamp("2025-01"), "model": "test",
                             "fallback": None, "mean": 112.46, "q05": 70.2, "q10": 75.0, "q25": 100.0, "q50": 110.0,
                             "q75": 120.0, "q90": 150.0, "q95": 160.4})
    as_of = parse_as_of("2025-01")
    (finding,) = detect_monthly_records(series, month_against_forecast(series, forecast, as_of), as_of, SETTINGS).candidates
    assert finding.expected == 112.5
    stated = [wording.count(finding.observed), wording.expected(finding.expected), *_range(finding.lower, finding.upper),
              wording.times(finding.observed, finding.expected).split()[0]]
    assert stated == ["263", "112", "70", "160", "2.3"]  # 263 / 112 as printed, not 263 / 112.46
    _adds_up(finding, stated, [wording.month_name("2025-01"), wording.month_name(finding.evidence["highest_since"])])


def test_a_thirty_day_record_states_the_numbers_it_carries():
    rng = np.random.default_rng(5)
    days = pd.date_range("2022-01-01", "2025-06-30", freq="D")
    rows = [(str(day.date()), "Mali", "Mopti", "Djenne", "JNIM", int(rng.integers(0, 3)), "other")
            for day in days if rng.random() < 0.4]
    rows += [(f"2025-07-0{day}", "Mali", "Kayes", "Kayes", "JNIM", 40, "other") for day in range(1, 4)]
    as_of = parse_as_of("2025-07-03")
    found = detect_window_records(_events(rows), as_of, SETTINGS).candidates
    (finding,) = [f for f in found if f.measure == "fatalities" and f.scope["admin1"] is None and f.scope["country"] is None]
    stated = [wording.count(finding.observed), wording.expected(finding.expected), *_range(finding.lower, finding.upper)]
    multiple = wording.times(finding.observed, finding.expected)
    stated += [multiple.split()[0]] if multiple else []
    dates = [wording.day_name(as_of.day), wording.month_name(days[0])]
    if finding.evidence["highest_since"]:
        dates.append(wording.day_name(finding.evidence["highest_since"]))
    _adds_up(finding, stated, dates)
    assert finding.message.startswith("The 30 days to 3 July 2025 was the deadliest 30-day period in the Central Sahel")


def test_spread_states_its_events_deaths_history_and_expectation():
    rows = [("2023-06-05", "Mali", "Mopti", "Djenne", "JNIM", 1, "other")]
    rows += [("2024-09-05", "Mali", "Mopti", "Djenne", "JNIM", 1, "other")] * 30
    rows += [("2024-11-05", "Mali", "Kayes", "Kayes", "JNIM", 1, "other")] * 2
    rows += [("2025-06-0%d" % d, "Mali", "Kayes", "Nioro", "JNIM", 3, "other") for d in range(1, 6)]
    frame = _events(rows)
    series = pd.concat([series_from_events(frame, level, measure, end="2025-06-01")
                        for level in ("admin1", "admin2") for measure in ("events", "fatalities")])
    series["series_id"] = series["measure"] + "|" + series["series_id"]
    found = detect_spread(series, parse_as_of("2025-06"), SETTINGS).candidates
    (kayes,) = [f for f in found if f.scope["admin2"] is None]
    stated = [wording.count(kayes.observed), wording.count(kayes.evidence["fatalities"]),
              wording.count(kayes.evidence["events_past_12_months"]), wording.expected(kayes.expected),
              *_range(kayes.lower, kayes.upper)]
    assert stated[:3] == ["5", "15", "2"]
    _adds_up(kayes, stated, [wording.month_name("2025-06")])
    assert kayes.message.startswith("Violence spread to Kayes (Mali): 5 political-violence events and 15 reported fatalities")


def test_a_wave_states_its_units_expectation_and_range_and_names_each_unit_with_its_region():
    rng = np.random.default_rng(3)
    days = pd.date_range("2022-07-01", "2025-06-30", freq="D")
    districts = ["Bandiagara", "Bankass", "Djenne", "Douentza", "Koro", "Tenenkou", "Youwarou"]
    rows = [(str(day.date()), "Mali", "Mopti", districts[int(rng.integers(0, len(districts)))], "JNIM", 1, "other")
            for day in days if rng.random() < 0.5]
    hit = [("Kayes", "Kayes"), ("Kayes", "Nioro"), ("Kayes", "Diema"), ("Kayes", "Kita"), ("Kayes", "Bafoulabe"),
           ("Segou", "Niono"), ("Segou", "Macina"), ("Segou", "Segou")]
    rows += [("2025-07-01", "Mali", admin1, admin2, "JNIM", 2, "other") for admin1, admin2 in hit]
    (finding,) = detect_synchronized(_events(rows), parse_as_of("2025-07"), SETTINGS).candidates
    stated = [wording.count(finding.observed), wording.expected(finding.expected), *_range(finding.lower, finding.upper)]
    dates = [wording.day_name(finding.evidence["first_day"])]
    if finding.evidence["same_or_more_last_seen"]:
        dates.append(wording.day_name(finding.evidence["same_or_more_last_seen"]))
    _adds_up(finding, stated, dates)
    assert "(Bafoulabe, Diema, Kayes district, Kita and Nioro in Kayes; Macina, Niono and Segou district in Segou)" in (
        finding.message)
