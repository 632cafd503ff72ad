"""ACLED's CSV export -> event frame."""

from __future__ import annotations

import pandas as pd

#: ACLED's export columns, in ACLED's order. Extra columns are ignored.
ACLED_COLUMNS = (
    "event_id_cnty",
    "event_date",
    "year",
    "time_precision",
    "disorder_type",
    "event_type",
    "sub_event_type",
    "actor1",
    "assoc_actor_1",
    "inter1",
    "actor2",
    "assoc_actor_2",
    "inter2",
    "interaction",
    "civilian_targeting",
    "iso",
    "region",
    "country",
    "admin1",
    "admin2",
    "admin3",
    "location",
    "latitude",
    "longitude",
    "geo_precision",
    "source",
    "source_scale",
    "notes",
    "fatalities",
    "tags",
    "timestamp",
)

#: Without these a row cannot become an event; every other ACLED column may be missing.
REQUIRED_COLUMNS = ("event_id_cnty", "event_date", "country", "fatalities")
#: The columns a file may lack (the ingest log names those it does): exports of 2019-2020 have
#: no disorder_type, civilian_targeting or tags, and some write iso3 instead of iso.
OPTIONAL_COLUMNS = tuple(name for name in ACLED_COLUMNS if name not in REQUIRED_COLUMNS)

_RENAMES = {"event_id_cnty": "source_id", "source": "sources"}

#: ISO 3166 numeric codes by alpha-3, for exports that write only `iso3`: the countries of the
#: shipped gazetteer and their neighbours. Elsewhere `iso` is left empty (it is informative only).
ISO_NUMERIC_BY_ALPHA3 = {
    "BFA": "854", "MLI": "466", "NER": "562", "MRT": "478", "SEN": "686", "GIN": "324", "CIV": "384",
    "GHA": "288", "TGO": "768", "BEN": "204", "NGA": "566", "TCD": "148", "DZA": "012", "LBY": "434",
    "CMR": "120", "SDN": "729",
}


def looks_like_acled(header: list[str]) -> bool:
    """True when a CSV header is ACLED's export (it is the only format with event_id_cnty)."""
    return "event_id_cnty" in header


def acled_rows_to_events(rows: pd.DataFrame) -> pd.DataFrame:
    """Rename ACLED's columns to the event record's; keep only those the record has. A file
    without `iso` gets it from `iso3`. (A missing disorder type is derived from the event type by
    `forecasting.events.validate_events`, for every source.)

    `rows` holds the file's columns as strings. The result still has to pass
    `forecasting.events.validate_events`.
    """
    known = [name for name in ACLED_COLUMNS if name in rows.columns]
    events = rows[known].rename(columns=_RENAMES)
    events.insert(0, "source", "acled")
    if "iso" not in events and "iso3" in rows:
        events["iso"] = rows["iso3"].str.strip().str.upper().map(ISO_NUMERIC_BY_ALPHA3)
    return events
