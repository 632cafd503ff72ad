"""Events as ACLED-export CSV rows: ids, notes, timestamps, and the gzip file.

Part of the synthetic sample's generator: see `forecasting/sample/generate.py`."""

from __future__ import annotations

import csv
import gzip
import io
from collections import defaultdict
from typing import Sequence

import numpy as np

from forecasting.sample.scope import (
    COUNTRY_BY_ISO3,
    EXPORT_DAY,
    ISSP,
    JNIM,
    JNIM_FULL_NAME,
    NOTES_PREFIX,
    SOURCE,
    SYNTHETIC_TAG,
    unix_seconds,
)
from forecasting.sample.places import Place
from forecasting.sample.scenarios import interaction
from forecasting.sample.events import Event
from forecasting.sources.acled_csv import ACLED_COLUMNS


MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August",
               "September", "October", "November", "December")

NOTE_TEMPLATES = {
    "Armed clash": "{a1} clashed with {a2} {where}",
    "Attack": "{a1} attacked {a2} {where}",
    "Abduction/forced disappearance": "{a1} abducted {a2} {where}",
    "Remote explosive/landmine/IED": "an IED planted by {a1} exploded as {a2} passed {where}",
    "Air/drone strike": "{a1} carried out a drone strike on suspected positions of {a2} {where}",
    "Shelling/artillery/missile attack": "{a1} fired mortar rounds at a position of {a2} {where}",
    "Looting/property destruction": "{a1} looted shops and burned property {where}",
    "Peaceful protest": "{a1} gathered {where} to {purpose}",
    "Violent demonstration": "{a1} burned tyres and blocked roads {where} to {purpose}",
    "Mob violence": "a mob attacked a man accused of theft {where}",
    "Excessive force against protesters": "{a1} fired on {a2} {where}",
}
PROTEST_PURPOSES = ("denounce insecurity", "demand better protection from attacks",
                    "support the transitional authorities", "protest against fuel prices",
                    "call for the release of detained relatives", "demand unpaid wages")


#: How notes name an actor, by the start of its ACLED name: the first match counts.
SHORT_ACTOR_NAMES = (
    ("Military Forces of France", "French forces"),
    ("VDP", "VDP volunteers"),
    ("Civilians", "civilians"),
    ("Protesters", "protesters"),
    ("Rioters", "rioters"),
    ("Unidentified", "unidentified gunmen"),
    ("MINUSMA", "MINUSMA peacekeepers"),
    ("Dozo", "Dozo hunters"),
)


def short_actor(name: str, iso3: str, rng: np.random.Generator) -> str:
    """How notes refer to an actor."""
    if name == JNIM:
        return (f"militants of {JNIM_FULL_NAME} (JNIM)" if rng.random() < 0.2
                else "JNIM militants")
    if name == ISSP:
        return "IS Sahel militants"
    for prefix, short in SHORT_ACTOR_NAMES:
        if name.startswith(prefix):
            return short
    if name.startswith("Military Forces of"):
        return COUNTRY_BY_ISO3[iso3].army
    return name.split(":")[0]


def where(place: Place) -> str:
    if place.location == place.admin3:
        return f"in {place.location} ({place.admin2}, {place.admin1})"
    return f"in {place.location} ({place.admin3}, {place.admin2}, {place.admin1})"


def note_for(event: Event, rng: np.random.Generator) -> str:
    day = event.day
    when = f"On {day.day} {MONTH_NAMES[day.month - 1]} {day.year}"
    if event.planted:
        body = f"{where(event.place)}, {event.note}"
    else:
        body = NOTE_TEMPLATES[event.scenario.sub_event_type].format(
            a1=short_actor(event.actor1, event.iso3, rng),
            a2=short_actor(event.actor2, event.iso3, rng) if event.actor2 else "",
            where=where(event.place),
            purpose=PROTEST_PURPOSES[int(rng.integers(len(PROTEST_PURPOSES)))])
    note = f"{NOTES_PREFIX} {when}, {body}."
    if event.fatalities:
        note += f" {event.fatalities} fatalities (synthetic)."
    if event.planted and event.planted != "mass_casualty_background":
        note += f" Planted pattern: {event.planted}."
    return note


def timestamp_for(event: Event, rng: np.random.Generator) -> int:
    """First publication a few days after the event; about 2% revised weeks or months later."""
    export = unix_seconds(EXPORT_DAY)
    published = unix_seconds(event.day) + int(rng.integers(2, 15)) * 86400 \
        + int(rng.integers(0, 86400))
    if rng.random() < 0.02:
        published += int(rng.integers(20, 400)) * 86400
    return min(published, export - int(rng.integers(0, 86400)))


def build_rows(events: list[Event], rng: np.random.Generator) -> list[dict[str, str]]:
    """CSV rows, ACLED-export style: newest first; ids numbered per country by date."""
    ordered = sorted(enumerate(events), key=lambda item: (item[1].day, item[0]))
    counters: dict[str, int] = defaultdict(int)
    rows = []
    for _, event in ordered:
        counters[event.iso3] += 1
        place = event.coded_at or event.place
        country = COUNTRY_BY_ISO3[event.iso3]
        scenario = event.scenario
        civilian_target = (scenario.actor2 == "civilians"
                           and scenario.category[1] in ("Violence against civilians",
                                                        "Explosions/Remote violence", "Riots"))
        tags = SYNTHETIC_TAG
        if scenario.is_demonstration and scenario.actor1 == "protesters":
            tags += "; crowd size=no report"
        if event.planted:
            tags += f"; planted={event.planted}"
        rows.append({
            "event_id_cnty": f"SYN{event.iso3}{counters[event.iso3]:06d}",
            "event_date": event.day.isoformat(),
            "year": str(event.day.year),
            "time_precision": str(event.time_precision),
            "disorder_type": scenario.disorder_type,
            "event_type": scenario.category[1],
            "sub_event_type": scenario.sub_event_type,
            "actor1": event.actor1,
            "assoc_actor_1": event.assoc_actor_1,
            "inter1": str(event.inter1),
            "actor2": event.actor2,
            "assoc_actor_2": event.assoc_actor_2,
            "inter2": str(event.inter2),
            "interaction": interaction(event.inter1, event.inter2),
            "civilian_targeting": "Civilian targeting" if civilian_target else "",
            "iso": str(country.iso_numeric),
            "region": "Western Africa",
            "country": country.name,
            "admin1": place.admin1,
            "admin2": place.admin2,
            "admin3": place.admin3,
            "location": place.location,
            "latitude": f"{place.latitude:.4f}",
            "longitude": f"{place.longitude:.4f}",
            "geo_precision": str(event.geo_precision),
            "source": SOURCE,
            "source_scale": event.source_scale,
            "notes": note_for(event, rng),
            "fatalities": str(event.fatalities),
            "tags": tags,
            "timestamp": str(timestamp_for(event, rng)),
        })
    rows.reverse()
    return rows


def csv_bytes(rows: Sequence[dict[str, str]]) -> bytes:
    """UTF-8 CSV in the columns of ACLED's export (as the reader knows them), header first,
    ``\\n`` line ends, minimal quoting."""
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=ACLED_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return text.getvalue().encode("utf-8")


def gzip_bytes(payload: bytes) -> bytes:
    """Gzip with a zero mtime and no file name in the header, so output is byte-stable."""
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as out:
        out.write(payload)
    return buffer.getvalue()
