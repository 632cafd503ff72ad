"""The validation contract of an event (docs/validation.md): the same rows refused on SQLite and
PostgreSQL, every one named with its line and reason, and nothing written when any is refused."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import sqlalchemy as sa
from factories import acled_row

from forecasting.events import EventBounds, InvalidEventsError, validate_events
from forecasting.gazetteer import load_gazetteer
from forecasting.sources.acled_csv import acled_rows_to_events
from forecasting.store import events as stored_events
from jobs.detect import NoDataForPeriodError, resolve_as_of
from jobs.ingest import ingest_files
from jobs.pipeline import choose_as_of

GAZETTEER = load_gazetteer()
TODAY = dt.date(2026, 11, 30)
BOUNDS = EventBounds(today=TODAY)

# The probes of issue 17 that SQLite stored and PostgreSQL refused with a traceback, or that
# both stored though no event can be so: (row, the reason the error names).
HOSTILE_ROWS = {
    "before UCDP's first year": (acled_row("OLD1", "1899-01-01"), "event_date is before 1989-01-01"),
    "far in the future": (acled_row("FUT1", "2099-06-01"), "event_date is in the future (after 2026-12-02"),
    "1e23 deaths": (acled_row("BIG1", fatalities="1e23"), "fatalities is more than 100,000"),
    "2**63 deaths": (acled_row("BIG2", fatalities=str(2**63)), "fatalities is more than 100,000"),
    "3,000,000,000 deaths": (acled_row("BIG3", fatalities="3000000000"), "fatalities is more than 100,000"),
    "a NUL byte": (acled_row("NUL1", notes="before\x00after"), "notes contains a control character"),
    "a 500-character id": (acled_row("X" * 500), "event id is longer than 64 characters"),
}


def ingest(store, paths, **options):
    return ingest_files(store, list(paths), GAZETTEER, seat_radius_km=5.0, bounds=BOUNDS, **options)


def dump(store) -> dict[str, list]:
    """Every row of every table: what "the store is unchanged" compares."""
    with store.engine.connect() as connection:
        tables = sa.inspect(connection).get_table_names()
        return {
            table: sorted(map(repr, connection.execute(sa.text(f'SELECT * FROM "{table}"')).all()))
            for table in tables if table != "alembic_version"
        }


def test_every_hostile_row_is_named_and_nothing_is_written_on_either_store(store, write_acled):
    ingest(store, [write_acled("before.csv", [acled_row("KEEP1")])])
    before = dump(store)
    rows = [acled_row("OK1")] + [row for row, _reason in HOSTILE_ROWS.values()]
    path = write_acled("hostile.csv", rows)

    with pytest.raises(InvalidEventsError) as raised:
        ingest(store, [path])

    message = str(raised.value)
    assert f"{len(HOSTILE_ROWS)} invalid rows, nothing was stored" in message
    for line, (name, (_row, reason)) in enumerate(HOSTILE_ROWS.items(), start=3):
        assert f"line {line}: {reason}" in message, name
    assert dump(store) == before


def test_with_skip_invalid_the_valid_rows_are_stored_alike_on_either_store(store, write_acled):
    rows = [acled_row("OK1", fatalities="100000"), acled_row("OK2", "1989-01-01", notes="tab\there\nand a line")]
    path = write_acled("hostile.csv", rows + [row for row, _reason in HOSTILE_ROWS.values()])

    (report,) = ingest(store, [path], skip_invalid=True)

    assert (report.inserted, report.rejected) == (2, len(HOSTILE_ROWS))
    events = stored_events.load_events(store).set_index("source_id")
    assert sorted(events.index) == ["OK1", "OK2"]
    assert events.loc["OK1", "fatalities"] == 100_000
    assert events.loc["OK2", "notes"] == "tab\there\nand a line"
    rejected = pd.read_csv(report.rejects_file, dtype=str, keep_default_na=False)
    assert rejected["line"].tolist() == [str(line) for line in range(4, 4 + len(HOSTILE_ROWS))]


def test_run_does_not_assess_a_future_month_and_an_as_of_before_the_data_is_an_error(store, write_acled):
    path = write_acled("export.csv", [acled_row("A1", "2025-05-14"), acled_row("A2", "2025-06-03"),
                                      acled_row("FUT1", "2099-06-01")])
    ingest(store, [path], skip_invalid=True)

    assert choose_as_of(store, "run") == "2025-06-03"
    with pytest.raises(NoDataForPeriodError, match="oldest stored event is dated 2025-05-14"):
        resolve_as_of(store, "1800-01")
    with pytest.raises(NoDataForPeriodError, match="nothing to assess yet"):
        resolve_as_of(store, "2099-06")
    assert resolve_as_of(store, "2025-05").text == "2025-05"  # the first month is fine


def validate(**fields) -> pd.DataFrame:
    """The reasons validate_events gives for one ACLED row with these fields (empty: valid)."""
    row = {"event_id_cnty": "BFA1", "event_date": "2025-05-14", "country": "Burkina Faso", "fatalities": "4",
           "actor1": "JNIM", "notes": "An attack.", "timestamp": "1747000000", **fields}
    raw = acled_rows_to_events(pd.DataFrame({name: [value] for name, value in row.items()}, dtype=object))
    return validate_events(raw, pd.Series([2]), BOUNDS).rejects["reason"].tolist()


@pytest.mark.parametrize(
    "fields, reason",
    [
        ({"event_date": "1989-01-01"}, None),
        ({"event_date": "1988-12-31"}, "event_date is before 1989-01-01"),
        ({"event_date": "2026-12-02"}, None),  # today plus the two days' grace
        ({"event_date": "2026-12-03"}, "event_date is in the future"),
        ({"event_date": "9999-12-31"}, "event_date is in the future"),  # beyond what nanoseconds hold
        ({"event_date": "0001-01-01"}, "event_date is before 1989-01-01"),
        ({"fatalities": "100000"}, None),
        ({"fatalities": "100001"}, "fatalities is more than 100,000"),
        ({"fatalities": "inf"}, "fatalities is more than 100,000"),
        ({"fatalities": "nan"}, "fatalities is not a number"),
        ({"fatalities": "2.5"}, "fatalities is not a whole number"),
        ({"fatalities": "-1"}, "fatalities is negative"),
        ({"event_id_cnty": "B" * 64}, None),
        ({"event_id_cnty": "B" * 65}, "event id is longer than 64 characters"),
        ({"event_id_cnty": "BFA\x001"}, "source_id contains a control character"),
        ({"actor1": "JNIM\tJNIM"}, "actor1 contains a control character"),
        ({"actor1": "JNIM\x1b[31m"}, "actor1 contains a control character"),
        ({"notes": "line one\nline two\ttabbed"}, None),
        ({"notes": "bell\x07"}, "notes contains a control character"),
        ({"geo_precision": "1.5"}, "geo_precision is not a whole number"),
        ({"geo_precision": "70000"}, "geo_precision is out of range"),
        ({"iso": "-4"}, "iso is out of range (0 to 999)"),
        ({"timestamp": "1e30"}, "timestamp is out of range"),
        ({"timestamp": "-5"}, "timestamp is out of range"),
    ],
)
def test_each_bound_holds_at_its_edge(fields, reason):
    reasons = validate(**fields)
    if reason is None:
        assert reasons == []
    else:
        assert len(reasons) == 1 and reasons[0].startswith(reason), reasons


def test_the_bounds_come_from_the_caller_not_the_clock():
    strict = EventBounds(today=dt.date(2025, 5, 13), future_days=0, max_fatalities=3)
    row = {"event_id_cnty": ["BFA1"], "event_date": ["2025-05-14"], "country": ["Burkina Faso"], "fatalities": ["4"]}
    raw = acled_rows_to_events(pd.DataFrame(row, dtype=object))

    reasons = validate_events(raw, pd.Series([2]), strict).rejects["reason"].tolist()

    assert reasons == ["event_date is in the future (after 2025-05-13: today, 2025-05-13, plus 0 days' grace);"
                       " fatalities is more than 3 (the most one event may carry)"]


def test_hdx_aggregates_beyond_the_contract_are_refused_alike_on_either_store(store, tmp_path):
    from forecasting.sources.hdx import InvalidAggregatesError

    rows = [
        "Burkina Faso,Sahel,Soum,BFA,BF5601,May,2025,12,140",
        "Burkina Faso,Sahel,Soum,BFA,BF5601,June,2025,12,3000000000",  # PostgreSQL's INTEGER overflows
        "Burkina Faso,Sahel,Oud\x00alan,BFA,BF5602,May,2025,3,9",
        "Mali,Kayes,Kayes,MLI,ML0101,7,1988,6,25",
        "Mali,Kayes,Kayes,MLI,ML0101,6,2099,6,25",
    ]
    path = tmp_path / "hdx.csv"
    path.write_text("Country,Admin1,Admin2,ISO3,Admin2 Pcode,Month,Year,Events,Fatalities\n" + "\n".join(rows) + "\n",
                    encoding="utf-8")
    before = dump(store)

    with pytest.raises(InvalidAggregatesError) as raised:
        ingest(store, [path])

    message = str(raised.value)
    assert "4 invalid rows, nothing was stored" in message
    assert "line 3: Fatalities is more than 2,147,483,647" in message
    assert "line 4: Admin2 contains a control character" in message
    assert "line 5: Year is before 1989" in message
    assert "line 6: the month is after 2026-12 (in the future)" in message
    assert dump(store) == before


def test_text_kept_in_arrow_holds_the_same_rows_and_values_as_python_strings(write_acled):
    """The ingest of files keeps the valid rows' text in Arrow (`arrow_text`): the same events,
    the same rejects, and the same values handed to either store, as with Python strings."""
    from forecasting.events import TEXT_COLUMNS, python_strings
    from forecasting.sources.files import open_event_file
    from forecasting.store.events import _DATA_COLUMNS, _as_arrow, _as_database_values

    rows = [acled_row("OK1"), acled_row("OK2", location="  ", admin3="", notes="tab\there"),
            acled_row("DUP1", timestamp="1747000001"), acled_row("DUP1", timestamp="1747000009", actor1="Newer"),
            acled_row("OK3", country="Mali", admin1=" Mopti ")]
    event_file = open_event_file(write_acled("mixed.csv", rows + [row for row, _reason in HOSTILE_ROWS.values()]))

    ((_, plain),) = event_file.blocks(BOUNDS)
    ((_, kept),) = event_file.blocks(BOUNDS, arrow_text=True)

    pd.testing.assert_frame_equal(kept.rejects, plain.rejects)
    assert len(kept.rejects) == len(HOSTILE_ROWS)
    assert kept.events["source_id"].tolist() == ["OK1", "OK2", "DUP1", "OK3"]
    assert kept.events.loc[2, "actor1"] == "Newer" and kept.events.loc[3, "admin1"] == "Mopti"
    for name in TEXT_COLUMNS:
        if name == "tier":
            continue
        if name != "disorder_type":
            assert isinstance(kept.events[name].dtype, pd.ArrowDtype), name
        assert python_strings(kept.events[name]).tolist() == plain.events[name].tolist(), name
    assert kept.events["location"].isna().tolist() == [False, True, False, False]
    for validated in (plain, kept):
        validated.events["tier"] = "other"
    for iso_dates in (True, False):
        assert _as_arrow(kept.events[_DATA_COLUMNS], iso_dates=iso_dates).equals(
            _as_arrow(plain.events[_DATA_COLUMNS], iso_dates=iso_dates)
        )
    assert _as_database_values(kept.events[_DATA_COLUMNS]) == _as_database_values(plain.events[_DATA_COLUMNS])


@pytest.mark.parametrize(
    "values",
    [
        ["Ouagadougou", "Fada N'gourma", "x", "Djibo"],
        ["Ouagadougou", "", None, "Djibo"],
        [" Ouagadougou", "Djibo"],
        ["Ouagadougou ", "Djibo"],
        ["Ouaga\tdougou", "Djibo\t"],
        ["\nDjibo", "Kaya\r"],
        ["Djibo\x1f", "\x1cKaya", "\x0bKaya\x0c"],
        ["Djibo\u00a0", "\u2003Kaya", "Kaya\u3000", "\u0085Dori"],
        ["Ségou", "Tillabéri", "Dori é", "é"],
        ["Kaya\x7f", "\x7fKaya"],
        ["   ", "", "\t"],
    ],
)
def test_text_is_trimmed_as_arrow_trims_it_and_a_clean_column_is_not_copied(values):
    import pyarrow as pa
    import pyarrow.compute as pc

    from forecasting.events import _trimmed

    whole = pa.array(["pad", *values, "pad"], type=pa.large_string())
    for text in (whole, whole.slice(1, len(values))):  # a slice: offsets that start past 0
        assert _trimmed(text).equals(pc.utf8_trim_whitespace(text)), text
    clean = pa.array(["Djibo", "", None, "Kaya"], type=pa.large_string())
    assert _trimmed(clean) is clean
