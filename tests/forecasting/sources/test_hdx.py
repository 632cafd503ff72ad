"""ACLED's HDX admin2-month aggregates: read (CSV, XLSX), ingested, and turned into series."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from forecasting.gazetteer import load_gazetteer
from forecasting.series import AggregatesOnlyError, load_series
from forecasting.sources.hdx import InvalidAggregatesError, is_hdx_file, read_hdx_file
from forecasting.store import aggregates as stored_aggregates
from forecasting.store import events as stored_events
from jobs.ingest import ingest_files

HEADER = ["Country", "Admin1", "Admin2", "ISO3", "Admin2 Pcode", "Month", "Year", "Events", "Fatalities"]
HXL = ["#country+name", "#adm1+name", "#adm2+name", "#country+code", "#adm2+code", "#date+month", "#date+year",
       "#event+num", "#affected+killed"]
ROWS = [
    ["Burkina Faso", "Sahel", "Soum", "BFA", "BF5601", "May", "2025", "12", "140"],
    ["Burkina Faso", "Sahel", "Oudalan", "BFA", "BF5602", "May", "2025", "3", "9"],
    ["Burkina Faso", "Est", "Gourma", "BFA", "BF5201", "July", "2025", "4", "30"],
    ["Mali", "Kayes", "Kayes", "MLI", "ML0101", "7", "2025", "6", "25"],
]


def write_csv(path, rows, header=HEADER, hxl=True):
    lines = [header] + ([HXL] if hxl else []) + rows
    path.write_text("\n".join(",".join(line) for line in lines) + "\n", encoding="utf-8")
    return path


def write_xlsx(path, rows):
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    for row in rows:
        # Excel keeps numbers as numbers: the reader must cope with both.
        sheet.append([int(value) if value.isdigit() else value for value in row])
    workbook.save(path)
    return path


def test_a_csv_with_an_hxl_row_and_month_names_becomes_cells(tmp_path):
    aggregate = read_hdx_file(write_csv(tmp_path / "bfa_mli.csv", ROWS))

    assert aggregate.rows_read == 4
    cells = aggregate.cells.set_index(["country", "admin2"])
    assert list(cells.loc[("Burkina Faso", "Soum"), ["admin1", "iso3", "year", "month", "events", "fatalities"]]) == [
        "Sahel", "BFA", 2025, 5, 12, 140,
    ]
    assert cells.loc[("Mali", "Kayes"), "month"] == 7


def test_an_xlsx_reads_the_same_as_the_csv(tmp_path):
    from_csv = read_hdx_file(write_csv(tmp_path / "a.csv", ROWS, hxl=False)).cells
    from_xlsx = read_hdx_file(write_xlsx(tmp_path / "a.xlsx", ROWS)).cells
    pd.testing.assert_frame_equal(from_csv, from_xlsx)


def test_a_semicolon_latin1_gzip_csv_reads_the_same_as_the_plain_one(tmp_path):
    import gzip

    rows = ROWS + [["Mali", "Ségou", "Ségou", "MLI", "ML0401", "June", "2025", "2", "7"]]
    plain = read_hdx_file(write_csv(tmp_path / "plain.csv", rows)).cells
    text = "\n".join(";".join(line) for line in [HEADER, HXL, *rows]) + "\n"
    packed = tmp_path / "hdx_fr.csv.gz"
    packed.write_bytes(gzip.compress(text.encode("latin-1")))

    pd.testing.assert_frame_equal(read_hdx_file(packed).cells, plain)
    assert is_hdx_file(packed)
    assert plain.loc[plain["admin1"] == "Ségou", "fatalities"].tolist() == [7]


def test_detection_tells_aggregates_from_event_files(tmp_path, write_acled):
    from factories import acled_row

    assert is_hdx_file(write_csv(tmp_path / "agg.csv", ROWS))
    assert is_hdx_file(write_xlsx(tmp_path / "agg.xlsx", ROWS))
    assert not is_hdx_file(tmp_path / "any.xlsx")  # by content, not by name: a missing file is not one
    assert not is_hdx_file(write_acled("events.csv", [acled_row("BFA1")]))
    assert not is_hdx_file(tmp_path / "missing.csv")


def test_bad_rows_are_listed_by_line_and_nothing_is_read(tmp_path):
    rows = ROWS + [["Niger", "Tillaberi", "Ouallam", "NER", "NE01", "Smarch", "2025", "-1", "2"]]
    with pytest.raises(InvalidAggregatesError) as caught:
        read_hdx_file(write_csv(tmp_path / "bad.csv", rows))
    message = str(caught.value)
    assert "1 invalid rows, nothing was stored" in message
    assert "line 7: Month is not a month (January..December or 1..12); Events is not a whole number >= 0" in message


def test_ingest_stores_aggregates_that_become_series_and_tier_series_say_they_are_unavailable(store, tmp_path):
    path = write_xlsx(tmp_path / "acled_admin2.xlsx", ROWS)

    (report,) = ingest_files(store, [path], load_gazetteer(), seat_radius_km=5.0)

    assert (report.format, report.rows_read, report.inserted, report.updated) == ("hdx-admin2-month", 4, 4, 0)
    assert stored_aggregates.count_aggregates(store) == 4
    # Without events the data span the aggregates' months, first day to last.
    assert (stored_events.data_start(store), stored_events.data_cutoff(store)) == (dt.date(2025, 5, 1), dt.date(2025, 7, 31))
    country = load_series(store, "country", "fatalities")
    assert country.attrs["origin"] == "aggregates"
    burkina = country[country["country"] == "Burkina Faso"].set_index("period")["value"]
    # Zero-filled between May and July, like any series frame.
    assert burkina.to_dict() == {pd.Timestamp("2025-05-01"): 149, pd.Timestamp("2025-06-01"): 0, pd.Timestamp("2025-07-01"): 30}
    admin2 = load_series(store, "admin2", "events", countries=["Mali"])
    assert admin2[["series_id", "value"]].values.tolist() == [["events|admin2|Mali|Kayes|Kayes", 6]]
    with pytest.raises(AggregatesOnlyError, match=r"tier series are unavailable: the store holds only ACLED's admin2-month aggregates"):
        load_series(store, "tier", "fatalities")

    revised = [ROWS[0][:7] + ["13", "150"]]
    (again,) = ingest_files(store, [write_csv(tmp_path / "revised.csv", revised)], load_gazetteer(), seat_radius_km=5.0)
    assert (again.inserted, again.updated) == (0, 1)
    series = load_series(store, "admin2", "fatalities", countries=["Burkina Faso"]).set_index(["series_id", "period"])
    assert series.loc[("fatalities|admin2|Burkina Faso|Sahel|Soum", pd.Timestamp("2025-05-01")), "value"] == 150


def test_aggregates_and_events_in_one_ingest_are_written_together_or_not_at_all(store, tmp_path, write_acled):
    from factories import acled_row

    from forecasting.events import InvalidEventsError
    from forecasting.store import events as stored_events

    aggregates = write_csv(tmp_path / "hdx.csv", ROWS)
    bad_events = write_acled("bad.csv", [acled_row("BFA1"), acled_row("BFA2", fatalities="-1")])

    with pytest.raises(InvalidEventsError):
        ingest_files(store, [aggregates, bad_events], load_gazetteer(), seat_radius_km=5.0)
    assert stored_aggregates.count_aggregates(store) == 0
    assert stored_events.count_events(store) == 0

    good_events = write_acled("good.csv", [acled_row("BFA1")])
    reports = ingest_files(store, [aggregates, good_events], load_gazetteer(), seat_radius_km=5.0)
    assert sorted(report.format for report in reports) == ["acled", "hdx-admin2-month"]
    assert stored_aggregates.count_aggregates(store) == len(ROWS)
    assert stored_events.count_events(store) == 1


def test_detection_runs_on_aggregates_alone_and_leaves_out_what_needs_events(store, tmp_path, caplog):
    """A store with only HDX aggregates is not empty (no synthetic sample is loaded into it), and
    detect finds a surge in them; the tier, run-rate and wave detectors need events and say so."""
    from jobs.config import Config, ForecastConfig
    from jobs.detect import run_detection
    from forecasting.store.events import holds_no_data
    from jobs.ingest import ingest_sample_if_empty

    months = pd.period_range("2023-01", "2025-04", freq="M")
    history = [["Burkina Faso", "Sahel", unit, "BFA", code, str(m.month), str(m.year), "2", "5"]
               for m in months for unit, code in (("Soum", "BF5601"), ("Oudalan", "BF5602"))]
    write_csv(tmp_path / "hdx.csv", history + ROWS[:2])
    ingest_files(store, [tmp_path / "hdx.csv"], load_gazetteer(), seat_radius_km=5.0)
    assert not holds_no_data(store)
    assert ingest_sample_if_empty(store, load_gazetteer(), seat_radius_km=5.0) == []

    result = run_detection(store, Config(forecast=ForecastConfig(executor="serial")), "2025-05", save=False)

    soum = [a for a in result.alerts if a.scope.get("admin2") == "Soum" and a.measure == "fatalities"]
    assert soum and soum[0].kind in ("surge", "record") and soum[0].observed == 140
    assert not {"tier_shift", "run_rate", "synchronized"} & {a.kind for a in result.alerts}
    assert "need event-level data" in caplog.text


def test_forecast_detect_and_report_commands_work_on_aggregates_alone(tmp_path):
    """The commands an analyst without event-level access runs, end to end on a real store."""
    import json
    import subprocess
    import sys

    months = pd.period_range("2023-01", "2025-04", freq="M")
    history = [["Burkina Faso", "Sahel", "Soum", "BFA", "BF5601", str(m.month), str(m.year), "2", "5"] for m in months]
    path = write_csv(tmp_path / "hdx.csv", history + ROWS[:1])

    def run(*args):
        done = subprocess.run([sys.executable, "-m", "jobs", *args], cwd=tmp_path, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done

    run("ingest", str(path))
    forecast = json.loads(run("forecast", "--by", "admin2", "--horizon", "2", "--json").stdout)
    assert {row["period"][:7] for row in forecast} == {"2025-06", "2025-07"}
    detected = run("detect", "--as-of", "2025-05", "--json")
    alerts = json.loads(detected.stdout)
    assert any(a["scope"]["admin2"] == "Soum" and a["observed"] == 140 for a in alerts)
    assert "SYNTHETIC" not in detected.stderr  # no sample was loaded into the store
    report = run("report", "--as-of", "2025-05", "--out", str(tmp_path / "out"))
    assert "PDF" in report.stdout
