"""Event files as analysts download them, recognised by content: every shape has a few hand-written
rows (invented events, never real ACLED or UCDP rows).

ACLED exports from HDX (HXL hashtag row, 2019-2020 columns), today's export, semicolon CSV from a
French-locale Excel (BOM, decimal commas), tab-separated, Latin-1, .csv.gz, .zip, .xlsx, upper-case
headers; UCDP GED releases 20.1 and 25.1 and a monthly candidate file; and the broken files a user
can hand over (unbalanced quote, a column twice, a truncated download)."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from forecasting.events import EventBounds
from forecasting.sources.files import UnreadableFileError, open_event_file, read_event_file

BOUNDS = EventBounds(today=dt.date(2026, 1, 1))

#: An HDX country export of 2019-2020: data_id, iso, event_id_no_cnty and iso3; no disorder_type,
#: civilian_targeting or tags.
HDX_2020_COLUMNS = (
    "data_id,iso,event_id_cnty,event_id_no_cnty,event_date,year,time_precision,event_type,sub_event_type,"
    "actor1,assoc_actor_1,inter1,actor2,assoc_actor_2,inter2,interaction,region,country,admin1,admin2,admin3,"
    "location,latitude,longitude,geo_precision,source,source_scale,notes,fatalities,timestamp,iso3"
).split(",")
HXL_2020 = (
    "#x_data_id,#country+code,#event+code,,#date+occurred,#date+year,,#event+type,#event+type+sub,"
    "#group+name+first,#group+name+first+assoc,,#group+name+second,#group+name+second+assoc,,,#region+name,"
    "#country+name,#adm1+name,#adm2+name,#adm3+name,#loc+name,#geo+lat,#geo+lon,,#meta+source,,#description,"
    "#affected+killed,#date+timestamp,#country+code"
).split(",")

#: Today's export: the 31 columns of the event record's reference.
TODAY_COLUMNS = (
    "event_id_cnty,event_date,year,time_precision,disorder_type,event_type,sub_event_type,actor1,assoc_actor_1,"
    "inter1,actor2,assoc_actor_2,inter2,interaction,civilian_targeting,iso,region,country,admin1,admin2,admin3,"
    "location,latitude,longitude,geo_precision,source,source_scale,notes,fatalities,tags,timestamp"
).split(",")


def invented_event(number: int, **changes) -> dict:
    """An invented event in Burkina Faso's Est region (no real ACLED row)."""
    event = {
        "data_id": str(9000 + number), "iso": "854", "event_id_cnty": f"TST{number}", "event_id_no_cnty": str(number),
        "event_date": f"2020-0{1 + number % 6}-1{number % 9}", "year": "2020", "time_precision": "1",
        "disorder_type": "Political violence", "event_type": "Battles", "sub_event_type": "Armed clash",
        "actor1": "JNIM: Group for Support of Islam and Muslims", "assoc_actor_1": "", "inter1": "2",
        "actor2": "Military Forces of Burkina Faso (2015-2022)", "assoc_actor_2": "", "inter2": "1",
        "interaction": "12", "civilian_targeting": "", "region": "Western Africa", "country": "Burkina Faso",
        "admin1": "Est", "admin2": "Gourma", "admin3": "Fada N'gourma", "location": "Fada N'gourma",
        "latitude": "12.0616", "longitude": "0.3584", "geo_precision": "1", "source": "Invented Weekly",
        "source_scale": "National", "notes": "An invented clash near Fada N'gourma; used only in tests.",
        "fatalities": str(number % 5 + 1), "tags": "", "timestamp": "1600000000", "iso3": "BFA",
    }
    event.update(changes)
    return event


def csv_text(columns: list[str], rows: list[dict | list], delimiter: str = ",") -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(row if isinstance(row, list) else [row.get(name, "") for name in columns])
    return out.getvalue()


def total(events: pd.DataFrame) -> int:
    return int(events["fatalities"].sum())


def test_an_hdx_export_with_its_hxl_row_and_2020_columns_loads_with_exact_totals(tmp_path):
    events = [invented_event(number) for number in range(1, 8)]
    path = tmp_path / "conflict_data_bfa.csv"
    path.write_text(csv_text(HDX_2020_COLUMNS, [HXL_2020, *events]), encoding="utf-8")

    event_file, rows_read, validated = read_event_file(path, BOUNDS)

    assert event_file.format == "acled"
    assert validated.rejects.empty
    assert rows_read == 7  # the hashtag row is not an event
    assert total(validated.events) == sum(int(event["fatalities"]) for event in events) == 20
    assert set(validated.events["disorder_type"]) == {"Political violence"}  # derived from event_type
    assert set(validated.events["iso"]) == {854}
    assert {"disorder_type", "civilian_targeting", "tags"} <= set(event_file.absent_columns)


def test_an_hxl_row_further_down_is_skipped_and_line_numbers_stay_true(tmp_path):
    rows = [invented_event(1), HXL_2020, invented_event(2, fatalities="-4"), invented_event(3)]
    path = tmp_path / "hxl_lower.csv"
    path.write_text(csv_text(HDX_2020_COLUMNS, rows), encoding="utf-8")

    _, rows_read, validated = read_event_file(path, BOUNDS)

    assert rows_read == 3
    assert validated.events["source_id"].tolist() == ["TST1", "TST3"]
    assert validated.rejects[["line", "reason", "event_id_cnty"]].values.tolist() == [
        [4, "fatalities is negative", "TST2"]
    ]


def test_event_types_give_the_disorder_type_when_the_column_is_missing_or_blank(tmp_path):
    rows = [
        invented_event(1, event_type="Protests", sub_event_type="Peaceful protest"),
        invented_event(2, event_type="Riots"),
        invented_event(3, event_type="Strategic developments"),
        invented_event(4, event_type="Explosions/Remote violence"),
        invented_event(5, event_type="Violence against civilians"),
    ]
    path = tmp_path / "older.csv"
    path.write_text(csv_text(HDX_2020_COLUMNS, rows), encoding="utf-8")
    _, _, validated = read_event_file(path, BOUNDS)
    assert validated.events["disorder_type"].tolist() == [
        "Demonstrations", "Demonstrations", "Strategic developments", "Political violence", "Political violence"
    ]

    blank = tmp_path / "blank.csv"
    blank.write_text(csv_text(TODAY_COLUMNS, [invented_event(6, disorder_type="", event_type="Protests"),
                                              invented_event(7, disorder_type="Political violence")]), encoding="utf-8")
    _, _, validated = read_event_file(blank, BOUNDS)
    assert validated.events["disorder_type"].tolist() == ["Demonstrations", "Political violence"]


def test_todays_export_has_no_absent_columns_and_extras_are_ignored(tmp_path):
    columns = [*TODAY_COLUMNS, "population_best", "population_1km"]
    path = tmp_path / "today.csv"
    path.write_text(csv_text(columns, [invented_event(1, population_best="12000")]), encoding="utf-8")
    event_file, _, validated = read_event_file(path, BOUNDS)
    assert event_file.absent_columns == ()
    assert "population_best" not in validated.events.columns
    assert validated.events.loc[0, "iso"] == 854


def test_a_french_excel_csv_semicolons_bom_and_decimal_commas(tmp_path):
    rows = [invented_event(1, latitude="12,0616", longitude="0,3584", location="Fada N'gourma"),
            invented_event(2, latitude="11,1771", longitude="-4,2979", admin1="Hauts-Bassins",
                           admin2="Houet", admin3="Bobo-Dioulasso", location="Bobo-Dioulasso")]
    path = tmp_path / "export_fr.csv"
    path.write_bytes(b"\xef\xbb\xbf" + csv_text(TODAY_COLUMNS, rows, delimiter=";").encode("utf-8"))

    event_file, rows_read, validated = read_event_file(path, BOUNDS)

    assert (event_file.format, event_file.layout.delimiter, event_file.layout.encoding) == ("acled", ";", "utf-8-sig")
    assert rows_read == 2 and validated.rejects.empty
    assert validated.events["latitude"].tolist() == [12.0616, 11.1771]
    assert validated.events["longitude"].tolist() == [0.3584, -4.2979]


def test_tab_separated_and_latin1_text(tmp_path):
    tab = tmp_path / "export.tsv"
    tab.write_text(csv_text(TODAY_COLUMNS, [invented_event(1)], delimiter="\t"), encoding="utf-8")
    assert read_event_file(tab, BOUNDS)[0].layout.delimiter == "\t"

    latin = tmp_path / "export_latin1.csv"
    rows = [invented_event(2, country="Mali", admin1="Ségou", admin2="Ségou", admin3="Ségou", location="Ségou",
                           latitude="13.4317", longitude="-6.2157", iso="466")]
    latin.write_bytes(csv_text(TODAY_COLUMNS, rows, delimiter=";").encode("latin-1"))
    event_file, _, validated = read_event_file(latin, BOUNDS)
    assert event_file.layout.encoding == "latin-1"
    assert validated.events.loc[0, "admin1"] == "Ségou"


def test_gzip_zip_and_excel_containers(tmp_path):
    rows = [invented_event(number) for number in range(1, 5)]
    text = csv_text(TODAY_COLUMNS, rows)
    expected = sum(int(row["fatalities"]) for row in rows)

    gz = tmp_path / "export.csv.gz"
    gz.write_bytes(gzip.compress(text.encode("utf-8")))
    archive = tmp_path / "ged_like_download.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("export/acled_export.csv", text)
        zipped.writestr("__MACOSX/export/._acled_export.csv", "resource fork")

    workbook_path = tmp_path / "export.xlsx"
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(TODAY_COLUMNS)
    for row in rows:
        values = [row.get(name, "") or None for name in TODAY_COLUMNS]
        # Excel stores dates as dates and numbers as numbers.
        values[TODAY_COLUMNS.index("event_date")] = dt.datetime.fromisoformat(row["event_date"])
        for name in ("fatalities", "latitude", "longitude", "iso", "timestamp", "year", "geo_precision"):
            values[TODAY_COLUMNS.index(name)] = float(row[name])
        sheet.append(values)
    workbook.save(workbook_path)

    for path, container in ((gz, "gzip"), (archive, "zip"), (workbook_path, "xlsx")):
        event_file, rows_read, validated = read_event_file(path, BOUNDS)
        assert event_file.layout.container == container
        assert (rows_read, len(validated.rejects)) == (4, 0), (path, validated.rejects)
        assert total(validated.events) == expected
        assert validated.events["event_date"].dt.strftime("%Y-%m-%d").tolist() == [row["event_date"] for row in rows]


def test_an_upper_case_header_and_iso3_without_iso(tmp_path):
    columns = [name.upper() for name in HDX_2020_COLUMNS if name != "iso"]
    path = tmp_path / "old_upper.csv"
    path.write_text(csv_text(columns, [{name.upper(): value for name, value in invented_event(1).items()}]),
                    encoding="utf-8")
    _, _, validated = read_event_file(path, BOUNDS)
    assert validated.events.loc[0, "source_id"] == "TST1"
    assert validated.events.loc[0, "iso"] == 854


# --- UCDP GED -----------------------------------------------------------------------------------

#: GED 20.1's CSV columns (with the Gleditsch-Ward numbers gwnoa/gwnob, dropped later).
GED_20_1 = (
    "id,relid,year,active_year,code_status,type_of_violence,conflict_dset_id,conflict_new_id,conflict_name,"
    "dyad_dset_id,dyad_new_id,dyad_name,side_a_dset_id,side_a_new_id,side_a,side_b_dset_id,side_b_new_id,side_b,"
    "number_of_sources,source_article,source_office,source_date,source_headline,source_original,where_prec,"
    "where_coordinates,where_description,adm_1,adm_2,latitude,longitude,geom_wkt,priogrid_gid,country,country_id,"
    "region,event_clarity,date_prec,date_start,date_end,deaths_a,deaths_b,deaths_civilians,deaths_unknown,best,"
    "high,low,gwnoa,gwnob"
).split(",")
#: GED 25.1's CSV columns (no dset ids, no gwno; the rest as before).
GED_25_1 = (
    "id,relid,year,active_year,code_status,type_of_violence,conflict_new_id,conflict_name,dyad_new_id,dyad_name,"
    "side_a_new_id,side_a,side_b_new_id,side_b,number_of_sources,source_article,source_office,source_date,"
    "source_headline,source_original,where_prec,where_coordinates,where_description,adm_1,adm_2,latitude,longitude,"
    "geom_wkt,priogrid_gid,country,country_id,region,event_clarity,date_prec,date_start,date_end,deaths_a,deaths_b,"
    "deaths_civilians,deaths_unknown,best,high,low"
).split(",")


def ged_event(number: int, date_start: str, **changes) -> dict:
    event = {
        "id": str(700000 + number), "relid": f"BFA-2020-1-{number}", "year": date_start[:4], "active_year": "1",
        "code_status": "Clear", "type_of_violence": "3", "conflict_new_id": "13697", "conflict_name": "JNIM - Civilians",
        "side_a": "JNIM", "side_b": "Civilians", "where_prec": "1", "where_coordinates": "Djibo town",
        "adm_1": "Sahel region", "adm_2": "Soum province", "latitude": "14.1017", "longitude": "-1.6306",
        "country": "Burkina Faso", "country_id": "439", "region": "Africa", "date_prec": "1",
        "date_start": date_start, "date_end": date_start, "best": str(number + 2), "high": str(number + 5),
        "low": str(number), "source_headline": "Invented headline", "source_original": "Invented radio",
    }
    event.update(changes)
    return event


@pytest.mark.parametrize(
    ("columns", "dates"),
    [
        (GED_20_1, ["2019-03-02", "2019-07-30"]),
        (GED_25_1, ["2024-03-02", "2024-07-30"]),
        # A monthly candidate file (GEDEvent_v25_0_X): the same columns, dates with a time of day.
        (GED_25_1, ["2025-01-03 00:00:00.000", "2025-01-28 00:00:00.000"]),
    ],
    ids=["ged-20.1", "ged-25.1", "candidate-25.0.x"],
)
def test_ucdp_ged_releases_and_candidate_files(tmp_path, columns, dates):
    path = tmp_path / "GEDEvent.csv"
    rows = [ged_event(number, date) for number, date in enumerate(dates, start=1)]
    path.write_text(csv_text(columns, rows), encoding="utf-8")

    event_file, rows_read, validated = read_event_file(path, BOUNDS)

    assert event_file.format == "ucdp" and rows_read == 2 and validated.rejects.empty
    assert validated.events["fatalities"].tolist() == [3, 4]
    assert validated.events["event_date"].dt.strftime("%Y-%m-%d").tolist() == [date[:10] for date in dates]
    assert validated.events["admin1"].tolist() == ["Sahel", "Sahel"]
    assert validated.events["location"].tolist() == ["Djibo", "Djibo"]


def test_a_zipped_ged_download_is_read_from_its_one_csv(tmp_path):
    archive = tmp_path / "ged251-csv.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
        zipped.writestr("GEDEvent_v25_1.csv", csv_text(GED_25_1, [ged_event(1, "2024-05-01")]))
    event_file, rows_read, _ = read_event_file(archive, BOUNDS)
    assert (event_file.format, event_file.layout.member, rows_read) == ("ucdp", "GEDEvent_v25_1.csv", 1)


def test_a_row_longer_than_a_parse_block_is_read_whole_and_no_row_twice(tmp_path, monkeypatch):
    """Arrow parses a small block at a time (here 2 KiB); a row longer than that is read on in
    whole blocks from where the parse stopped: every row once, in order, with its line."""
    monkeypatch.setattr("forecasting.sources.files.PARSE_BLOCK_BYTES", 2048)
    long_notes = "An invented note, written out at length for this test only. " * 200
    rows = [invented_event(number) for number in range(1, 60)]
    rows[29] = invented_event(30, notes=long_notes.strip())
    rows[44] = invented_event(45, fatalities="many")
    path = tmp_path / "long_row.csv"
    path.write_text(csv_text(TODAY_COLUMNS, rows), encoding="utf-8")

    _, rows_read, validated = read_event_file(path, BOUNDS)

    assert rows_read == 59
    assert validated.events["source_id"].tolist() == [f"TST{number}" for number in range(1, 60) if number != 45]
    assert validated.events.set_index("source_id").loc["TST30", "notes"] == long_notes.strip()
    assert validated.rejects[["line", "reason"]].values.tolist() == [[46, "fatalities is not a number"]]


# --- broken files: one clear error each ------------------------------------------------------------


def test_an_unbalanced_quote_names_the_line(tmp_path):
    text = csv_text(TODAY_COLUMNS, [invented_event(1), invented_event(2)])
    path = tmp_path / "quote.csv"
    path.write_text(text + 'TST3,"2020-05-01,broken\n' + csv_text(TODAY_COLUMNS, [invented_event(4)]).split("\n", 1)[1],
                    encoding="utf-8")
    with pytest.raises(UnreadableFileError) as raised:
        read_event_file(path, BOUNDS)
    assert str(raised.value).startswith(f"{path}: line 4: not a well-formed CSV row")
    assert "a quote left open" in str(raised.value)


def test_a_column_named_twice_is_refused_naming_both_positions(tmp_path):
    columns = [*TODAY_COLUMNS[:18], "country", *TODAY_COLUMNS[18:]]
    path = tmp_path / "twice.csv"
    path.write_text(csv_text(columns, [invented_event(1)]), encoding="utf-8")
    with pytest.raises(UnreadableFileError, match=r"the column 'country' appears twice in the header \(columns 18 and 19\)"):
        open_event_file(path)


def test_a_truncated_gzip_download_says_to_download_it_again(tmp_path):
    text = csv_text(TODAY_COLUMNS, [invented_event(number % 9 + 1, event_id_cnty=f"TST{number}") for number in range(3000)])
    whole = gzip.compress(text.encode("utf-8"))
    path = tmp_path / "cut.csv.gz"
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(UnreadableFileError, match="damaged or ends early .* download it again"):
        read_event_file(path, BOUNDS)


def test_a_zip_with_several_csv_files_lists_them(tmp_path):
    archive = tmp_path / "two.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("a.csv", "x\n")
        zipped.writestr("b.csv", "y\n")
    with pytest.raises(UnreadableFileError, match=r"exactly one CSV file \(it holds a.csv, b.csv\)"):
        open_event_file(archive)


def test_an_unknown_header_names_its_layout(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("name;value\nx;1\n", encoding="utf-8")
    with pytest.raises(UnreadableFileError, match=r"unknown file format.*semicolon-separated UTF-8 text"):
        open_event_file(Path(path))


def test_an_hdx_export_ingests_with_exact_totals_and_the_log_names_absent_columns(store, tmp_path, caplog):
    """Through the ingest step into SQLite and PostgreSQL: the HXL row skipped, totals exact."""
    import logging

    from forecasting.gazetteer import load_gazetteer
    from forecasting.store import events as stored_events
    from jobs.ingest import ingest_files

    events = [invented_event(number) for number in range(1, 30)]
    path = tmp_path / "conflict_data_bfa.csv"
    path.write_text(csv_text(HDX_2020_COLUMNS, [HXL_2020, *events]), encoding="utf-8")

    with caplog.at_level(logging.INFO, logger="jobs.ingest"):
        (report,) = ingest_files(store, [path], load_gazetteer(), seat_radius_km=5.0)

    assert (report.rows_read, report.inserted, report.rejected) == (29, 29, 0)
    stored = stored_events.load_events(store)
    assert int(stored["fatalities"].sum()) == sum(int(event["fatalities"]) for event in events)
    assert set(stored["disorder_type"]) == {"Political violence"}
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert f"{path}: ACLED export, comma-separated UTF-8 text" in logged
    assert f"{path}: no column disorder_type, civilian_targeting, tags; disorder_type derived from event_type, the others left empty" in logged
