"""UCDP GED's CSV download -> event frame.

UCDP codes a different universe from ACLED (organised violence with at least one death, by
dyad), but the fields line up: `best` is the best fatality estimate, `adm_1`/`adm_2` are the
first- and second-order units, `where_coordinates` the place name.
"""

from __future__ import annotations

import pandas as pd

REQUIRED_COLUMNS = ("id", "date_start", "country", "best")
#: The other GED columns conflictwatch reads, in every release from 20.1 to 25.1 and in the
#: monthly candidate files; a file without one leaves that field empty (the ingest log says so).
OPTIONAL_COLUMNS = ("date_prec", "type_of_violence", "side_a", "side_b", "region", "adm_1", "adm_2",
                    "where_coordinates", "latitude", "longitude", "where_prec", "source_original", "source_headline")

#: UCDP's type_of_violence codes, written the way ACLED names the nearest event type.
_VIOLENCE_TYPES = {
    "1": ("Battles", "State-based conflict (UCDP type 1)"),
    "2": ("Battles", "Non-state conflict (UCDP type 2)"),
    "3": ("Violence against civilians", "One-sided violence (UCDP type 3)"),
}

#: ISO 3166 numeric codes for the countries the shipped gazetteer covers; UCDP uses
#: Gleditsch-Ward codes instead, so iso is left empty for other countries.
ISO_NUMERIC = {"Burkina Faso": "854", "Mali": "466", "Niger": "562"}

# UCDP writes "Centre-Nord region", "Soum province", "Mopti cercle"; ACLED writes the bare name.
_UNIT_SUFFIX = r"\s+(region|province|cercle|department|département|district|commune|prefecture)$"


#: Columns only UCDP GED writes; with `id` and `date_start`, any one of them marks a GED download
#: even when a required column (`best`) is missing, so the error can say which one.
_GED_COLUMNS = frozenset(
    {"best", "where_coordinates", "relid", "type_of_violence", "side_a", "side_b", "adm_1", "adm_2",
     "conflict_new_id", "dyad_new_id", "where_prec", "date_prec"}
)


def looks_like_ucdp(header: list[str]) -> bool:
    """True when a CSV header is a UCDP GED download."""
    names = set(header)
    return {"id", "date_start"} <= names and bool(names & _GED_COLUMNS)


def ucdp_rows_to_events(rows: pd.DataFrame) -> pd.DataFrame:
    """Map UCDP GED columns onto the event record's (all still strings)."""

    def column(name: str) -> pd.Series:
        return rows[name] if name in rows else pd.Series(None, index=rows.index, dtype=object)

    violence = column("type_of_violence").str.strip()
    event_type = violence.map({code: names[0] for code, names in _VIOLENCE_TYPES.items()})
    sub_event_type = violence.map({code: names[1] for code, names in _VIOLENCE_TYPES.items()})
    country = column("country")
    return pd.DataFrame(
        {
            "source": "ucdp",
            "source_id": column("id"),
            "event_date": column("date_start"),
            "time_precision": column("date_prec"),
            "disorder_type": "Political violence",
            "event_type": event_type,
            "sub_event_type": sub_event_type,
            "actor1": column("side_a"),
            "actor2": column("side_b"),
            "civilian_targeting": violence.map({"3": "Civilian targeting"}),
            "iso": country.map(ISO_NUMERIC),
            "region": column("region"),
            "country": country,
            "admin1": _strip_unit_suffix(column("adm_1")),
            "admin2": _strip_unit_suffix(column("adm_2")),
            "location": _strip_place_suffix(column("where_coordinates")),
            "latitude": column("latitude"),
            "longitude": column("longitude"),
            "geo_precision": column("where_prec"),
            "sources": column("source_original"),
            "notes": column("source_headline"),
            "fatalities": column("best"),
            "timestamp": None,
        },
        index=rows.index,
    )


def _strip_unit_suffix(names: pd.Series) -> pd.Series:
    return names.str.replace(_UNIT_SUFFIX, "", regex=True, case=False)


def _strip_place_suffix(names: pd.Series) -> pd.Series:
    # "Djibo town", "Djibo village": the settlement is Djibo.
    return names.str.replace(r"\s+(town|village|city)$", "", regex=True, case=False)
