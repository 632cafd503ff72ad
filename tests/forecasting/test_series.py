"""Monthly series: zero-filled, one shape, the same from events in memory and from the store."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from factories import acled_row

from forecasting.gazetteer import load_gazetteer
from forecasting.series import (
    SERIES_COLUMNS,
    SeriesError,
    load_series,
    series_from_events,
    series_scopes,
    validate_series,
)
from forecasting.store import events as stored_events
from jobs.ingest import ingest_files


def events_frame() -> pd.DataFrame:
    rows = [
        ("2024-01-03", "Burkina Faso", "Sahel", "Soum", 5, "JNIM", "admin2_capital"),
        ("2024-01-20", "Burkina Faso", "Est", "Gourma", 2, "JNIM", "other"),
        ("2024-03-09", "Burkina Faso", "Sahel", "Soum", 0, "ISSP", "other"),
        ("2024-03-30", "Mali", "Mopti", None, 7, "JNIM", "other"),
    ]
    frame = pd.DataFrame(rows, columns=["event_date", "country", "admin1", "admin2", "fatalities", "actor1", "tier"])
    frame["event_date"] = pd.to_datetime(frame["event_date"])
    frame["source_id"] = [f"E{i}" for i in range(len(frame))]
    return frame


def value(series: pd.DataFrame, series_id: str, month: str) -> int:
    row = series[(series["series_id"] == series_id) & (series["period"] == pd.Timestamp(month))]
    assert len(row) == 1, (series_id, month)
    return int(row["value"].iloc[0])


def test_country_series_are_zero_filled_over_the_whole_span():
    series = series_from_events(events_frame(), "country", "fatalities")
    assert list(series.columns) == list(SERIES_COLUMNS)
    assert sorted(series["series_id"].unique()) == ["fatalities|country|Burkina Faso", "fatalities|country|Mali"]
    assert value(series, "fatalities|country|Burkina Faso", "2024-01-01") == 7
    assert value(series, "fatalities|country|Burkina Faso", "2024-02-01") == 0
    assert value(series, "fatalities|country|Mali", "2024-01-01") == 0
    assert value(series, "fatalities|country|Mali", "2024-03-01") == 7
    assert len(series) == 2 * 3


def test_events_measure_counts_events_not_deaths():
    series = series_from_events(events_frame(), "admin1", "events")
    assert value(series, "events|admin1|Burkina Faso|Sahel", "2024-03-01") == 1
    assert value(series, "events|admin1|Burkina Faso|Sahel", "2024-01-01") == 1
    row = series[series["series_id"] == "events|admin1|Burkina Faso|Sahel"].iloc[0]
    assert (row["country"], row["admin1"], row["admin2"], row["level"], row["measure"]) == (
        "Burkina Faso", "Sahel", None, "admin1", "events",
    )


def test_every_level_keeps_the_total():
    events = events_frame()
    for level in ("area", "country", "admin1", "admin2", "tier", "actor"):
        series = series_from_events(events, level, "fatalities")
        assert series["value"].sum() == events["fatalities"].sum(), level
    area = series_from_events(events, "area")
    assert area["series_id"].unique().tolist() == ["fatalities|area"]


def test_missing_admin_units_become_unknown_not_lost():
    series = series_from_events(events_frame(), "admin2", "fatalities")
    assert value(series, "fatalities|admin2|Mali|Mopti|Unknown", "2024-03-01") == 7


def test_tier_and_actor_series_carry_their_scope():
    tiers = series_from_events(events_frame(), "tier")
    assert value(tiers, "fatalities|tier|Burkina Faso|admin2_capital", "2024-01-01") == 5
    actors = series_from_events(events_frame(), "actor")
    assert value(actors, "fatalities|actor|Mali|JNIM", "2024-03-01") == 7
    # By actor family, as detection counts actors: ACLED's "ISSP" is Islamic State Sahel's.
    assert set(actors["actor"]) == {"JNIM", "Islamic State Sahel"}


def test_the_measures_of_one_scope_share_its_scope_key():
    frame = pd.concat([series_from_events(events_frame(), "admin1", measure) for measure in ("fatalities", "events")])
    scopes = series_scopes(frame["series_id"])
    assert set(scopes) == {"admin1|Burkina Faso|Sahel", "admin1|Burkina Faso|Est", "admin1|Mali|Mopti"}
    assert scopes[frame["series_id"] == "events|admin1|Mali|Mopti"].eq("admin1|Mali|Mopti").all()


def test_an_explicit_span_adds_quiet_months_at_both_ends():
    series = series_from_events(events_frame(), "country", start=dt.date(2023, 11, 1), end=dt.date(2024, 5, 31))
    months = series[series["series_id"] == "fatalities|country|Mali"]["period"]
    assert months.min() == pd.Timestamp("2023-11-01") and months.max() == pd.Timestamp("2024-05-01")
    assert len(months) == 7


def test_unknown_level_or_measure_is_a_user_error():
    with pytest.raises(SeriesError, match="unknown level 'province'"):
        series_from_events(events_frame(), "province")
    with pytest.raises(SeriesError, match="unknown measure 'deaths'"):
        series_from_events(events_frame(), "country", "deaths")


def test_validation_rejects_gaps_and_negative_values():
    series = series_from_events(events_frame(), "country")
    with pytest.raises(ValueError, match="skips a month"):
        validate_series(series[series["period"] != pd.Timestamp("2024-02-01")])
    broken = series.copy()
    broken.loc[0, "value"] = -1
    with pytest.raises(ValueError, match="non-negative"):
        validate_series(broken)


def test_series_from_the_store_equal_series_from_events(store, write_acled):
    rows = [
        acled_row("A1", "2024-01-03", admin1="Sahel", admin2="Soum", location="Djibo", fatalities="5"),
        acled_row("A2", "2024-01-20", fatalities="2"),
        acled_row("A3", "2024-03-09", admin1="Sahel", admin2="Soum", location="Djibo", fatalities="0"),
        acled_row("A4", "2024-04-30", country="Mali", admin1="Mopti", admin2="Mopti", location="Mopti", fatalities="7"),
    ]
    ingest_files(store, [write_acled("e.csv", rows)], load_gazetteer(), seat_radius_km=5.0)
    events = stored_events.load_events(store)

    for level in ("country", "admin2", "tier", "actor"):
        from_store = load_series(store, level, "fatalities", until=dt.date(2024, 4, 30))
        from_memory = series_from_events(events, level, "fatalities")
        pd.testing.assert_frame_equal(from_store, from_memory, check_dtype=False)


def test_until_cuts_events_and_ends_the_span(store, write_acled):
    rows = [acled_row("A1", "2024-01-03", fatalities="5"), acled_row("A2", "2024-06-20", fatalities="9")]
    ingest_files(store, [write_acled("e.csv", rows)], load_gazetteer(), seat_radius_km=5.0)

    series = load_series(store, "country", until=dt.date(2024, 3, 31))

    assert series["period"].max() == pd.Timestamp("2024-03-01")
    assert series["value"].sum() == 5
