"""Report inputs built by hand: real series and forecast frames, no store, no models.

The numbers are chosen, not fitted: a Central Sahel with a deadly May 2025, a few alerts of each
severity, and place names that test the renderer (accents, apostrophes, and one with markup).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from forecasting.alerts import Alert
from forecasting.events import PLACE_TIERS
from forecasting.series import series_from_counts
from reports.inputs import DataSource, ReportInputs

UNSAFE_PLACE = "<script>alert('x')</script>/../Kaya"
ADMIN1 = {
    "Burkina Faso": ["Est", "Centre-Nord", "Boucle du Mouhoun", UNSAFE_PLACE],
    "Mali": ["Ségou", "Mopti", "Kayes", "Tombouctou"],
    "Niger": ["Tillabéri", "Tahoua", "Diffa"],
}
AREA_SCOPE = {"country": None, "admin1": None, "admin2": None, "tier": None, "actor": None}


def admin1_counts(months: pd.DatetimeIndex) -> pd.DataFrame:
    """Monthly events and fatalities per admin1 unit, with a spike in May 2025 in a few units."""
    generator = np.random.default_rng(7)
    rows = []
    for country, units in ADMIN1.items():
        for rank, admin1 in enumerate(units):
            level = 30 - 5 * rank
            for month in months:
                fatalities = int(generator.poisson(level))
                if month == pd.Timestamp("2025-05-01") and rank < 2:
                    fatalities *= 4
                rows.append({"country": country, "admin1": admin1, "year": month.year, "month": month.month,
                             "events": int(generator.poisson(level / 3)) + 1, "fatalities": fatalities})
    return pd.DataFrame(rows)


def forecasts_for(series: pd.DataFrame, first: pd.Timestamp, horizon: int) -> pd.DataFrame:
    """A plain forecast frame: the mean of the 12 months before `first`, +-40% / +-80% bands."""
    rows = []
    for series_id, group in series[series["measure"] == "fatalities"].groupby("series_id"):
        history = group[group["period"] < first].tail(12)["value"].mean()
        for step in range(horizon):
            period = first + pd.DateOffset(months=step)
            rows.append({"series_id": series_id, "period": period, "model": "seasonal-naive", "fallback": None,
                         "mean": history, "q05": history * 0.45, "q10": history * 0.55, "q25": history * 0.75,
                         "q50": history, "q75": history * 1.25, "q90": history * 1.6, "q95": history * 1.8})
    return pd.DataFrame(rows)


def tier_shares_for(months: pd.DatetimeIndex) -> pd.DataFrame:
    """Shares drifting toward provincial capitals over time."""
    rows = []
    for country in ADMIN1:
        for index, month in enumerate(months):
            drift = index / len(months)
            events = {"national_capital": 2, "admin1_capital": 6, "admin2_capital": int(5 + 20 * drift), "admin3_seat": 12, "other": 60}
            total = sum(events.values())
            for tier in PLACE_TIERS:  # shares are of located events: `unlocated` has none
                rows.append({"country": country, "period": month, "tier": tier, "events": events[tier], "share": events[tier] / total})
    return pd.DataFrame(rows)


def make_alerts() -> list[Alert]:
    def alert(kind, scope, severity, message, observed=500.0, expected=300.0, period="2025-05", score=0.001, measure="fatalities"):
        return Alert(kind=kind, scope={**AREA_SCOPE, **scope}, measure=measure, period=period, observed=observed,
                     expected=expected, lower=None if expected is None else expected * 0.45,
                     upper=None if expected is None else expected * 1.8, score=score, severity=severity,
                     message=message, evidence={"months_compared": 12, "model": "seasonal-naive"})

    return [
        alert("info", {"country": "Niger", "admin1": "Diffa"}, "info", "Diffa (Niger) had slightly more fatalities than usual in May 2025.", 40, 30, score=0.2),
        alert("surge", {}, "critical", "Central Sahel fatalities reached 1,210 in May 2025, well above the expected 640.", 1210, 640, score=0.0001),
        alert("record", {"country": "Burkina Faso"}, "critical", "Burkina Faso had its deadliest month since August 2024 in May 2025.", 700, 380, score=0.0004),
        alert("surge", {"country": "Burkina Faso", "admin1": "Est"}, "critical", "Fatalities in Est (Burkina Faso) rose to 140 in May 2025, above the expected 31.", 140, 31, score=0.0002),
        alert("surge", {"country": "Mali", "admin1": "Ségou"}, "warning", "Fatalities in Ségou (Mali) rose to 120 in May 2025.", 120, 30, score=0.01),
        alert("tier_shift", {"country": "Burkina Faso", "tier": "admin2_capital"}, "warning",
              "In Burkina Faso, the share of events at provincial capitals rose to 25% in May 2025.", 25, 10, score=0.02, measure="events"),
        alert("surge", {"country": "Burkina Faso", "admin1": UNSAFE_PLACE}, "critical",
              f"Fatalities in {UNSAFE_PLACE} (Burkina Faso) rose sharply in May 2025 & beyond.", 90, 20, score=0.0003),
        alert("synchronized", {"country": "Mali", "actor": "JNIM: Group for Support of Islam and Muslims"}, "critical",
              "On 1 July 2025 JNIM struck 7 places in Mali's Kayes region on one day.", 7, None, period="2025-05-03", score=0.0005),
    ]


#: Where the hand-made events happen: country, admin1, admin2, location, latitude, longitude.
PLACES = [
    ("Burkina Faso", "Est", "Gourma", "Fada N'gourma", 12.06, 0.36),
    ("Burkina Faso", UNSAFE_PLACE, "Sanmatenga", "Kaya", 13.09, -1.08),
    ("Burkina Faso", "Centre-Nord", "Bam", "Kongoussi", 13.33, -1.53),
    ("Mali", "Ségou", "Ségou", "Ségou", 13.43, -6.22),
    ("Mali", "Kayes", "Kayes", "Kayes", 14.45, -11.44),
    ("Niger", "Tillabéri", "Tillabéri", "Tillabéri", 14.21, 1.45),
    ("Niger", "Diffa", "Diffa", "Diffa", 13.32, 12.61),
]


def brief_events() -> pd.DataFrame:
    """Political-violence events from May 2024 to May 2025, a few a month at each place; in May
    2025 Est has one massacre of 60 (the month's deadliest event)."""
    rows = []
    for month in pd.date_range("2024-05-01", "2025-05-01", freq="MS"):
        for index, (country, admin1, admin2, location, latitude, longitude) in enumerate(PLACES):
            for day in (4, 18):
                deaths = 60 if (month == pd.Timestamp("2025-05-01") and admin1 == "Est" and day == 4) else (index + day) % 5
                rows.append({
                    "source": "acled", "source_id": f"EV{len(rows):05d}", "event_date": month + pd.Timedelta(days=day - 1),
                    "disorder_type": "Political violence", "country": country, "admin1": admin1, "admin2": admin2,
                    "location": location, "tier": "other", "actor1": "JNIM: Group for Support of Islam and Muslims",
                    "actor": "JNIM", "latitude": latitude, "longitude": longitude, "fatalities": deaths,
                    "notes": f"On {day} {month:%B %Y}, militants attacked {location}. " + "Details. " * 40,
                })
    return pd.DataFrame(rows)


CAPITALS = pd.DataFrame([
    ("Burkina Faso", "national_capital", "Ouagadougou", 12.37, -1.52),
    ("Burkina Faso", "admin1_capital", "Fada N'gourma", 12.06, 0.36),
    ("Mali", "national_capital", "Bamako", 12.64, -8.0),
    ("Mali", "admin1_capital", "Kayes", 14.45, -11.44),
    ("Niger", "national_capital", "Niamey", 13.51, 2.11),
], columns=["country", "level", "seat", "latitude", "longitude"])


def make_inputs(*, alerts=None, synthetic=True, as_of="2025-05", countries=tuple(ADMIN1)) -> ReportInputs:
    from forecasting import report_data
    from forecasting.detectors import parse_as_of

    months = pd.date_range("2022-01-01", "2025-05-01", freq="MS")
    counts = admin1_counts(months)
    frames = [series_from_counts(counts, level, "fatalities") for level in ("area", "country", "admin1")]
    series = pd.concat(frames, ignore_index=True)
    alerts = make_alerts() if alerts is None else alerts
    events = brief_events()
    events = events[events["country"].isin(countries)]
    moment = parse_as_of(as_of)
    map_columns = ["event_date", "country", "admin1", "admin2", "location", "latitude", "longitude", "fatalities"]
    return ReportInputs(
        as_of=as_of,
        watch_area="Central Sahel",
        countries=tuple(countries),
        data_cutoff=dt.date(2025, 5, 31),
        sources=(
            DataSource("conflictwatch synthetic sample", int(counts["events"].sum()), "Generated; not ACLED data.", "None (synthetic).")
            if synthetic else DataSource("ACLED", int(counts["events"].sum()), "Data from ACLED, acleddata.com.", "ACLED Terms of Use."),
        ),
        synthetic=synthetic,
        alerts=alerts,
        series=series,
        forecasts=forecasts_for(series, pd.Timestamp("2025-05-01"), 4),
        tier_shares=tier_shares_for(months),
        model="seasonal-naive",
        stories=tuple(report_data.stories(alerts, events)),
        month_events=report_data.month_events(events, moment)[map_columns],
        earlier_events=report_data.previous_year_events(events, moment)[map_columns],
        capitals=CAPITALS[CAPITALS["country"].isin(countries)],
        data_start=dt.date(2022, 1, 3),
    )


@pytest.fixture(name="make_inputs", scope="session")
def make_inputs_fixture():
    """The builder itself, for tests that need other inputs (`make_inputs(alerts=[], ...)`)."""
    return make_inputs


@pytest.fixture(scope="session")
def unsafe_place() -> str:
    return UNSAFE_PLACE


@pytest.fixture(scope="session")
def report_inputs() -> ReportInputs:
    return make_inputs()


@pytest.fixture(scope="session")
def rendered(report_inputs, tmp_path_factory):
    """The sample inputs rendered once for every test that only reads the files."""
    from reports.render import render_report

    return render_report(report_inputs, tmp_path_factory.mktemp("report"))
