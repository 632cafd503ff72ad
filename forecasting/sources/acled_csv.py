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

_RENAMES = {"event_id_cnty": "source_id", "source": "sources"}


def looks_like_acled(header: list[str]) -> bool:
    """True when a CSV header is ACLED's export (it is the only format with event_id_cnty)."""
    return "event_id_cnty" in header


def acled_rows_to_events(rows: pd.DataFrame) -> pd.DataFrame:
    """Rename ACLED's columns to the event record's; keep only those the record has.

    `rows` holds the file's columns as strings. The result still has to pass
    `forecasting.events.validate_events`.
    """
    known = [name for name in ACLED_COLUMNS if name in rows.columns]
    events = rows[known].rename(columns=_RENAMES)
    events.insert(0, "source", "acled")
    return events
