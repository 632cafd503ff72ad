"""Ingest into real SQLite and PostgreSQL stores: idempotent, atomic, faithful."""

from __future__ import annotations

import datetime as dt
import gzip

import pandas as pd
import pytest
from factories import ACLED_HEADER, acled_row

from forecasting.events import EventBounds, InvalidEventsError
from forecasting.gazetteer import load_gazetteer
from forecasting.sources.files import UnreadableFileError
from forecasting.store import events as stored_events
from jobs.ingest import ingest_files

GAZETTEER = load_gazetteer()


def ingest(store, paths, **options):
    return ingest_files(store, list(paths), GAZETTEER, seat_radius_km=5.0, **options)


def stored(store) -> pd.DataFrame:
    return stored_events.load_events(store).set_index("source_id")


def test_ingest_stores_every_field_and_logs_the_load(store, write_acled):
    path = write_acled("export.csv", [acled_row("BFA1"), acled_row("BFA2", "2025-06-01", fatalities="0")])

    (report,) = ingest(store, [path])

    assert (report.format, report.rows_read, report.inserted, report.updated, report.rejected) == ("acled", 2, 2, 0, 0)
    events = stored(store)
    first = events.loc["BFA1"]
    assert first["source"] == "acled"
    assert first["event_date"] == pd.Timestamp("2025-05-14")
    assert (first["year"], first["month"], first["fatalities"], first["iso"]) == (2025, 5, 4, 854)
    assert first["actor1"] == "JNIM: Group for Support of Islam and Muslims"
    assert first["actor2"] == "Military Forces of Burkina Faso (2022-)"
    assert (first["event_type"], first["sub_event_type"]) == ("Battles", "Armed clash")
    assert (first["admin1"], first["admin2"], first["admin3"]) == ("Est", "Gourma", "Fada N'gourma")
    assert first["latitude"] == pytest.approx(12.0616)
    assert (first["geo_precision"], first["timestamp"]) == (1, 1747000000)
    assert first["sources"] == "Test source"
    assert first["tier"] == "admin1_capital"
    log = stored_events.ingest_log(store)
    assert log.loc[0, ["file", "rows_read", "inserted", "updated", "rejected"]].tolist() == [str(path), 2, 2, 0, 0]


def test_a_load_takes_arrows_memory_from_jemalloc_and_gives_the_default_back(store, write_acled, monkeypatch):
    """While a load runs (also one that fails), Arrow allocates from jemalloc where pyarrow has
    it, not from mimalloc's huge pages (docs/benchmarks.md); after it, from its default again."""
    import pyarrow as pa

    import jobs.ingest

    try:
        pa.jemalloc_memory_pool()
    except NotImplementedError:
        pytest.skip("this pyarrow is built without jemalloc")
    default = pa.default_memory_pool().backend_name
    seen = []
    assign_tiers = jobs.ingest.assign_tiers

    def tiers_noting_the_pool(*arguments, **options):
        seen.append(pa.default_memory_pool().backend_name)
        return assign_tiers(*arguments, **options)

    monkeypatch.setattr(jobs.ingest, "assign_tiers", tiers_noting_the_pool)
    ingest(store, [write_acled("good.csv", [acled_row("BFA1")])])
    assert seen == ["jemalloc"] and pa.default_memory_pool().backend_name == default

    with pytest.raises(InvalidEventsError):
        ingest(store, [write_acled("bad.csv", [acled_row("BFA2"), acled_row("BFA3", fatalities="many")])])
    assert pa.default_memory_pool().backend_name == default


def test_the_same_file_twice_leaves_the_same_rows(store, write_acled):
    path = write_acled("export.csv", [acled_row(f"BFA{i}") for i in range(5)])
    ingest(store, [path])
    before = stored(store)

    (again,) = ingest(store, [path])

    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 5)
    pd.testing.assert_frame_equal(stored(store), before)


def test_a_newer_timestamp_replaces_and_an_older_one_is_ignored(store, write_acled):
    ingest(store, [write_acled("v1.csv", [acled_row("BFA1", fatalities="4", timestamp="1000")])])

    (newer,) = ingest(store, [write_acled("v2.csv", [acled_row("BFA1", fatalities="9", timestamp="2000")])])
    assert (newer.inserted, newer.updated) == (0, 1)
    assert stored(store).loc["BFA1", "fatalities"] == 9

    (older,) = ingest(store, [write_acled("v0.csv", [acled_row("BFA1", fatalities="1", timestamp="500")])])
    assert (older.inserted, older.updated, older.unchanged) == (0, 0, 1)
    assert stored(store).loc["BFA1", "fatalities"] == 9


def test_an_invalid_row_writes_nothing_and_names_the_lines(store, write_acled):
    good = write_acled("good.csv", [acled_row("OK1")])
    bad = write_acled(
        "bad.csv",
        [
            acled_row("BFA1"),
            acled_row("BFA2", event_date=""),
            acled_row("BFA3", event_date="2025-13-45"),
            acled_row("BFA4", fatalities="-2"),
            acled_row("BFA5", fatalities="2.5"),
            acled_row("BFA6", country=""),
        ],
    )

    with pytest.raises(InvalidEventsError) as raised:
        ingest(store, [good, bad])

    message = str(raised.value)
    assert str(bad) in message and "5 invalid rows, nothing was stored" in message
    assert "line 3: missing event_date" in message
    assert "line 4: event_date is not a date" in message
    assert "line 5: fatalities is negative" in message
    assert "line 6: fatalities is not a whole number" in message
    assert "line 7: missing country" in message
    assert "--skip-invalid" in message
    assert stored_events.count_events(store) == 0
    assert stored_events.ingest_log(store).empty


def test_an_error_lists_at_most_twenty_lines(store, write_acled):
    bad = write_acled("bad.csv", [acled_row(f"X{i}", fatalities="-1") for i in range(30)])
    with pytest.raises(InvalidEventsError) as raised:
        ingest(store, [bad])
    message = str(raised.value)
    assert "line 21:" in message and "line 22:" not in message
    assert "and 10 more bad rows" in message


def test_skip_invalid_loads_the_rest_and_writes_reasons_beside_the_file(store, write_acled):
    path = write_acled("mixed.csv", [acled_row("BFA1"), acled_row("BFA2", fatalities="many"), acled_row("BFA3")])

    (report,) = ingest(store, [path], skip_invalid=True)

    assert (report.inserted, report.rejected) == (2, 1)
    assert sorted(stored(store).index) == ["BFA1", "BFA3"]
    rejects = pd.read_csv(report.rejects_file, dtype=str)
    assert report.rejects_file == path.with_name("mixed.csv.rejected.csv")
    assert rejects.loc[0, ["line", "reason", "event_id_cnty"]].tolist() == ["3", "fatalities is not a number", "BFA2"]


def test_names_with_accents_and_apostrophes_come_back_byte_for_byte(store, write_acled):
    names = {
        "actor1": "Jama'at Nusrat al-Islam wal-Muslimin",
        "location": "Fada N'gourma",
        "admin3": "Ségou",
        "notes": 'Attaque près de "Ségou"; N\'Djaména, Tillabéri, Gaoua — ça.',
    }
    path = write_acled("utf8.csv", [acled_row("MLI1", **names)])

    ingest(store, [path])

    event = stored(store).loc["MLI1"]
    for column, text in names.items():
        assert event[column].encode("utf-8") == text.encode("utf-8")


def test_gzip_exports_and_extra_or_missing_optional_columns(store, tmp_path):
    header = "event_id_cnty,event_date,country,fatalities,admin1,location,extra_column"
    body = "MLI9,2024-09-17,Mali,77,Bamako,Bamako,ignored\n"
    path = tmp_path / "slim.csv.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write(header + "\n" + body)

    (report,) = ingest(store, [path])

    assert report.inserted == 1
    event = stored(store).loc["MLI9"]
    assert (event["fatalities"], event["tier"], event["admin2"]) == (77, "national_capital", None)


def test_ucdp_ged_csv_is_detected_and_mapped(store, tmp_path):
    path = tmp_path / "ged.csv"
    path.write_text(
        "id,relid,year,type_of_violence,side_a,side_b,where_coordinates,where_prec,adm_1,adm_2,"
        "latitude,longitude,country,region,date_prec,date_start,date_end,best,high,low,source_headline\n"
        "551234,BFA-2024-1-1,2024,3,JNIM,Civilians,Barsalogho town,1,Centre-Nord region,Sanmatenga province,"
        "13.417,-1.058,Burkina Faso,Africa,1,2024-08-24 00:00:00.000,2024-08-24 00:00:00.000,133,400,133,Attack\n",
        encoding="utf-8",
    )

    (report,) = ingest(store, [path])

    assert report.format == "ucdp"
    event = stored_events.load_events(store).iloc[0]
    assert (event["source"], event["source_id"]) == ("ucdp", "551234")
    assert (event["fatalities"], event["admin1"], event["admin2"]) == (133, "Centre-Nord", "Sanmatenga")
    assert (event["location"], event["event_type"]) == ("Barsalogho", "Violence against civilians")
    assert event["event_date"] == pd.Timestamp("2024-08-24")


UCDP_HEADER = (
    "id,relid,year,type_of_violence,side_a,side_b,where_coordinates,where_prec,adm_1,adm_2,"
    "latitude,longitude,country,region,date_prec,date_start,date_end,best,high,low,source_headline"
)


def ucdp_row(event_id: str, best: str) -> str:
    return (
        f"{event_id},BFA-2024-1-1,2024,3,JNIM,Civilians,Barsalogho town,1,Centre-Nord region,Sanmatenga province,"
        f"13.417,-1.058,Burkina Faso,Africa,1,2024-08-24 00:00:00.000,2024-08-24 00:00:00.000,{best},400,3,Attack"
    )


def test_a_revised_ucdp_release_without_timestamps_replaces_the_stored_rows(store, tmp_path):
    # UCDP GED has no timestamp column: a later release that revises `best` must still be applied,
    # while reloading the same release changes nothing.
    first = tmp_path / "ged_v1.csv"
    first.write_text("\n".join([UCDP_HEADER, ucdp_row("551234", "3"), ucdp_row("551235", "7")]) + "\n", encoding="utf-8")
    revised = tmp_path / "ged_v2.csv"
    revised.write_text("\n".join([UCDP_HEADER, ucdp_row("551234", "133"), ucdp_row("551235", "7")]) + "\n", encoding="utf-8")
    ingest(store, [first])
    before = stored(store)

    (again,) = ingest(store, [first])
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)
    pd.testing.assert_frame_equal(stored(store), before)

    (report,) = ingest(store, [revised])
    assert (report.inserted, report.updated, report.unchanged) == (0, 1, 1)
    events = stored(store)
    assert events.loc["551234", "fatalities"] == 133
    assert events.loc["551235", "fatalities"] == 7
    assert events.loc["551234", "timestamp"] == 0


def test_a_timestamped_row_is_still_not_replaced_by_an_equal_timestamp(store, write_acled):
    ingest(store, [write_acled("a.csv", [acled_row("BFA1", fatalities="4")])])
    (report,) = ingest(store, [write_acled("b.csv", [acled_row("BFA1", fatalities="40")])])
    assert (report.updated, report.unchanged) == (0, 1)
    assert stored(store).loc["BFA1", "fatalities"] == 4


def test_the_same_id_in_two_sources_is_two_events(store, write_acled, tmp_path):
    ingest(store, [write_acled("a.csv", [acled_row("551234")])])
    ged = tmp_path / "ged.csv"
    ged.write_text("id,date_start,country,best,where_coordinates\n551234,2024-08-24,Burkina Faso,3,Djibo\n", encoding="utf-8")
    ingest(store, [ged])
    assert sorted(stored_events.load_events(store)["source"]) == ["acled", "ucdp"]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("name,date\nx,2025-01-01\n", "unknown file format"),
        ("", "the file is empty"),
        ("event_id_cnty,event_date,country\nA,2025-01-01,Mali\n", r"lacks the required column\(s\) fatalities"),
        (
            "id,relid,type_of_violence,side_a,where_coordinates,adm_1,country,date_start,date_end\n"
            "551234,MLI-2024-1-1,3,JNIM,Gao town,Gao region,Mali,2024-08-24,2024-08-24\n",
            r"this UCDP file lacks the required column\(s\) best",
        ),
        ("id,relid,country,date_start,type_of_violence\n551234,MLI-2024-1,Mali,2024-08-24,1\n", r"UCDP file .* best"),
    ],
)
def test_unreadable_files_are_named_with_what_to_do(store, tmp_path, content, expected):
    path = tmp_path / "odd.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(UnreadableFileError, match=expected) as raised:
        ingest(store, [path])
    assert str(path) in str(raised.value)
    assert stored_events.count_events(store) == 0


def test_a_file_that_is_not_utf8_is_read_as_latin1_with_a_warning(store, tmp_path, caplog):
    path = tmp_path / "latin1.csv"
    path.write_bytes(("event_id_cnty,event_date,country,fatalities\nA,2025-01-01,Ségou,1\n").encode("latin-1"))
    ingest(store, [path])
    assert stored(store).loc["A", "country"] == "Ségou"
    # Warnings only: the ingest log's INFO line also says how the file was read ("Latin-1 text"),
    # and is captured too when an earlier test left INFO logging on.
    warnings = [record.getMessage() for record in caplog.records
                if record.levelname == "WARNING" and "Latin-1" in record.getMessage()]
    assert len(warnings) == 1 and str(path) in warnings[0]


def test_a_file_that_turns_out_not_utf8_after_the_sample_is_rejected_with_advice(store, tmp_path, monkeypatch):
    monkeypatch.setattr("forecasting.sources.files.SAMPLE_BYTES", 64)
    path = tmp_path / "mixed.csv"
    path.write_bytes(("event_id_cnty,event_date,country,fatalities\n" + "A,2025-01-01,Mali,1\n" * 5).encode()
                     + "B,2025-01-01,Ségou,1\n".encode("latin-1"))
    with pytest.raises(UnreadableFileError, match="not UTF-8"):
        ingest(store, [path])
    assert stored_events.count_events(store) == 0


def test_a_missing_file_is_named(store, tmp_path):
    with pytest.raises(UnreadableFileError, match="no such file"):
        ingest(store, [tmp_path / "nowhere.csv"])


def test_the_shipped_sample_loads_into_an_empty_store_once(store):
    from jobs.ingest import ingest_sample_if_empty, sample_path

    (report,) = ingest_sample_if_empty(store, GAZETTEER, seat_radius_km=5.0)

    assert report.file == sample_path() and report.rejected == 0
    assert report.inserted == report.rows_read > 15_000
    events = stored_events.load_events(
        store, columns=["source_id", "sources", "tags", "tier", "country", "geo_precision", "disorder_type"]
    )
    assert events["source_id"].str.startswith("SYN").all()
    assert events["sources"].str.contains("synthetic").all()
    assert set(events["country"]) == {"Burkina Faso", "Mali", "Niger"}
    assert set(events["tier"]) == {"national_capital", "admin1_capital", "admin2_capital", "admin3_seat", "other", "unlocated"}
    # Events coded to a nearby town or the provincial capital (geo_precision 2, 3) are in no tier.
    assert ((events["tier"] == "unlocated") == (events["geo_precision"] != 1)).all()
    assert set(events["disorder_type"]) == {"Political violence", "Demonstrations", "Strategic developments"}
    assert ingest_sample_if_empty(store, GAZETTEER, seat_radius_km=5.0) == []


def test_a_real_file_replaces_the_shipped_sample_and_says_so(store, write_acled, caplog):
    from jobs.ingest import ingest_sample_if_empty

    (sample,) = ingest_sample_if_empty(store, GAZETTEER, seat_radius_km=5.0)
    bad = write_acled("bad.csv", [acled_row("BFA1"), acled_row("BFA2", fatalities="many")])
    with pytest.raises(InvalidEventsError):
        ingest(store, [bad])
    assert stored_events.count_events(store) == sample.inserted  # a failed load removes nothing

    with caplog.at_level("WARNING", logger="jobs.ingest"):
        (report,) = ingest(store, [write_acled("export.csv", [acled_row("BFA1"), acled_row("BFA2")])])

    assert report.inserted == 2
    assert sorted(stored(store).index) == ["BFA1", "BFA2"]
    assert not stored_events.source_counts(store)["synthetic"].any()
    assert [r.getMessage() for r in caplog.records if "removed" in r.getMessage()] == [
        f"removed the {sample.inserted} events of the shipped SYNTHETIC sample from the store: real data"
        " has arrived, and the two are never kept together"
    ]


def _many_rows(count: int, first_id: int = 0) -> list[str]:
    return [acled_row(f"BFA{first_id + number:06d}", f"2024-{number % 12 + 1:02d}-15", fatalities=str(number % 7))
            for number in range(count)]


def test_a_file_read_in_many_blocks_loads_whole_or_not_at_all(store, write_acled, monkeypatch):
    """Blocks are read ahead in a thread while the store writes: every row arrives once, in
    order, and an unreadable block near the end still leaves the store as it was."""
    monkeypatch.setattr("forecasting.sources.files.BLOCK_BYTES", 4096)
    good = write_acled("many.csv", _many_rows(400))
    (report,) = ingest(store, [good])
    assert (report.rows_read, report.inserted) == (400, 400)
    assert stored(store)["fatalities"].sum() == sum(number % 7 for number in range(400))

    broken = good.with_name("broken.csv")
    broken.write_bytes(write_acled("more.csv", _many_rows(400, first_id=1000)).read_bytes() + "Ségou\n".encode("latin-1"))
    # The whole file fits the encoding sample, so it is read as Latin-1; its last line is cut short.
    with pytest.raises(UnreadableFileError, match="line 402 has 1 fields where the header has 31"):
        ingest(store, [broken])
    assert stored_events.count_events(store) == 400


def test_an_event_repeated_in_a_later_block_of_a_first_load_is_merged(store, write_acled, monkeypatch):
    """Into an empty store each block goes in as new events (on PostgreSQL, COPY straight into
    the table); an event the file lists again in a later block is merged as in any other load:
    the newer version stays, counted once."""
    monkeypatch.setattr("forecasting.sources.files.BLOCK_BYTES", 4096)
    newer = acled_row("BFA000003", "2024-04-15", fatalities="9", timestamp="1747000001")
    (report,) = ingest(store, [write_acled("repeats.csv", _many_rows(300) + [newer] + _many_rows(100, first_id=300))])
    assert (report.rows_read, report.inserted, report.updated, report.unchanged) == (401, 400, 1, 0)
    events = stored(store)
    assert len(events) == 400 and events.loc["BFA000003", "fatalities"] == 9


def test_a_bulk_load_rebuilds_the_monthly_index_and_a_failed_one_keeps_it(tmp_path, monkeypatch):
    """SQLite drops its covering index of monthly counts for a big load and builds it again in
    the same transaction; a load that fails leaves the table and the index as they were."""
    from forecasting.sources.files import read_event_file
    from forecasting.store import open_store

    monkeypatch.setattr(stored_events, "BULK_LOAD_ROWS", 50)
    store = open_store(f"sqlite:///{tmp_path / 'bulk.db'}")

    def indexes():
        with store.engine.connect() as connection:
            return {row[0] for row in connection.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'index'")}

    before = indexes()
    assert "ix_events_monthly_counts" in before
    path = tmp_path / "bulk.csv"
    path.write_text(ACLED_HEADER + "\n" + "\n".join(_many_rows(120)) + "\n", encoding="utf-8")
    _, _, validated = read_event_file(path, EventBounds(today=dt.date(2026, 1, 1)))
    events = validated.events.assign(tier="other")

    with pytest.raises(RuntimeError, match="stopped"):
        with stored_events.event_writer(store) as writer:
            writer.save(events.iloc[:60])
            during = writer._connection.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'index'").scalars()
            assert "ix_events_monthly_counts" not in set(during)  # 60 new rows into an empty table: a bulk load at once
            writer.save(events.iloc[60:])
            raise RuntimeError("stopped")
    assert indexes() == before and stored_events.count_events(store) == 0

    with stored_events.event_writer(store) as writer:
        writer.save(events.iloc[:30])
        during = writer._connection.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'index'").scalars()
        assert "ix_events_monthly_counts" in set(during)  # 30 rows: not a bulk load yet
        writer.save(events.iloc[30:])
        during = writer._connection.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'index'").scalars()
        assert "ix_events_monthly_counts" not in set(during)
    assert indexes() == before and stored_events.count_events(store) == 120

    # The same events again write nothing: no rebuild.
    with stored_events.event_writer(store) as writer:
        writer.save(events.iloc[:30])
        writer.save(events.iloc[30:])
        during = writer._connection.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'index'").scalars()
        assert "ix_events_monthly_counts" in set(during)
    with store.engine.connect() as connection:
        plan = connection.exec_driver_sql(
            "EXPLAIN QUERY PLAN SELECT year, month, admin2, sum(fatalities) FROM events GROUP BY year, month, admin2"
        ).fetchall()
    assert "ix_events_monthly_counts" in " ".join(str(row) for row in plan)


def test_leaving_the_read_ahead_early_never_waits_on_its_producer():
    """A load that fails while the next block is already queued (the store refused a block)
    must return at once, whether the producer then has more blocks, none, or an error."""
    import threading
    import time

    from jobs.ingest import _read_ahead

    def blocks(ending):
        yield 1
        yield 2  # queued while the consumer gives up on 1
        time.sleep(0.3)  # the consumer has left by now
        if ending == "error":
            raise ValueError("unreadable")

    for ending in ("done", "error"):
        finished = threading.Event()

        def consume():
            for _block in _read_ahead(blocks(ending)):
                time.sleep(0.1)  # writing it, while block 2 is read and queued
                break  # the store failed on the first block
            finished.set()

        worker = threading.Thread(target=consume, daemon=True)
        worker.start()
        assert finished.wait(10), f"leaving early hung (producer ended with {ending})"


def test_a_file_of_no_events_saves_nothing_and_counts_nothing(store, write_acled):
    (report,) = ingest(store, [write_acled("empty.csv", [])])
    assert (report.inserted, report.updated, report.unchanged) == (0, 0, 0)
    assert stored_events.count_events(store) == 0


def test_real_events_replace_only_the_synthetic_rows_and_nothing_that_looks_like_them(store, write_acled, caplog):
    """The sample's rows are ACLED's, with SYN ids and the sample's mark in `source`: a small
    stand-in for the 20,000-event sample, so the rule is checked in a second."""
    def marked(event_id: str) -> str:
        return acled_row(event_id).replace("Test source", "conflictwatch synthetic sample (test)")

    ingest(store, [write_acled("sample.csv", [marked("SYNBFA1"), marked("SYNBFA2")])])
    # More of the sample, or nothing at all, is no real data: the sample stays.
    ingest(store, [write_acled("more.csv", [marked("SYNBFA3")]), write_acled("empty.csv", [])])
    assert sorted(stored(store).index) == ["SYNBFA1", "SYNBFA2", "SYNBFA3"]
    # A real event arrives (an id that only looks synthetic): the sample goes, lookalikes stay.
    with caplog.at_level("WARNING", logger="jobs.ingest"):
        ingest(store, [write_acled("real.csv", [acled_row("SYNBFA9"), marked("BFA7"), marked("SYOBFA1")])])
    assert sorted(stored(store).index) == ["BFA7", "SYNBFA9", "SYOBFA1"]
    assert "removed the 3 events of the shipped SYNTHETIC sample" in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING", logger="jobs.ingest"):
        ingest(store, [write_acled("later.csv", [acled_row("BFA1")])])
    assert sorted(stored(store).index) == ["BFA1", "BFA7", "SYNBFA9", "SYOBFA1"]
    assert "SYNTHETIC" not in caplog.text
