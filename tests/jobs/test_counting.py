"""What is counted, as ACLED counts it: political violence only (demonstrations their own measure),
settlement tiers only for events located at their place, and no "never before" on a short history.
Real stores (SQLite and PostgreSQL), real ingest through the gazetteer, real detection."""

from __future__ import annotations

import pandas as pd
import pytest
from factories import ACLED_HEADER, acled_row

from forecasting.detectors import parse_as_of
from forecasting.detectors.pipeline import EVENT_COLUMNS, build_series
from forecasting.gazetteer import load_gazetteer
from forecasting.series import load_series
from forecasting.store import events as stored_events
from jobs.config import Config, ForecastConfig
from jobs.detect import find_alerts, run_detection
from jobs.ingest import ingest_files

GAZETTEER = load_gazetteer()
CONFIG = Config(forecast=ForecastConfig(executor="serial"))

PROTEST = dict(disorder_type="Demonstrations", event_type="Protests", sub_event_type="Peaceful protest",
               actor1="Protesters (Burkina Faso)", inter1="Protesters", fatalities="0")
RIOT = dict(disorder_type="Political violence; Demonstrations", event_type="Riots", sub_event_type="Mob violence",
            actor1="Rioters (Burkina Faso)", inter1="Rioters", fatalities="3")
HANDOVER = dict(disorder_type="Strategic developments", event_type="Strategic developments",
                sub_event_type="Change to group/activity", fatalities="0")


def _without_disorder_type(header: str, rows: list[str]) -> tuple[str, list[str]]:
    """An older ACLED export: the same rows without the `disorder_type` column (the fifth)."""

    def drop(line: str) -> str:
        fields = line.split(",")
        return ",".join(fields[:4] + fields[5:])

    return drop(header), [drop(row) for row in rows]


def test_series_count_political_violence_and_demonstrations_are_their_own_measure(store, write_acled):
    rows = [acled_row(f"BFA{i}", "2025-05-0%d" % (i + 1), fatalities="5") for i in range(3)]
    rows += [acled_row(f"BFAP{i}", "2025-05-1%d" % i, **PROTEST) for i in range(4)]
    rows += [acled_row("BFAR1", "2025-05-20", **RIOT), acled_row("BFAS1", "2025-05-21", **HANDOVER)]
    older_header, older_rows = _without_disorder_type(
        ACLED_HEADER, [acled_row("BFAR2", "2025-05-22", **RIOT), acled_row("BFA9", "2025-05-23", fatalities="7")]
    )
    ingest_files(store, [write_acled("new.csv", rows), write_acled("old.csv", older_rows, header=older_header)],
                 GAZETTEER, seat_radius_km=5.0)

    stored = stored_events.load_events(store, columns=["source_id", "disorder_type"]).set_index("source_id")
    # The older export's riot is a demonstration by its event type; ACLED's combined
    # "Political violence; Demonstrations" for mob violence is a demonstration too.
    assert stored.loc[["BFAR1", "BFAR2", "BFAP0"], "disorder_type"].tolist() == ["Demonstrations"] * 3
    assert stored.loc[["BFA9", "BFA0"], "disorder_type"].tolist() == ["Political violence"] * 2
    assert stored.loc["BFAS1", "disorder_type"] == "Strategic developments"

    def value(measure: str) -> int:
        frame = load_series(store, "country", measure)
        return int(frame.loc[frame["period"] == "2025-05-01", "value"].sum())

    assert value("events") == 4  # three battles and the older export's one; no riot, protest or hand-over
    assert value("fatalities") == 3 * 5 + 7  # the riots' 6 deaths are not political violence here
    assert value("demonstrations") == 4 + 2


def _frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    frame["event_date"] = pd.to_datetime(frame["event_date"])
    frame["source"] = "acled"
    frame["source_id"] = [f"E{i}" for i in range(len(frame))]
    frame["fatalities"] = frame["fatalities"].astype("Int64")
    for name in EVENT_COLUMNS:
        if name not in frame:
            frame[name] = None
    return frame


def _wave_world(actor: str, inter1: str, event_type: str, disorder_type: str) -> pd.DataFrame:
    """Three years of one actor acting in one of ten districts every few days, then ten districts
    struck on 1 July 2025: a synchronized wave, if the actor is an armed group."""
    units = [f"District {i}" for i in range(10)]
    days = pd.date_range("2022-06-01", "2025-06-30", freq="3D")
    rows = [dict(event_date=day, country="Burkina Faso", admin1="Est", admin2=units[i % 10], actor1=actor,
                 inter1=inter1, event_type=event_type, disorder_type=disorder_type, fatalities=1, tier="other",
                 geo_precision=1) for i, day in enumerate(days)]
    rows += [dict(event_date=pd.Timestamp("2025-07-01"), country="Burkina Faso", admin1="Est", admin2=unit,
                  actor1=actor, inter1=inter1, event_type=event_type, disorder_type=disorder_type, fatalities=4,
                  tier="other", geo_precision=1) for unit in units]
    return _frame(rows)


def test_protesters_and_rioters_raise_no_alert_where_an_armed_group_would():
    as_of = parse_as_of("2025-07")
    armed, _, _ = find_alerts(_wave_world("JNIM: Group for Support of Islam and Muslims", "Rebel group", "Battles",
                                          "Political violence"), as_of, CONFIG)
    assert any(alert.kind == "synchronized" for alert in armed)

    protests = _wave_world("Protesters (Burkina Faso)", "Protesters", "Protests", "Demonstrations")
    assert find_alerts(protests, as_of, CONFIG)[0] == []
    series = build_series(protests, as_of)
    assert series.empty  # nothing of it is political violence

    # Rioters named as the first actor of an event ACLED counts as political violence are still
    # no armed actor: the places count them, but no actor series or synchronized wave does.
    rioters = _wave_world("Rioters (Burkina Faso)", "Rioters", "Violence against civilians", "Political violence")
    alerts, series, _ = find_alerts(rioters, as_of, CONFIG)
    assert [alert.kind for alert in alerts if alert.kind == "synchronized" or alert.scope.get("actor")] == []
    assert "actor" not in set(series["level"])
    assert series.loc[series["level"] == "country", "value"].sum() > 0


def _tapoa_rows(july_massacre_precision: str, *, extra_unlocated: bool = False) -> list[str]:
    """Thirty months of Tapoa (Est, Burkina Faso): eight village attacks a month and one at the
    provincial capital Diapaga, two deaths each; in July 2025 a massacre of 60 coded to Diapaga."""
    village = dict(admin2="Tapoa", admin3="Tansarga", location="Kpenchangou", latitude="11.62", longitude="1.21")
    capital = dict(admin2="Tapoa", admin3="Diapaga", location="Diapaga", latitude="12.07", longitude="1.79")
    rows = []
    for month in pd.period_range("2023-01", "2025-07", freq="M"):
        for day in range(1, 9):
            rows.append(acled_row(f"BFAV{month}{day}", f"{month}-{day:02d}", fatalities="2", **village))
        rows.append(acled_row(f"BFAC{month}", f"{month}-15", fatalities="2", **capital))
    rows.append(acled_row("BFAMASSACRE", "2025-07-20", fatalities="60", geo_precision=july_massacre_precision,
                          **capital))
    if extra_unlocated:
        rows.append(acled_row("BFAVAGUE", "2025-07-21", fatalities="5", geo_precision="2", **capital))
    return rows


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_a_massacre_coded_to_a_provincial_capital_is_no_shift_toward_capitals(store, write_acled, tmp_path):
    ingest_files(store, [write_acled("vague.csv", _tapoa_rows("3"))], GAZETTEER, seat_radius_km=5.0)
    events = stored_events.load_events(store, columns=list(EVENT_COLUMNS))
    assert events.loc[events["source_id"] == "BFAMASSACRE", "tier"].item() == "unlocated"
    alerts, series, _ = find_alerts(events, parse_as_of("2025-07"), CONFIG)
    assert [alert for alert in alerts if alert.kind == "tier_shift"] == []
    # Its deaths still count in Tapoa and Est.
    tapoa = series[(series["series_id"] == "fatalities|admin2|Burkina Faso|Est|Tapoa") & (series["period"] == "2025-07-01")]
    assert tapoa["value"].item() == 9 * 2 + 60


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_the_same_massacre_located_at_the_capital_is_a_shift_and_says_what_was_left_out(store, write_acled):
    ingest_files(store, [write_acled("precise.csv", _tapoa_rows("1", extra_unlocated=True))], GAZETTEER,
                 seat_radius_km=5.0)
    events = stored_events.load_events(store, columns=list(EVENT_COLUMNS))
    alerts, _, _ = find_alerts(events, parse_as_of("2025-07"), CONFIG)
    shift = next(alert for alert in alerts if alert.kind == "tier_shift" and alert.measure == "fatalities"
                 and alert.scope["tier"] == "admin2_capital")
    assert shift.observed == 62 and shift.evidence["total"] == 62 + 8 * 2
    assert shift.evidence["unlocated_left_out"] == 5
    assert "5 reported fatalities not located at a named place are left out" in shift.message


def test_a_store_of_five_days_raises_no_spread_and_says_so(store, write_acled):
    districts = [("Tillaberi", "Tillaberi", "Tillaberi", "14.21", "1.45"), ("Tillaberi", "Ouallam", "Ouallam", "14.32", "2.08"),
                 ("Tillaberi", "Filingue", "Filingue", "14.35", "3.32"), ("Tahoua", "Tahoua", "Tahoua", "14.89", "5.27")]
    rows = [
        acled_row(f"NER{day}{i}{j}", f"2025-08-{day}", country="Niger", admin1=admin1, admin2=admin2, admin3=admin2,
                  location=location, latitude=latitude, longitude=longitude, fatalities="3")
        for day in range(27, 32) for i, (admin1, admin2, location, latitude, longitude) in enumerate(districts)
        for j in range(2)
    ]
    ingest_files(store, [write_acled("five_days.csv", rows)], GAZETTEER, seat_radius_km=5.0)

    result = run_detection(store, CONFIG, "2025-08", save=False)

    assert len(rows) == 40 and result.coverage.days == 5 and result.coverage.months == 1
    assert [alert for alert in result.alerts if alert.kind in ("spread", "record", "change_point")] == []
    (warning,) = result.warnings
    assert "5 days of events (27 August 2025 to 31 August 2025)" in warning and "24 months" in warning


def test_detect_warns_when_the_newest_event_is_well_before_the_period_assessed(store, write_acled):
    rows = [acled_row(f"BFA{m}{d}", f"{m}-{d:02d}") for m in pd.period_range("2023-01", "2025-07", freq="M")
            for d in (4, 18)]
    rows.append(acled_row("BFALAST", "2025-08-05"))
    ingest_files(store, [write_acled("stale.csv", rows)], GAZETTEER, seat_radius_km=5.0)

    result = run_detection(store, CONFIG, "2025-08", save=False)

    assert result.as_of.text == "2025-08-05" and result.coverage.months == 32
    (warning,) = result.warnings
    assert "dated 5 August 2025, 26 days before the end of the period assessed (2025-08)" in warning
    assert run_detection(store, CONFIG, "2025-07", save=False).warnings == []


def test_migration_0007_counts_stored_events_as_a_fresh_load_would(tmp_path):
    """A store loaded before disorder types and geo-precision were counted: its events get the
    disorder type by the same rules as a fresh load (old event-type names too), imprecise ones
    the tier `unlocated`, and SQLite's covering index gains `disorder_type`."""
    import sqlalchemy as sa
    from alembic import command
    from alembic.config import Config as AlembicConfig

    from forecasting.store.base import MIGRATIONS, migrate

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    alembic = AlembicConfig()
    alembic.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        alembic.attributes["connection"] = connection
        command.upgrade(alembic, "0001_events")
        rows = [  # source, id, disorder_type as stored, event_type, geo_precision, tier
            ("acled", "A1", None, "Battles", 1, "admin2_capital"),
            ("acled", "A2", "Political violence; Demonstrations", "Riots", 1, "national_capital"),
            ("acled", "A3", None, "Riots/Protests", 2, "admin2_capital"),
            ("acled", "A4", "Political violence", "Violence against civilians", 3, "admin2_capital"),
            ("acled", "A5", "Strategic developments", None, 1, "other"),
            ("ucdp", "U1", "Political violence", "Battles", 2, "admin3_seat"),
            ("ucdp", "U2", "Political violence", "Battles", 4, "admin1_capital"),
        ]
        for source, event_id, disorder_type, event_type, precision, tier in rows:
            connection.execute(sa.text(
                "INSERT INTO events (source, source_id, event_date, year, month, disorder_type, event_type, country,"
                " geo_precision, fatalities, timestamp, tier) VALUES (:source, :id, '2025-05-01', 2025, 5, :disorder,"
                " :event_type, 'Mali', :precision, 1, 0, :tier)"
            ), dict(source=source, id=event_id, disorder=disorder_type, event_type=event_type, precision=precision, tier=tier))

    migrate(engine)

    with engine.connect() as connection:
        stored = dict(connection.execute(sa.text("SELECT source_id, disorder_type || '|' || tier FROM events")).all())
        index = [row[2] for row in connection.exec_driver_sql("PRAGMA index_info('ix_events_monthly_counts')")]
    assert stored == {
        "A1": "Political violence|admin2_capital",
        "A2": "Demonstrations|national_capital",
        "A3": "Demonstrations|unlocated",
        "A4": "Political violence|unlocated",
        "A5": "Strategic developments|other",
        "U1": "Political violence|admin3_seat",  # UCDP's where_prec 2: within 25 km, located
        "U2": "Political violence|unlocated",
    }
    assert index[-1] == "disorder_type"
    engine.dispose()
