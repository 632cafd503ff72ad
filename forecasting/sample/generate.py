"""Write conflictwatch's shipped synthetic sample: ACLED-format events for the central Sahel.

Usage::

    python -m forecasting.sample.generate [--out DIR]

writes ``acled_sahel_synthetic.csv.gz`` (ACLED's CSV export columns, Burkina Faso, Mali and
Niger, 2018-01-01 to 2025-08-31) and ``planted_patterns.json`` (what was planted and how big it
came out) into DIR, by default this package folder.

Every row is invented. The data set is shaped like the real region (where violence happens, who
fights whom, how the level rose over the years) and carries the four patterns of the project's
motivating case, so that a fresh clone runs end to end and the detectors have something to find:

1. ``record``: area-wide fatalities in May 2025 far above the trailing 12-month mean and the
   highest since a larger spike in August 2024.
2. ``tier_shift`` / ``run_rate``: from January 2025, JNIM in Burkina Faso moves from villages
   towards provincial capitals and commune seats.
3. ``synchronized``: on 1 July 2025 JNIM hits nine Malian cercles on one day.
4. ``spread``: a new front in Kayes (Mali) from June 2025, after a year with no violence there.

Output is a pure function of the seed and the gazetteer CSVs in ``forecasting/gazetteer/data``:
no wall clock, no network, numpy ``Generator`` streams per stage, a fixed gzip header. Editing
the gazetteer therefore changes the sample; the test suite notices and asks for a regeneration.
"""

from __future__ import annotations

import argparse
import calendar
import csv
import gzip
import io
import json
import math
import sys
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Sequence

import numpy as np

SEED = 20250701
FIRST_DAY = date(2018, 1, 1)
LAST_DAY = date(2025, 8, 31)
# The export the sample pretends to be: every timestamp (first publication or revision) is
# before it, so "what was known on day X" questions have sensible answers.
EXPORT_DAY = date(2025, 9, 9)
N_MONTHS = (LAST_DAY.year - FIRST_DAY.year) * 12 + LAST_DAY.month - FIRST_DAY.month + 1

PACKAGE_DIR = Path(__file__).resolve().parent
GAZETTEER_DIR = PACKAGE_DIR.parent / "gazetteer" / "data"
CSV_NAME = "acled_sahel_synthetic.csv.gz"
PATTERNS_NAME = "planted_patterns.json"
SAMPLE_CSV = PACKAGE_DIR / CSV_NAME
PLANTED_PATTERNS_JSON = PACKAGE_DIR / PATTERNS_NAME

SOURCE = "conflictwatch synthetic sample (not ACLED data)"
NOTES_PREFIX = "SYNTHETIC EVENT - not a real incident."
SYNTHETIC_TAG = "synthetic"

COLUMNS = (
    "event_id_cnty", "event_date", "year", "time_precision", "disorder_type", "event_type",
    "sub_event_type", "actor1", "assoc_actor_1", "inter1", "actor2", "assoc_actor_2", "inter2",
    "interaction", "civilian_targeting", "iso", "region", "country", "admin1", "admin2", "admin3",
    "location", "latitude", "longitude", "geo_precision", "source", "source_scale", "notes",
    "fatalities", "tags", "timestamp",
)
GAZETTEER_COLUMNS = (
    "country", "iso3", "level", "admin1", "admin2", "seat", "variants", "latitude", "longitude",
)

JNIM = "JNIM: Group for Support of Islam and Muslims"
JNIM_FULL_NAME = "Jama'at Nusrat al-Islam wal-Muslimin"
ISSP = "Islamic State Sahel Province"


class GazetteerFormatError(ValueError):
    """A gazetteer CSV is missing or does not have the expected header."""


class PlantedPatternError(RuntimeError):
    """The generated rows do not carry a planted pattern at the promised size.

    Raised instead of writing a sample that would mislead the detector tests; it usually means
    the gazetteer lost a place the patterns need, or the generator's parameters were changed.
    """


@dataclass(frozen=True)
class Country:
    name: str
    iso3: str
    iso_numeric: int
    army: str  # how notes refer to the national army


COUNTRIES = (
    Country("Burkina Faso", "BFA", 854, "the Burkinabe army"),
    Country("Mali", "MLI", 466, "the Malian armed forces (FAMa)"),
    Country("Niger", "NER", 562, "the Nigerien armed forces (FAN)"),
)
COUNTRY_BY_ISO3 = {country.iso3: country for country in COUNTRIES}


# --------------------------------------------------------------------------- calendar helpers


def month_index(day: date) -> int:
    """Months since January 2018 (0 = 2018-01)."""
    return (day.year - FIRST_DAY.year) * 12 + day.month - 1


def month_start(index: int) -> date:
    return date(FIRST_DAY.year + index // 12, index % 12 + 1, 1)


def month_label(index: int) -> str:
    start = month_start(index)
    return f"{start.year:04d}-{start.month:02d}"


def year_fraction(index: int) -> float:
    """Mid-month position in years, e.g. 2018.04 for January 2018."""
    return FIRST_DAY.year + (index + 0.5) / 12


def interpolate(anchors: dict[float, float], when: float) -> float:
    """Linear interpolation between yearly anchors placed at mid-year; flat outside them."""
    years = sorted(anchors)
    return float(np.interp(when, [year + 0.5 for year in years], [anchors[y] for y in years]))


def unix_seconds(day: date) -> int:
    return calendar.timegm(day.timetuple())


def normalize(name: str) -> str:
    """Accent-, case- and punctuation-free key for matching place names."""
    stripped = unicodedata.normalize("NFKD", name)
    return "".join(ch for ch in stripped.lower() if ch.isalnum())


def stage_rng(stage: int, seed: int = SEED) -> np.random.Generator:
    """One independent stream per generation stage.

    Separate streams keep e.g. the monthly totals unchanged when the gazetteer gains a place.
    """
    return np.random.default_rng([seed, stage])


# --------------------------------------------------------------------------- gazetteer and places


@dataclass(frozen=True)
class Seat:
    """One row of the gazetteer: the seat of a national capital, admin1 or admin2 unit."""

    iso3: str
    level: str
    admin1: str
    admin2: str
    name: str
    variants: tuple[str, ...]
    latitude: float | None
    longitude: float | None


def load_gazetteer(gazetteer_dir: Path = GAZETTEER_DIR) -> list[Seat]:
    """Read ``{BFA,MLI,NER}.csv`` from ``gazetteer_dir`` in file order.

    Rows without coordinates are kept (they still name seats) with ``latitude=None``.
    """
    seats: list[Seat] = []
    for country in COUNTRIES:
        path = gazetteer_dir / f"{country.iso3}.csv"
        if not path.is_file():
            raise GazetteerFormatError(f"gazetteer file {path} is missing")
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            if tuple(reader.fieldnames or ()) != GAZETTEER_COLUMNS:
                raise GazetteerFormatError(
                    f"{path}: header must be {','.join(GAZETTEER_COLUMNS)}, got {reader.fieldnames}"
                )
            for row in reader:
                has_coordinates = bool(row["latitude"].strip() and row["longitude"].strip())
                seats.append(
                    Seat(
                        iso3=row["iso3"],
                        level=row["level"],
                        admin1=row["admin1"],
                        admin2=row["admin2"],
                        name=row["seat"],
                        variants=tuple(v for v in row["variants"].split("|") if v),
                        latitude=float(row["latitude"]) if has_coordinates else None,
                        longitude=float(row["longitude"]) if has_coordinates else None,
                    )
                )
    return seats


@dataclass(frozen=True)
class Place:
    """Where an event is recorded. ``tier`` follows the gazetteer's settlement tiers."""

    iso3: str
    admin1: str
    admin2: str
    admin3: str
    location: str
    latitude: float
    longitude: float
    tier: str  # national_capital | admin1_capital | admin2_capital | admin3_seat | other


@dataclass
class Admin2Unit:
    iso3: str
    admin1: str
    admin2: str
    seat: Place
    weight: float
    communes: list[Place] = field(default_factory=list)  # commune seats other than the admin2 seat
    villages: list[Place] = field(default_factory=list)


@dataclass
class Admin1Unit:
    iso3: str
    admin1: str
    capital: Place | None
    units: list[Admin2Unit] = field(default_factory=list)


# Real commune names (spelling with accents as commonly written) for the admin2 units where
# most of the violence happens; elsewhere names come from NameMaker. Keyed by normalized admin2.
CURATED_COMMUNES: dict[tuple[str, str], tuple[str, ...]] = {
    ("BFA", "soum"): ("Arbinda", "Baraboulé", "Diguel", "Kelbo", "Koutougou", "Nassoumbou",
                      "Pobé-Mengao", "Tongomayel"),
    ("BFA", "seno"): ("Bani", "Falagountou", "Gorgadji", "Sampelga", "Seytenga"),
    ("BFA", "oudalan"): ("Déou", "Markoye", "Oursi", "Tin-Akoff"),
    ("BFA", "yagha"): ("Boundoré", "Mansila", "Solhan", "Tankougounadié", "Titabé"),
    ("BFA", "sanmatenga"): ("Barsalogho", "Boussouma", "Dablo", "Korsimoro", "Mané",
                            "Namissiguima", "Pensa", "Pibaoré", "Pissila", "Ziga"),
    ("BFA", "bam"): ("Bourzanga", "Guibaré", "Nasséré", "Rollo", "Rouko", "Sabcé", "Tikaré",
                     "Zimtenga"),
    ("BFA", "namentenga"): ("Boala", "Bouroum", "Dargo", "Nagbingou", "Tougouri", "Yalgo",
                            "Zéguédéguin"),
    ("BFA", "loroum"): ("Banh", "Ouindigui", "Sollé"),
    ("BFA", "yatenga"): ("Barga", "Kaïn", "Kalsaka", "Kossouka", "Koumbri", "Oula", "Rambo",
                         "Séguénéga", "Tangaye", "Thiou", "Zogoré"),
    ("BFA", "gourma"): ("Diabo", "Diapangou", "Matiacoali", "Tibga", "Yamba"),
    ("BFA", "tapoa"): ("Botou", "Kantchari", "Logobou", "Namounou", "Partiaga", "Tambaga",
                       "Tansarga"),
    ("BFA", "komondjari"): ("Bartiébougou", "Foutouri"),
    ("BFA", "gnagna"): ("Bilanga", "Coalla", "Liptougou", "Manni", "Piéla", "Thion"),
    ("BFA", "kompienga"): ("Kompienga", "Madjoari"),
    ("BFA", "kossi"): ("Barani", "Bomborokuy", "Djibasso", "Dokuy", "Doumbala", "Kombori",
                       "Madouba", "Sono"),
    ("BFA", "sourou"): ("Di", "Gomboro", "Kassoum", "Kiembara", "Lanfiéra", "Lankoué", "Toéni"),
    ("BFA", "mouhoun"): ("Bondokuy", "Douroula", "Kona", "Ouarkoye", "Safané", "Tchériba"),
    ("BFA", "banwa"): ("Balavé", "Kouka", "Sami", "Sanaba", "Tansila"),
    ("MLI", "niono"): ("Diabaly", "Dogofry", "Kala-Siguida", "Mariko", "Nampala", "Pogo",
                       "Siribala", "Sokolo", "Toridaga-Ko", "Yérédon Saniona"),
    ("MLI", "macina"): ("Boky-Wéré", "Folomana", "Kokry", "Kolongo", "Matomo", "Monimpébougou",
                        "Saloba", "Sana", "Souleye"),
    ("MLI", "segou"): ("Cinzana", "Dioro", "Farako", "Katiéna", "Markala", "Pélengana",
                       "Sakoïba", "Sansanding", "Sébougou", "Soignébougou"),
    ("MLI", "mopti"): ("Borondougou", "Dialloubé", "Fatoma", "Konna", "Korombana", "Kounari",
                       "Ouro Modi", "Ouroubé Doudé", "Sasalbé", "Sio", "Socoura", "Soye"),
    ("MLI", "tenenkou"): ("Diafarabé", "Diaka", "Diondiori", "Karéri", "Ouro Ardo", "Ouro Guiré",
                          "Sougoulbé", "Togoro Kotia", "Toguéré Coumbé"),
    ("MLI", "djenne"): ("Dandougou Fakala", "Fakala", "Femaye", "Kéwa", "Madiama", "Niansanarié",
                        "Ouro Ali", "Pondori", "Togué Mourari"),
    ("MLI", "bandiagara"): ("Bara Sara", "Doucombo", "Dourou", "Kendié", "Ondougou", "Pignari",
                            "Sangha", "Ségué Iré", "Wadouba"),
    ("MLI", "bankass"): ("Baye", "Diallassagou", "Dimbal Habbé", "Kani Bonzon", "Koulogon Habbé",
                         "Ouonkoro", "Ségué", "Sokoura", "Soubala", "Tori"),
    ("MLI", "koro"): ("Bamba", "Bondo", "Diankabou", "Dinangourou", "Dioungani", "Koporo Pen",
                      "Madougou", "Pel Maoudé", "Yoro", "Youdiou"),
    ("MLI", "douentza"): ("Boni", "Dallah", "Djaptodji", "Gandamia", "Haïré", "Hombori",
                          "Kéréna", "Mondoro", "Pétaka", "Tédié"),
    ("MLI", "youwarou"): ("Bimbéré Tama", "Déboye", "Dirma", "Dongo", "Farimaké", "N'Dodjiga"),
    ("MLI", "kayes"): ("Diamou", "Hawa Dembaya", "Kéméné Tambo", "Liberté Dembaya", "Logo",
                       "Sadiola", "Samé Diomgoma", "Ségala", "Séro Diamanou"),
    ("MLI", "nioro"): ("Baniré Koré", "Diarrah", "Gavinané", "Gogui", "Guétéma",
                       "Kadiaba Kadiel", "Koréra Koré", "Sandaré", "Troungoumbé", "Youri"),
    ("MLI", "gourmarharous"): ("Bambara Maoudé", "Banikane", "Gossi", "Hanzakoma",
                               "Inadiatafane", "Ouinerden", "Séréré"),
    ("MLI", "ansongo"): ("Bara", "Bourra", "Ouattagouna", "Talataye", "Tessit", "Tin-Hama"),
    ("NER", "tera"): ("Diagourou", "Gorouol", "Kokorou", "Méhana"),
    ("NER", "tillaberi"): ("Anzourou", "Bibiyergou", "Dessa", "Kourteye", "Sakoïra", "Sinder"),
    ("NER", "ouallam"): ("Dingazi", "Simiri", "Tondikiwindi"),
    ("NER", "ayorou"): ("Inatès",),
    ("NER", "gotheye"): ("Dargol",),
    ("NER", "torodi"): ("Makalondi",),
    ("NER", "say"): ("Ouro Guéladjo", "Tamou"),
    ("NER", "abala"): ("Sanam",),
    ("NER", "filingue"): ("Imanan", "Kourfey Centre", "Tondikandia"),
    ("NER", "kollo"): ("Bitinkodji", "Diantchandou", "Hamdallaye", "Karma", "Kirtachi", "Kouré",
                       "Liboré", "N'Dounga", "Namaro"),
    ("NER", "abalak"): ("Akoubounou", "Azèye", "Tabalak", "Tamaya"),
    ("NER", "tchintabaraden"): ("Kao",),
    ("NER", "bouza"): ("Allakaye", "Babankatami", "Déoulé", "Karofane", "Tabotaki", "Tama"),
    ("NER", "madaoua"): ("Bangui", "Galma Koudawatché", "Ourno", "Sabon Guida"),
    ("NER", "illela"): ("Badaguichiri", "Tajaé"),
    ("NER", "keita"): ("Garhanga", "Ibohamane", "Tamaské"),
    ("NER", "bosso"): ("Toumour",),
    ("NER", "diffa"): ("Chétimari", "Gueskérou"),
    ("NER", "mainesoroa"): ("Foulatari", "N'Guelbély"),
    ("NER", "nguigmi"): ("Kablewa",),
}

# Approximate real coordinates for two commune seats that planted events name; other commune
# seats sit at a random bearing 8-30 km from their admin2 seat.
PLACE_COORDINATES: dict[tuple[str, str], tuple[float, float]] = {
    ("BFA", "barsalogho"): (13.42, -1.06),
    ("NER", "makalondi"): (12.83, 1.68),
}

# Extra villages that planted events need: (iso3, admin2, commune, village, lat, lon).
NAMED_VILLAGES = (
    ("MLI", "Kayes", "Diamou", "Diboli", 14.47, -12.20),
    ("MLI", "Tenenkou", "Karéri", "Dioura", 14.82, -5.23),
)

# Syllables for plausible-looking invented names (Moore/Fulfulde/Gulmancema-like for Burkina
# Faso, Bambara/Fulfulde/Soninke-like for Mali, Zarma/Hausa/Tamasheq-like for Niger).
SYLLABLES: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "BFA": (
        ("Ba", "Bou", "Da", "Di", "Ga", "Gou", "Ka", "Kou", "Ko", "La", "Ma", "Na", "Ni", "Ou",
         "Pa", "Pi", "Sa", "Si", "So", "Ta", "Ti", "To", "Wa", "Ya", "Za", "Zi", "Kam", "Tan",
         "Sam", "Lan", "Nam", "Kal", "Bar", "Kel", "Sol", "Ton"),
        ("", "", "", "ba", "bo", "da", "di", "ga", "gou", "ko", "la", "lo", "ma", "na", "ri",
         "sa", "si", "ta", "ti", "ya", "ré", "bé", "dé"),
        ("go", "gou", "ghin", "ga", "tenga", "ré", "bo", "ba", "dougou", "koum", "lé", "sé",
         "bila", "gho", "mbo", "ri", "doré", "yalé", "kuy", "boré", "ssa", "nga"),
    ),
    "MLI": (
        ("Ba", "Bou", "Da", "Dia", "Djé", "Do", "Fa", "Ka", "Ké", "Ko", "Kou", "Ma", "Mo", "Na",
         "Nia", "Sa", "Sé", "Si", "So", "Ta", "Té", "Ti", "To", "Tou", "Ya", "Yo", "Ga", "Sin",
         "Kan", "Sam", "Dan", "Mar"),
        ("", "", "", "ba", "bou", "da", "fa", "ka", "ko", "la", "lo", "ma", "na", "ra", "ri",
         "sa", "ta", "gou", "ni"),
        ("bougou", "koro", "dougou", "ni", "ba", "ré", "na", "kala", "la", "sso", "ké", "bé",
         "gui", "wéré", "djan", "kou", "dala", "bala", "ri", "nké"),
    ),
    "NER": (
        ("Ab", "Ba", "Bi", "Da", "Dan", "Gou", "Ga", "Ka", "Kou", "Ko", "Ma", "Na", "Sa", "Si",
         "Ta", "Ti", "Tchi", "Tou", "Zar", "In", "Ar", "Bir", "Gar", "Kar", "Tam", "Yé"),
        ("", "", "", "ba", "da", "ga", "go", "ka", "ko", "la", "ma", "na", "ra", "ri", "ta",
         "za", "di"),
        ("bangou", "kiré", "gorou", "rey", "dji", "tan", "zou", "koira", "ganda", "wa", "da",
         "ka", "tess", "dey", "gol", "rou", "bey", "dawa", "kaï"),
    ),
}
# Village name prefixes seen across the region: "Ouro" (Fulfulde, hamlet), "Sabon" (Hausa, new),
# "Tin-" (Tamasheq), "N'" (Gulmancema, Bambara).
NAME_PREFIXES = {"BFA": ("N'", "Ouro "), "MLI": ("N'", "Ouro "), "NER": ("Sabon ", "Tin-", "N'")}

# Within an admin1, where violence concentrates (multiplies a random base weight).
ADMIN2_HOTSPOTS: dict[str, dict[str, float]] = {
    "BFA": {"soum": 3.0, "oudalan": 2.5, "seno": 2.0, "yagha": 2.5, "loroum": 2.5,
            "yatenga": 1.5, "sanmatenga": 2.5, "bam": 2.0, "namentenga": 2.0, "gourma": 2.0,
            "tapoa": 2.5, "kompienga": 2.0, "komondjari": 2.0, "gnagna": 2.0, "kossi": 2.0,
            "sourou": 2.5, "banwa": 1.5, "koulpelogo": 1.5},
    "MLI": {"bandiagara": 2.5, "bankass": 2.5, "koro": 2.5, "douentza": 2.5, "djenne": 1.5,
            "tenenkou": 2.0, "youwarou": 1.5, "niono": 2.5, "macina": 2.0, "tominian": 1.2,
            "ansongo": 2.0, "gao": 1.5, "bourem": 1.5, "menaka": 2.0, "anderamboukane": 2.0,
            "gourmarharous": 2.0, "niafunke": 2.0, "goundam": 1.5, "kidal": 1.5},
    "NER": {"tera": 2.5, "tillaberi": 1.5, "ouallam": 2.0, "banibangou": 2.0, "abala": 2.0,
            "ayorou": 2.0, "bankilare": 2.0, "torodi": 2.5, "gotheye": 2.0, "say": 1.2,
            "tillia": 2.5, "tassara": 2.0, "tchintabaraden": 1.2, "bosso": 2.5, "diffa": 2.0,
            "mainesoroa": 1.5, "nguigmi": 1.5, "madarounfa": 1.5, "guidanroumdji": 1.5},
}


class NameMaker:
    """Invents unique, plausible-looking place names from per-country syllables."""

    def __init__(self, iso3: str, rng: np.random.Generator, taken: set[str]) -> None:
        self._starts, self._middles, self._ends = SYLLABLES[iso3]
        self._prefixes = NAME_PREFIXES[iso3]
        self._rng = rng
        self._taken = taken  # normalized names already used; only ever tested for membership

    def claim(self, name: str) -> bool:
        """Reserve ``name``; False if it (or a spelling of it) is already taken."""
        key = normalize(name)
        if key in self._taken:
            return False
        self._taken.add(key)
        return True

    def new(self) -> str:
        rng = self._rng
        while True:
            name = (self._starts[rng.integers(len(self._starts))]
                    + self._middles[rng.integers(len(self._middles))]
                    + self._ends[rng.integers(len(self._ends))])
            if rng.random() < 0.06:
                prefix = self._prefixes[rng.integers(len(self._prefixes))]
                name = prefix + (name if prefix.endswith(" ") else name.lower().capitalize())
            if 4 <= len(name) <= 16 and self.claim(name):
                return name


def offset(latitude: float, longitude: float, rng: np.random.Generator,
           min_km: float, max_km: float) -> tuple[float, float]:
    """A point at a random bearing, ``min_km``-``max_km`` kilometres away."""
    bearing = rng.random() * 2 * math.pi
    distance = min_km + (max_km - min_km) * math.sqrt(rng.random())
    d_lat = distance * math.cos(bearing) / 111.32
    d_lon = distance * math.sin(bearing) / (111.32 * math.cos(math.radians(latitude)))
    return round(latitude + d_lat, 4), round(longitude + d_lon, 4)


class Geography:
    """Admin units, their seats, invented commune seats and villages, built from the gazetteer."""

    # Commune counts per admin2 (besides the seat's own commune) when no curated list exists.
    COMMUNE_RANGE = {"BFA": (4, 7), "MLI": (5, 9), "NER": (2, 5)}

    def __init__(self, seats: Sequence[Seat], rng: np.random.Generator) -> None:
        self.seats = list(seats)
        self.admin1s: dict[tuple[str, str], Admin1Unit] = {}
        self.skipped_admin2: list[str] = []
        taken = {normalize(name) for seat in seats for name in (seat.name, *seat.variants)}
        for country in COUNTRIES:
            self._build_country(country.iso3, rng, taken)

    def _tier_of(self, iso3: str, name: str, admin1: str) -> str:
        levels = [s.level for s in self.seats if s.iso3 == iso3 and s.name == name
                  and (s.level == "national_capital" or s.admin1 == admin1)]
        for level in ("national_capital", "admin1_capital", "admin2_capital"):
            if level in levels:
                return level
        return "admin3_seat"

    def _seat_place(self, seat: Seat) -> Place:
        assert seat.latitude is not None and seat.longitude is not None
        return Place(seat.iso3, seat.admin1, seat.admin2, seat.name, seat.name, seat.latitude,
                     seat.longitude, self._tier_of(seat.iso3, seat.name, seat.admin1))

    def _build_country(self, iso3: str, rng: np.random.Generator, taken: set[str]) -> None:
        names = NameMaker(iso3, rng, taken)
        rows = [s for s in self.seats if s.iso3 == iso3]
        for seat in rows:
            if seat.level == "admin1_capital":
                capital = self._seat_place(seat) if seat.latitude is not None else None
                self.admin1s[(iso3, seat.admin1)] = Admin1Unit(iso3, seat.admin1, capital)
        admin2_rows = [s for s in rows if s.level == "admin2_capital"]
        per_admin1: dict[str, int] = defaultdict(int)
        for seat in admin2_rows:
            per_admin1[seat.admin1] += 1
        national = next((s.name for s in rows if s.level == "national_capital"), None)
        hotspots = ADMIN2_HOTSPOTS.get(iso3, {})
        for seat in admin2_rows:
            if seat.latitude is None:
                self.skipped_admin2.append(f"{iso3}/{seat.admin1}/{seat.admin2}")
                continue
            admin1 = self.admin1s.setdefault(
                (iso3, seat.admin1), Admin1Unit(iso3, seat.admin1, None))
            weight = float(rng.lognormal(0.0, 0.45)) * hotspots.get(normalize(seat.admin2), 1.0)
            unit = Admin2Unit(iso3, seat.admin1, seat.admin2, self._seat_place(seat), weight)
            admin1.units.append(unit)
            # A capital that is its admin1's only unit (Ouagadougou, Bamako, Niamey) is recorded
            # as the city itself, as ACLED does, so it gets no invented communes.
            if per_admin1[seat.admin1] == 1 and seat.name == national:
                continue
            self._add_communes(unit, names, rng)

    def _add_communes(self, unit: Admin2Unit, names: NameMaker,
                      rng: np.random.Generator) -> None:
        iso3 = unit.iso3
        curated = [n for n in CURATED_COMMUNES.get((iso3, normalize(unit.admin2)), ())
                   if names.claim(n)]
        low, high = self.COMMUNE_RANGE[iso3]
        wanted = int(rng.integers(low, high + 1))
        commune_names = curated + [names.new() for _ in range(max(0, wanted - len(curated)))]
        seat = unit.seat
        for name in commune_names:
            known = PLACE_COORDINATES.get((iso3, normalize(name)))
            lat, lon = known if known else offset(seat.latitude, seat.longitude, rng, 8.0, 30.0)
            unit.communes.append(
                Place(iso3, unit.admin1, unit.admin2, name, name, lat, lon, "admin3_seat"))
        for commune in [seat, *unit.communes]:
            for _ in range(int(rng.integers(2, 6))):
                # Beyond 5 km, so that distance-based tiering does not mistake a village for
                # the seat next to it.
                lat, lon = offset(commune.latitude, commune.longitude, rng, 5.5, 14.0)
                unit.villages.append(Place(iso3, unit.admin1, unit.admin2, commune.admin3,
                                           names.new(), lat, lon, "other"))
        for v_iso3, v_admin2, v_commune, v_name, lat, lon in NAMED_VILLAGES:
            if v_iso3 == iso3 and normalize(v_admin2) == normalize(unit.admin2) \
                    and names.claim(v_name):
                commune = next((c.admin3 for c in unit.communes
                                if normalize(c.admin3) == normalize(v_commune)), seat.admin3)
                unit.villages.append(Place(iso3, unit.admin1, unit.admin2, commune, v_name,
                                           lat, lon, "other"))

    def admin1_names(self, iso3: str) -> list[str]:
        """Admin1 units that can host events (they have a capital or a located admin2 seat)."""
        return [a.admin1 for (i, _), a in self.admin1s.items()
                if i == iso3 and (a.capital is not None or a.units)]

    def find(self, iso3: str, admin2: str, location: str) -> Place:
        """The seat, commune seat or village called ``location`` in ``admin2``."""
        for admin1 in self.admin1s.values():
            for unit in admin1.units:
                if unit.iso3 != iso3 or normalize(unit.admin2) != normalize(admin2):
                    continue
                for place in (unit.seat, *unit.communes, *unit.villages):
                    if normalize(place.location) == normalize(location):
                        return place
        raise PlantedPatternError(
            f"planted place {location!r} in {iso3}/{admin2} is not in the gazetteer-derived "
            "places; check forecasting/gazetteer/data")

    def coded_place(self, village: Place, geo_precision: int) -> Place:
        """Where an event in ``village`` is coded when the village is unknown: its commune seat
        (geo_precision 2) or its provincial capital (3)."""
        unit = next(u for u in self.admin1s[(village.iso3, village.admin1)].units if u.admin2 == village.admin2)
        if geo_precision == 3:
            return unit.seat
        return next((c for c in unit.communes if c.admin3 == village.admin3), unit.seat)

    def pick(self, iso3: str, admin1: str, tier: str, rng: np.random.Generator) -> Place:
        """A place of roughly the requested tier in ``admin1``, falling back to what exists."""
        unit_group = self.admin1s[(iso3, admin1)]
        units = unit_group.units
        if tier in ("national_capital", "admin1_capital") or not units:
            if unit_group.capital is not None:
                return unit_group.capital
            tier = "admin2_capital"
        if tier == "admin2_capital":
            capital_name = unit_group.capital.location if unit_group.capital else None
            candidates = [u for u in units if u.seat.location != capital_name] or units
        else:
            candidates = units
        weights = np.array([u.weight for u in candidates])
        unit = candidates[int(rng.choice(len(candidates), p=weights / weights.sum()))]
        if tier == "admin2_capital" or not unit.villages:
            return unit.seat
        if tier == "admin3_seat" and unit.communes:
            return unit.communes[int(rng.integers(len(unit.communes)))]
        return unit.villages[int(rng.integers(len(unit.villages)))]


# --------------------------------------------------------------------------- actors and scenarios

INTER_NAMES = {1: "State forces", 2: "Rebel group", 3: "Political militia",
               4: "Identity militia", 5: "Rioters", 6: "Protesters", 7: "Civilians",
               8: "External/Other forces"}


def military(iso3: str, day: date) -> str:
    """ACLED names state forces by regime period."""
    if iso3 == "BFA":
        return ("Military Forces of Burkina Faso (2015-2022)" if day < date(2022, 1, 24)
                else "Military Forces of Burkina Faso (2022-)")
    if iso3 == "MLI":
        if day < date(2020, 8, 18):
            return "Military Forces of Mali (2013-2020)"
        if day < date(2021, 5, 24):
            return "Military Forces of Mali (2020-2021)"
        return "Military Forces of Mali (2021-)"
    if day < date(2021, 4, 2):
        return "Military Forces of Niger (2011-2021)"
    if day < date(2023, 7, 26):
        return "Military Forces of Niger (2021-2023)"
    return "Military Forces of Niger (2023-)"


def actor_name(role: str, iso3: str, day: date) -> tuple[str, int]:
    """(ACLED actor name, inter code) for an actor role in a country on a day."""
    country = COUNTRY_BY_ISO3[iso3].name
    if role == "military":
        return military(iso3, day), 1
    if role == "azawad":
        # The northern coalition regrouped as the CSP in 2023 and fought the army from August.
        if day < date(2023, 8, 1):
            return "CMA: Coordination of Azawad Movements", 2
        return "CSP-DPA: Permanent Strategic Framework for the Defense of the People of Azawad", 2
    fixed = {
        "jnim": (JNIM, 2),
        "issp": (ISSP, 2),
        "iswap": ("Islamic State West Africa Province", 2),
        "boko_haram": ("Boko Haram - Jamaatu Ahli is-Sunnah lid-Dawati wal-Jihad", 2),
        "vdp": ("VDP: Volunteers for the Defense of the Homeland", 3),
        "koglweogo": ("Koglweogo Militia", 4),
        "dozo": ("Dozo Communal Militia (Mali)", 4),
        "dan_na_ambassagou": ("Dan Na Ambassagou", 4),
        "unidentified": (f"Unidentified Armed Group ({country})", 3),
        "rioters": (f"Rioters ({country})", 5),
        "protesters": (f"Protesters ({country})", 6),
        "civilians": (f"Civilians ({country})", 7),
        "france": ("Military Forces of France", 8),
        "minusma": ("MINUSMA: United Nations Multidimensional Integrated Stabilization "
                    "Mission in Mali", 8),
    }
    return fixed[role]


def interaction(inter1: int, inter2: int) -> str:
    """ACLED's interaction label: lower code first, "X only" for one-sided events."""
    if inter2 == 0:
        return f"{INTER_NAMES[inter1]} only"
    low, high = sorted((inter1, inter2))
    return f"{INTER_NAMES[low]}-{INTER_NAMES[high]}"


def associated_actor(role: str, iso3: str, day: date, rng: np.random.Generator) -> str:
    """Partners that ACLED lists alongside the main actor, where they were present."""
    if role == "military":
        if iso3 == "MLI":
            if date(2022, 1, 1) <= day < date(2025, 6, 1) and rng.random() < 0.35:
                return "Wagner Group"
            if day >= date(2025, 6, 1) and rng.random() < 0.35:
                return "Africa Corps"
            if day < date(2022, 8, 15) and rng.random() < 0.08:
                return "Military Forces of France"
        if iso3 == "BFA" and day >= date(2020, 2, 1) and rng.random() < 0.3:
            return "VDP: Volunteers for the Defense of the Homeland"
        if iso3 == "NER" and day < date(2023, 8, 1) and rng.random() < 0.05:
            return "Military Forces of France"
        return ""
    if role == "civilians" and rng.random() < 0.35:
        options = CIVILIAN_GROUPS[iso3]
        return options[int(rng.integers(len(options)))]
    if role == "protesters" and rng.random() < 0.5:
        options = PROTEST_GROUPS[iso3]
        return options[int(rng.integers(len(options)))]
    return ""


CIVILIAN_GROUPS = {
    "BFA": ("Fulani Ethnic Group (Burkina Faso)", "Mossi Ethnic Group (Burkina Faso)",
            "Christian Group (Burkina Faso)", "Muslim Group (Burkina Faso)",
            "Women (Burkina Faso)", "Farmers (Burkina Faso)", "Teachers (Burkina Faso)"),
    "MLI": ("Fulani Ethnic Group (Mali)", "Dogon Ethnic Group (Mali)",
            "Bambara Ethnic Group (Mali)", "Tuareg Ethnic Group (Mali)", "Women (Mali)",
            "Farmers (Mali)", "Traders (Mali)"),
    "NER": ("Fulani Ethnic Group (Niger)", "Zarma Ethnic Group (Niger)",
            "Tuareg Ethnic Group (Niger)", "Women (Niger)", "Farmers (Niger)", "Traders (Niger)"),
}
PROTEST_GROUPS = {
    "BFA": ("Students (Burkina Faso)", "Women (Burkina Faso)", "Labor Group (Burkina Faso)",
            "Traders (Burkina Faso)"),
    "MLI": ("Students (Mali)", "Women (Mali)", "Labor Group (Mali)", "Traders (Mali)"),
    "NER": ("Students (Niger)", "Women (Niger)", "Labor Group (Niger)", "Traders (Niger)"),
}

BATTLES = ("Political violence", "Battles")
POLITICAL_VIOLENCE_TYPES = ("Battles", "Violence against civilians", "Explosions/Remote violence")
VIOLENCE_AGAINST_CIVILIANS = ("Political violence", "Violence against civilians")
EXPLOSIONS = ("Political violence", "Explosions/Remote violence")
STRATEGIC = ("Strategic developments", "Strategic developments")
PROTESTS = ("Demonstrations", "Protests")
RIOTS = ("Demonstrations", "Riots")

# sub_event_type -> (relative lethality of a lethal event, probability the event kills anyone)
LETHALITY = {
    "Armed clash": (1.0, 0.75),
    "Attack": (0.8, 0.8),
    "Abduction/forced disappearance": (0.1, 0.08),
    "Remote explosive/landmine/IED": (0.6, 0.55),
    "Air/drone strike": (0.9, 0.8),
    "Shelling/artillery/missile attack": (0.3, 0.3),
    "Looting/property destruction": (0.1, 0.1),
    "Peaceful protest": (0.0, 0.0),
    "Violent demonstration": (0.1, 0.05),
    "Mob violence": (0.3, 0.5),
    "Excessive force against protesters": (0.5, 0.5),
}

# Where events of a kind happen, by settlement tier:
# (admin1 capital, admin2 capital, commune seat, other place).
TIER_PROFILES = {
    "armed": (0.04, 0.08, 0.22, 0.66),
    "remote": (0.01, 0.03, 0.16, 0.80),
    "looting": (0.01, 0.05, 0.24, 0.70),
    "urban": (0.65, 0.30, 0.05, 0.00),
    # Planted tier shift: JNIM in Burkina Faso before and from January 2025.
    "bf_jnim_before": (0.03, 0.07, 0.20, 0.70),
    "bf_jnim_2025": (0.03, 0.25, 0.35, 0.37),
}
TIERS = ("admin1_capital", "admin2_capital", "admin3_seat", "other")
TIER_SHIFT_START = date(2025, 1, 1)

# Shares of Burkina Faso's monthly JNIM (actor1) fatalities by tier; allocated exactly each
# month so the run-rate pattern holds by construction rather than by luck.
BF_JNIM_FATALITY_SHARES = {
    "before": {"admin1_capital": 0.03, "admin2_capital": 0.06, "admin3_seat": 0.16},
    "2025": {"admin1_capital": 0.03, "admin2_capital": 0.33, "admin3_seat": 0.42},
}


@dataclass(frozen=True)
class Scenario:
    """A kind of event: who acts on whom, how, where, and how often over time.

    ``weights`` are yearly anchors (relative frequency within a country); ``affinity`` multiplies
    the country's admin1 weights by normalized admin1 name, ``"*"`` being the default.
    """

    key: str
    category: tuple[str, str]  # (disorder_type, event_type)
    sub_event_type: str
    actor1: str
    actor2: str | None
    weights: dict[str, dict[float, float]]
    tier_profile: str = "armed"
    affinity: dict[str, dict[str, float]] = field(default_factory=dict)
    active_from: date = FIRST_DAY
    active_until: date = LAST_DAY
    disorder_override: str | None = None

    @property
    def disorder_type(self) -> str:
        return self.disorder_override or self.category[0]

    @property
    def is_demonstration(self) -> bool:
        return self.category[1] in ("Protests", "Riots")


ISSP_AFFINITY = {
    "BFA": {"sahel": 4.0, "est": 1.0, "nord": 0.2, "centrenord": 0.3, "*": 0.0},
    "MLI": {"menaka": 4.0, "gao": 3.0, "timbuktu": 0.3, "mopti": 0.1, "*": 0.0},
    "NER": {"tillaberi": 1.0, "tahoua": 1.8, "dosso": 0.2, "*": 0.0},
}
JNIM_NIGER = {"NER": {"tillaberi": 1.0, "dosso": 1.5, "tahoua": 0.1, "*": 0.0}}
NORTH_MALI = {"MLI": {"kidal": 3.0, "gao": 1.0, "timbuktu": 1.5, "menaka": 0.5, "*": 0.0}}
NO_CAPITALS = {"BFA": {"centre": 0.0}, "MLI": {"bamako": 0.0}, "NER": {"niamey": 0.0}}

SCENARIOS: tuple[Scenario, ...] = (
    Scenario("jnim_clash_military", BATTLES, "Armed clash", "jnim", "military",
             {"BFA": {2018: 12, 2020: 14, 2022: 18, 2024: 20},
              "MLI": {2018: 16, 2020: 18, 2022: 20, 2024: 22},
              "NER": {2018: 3, 2020: 6, 2022: 9, 2024: 12}},
             affinity={**JNIM_NIGER, "MLI": {"kidal": 0.3, "menaka": 0.4, "*": 1.0}}),
    Scenario("jnim_clash_vdp", BATTLES, "Armed clash", "jnim", "vdp",
             {"BFA": {2020: 6, 2022: 9}}, active_from=date(2020, 2, 1)),
    Scenario("jnim_clash_dozo", BATTLES, "Armed clash", "jnim", "dozo",
             {"MLI": {2018: 4, 2020: 5, 2022: 4}},
             affinity={"MLI": {"mopti": 1.0, "segou": 1.3, "*": 0.0}}),
    Scenario("jnim_clash_dan_na_ambassagou", BATTLES, "Armed clash", "jnim", "dan_na_ambassagou",
             {"MLI": {2018: 3, 2020: 4, 2022: 2, 2024: 1}},
             affinity={"MLI": {"mopti": 1.0, "*": 0.0}}),
    Scenario("jnim_clash_issp", BATTLES, "Armed clash", "jnim", "issp",
             {"BFA": {2020: 2, 2022: 1.5, 2024: 1}, "MLI": {2018: 0.5, 2020: 3, 2024: 2},
              "NER": {2020: 1}},
             affinity={"BFA": {"sahel": 2.0, "est": 1.0, "*": 0.0},
                       "MLI": {"mopti": 0.5, "gao": 2.0, "menaka": 2.0, "timbuktu": 1.0,
                               "*": 0.0},
                       "NER": {"tillaberi": 1.0, "*": 0.0}},
             active_from=date(2019, 7, 1)),
    Scenario("jnim_attack_civilians", VIOLENCE_AGAINST_CIVILIANS, "Attack", "jnim", "civilians",
             {"BFA": {2018: 10, 2020: 14, 2022: 15, 2024: 16}, "MLI": {2018: 10, 2020: 12},
              "NER": {2018: 2, 2020: 4, 2024: 7}},
             affinity=JNIM_NIGER),
    Scenario("jnim_abduction", VIOLENCE_AGAINST_CIVILIANS, "Abduction/forced disappearance",
             "jnim", "civilians",
             {"BFA": {2018: 4, 2024: 5}, "MLI": {2018: 5, 2024: 6}, "NER": {2018: 1, 2024: 2}},
             affinity=JNIM_NIGER),
    Scenario("jnim_ied", EXPLOSIONS, "Remote explosive/landmine/IED", "jnim", "military",
             {"BFA": {2018: 6, 2020: 8, 2022: 6}, "MLI": {2018: 9, 2020: 8, 2024: 6},
              "NER": {2018: 1, 2024: 2}},
             tier_profile="remote", affinity=JNIM_NIGER),
    Scenario("jnim_ied_minusma", EXPLOSIONS, "Remote explosive/landmine/IED", "jnim", "minusma",
             {"MLI": {2018: 3, 2020: 2, 2022: 2, 2023: 1}},
             tier_profile="remote",
             affinity={"MLI": {"kidal": 2.0, "gao": 1.0, "timbuktu": 1.0, "mopti": 1.0,
                               "menaka": 1.0, "*": 0.0}},
             active_until=date(2023, 12, 31)),
    Scenario("jnim_shelling", EXPLOSIONS, "Shelling/artillery/missile attack", "jnim", "military",
             {"BFA": {2018: 1}, "MLI": {2018: 3}}, tier_profile="remote",
             affinity={"MLI": {"bamako": 0.0, "kayes": 0.0, "*": 1.0}}),
    Scenario("jnim_looting", STRATEGIC, "Looting/property destruction", "jnim", "civilians",
             {"BFA": {2018: 4, 2022: 6, 2024: 7}, "MLI": {2018: 4, 2024: 6},
              "NER": {2018: 1, 2024: 2}},
             tier_profile="looting", affinity=JNIM_NIGER),
    Scenario("military_offensive", BATTLES, "Armed clash", "military", "jnim",
             {"BFA": {2018: 2, 2022: 4, 2024: 5}, "MLI": {2018: 2, 2022: 4},
              "NER": {2018: 1, 2024: 2}},
             affinity={**NO_CAPITALS, **JNIM_NIGER}),
    Scenario("issp_clash_military", BATTLES, "Armed clash", "issp", "military",
             {"BFA": {2018: 4, 2020: 6, 2022: 5, 2024: 4}, "MLI": {2018: 5, 2020: 5, 2024: 3},
              "NER": {2018: 14, 2020: 16, 2022: 12}},
             affinity=ISSP_AFFINITY),
    Scenario("issp_attack_civilians", VIOLENCE_AGAINST_CIVILIANS, "Attack", "issp", "civilians",
             {"BFA": {2018: 3, 2020: 4, 2022: 4, 2024: 3},
              "MLI": {2018: 4, 2021: 5, 2022: 8, 2023: 7, 2024: 4},
              "NER": {2018: 10, 2020: 14, 2021: 16, 2024: 12}},
             affinity=ISSP_AFFINITY),
    Scenario("iswap_clash_military", BATTLES, "Armed clash", "iswap", "military",
             {"NER": {2018: 10, 2020: 8, 2022: 6, 2024: 5}},
             affinity={"NER": {"diffa": 1.0, "*": 0.0}}),
    Scenario("boko_haram_attack_civilians", VIOLENCE_AGAINST_CIVILIANS, "Attack", "boko_haram",
             "civilians", {"NER": {2018: 8, 2020: 6, 2022: 4, 2024: 3}},
             affinity={"NER": {"diffa": 1.0, "*": 0.0}}),
    Scenario("azawad_clash_military", BATTLES, "Armed clash", "azawad", "military",
             {"MLI": {2023: 4, 2024: 5, 2025: 3}}, affinity=NORTH_MALI,
             active_from=date(2023, 8, 15)),
    Scenario("azawad_clash_issp", BATTLES, "Armed clash", "azawad", "issp",
             {"MLI": {2018: 3, 2020: 1.5, 2022: 3, 2023: 1}},
             affinity={"MLI": {"menaka": 3.0, "gao": 1.0, "kidal": 0.5, "*": 0.0}},
             active_until=date(2023, 7, 31)),
    Scenario("military_attack_civilians", VIOLENCE_AGAINST_CIVILIANS, "Attack", "military",
             "civilians",
             {"BFA": {2018: 3, 2020: 5, 2022: 4, 2024: 5},
              "MLI": {2018: 3, 2020: 4, 2022: 8, 2023: 6, 2024: 5},
              "NER": {2018: 2, 2020: 3}},
             affinity=NO_CAPITALS),
    Scenario("vdp_attack_civilians", VIOLENCE_AGAINST_CIVILIANS, "Attack", "vdp", "civilians",
             {"BFA": {2020: 1.5, 2022: 3}}, affinity=NO_CAPITALS, active_from=date(2020, 2, 1)),
    Scenario("military_air_strike", EXPLOSIONS, "Air/drone strike", "military", "jnim",
             {"BFA": {2018: 0.3, 2020: 0.5, 2022: 3, 2023: 5, 2024: 6},
              "MLI": {2018: 1, 2021: 1, 2022: 3, 2023: 5, 2024: 6},
              "NER": {2018: 0.5, 2022: 1, 2023: 2, 2024: 4}},
             tier_profile="remote", affinity={**NO_CAPITALS, **JNIM_NIGER}),
    Scenario("military_air_strike_azawad", EXPLOSIONS, "Air/drone strike", "military", "azawad",
             {"MLI": {2023: 2, 2024: 4, 2025: 2}}, tier_profile="remote", affinity=NORTH_MALI,
             active_from=date(2023, 10, 1)),
    Scenario("france_air_strike", EXPLOSIONS, "Air/drone strike", "france", "issp",
             {"MLI": {2018: 3, 2021: 2}, "NER": {2018: 0.5}, "BFA": {2018: 0.4}},
             tier_profile="remote", affinity=ISSP_AFFINITY, active_until=date(2022, 8, 15)),
    Scenario("dozo_attack_civilians", VIOLENCE_AGAINST_CIVILIANS, "Attack", "dozo", "civilians",
             {"MLI": {2018: 4, 2020: 4, 2022: 3}},
             affinity={"MLI": {"mopti": 1.0, "segou": 1.0, "*": 0.0}}),
    Scenario("dan_na_ambassagou_attack_civilians", VIOLENCE_AGAINST_CIVILIANS, "Attack",
             "dan_na_ambassagou", "civilians", {"MLI": {2018: 4, 2019: 4, 2020: 2, 2024: 1}},
             affinity={"MLI": {"mopti": 1.0, "*": 0.0}}),
    Scenario("koglweogo_attack_civilians", VIOLENCE_AGAINST_CIVILIANS, "Attack", "koglweogo",
             "civilians", {"BFA": {2018: 2, 2020: 1.5, 2022: 0.3}}),
    Scenario("unidentified_attack_civilians", VIOLENCE_AGAINST_CIVILIANS, "Attack",
             "unidentified", "civilians",
             {"BFA": {2018: 8, 2020: 6, 2022: 5, 2024: 4}, "MLI": {2018: 5, 2024: 4},
              "NER": {2018: 4, 2021: 6, 2024: 7}},
             affinity={"NER": {"maradi": 4.0, "tahoua": 1.5, "dosso": 3.0, "tillaberi": 0.5,
                               "*": 0.2}}),
    Scenario("peaceful_protest", PROTESTS, "Peaceful protest", "protesters", None,
             {"BFA": {2018: 10, 2020: 7, 2022: 8, 2023: 3, 2024: 2.5},
              "MLI": {2018: 7, 2020: 9, 2021: 6, 2022: 5, 2024: 2.5},
              "NER": {2018: 6, 2020: 4, 2023: 7, 2024: 3}},
             tier_profile="urban"),
    Scenario("violent_demonstration", RIOTS, "Violent demonstration", "rioters", None,
             {"BFA": {2018: 2, 2022: 2.5, 2024: 0.8}, "MLI": {2018: 2, 2024: 1},
              "NER": {2018: 1.5, 2024: 0.8}},
             tier_profile="urban", affinity={"MLI": {"kayes": 0.0, "*": 1.0}}),
    Scenario("mob_violence", RIOTS, "Mob violence", "rioters", "civilians",
             {"BFA": {2018: 0.5}, "MLI": {2018: 0.5}, "NER": {2018: 0.5}},
             tier_profile="urban", affinity={"MLI": {"kayes": 0.0, "*": 1.0}}),
    Scenario("excessive_force", PROTESTS, "Excessive force against protesters", "military",
             "protesters", {"BFA": {2018: 0.3}, "MLI": {2018: 0.3}, "NER": {2018: 0.3}},
             tier_profile="urban", affinity={"MLI": {"kayes": 0.0, "*": 1.0}},
             disorder_override="Political violence; Demonstrations"),
)
SCENARIO_BY_KEY = {scenario.key: scenario for scenario in SCENARIOS}

# Political violence by admin1 (relative, yearly anchors), keyed by normalized admin1 name.
# Unlisted admin1 units get PV_DEFAULT_WEIGHT. Kayes (Mali) is handled by kayes_weight().
PV_ADMIN1_WEIGHTS: dict[str, dict[str, dict[float, float]]] = {
    "BFA": {
        "sahel": {2018: 40, 2020: 30, 2022: 25, 2024: 22},
        "nord": {2018: 12, 2020: 12, 2022: 10},
        "est": {2018: 18, 2020: 20, 2022: 18},
        "centrenord": {2018: 7, 2020: 18, 2022: 16, 2024: 15},
        "boucledumouhoun": {2018: 4, 2020: 6, 2022: 12, 2024: 14},
        "centreest": {2018: 3, 2020: 4, 2022: 6, 2024: 7},
        "cascades": {2018: 1, 2022: 3, 2024: 3.5},
        "hautsbassins": {2018: 2, 2020: 3},
        # Capital regions: their events are recorded at the capital itself, where attacks
        # are rare; protests there come from the demonstration weights instead.
        "centre": {2018: 0.3},
        "centreouest": {2018: 0.8, 2022: 2},
        "centresud": {2018: 0.4, 2022: 1, 2024: 1.5},
        "plateaucentral": {2018: 0.4, 2022: 1.5, 2024: 2},
        "sudouest": {2018: 0.8, 2022: 1.5},
    },
    "MLI": {
        "mopti": {2018: 40, 2020: 38, 2022: 34, 2024: 30},
        "segou": {2018: 10, 2020: 16, 2022: 18, 2024: 17},
        "timbuktu": {2018: 14, 2020: 12, 2024: 14},
        "gao": {2018: 14, 2020: 12},
        "menaka": {2018: 8, 2021: 9, 2022: 13, 2023: 11, 2024: 8},
        "kidal": {2018: 6, 2020: 4, 2023: 7, 2024: 8, 2025: 6},
        "koulikoro": {2018: 2, 2022: 4, 2024: 5},
        "sikasso": {2018: 1, 2022: 3},
        "bamako": {2018: 0.3},
    },
    "NER": {
        "tillaberi": {2018: 50, 2020: 55, 2024: 58},
        "tahoua": {2018: 9, 2021: 13, 2024: 12},
        "diffa": {2018: 30, 2020: 22, 2022: 17, 2024: 14},
        "maradi": {2018: 2, 2021: 6, 2022: 8},
        "dosso": {2018: 0.5, 2021: 1.5, 2023: 4},
        "niamey": {2018: 0.3},
        "zinder": {2018: 1},
        "agadez": {2018: 1},
    },
}
PV_DEFAULT_WEIGHT = 0.5
# Demonstrations gather in capitals: the national capital's admin1 dominates.
DEMONSTRATION_CAPITAL_WEIGHT = 12.0
DEMONSTRATION_KAYES_WEIGHT = 0.3
# Kayes had sporadic violence until 2024, then none in the year before the planted new front.
KAYES_QUIET_FROM = date(2024, 5, 1)
KAYES_BACKGROUND_WEIGHT = 0.4


def pv_admin1_weight(iso3: str, admin1: str, index: int) -> float:
    key = normalize(admin1)
    if iso3 == "MLI" and key == "kayes":
        return KAYES_BACKGROUND_WEIGHT if month_start(index) < KAYES_QUIET_FROM else 0.0
    anchors = PV_ADMIN1_WEIGHTS[iso3].get(key)
    return interpolate(anchors, year_fraction(index)) if anchors else PV_DEFAULT_WEIGHT


def demonstration_admin1_weight(iso3: str, admin1: str, capital_admin1: str) -> float:
    if admin1 == capital_admin1:
        return DEMONSTRATION_CAPITAL_WEIGHT
    if iso3 == "MLI" and normalize(admin1) == "kayes":
        return DEMONSTRATION_KAYES_WEIGHT
    return 1.0


# --------------------------------------------------------------------------- monthly plan

# Area-wide background fatalities per month (yearly anchors) and events per month.
FATALITY_TREND = {2018: 200, 2019: 330, 2020: 420, 2021: 400, 2022: 520, 2023: 590, 2024: 600,
                  2025: 600}
EVENT_TREND = {2018: 155, 2019: 190, 2020: 205, 2021: 220, 2022: 245, 2023: 255, 2024: 265,
               2025: 265}
# Country shares (Burkina Faso, Mali, Niger) of background fatalities and events.
FATALITY_SHARES = {2018: (0.28, 0.55, 0.17), 2019: (0.47, 0.35, 0.18), 2020: (0.50, 0.30, 0.20),
                   2021: (0.45, 0.30, 0.25), 2022: (0.52, 0.30, 0.18), 2023: (0.52, 0.30, 0.18),
                   2024: (0.50, 0.28, 0.22), 2025: (0.50, 0.30, 0.20)}
EVENT_SHARES = {2018: (0.30, 0.52, 0.18), 2019: (0.42, 0.40, 0.18), 2020: (0.45, 0.37, 0.18),
                2021: (0.45, 0.37, 0.18), 2022: (0.50, 0.33, 0.17), 2023: (0.50, 0.30, 0.20),
                2024: (0.48, 0.30, 0.22), 2025: (0.47, 0.33, 0.20)}

# Guard rails that keep the planted record the dominant anomaly (area totals incl. planted).
RECORD_MONTH = month_index(date(2025, 5, 1))
PREVIOUS_RECORD_MONTH = month_index(date(2024, 8, 1))
RECORD_TOTAL = 870
PREVIOUS_RECORD_TOTAL = 975
# September 2024 - April 2025: a ceiling below the record; the floor only guards against
# absurd lows, so the months keep their natural variation.
BETWEEN_RECORDS_RANGE = (400, 690)
AFTER_RECORD_MAX = 780  # June - August 2025
ELSEWHERE_MAX = 880  # any other month: below the August 2024 spike
PER_EVENT_CAP = 70  # background events; larger tolls only come from listed planted events


def split_total(total: int, shares: Sequence[float]) -> list[int]:
    """Integer parts of ``total`` proportional to ``shares`` (largest remainder)."""
    raw = np.asarray(shares, dtype=float)
    raw = raw / raw.sum() * total
    parts = np.floor(raw).astype(int)
    for i in np.argsort(-(raw - parts), kind="stable")[: total - int(parts.sum())]:
        parts[i] += 1
    return [int(p) for p in parts]


@dataclass(frozen=True)
class MonthlyPlan:
    """Background (non-planted) fatalities and events per country and month."""

    fatalities: dict[str, list[int]]
    events: dict[str, list[int]]


def build_plan(planted_fatalities: Sequence[int], rng: np.random.Generator) -> MonthlyPlan:
    """Area-wide trend x mild dry-season peak x autocorrelated noise, split by country.

    ``planted_fatalities`` are the planted events' fatalities per month; the background is
    sized around them so that the area totals land where the planted record needs them.
    """
    area = np.zeros(N_MONTHS, dtype=int)
    noise = 0.0
    for k in range(N_MONTHS):
        noise = 0.5 * noise + rng.normal(0.0, 0.09)
        # Fighting peaks late in the dry season (March-May) and eases in the rains.
        season = 1.0 + 0.08 * math.cos(2 * math.pi * ((k % 12) - 3) / 12)
        area[k] = round(interpolate(FATALITY_TREND, year_fraction(k)) * season * math.exp(noise))
    planted = np.asarray(planted_fatalities, dtype=int)
    between = range(PREVIOUS_RECORD_MONTH + 1, RECORD_MONTH)
    for k in range(N_MONTHS):
        if k == PREVIOUS_RECORD_MONTH:
            area[k] = PREVIOUS_RECORD_TOTAL - planted[k]
        elif k == RECORD_MONTH:
            area[k] = RECORD_TOTAL - planted[k]
        elif k in between:
            area[k] = int(np.clip(area[k] + planted[k], *BETWEEN_RECORDS_RANGE)) - planted[k]
        elif k > RECORD_MONTH:
            area[k] = min(area[k] + planted[k], AFTER_RECORD_MAX) - planted[k]
        else:
            area[k] = min(area[k] + planted[k], ELSEWHERE_MAX) - planted[k]
    fatalities: dict[str, list[int]] = {c.iso3: [] for c in COUNTRIES}
    events: dict[str, list[int]] = {c.iso3: [] for c in COUNTRIES}
    for k in range(N_MONTHS):
        when = year_fraction(k)
        shares = [interpolate({y: s[i] for y, s in FATALITY_SHARES.items()}, when)
                  for i in range(3)]
        for country, part in zip(COUNTRIES, split_total(int(area[k]), rng.dirichlet(
                np.asarray(shares) * 300))):
            fatalities[country.iso3].append(part)
        season = 1.0 + 0.05 * math.cos(2 * math.pi * ((k % 12) - 3) / 12)
        mean_events = interpolate(EVENT_TREND, when) * season * math.exp(rng.normal(0.0, 0.06))
        total_events = int(rng.poisson(mean_events))
        shares = [interpolate({y: s[i] for y, s in EVENT_SHARES.items()}, when) for i in range(3)]
        for country, part in zip(COUNTRIES, split_total(total_events, rng.dirichlet(
                np.asarray(shares) * 400))):
            events[country.iso3].append(part)
    return MonthlyPlan(fatalities, events)


# --------------------------------------------------------------------------- events


@dataclass(eq=False)  # identity semantics: two events with equal fields are still two events
class Event:
    """An event before it becomes a CSV row. ``fatalities`` is filled by allocate_fatalities."""

    day: date
    iso3: str
    scenario: Scenario
    actor1: str
    assoc_actor_1: str
    inter1: int
    actor2: str
    assoc_actor_2: str
    inter2: int
    place: Place
    time_precision: int
    geo_precision: int
    source_scale: str
    weight_draw: float  # gamma draw: how deadly this event is relative to its kind
    is_lethal: bool
    fatalities: int = 0
    planted: str = ""  # pattern id for planted events
    note: str = ""  # note body for planted events; background notes are templated
    # Where the source coded an imprecise event (geo_precision 2, 3): a town standing in for the
    # unknown village in ``place``. None: coded where it happened. Fatalities are allocated by
    # where it happened; the row shows where it was coded.
    coded_at: Place | None = None

    @property
    def is_jnim_attack(self) -> bool:
        return self.actor1 == JNIM

    @property
    def involves_jnim(self) -> bool:
        return JNIM in (self.actor1, self.actor2)


SOURCE_SCALES = (("National", 0.34), ("Subnational-National", 0.16), ("Subnational", 0.12),
                 ("Local partner-National", 0.1), ("National-International", 0.08),
                 ("New media", 0.06), ("International", 0.05), ("Other-National", 0.05),
                 ("New media-National", 0.04))


# geo_precision 1, 2, 3 of events in villages: with the few near towns, about a fifth of all
# events come out imprecise, as in ACLED's exports for the region.
VILLAGE_PRECISION = (0.68, 0.24, 0.08)


def make_event(day: date, iso3: str, scenario: Scenario, place: Place,
               rng: np.random.Generator) -> Event:
    """Fill actors, precision codes and randomness for one event of ``scenario``."""
    actor1, inter1 = actor_name(scenario.actor1, iso3, day)
    actor2, inter2 = actor_name(scenario.actor2, iso3, day) if scenario.actor2 else ("", 0)
    assoc1 = associated_actor(scenario.actor1, iso3, day, rng)
    assoc2 = associated_actor(scenario.actor2, iso3, day, rng) if scenario.actor2 else ""
    time_precision = int(rng.choice([1, 2, 3], p=[0.86, 0.11, 0.03]))
    if place.tier == "other":
        # As in ACLED's exports, the village of many rural events is unknown: the event is coded
        # to the nearest town (2: its commune seat) or the provincial capital (3); see coded_place.
        geo_precision = int(rng.choice([1, 2, 3], p=VILLAGE_PRECISION))
    else:
        # An event near (not in) a town is coded to the town.
        geo_precision = int(rng.choice([1, 2], p=[0.97, 0.03]))
    scales, scale_weights = zip(*SOURCE_SCALES)
    probabilities = np.asarray(scale_weights) / sum(scale_weights)
    source_scale = scales[int(rng.choice(len(scales), p=probabilities))]
    _, p_lethal = LETHALITY[scenario.sub_event_type]
    return Event(day, iso3, scenario, actor1, assoc1, inter1, actor2, assoc2, inter2, place,
                 time_precision, geo_precision, source_scale,
                 weight_draw=float(rng.gamma(0.7)), is_lethal=bool(rng.random() < p_lethal))


def tier_profile(scenario: Scenario, iso3: str, day: date) -> str:
    if iso3 == "BFA" and scenario.actor1 == "jnim":
        return "bf_jnim_2025" if day >= TIER_SHIFT_START else "bf_jnim_before"
    return scenario.tier_profile


def scenario_weights(iso3: str, index: int) -> np.ndarray:
    """Relative frequency of each scenario in a country in month ``index`` (0 when inactive)."""
    start = month_start(index)
    weights = []
    for scenario in SCENARIOS:
        anchors = scenario.weights.get(iso3)
        active = anchors and scenario.active_from <= start + timedelta(days=14) \
            <= scenario.active_until
        weights.append(interpolate(anchors, year_fraction(index)) if active else 0.0)
    return np.asarray(weights)


def admin1_weights(geo: Geography, iso3: str, scenario: Scenario, index: int,
                   admin1_names: Sequence[str]) -> np.ndarray:
    """Relative chance that an event of ``scenario`` falls in each admin1 unit."""
    capital = next((a.admin1 for a in geo.admin1s.values() if a.iso3 == iso3 and a.capital
                    and a.capital.tier == "national_capital"), "")
    affinity = scenario.affinity.get(iso3, {})
    weights = []
    for admin1 in admin1_names:
        if scenario.is_demonstration:
            base = demonstration_admin1_weight(iso3, admin1, capital)
        else:
            base = pv_admin1_weight(iso3, admin1, index)
        weights.append(base * affinity.get(normalize(admin1), affinity.get("*", 1.0)))
    return np.asarray(weights)


def stratified_tiers(iso3: str, start: date, scenarios: Sequence[Scenario],
                     rng: np.random.Generator) -> dict[int, str]:
    """Tiers for Burkina Faso's JNIM events of one month, in exact profile proportions.

    The tier shift is a planted pattern, so its size should not depend on sampling luck (with
    ~80 such events a month, independent draws can miss the intended share by several points).
    Returns {position in ``scenarios``: tier}; other events draw their tier independently.
    """
    positions = [i for i, s in enumerate(scenarios) if iso3 == "BFA" and s.actor1 == "jnim"]
    if not positions:
        return {}
    profile = TIER_PROFILES[tier_profile(scenarios[positions[0]], iso3, start)]
    pool = [tier for tier, count in zip(TIERS, split_total(len(positions), profile))
            for _ in range(count)]
    return {i: str(tier) for i, tier in zip(positions, rng.permutation(pool))}


def generate_background(geo: Geography, plan: MonthlyPlan,
                        rng: np.random.Generator) -> list[Event]:
    """Draw the planned number of background events per country and month."""
    events: list[Event] = []
    for country in COUNTRIES:
        iso3 = country.iso3
        admin1_names = geo.admin1_names(iso3)
        for k in range(N_MONTHS):
            start = month_start(k)
            days_in_month = calendar.monthrange(start.year, start.month)[1]
            weights = scenario_weights(iso3, k)
            picks = rng.choice(len(SCENARIOS), size=plan.events[iso3][k], p=weights / weights.sum())
            scenarios = [SCENARIOS[int(pick)] for pick in picks]
            planted_tiers = stratified_tiers(iso3, start, scenarios, rng)
            for position, scenario in enumerate(scenarios):
                day = start.replace(day=int(rng.integers(1, days_in_month + 1)))
                a1_weights = admin1_weights(geo, iso3, scenario, k, admin1_names)
                if a1_weights.sum() == 0:
                    # The scenario's only admin1 units have no weight this month: use the
                    # ordinary geography of fighting rather than fail.
                    a1_weights = admin1_weights(geo, iso3, SCENARIO_BY_KEY["jnim_clash_military"],
                                                k, admin1_names)
                admin1 = admin1_names[int(rng.choice(len(admin1_names),
                                                     p=a1_weights / a1_weights.sum()))]
                tier = planted_tiers.get(position)
                if tier is None:
                    profile = np.asarray(TIER_PROFILES[tier_profile(scenario, iso3, day)])
                    tier = TIERS[int(rng.choice(len(TIERS), p=profile / profile.sum()))]
                place = geo.pick(iso3, admin1, tier, rng)
                event = make_event(day, iso3, scenario, place, rng)
                if place.tier == "other" and event.geo_precision > 1:
                    event.coded_at = geo.coded_place(place, event.geo_precision)
                events.append(event)
    return events


# --------------------------------------------------------------------------- planted events


@dataclass(frozen=True)
class PlantedEvent:
    """One hand-placed event of a planted pattern (or a historical-style mass-casualty event)."""

    pattern: str
    day: date
    iso3: str
    admin2: str
    location: str
    scenario: str
    fatalities: int
    note: str


SYNCHRONIZED_DAY = date(2025, 7, 1)

PLANTED_EVENTS: tuple[PlantedEvent, ...] = (
    # 1. record: the August 2024 spike (a Barsalogho-like massacre) and the May 2025 record.
    PlantedEvent("record", date(2024, 8, 24), "BFA", "Sanmatenga", "Barsalogho",
                 "jnim_attack_civilians", 330,
                 "militants of {jnim} attacked civilians and VDP digging a defensive trench on "
                 "the outskirts of Barsalogho; a mass-casualty massacre"),
    PlantedEvent("record", date(2024, 8, 9), "BFA", "Namentenga", "Tougouri",
                 "jnim_clash_military", 30,
                 "JNIM militants attacked an army detachment at Tougouri"),
    PlantedEvent("record", date(2025, 5, 11), "BFA", "Soum", "Djibo", "jnim_clash_military", 130,
                 "militants of {jnim} launched a large dawn assault on the army camp and the "
                 "town of Djibo, the provincial capital"),
    PlantedEvent("record", date(2025, 5, 23), "MLI", "Tenenkou", "Dioura", "jnim_clash_military",
                 45, "JNIM militants overran the army camp at Dioura"),
    PlantedEvent("record", date(2025, 5, 15), "NER", "Torodi", "Makalondi",
                 "jnim_clash_military", 35,
                 "JNIM militants attacked an army position at Makalondi near the Burkinabe "
                 "border"),
    # 3. synchronized: one day, nine Malian cercles, from central Mali to the western borders.
    *(PlantedEvent("synchronized", SYNCHRONIZED_DAY, "MLI", admin2, location,
                   "jnim_clash_military", fatalities,
                   "militants of {jnim} attacked " + target + ", one of a wave of coordinated "
                   "attacks across central and western Mali on the same morning")
      for admin2, location, target, fatalities in (
          ("Niono", "Niono", "the army position at Niono in central Mali", 12),
          ("Macina", "Macina", "the army position at Macina in central Mali", 9),
          ("Kayes", "Kayes", "army and gendarmerie positions in the city of Kayes", 6),
          ("Kayes", "Diboli", "the border post at Diboli on the border with Senegal", 10),
          ("Nioro", "Nioro du Sahel", "the army camp at Nioro du Sahel", 8),
          ("Nioro", "Gogui", "the border post at Gogui on the border with Mauritania", 7),
          ("Nioro", "Sandaré", "the army position at Sandaré", 9),
          ("Yelimane", "Yelimane", "the army position at Yelimane near the Mauritanian "
           "border", 5),
          ("Diema", "Diema", "the army position at Diema", 6),
          ("Kita", "Kita", "a gendarmerie post at Kita", 4),
          ("Kenieba", "Kenieba", "a customs and army post at Kenieba near the Senegalese "
           "border", 5),
          ("Bafoulabe", "Bafoulabe", "the army position at Bafoulabe", 4),
      )),
    # 4. spread: a new JNIM front in Kayes region, June - August 2025 (besides 1 July).
    *(PlantedEvent("spread", day, "MLI", admin2, location, scenario, fatalities, text)
      for day, admin2, location, scenario, fatalities, text in (
          (date(2025, 6, 8), "Diema", "Diema", "jnim_looting", 0,
           "JNIM militants stopped and burned trucks on the road out of Diema"),
          (date(2025, 6, 14), "Nioro", "Troungoumbé", "jnim_clash_military", 4,
           "JNIM militants clashed with an army patrol at Troungoumbé"),
          (date(2025, 6, 19), "Kayes", "Sadiola", "jnim_abduction", 0,
           "JNIM militants abducted workers near a mining site at Sadiola"),
          (date(2025, 6, 24), "Yelimane", "Yelimane", "jnim_attack_civilians", 2,
           "JNIM militants attacked civilians at a market near Yelimane"),
          (date(2025, 6, 28), "Diema", "Diema", "jnim_ied", 3,
           "an IED planted by JNIM hit an army vehicle on the road near Diema"),
          (date(2025, 7, 9), "Nioro", "Gavinané", "jnim_clash_military", 5,
           "JNIM militants clashed with soldiers at Gavinané"),
          (date(2025, 7, 15), "Kayes", "Diamou", "jnim_abduction", 0,
           "JNIM militants abducted foreign workers at a quarry near Diamou"),
          (date(2025, 7, 22), "Diema", "Diema", "jnim_looting", 0,
           "JNIM militants looted and burned fuel tankers near Diema"),
          (date(2025, 7, 29), "Kita", "Kita", "jnim_attack_civilians", 3,
           "JNIM militants attacked civilians accused of informing the army near Kita"),
          (date(2025, 8, 3), "Nioro", "Sandaré", "jnim_clash_military", 6,
           "JNIM militants attacked the army position at Sandaré again"),
          (date(2025, 8, 7), "Kayes", "Diboli", "jnim_looting", 0,
           "JNIM militants burned fuel trucks near Diboli on the Dakar corridor"),
          (date(2025, 8, 12), "Yelimane", "Yelimane", "jnim_attack_civilians", 2,
           "JNIM militants attacked a village chief's compound near Yelimane"),
          (date(2025, 8, 18), "Diema", "Diema", "jnim_ied", 4,
           "an IED planted by JNIM hit a convoy near Diema"),
          (date(2025, 8, 23), "Kenieba", "Kenieba", "jnim_abduction", 0,
           "JNIM militants abducted gold miners near Kenieba"),
          (date(2025, 8, 27), "Bafoulabe", "Bafoulabe", "jnim_clash_military", 3,
           "JNIM militants clashed with soldiers near Bafoulabe"),
      )),
    # Historical-style mass-casualty events: background contour, not detector targets.
    PlantedEvent("mass_casualty_background", date(2019, 3, 23), "MLI", "Bankass", "Ouonkoro",
                 "dan_na_ambassagou_attack_civilians", 150,
                 "Dan Na Ambassagou militiamen attacked a Fulani settlement and killed "
                 "villagers"),
    PlantedEvent("mass_casualty_background", date(2019, 12, 10), "NER", "Ayorou", "Inatès",
                 "issp_clash_military", 90,
                 "IS Sahel militants overran the army camp at Inatès"),
    PlantedEvent("mass_casualty_background", date(2021, 6, 5), "BFA", "Yagha", "Solhan",
                 "jnim_attack_civilians", 130,
                 "militants attacked the town of Solhan at night and killed residents"),
    PlantedEvent("mass_casualty_background", date(2022, 3, 27), "MLI", "Djenne", "Madiama",
                 "military_attack_civilians", 160,
                 "soldiers with foreign partners executed detained men during a sweep of a "
                 "market village"),
    PlantedEvent("mass_casualty_background", date(2022, 6, 11), "BFA", "Seno", "Seytenga",
                 "issp_attack_civilians", 80,
                 "IS Sahel militants attacked residents of Seytenga"),
)


def planted_fatalities_by_month() -> list[int]:
    totals = [0] * N_MONTHS
    for planted in PLANTED_EVENTS:
        totals[month_index(planted.day)] += planted.fatalities
    return totals


def generate_planted(geo: Geography, rng: np.random.Generator) -> list[Event]:
    events = []
    for planted in PLANTED_EVENTS:
        place = geo.find(planted.iso3, planted.admin2, planted.location)
        event = make_event(planted.day, planted.iso3, SCENARIO_BY_KEY[planted.scenario], place,
                           rng)
        event.time_precision, event.geo_precision = 1, 1
        event.fatalities = planted.fatalities
        event.planted = planted.pattern
        event.note = planted.note.replace(
            "{jnim}", f"{JNIM_FULL_NAME} (JNIM)")
        events.append(event)
    return events


# --------------------------------------------------------------------------- constraints


def spread_synchronized_days(events: list[Event], rng: np.random.Generator) -> None:
    """Keep JNIM in Mali to at most three cercles a day, except on the planted wave day.

    That is the historical ceiling the synchronized pattern stands out against; background
    events that would break it move to another day of the same month. Planted events stay.
    """
    limit = 3

    def mali_jnim(event: Event) -> bool:
        return event.iso3 == "MLI" and event.involves_jnim

    by_day: dict[date, list[Event]] = defaultdict(list)
    for event in events:
        if mali_jnim(event):
            by_day[event.day].append(event)

    def admin2s(day: date) -> list[str]:
        # Planted events' cercles first: they keep their day, background events make room.
        ordered = sorted(by_day[day], key=lambda e: not e.planted)
        return list(dict.fromkeys(e.place.admin2 for e in ordered))

    for day in sorted(by_day):
        while True:
            units = admin2s(day)
            movable = [e for e in by_day[day] if not e.planted and (
                day == SYNCHRONIZED_DAY or e.place.admin2 in units[limit:])]
            if not movable or (day != SYNCHRONIZED_DAY and len(units) <= limit):
                break
            event = movable[-1]
            start = day.replace(day=1)
            days_in_month = calendar.monthrange(day.year, day.month)[1]
            candidates = [start.replace(day=d) for d in range(1, days_in_month + 1)]
            candidates = [c for c in candidates if c != day and c != SYNCHRONIZED_DAY and (
                event.place.admin2 in admin2s(c) or len(admin2s(c)) < limit)]
            if not candidates:
                break
            target = candidates[int(rng.integers(len(candidates)))]
            by_day[day].remove(event)
            by_day[target].append(event)
            event.day = target


def allocate_fatalities(events: list[Event], plan: MonthlyPlan,
                        rng: np.random.Generator) -> None:
    """Share each country-month's planned fatalities among its background events.

    Lethal events draw a share in proportion to their kind's lethality times a heavy-tailed
    gamma draw, so most events kill few and some kill many; totals match the plan exactly.
    Burkina Faso's JNIM fatalities are then re-split by settlement tier at fixed shares.
    """
    groups: dict[tuple[str, int], list[Event]] = defaultdict(list)
    for event in events:
        if not event.planted:
            groups[(event.iso3, month_index(event.day))].append(event)
    for country in COUNTRIES:
        for k in range(N_MONTHS):
            group = groups.get((country.iso3, k), [])
            budget = plan.fatalities[country.iso3][k]
            weights = np.array([LETHALITY[e.scenario.sub_event_type][0] * e.weight_draw
                                if e.is_lethal else 0.0 for e in group])
            counts = capped_multinomial(budget, weights, rng)
            for event, count in zip(group, counts):
                event.fatalities = int(count)
            if country.iso3 == "BFA":
                resplit_bf_jnim(group, k, rng)


def capped_multinomial(total: int, weights: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Multinomial draw of ``total`` over ``weights`` with no cell above PER_EVENT_CAP."""
    if len(weights) == 0 or total == 0:
        return np.zeros(len(weights), dtype=int)
    if weights.sum() == 0:
        weights = np.ones(len(weights))
    counts = rng.multinomial(total, weights / weights.sum())
    for _ in range(20):
        excess = np.clip(counts - PER_EVENT_CAP, 0, None)
        if excess.sum() == 0:
            break
        counts = counts - excess
        room = np.where(counts < PER_EVENT_CAP, weights, 0.0)
        if room.sum() == 0:
            room = (counts < PER_EVENT_CAP).astype(float)
        counts = counts + rng.multinomial(int(excess.sum()), room / room.sum())
    return counts


def resplit_bf_jnim(group: list[Event], index: int, rng: np.random.Generator) -> None:
    jnim = [e for e in group if e.is_jnim_attack]
    total = sum(e.fatalities for e in jnim)
    if not jnim or total == 0:
        return
    shares = BF_JNIM_FATALITY_SHARES[
        "2025" if month_start(index) >= TIER_SHIFT_START else "before"]
    buckets = {tier: [e for e in jnim if tier_class(e.place) == tier] for tier in TIERS}
    tier_shares = [shares.get(tier, 0.0) if buckets[tier] else 0.0 for tier in TIERS[:3]]
    tier_shares.append(max(0.0, 1.0 - sum(tier_shares)))
    if not buckets["other"]:
        tier_shares[-1] = 0.0
    for tier, amount in zip(TIERS, split_total(total, tier_shares)):
        bucket = buckets[tier]
        # Non-lethal kinds (abductions, looting) still get a little weight so that a bucket of
        # only such events can carry its share.
        weights = np.array([LETHALITY[e.scenario.sub_event_type][0] * e.weight_draw
                            * (1.0 if e.is_lethal else 0.15) for e in bucket])
        for event, count in zip(bucket, capped_multinomial(amount, weights, rng)):
            event.fatalities = int(count)


def tier_class(place: Place) -> str:
    """The bucket a place falls in for the tier-shift allocation."""
    if place.tier in ("national_capital", "admin1_capital"):
        return "admin1_capital"
    return place.tier


# --------------------------------------------------------------------------- rows and files

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


def short_actor(name: str, iso3: str, rng: np.random.Generator) -> str:
    """How notes refer to an actor."""
    if name == JNIM:
        return (f"militants of {JNIM_FULL_NAME} (JNIM)" if rng.random() < 0.2
                else "JNIM militants")
    if name == ISSP:
        return "IS Sahel militants"
    if name.startswith("Military Forces of France"):
        return "French forces"
    if name.startswith("Military Forces of"):
        return COUNTRY_BY_ISO3[iso3].army
    if name.startswith("VDP"):
        return "VDP volunteers"
    if name.startswith("Civilians"):
        return "civilians"
    if name.startswith("Protesters"):
        return "protesters"
    if name.startswith("Rioters"):
        return "rioters"
    if name.startswith("Unidentified"):
        return "unidentified gunmen"
    if name.startswith("MINUSMA"):
        return "MINUSMA peacekeepers"
    if name.startswith("Dozo"):
        return "Dozo hunters"
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
    """UTF-8 CSV, header first, ``\\n`` line ends, minimal quoting."""
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return text.getvalue().encode("utf-8")


def gzip_bytes(payload: bytes) -> bytes:
    """Gzip with a zero mtime and no file name in the header, so output is byte-stable."""
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as out:
        out.write(payload)
    return buffer.getvalue()


# --------------------------------------------------------------------------- pattern checks


def provincial_capitals(seats: Sequence[Seat], include_admin1_capitals: bool = True
                        ) -> set[tuple[str, str, str]]:
    """(iso3, admin1, seat) of admin2 capitals; the gazetteer lists admin1 capitals at both
    levels, so ``include_admin1_capitals=False`` drops seats that are also admin1 capitals."""
    admin1_seats = {(s.iso3, s.admin1, s.name) for s in seats
                    if s.level in ("admin1_capital", "national_capital")}
    result = {(s.iso3, s.admin1, s.name) for s in seats if s.level == "admin2_capital"}
    return result if include_admin1_capitals else result - admin1_seats


def measure_patterns(rows: Sequence[dict[str, str]], seats: Sequence[Seat]) -> dict[str, dict]:
    """The planted patterns as a reader of the CSV measures them (the tests re-measure with
    pandas). Keys are pattern ids; values are plain JSON-able numbers."""
    iso3_by_name = {c.name: c.iso3 for c in COUNTRIES}
    # Measured as conflictwatch counts: political violence by event type (no protest or riot),
    # and settlement tiers only of events located at their place (geo_precision 1).
    violence = [row for row in rows if row["event_type"] in POLITICAL_VIOLENCE_TYPES]
    monthly: dict[str, int] = defaultdict(int)
    for row in violence:
        monthly[row["event_date"][:7]] += int(row["fatalities"])
    labels = [month_label(k) for k in range(N_MONTHS)]
    trailing = [monthly[label] for label in labels[RECORD_MONTH - 12:RECORD_MONTH]]
    between = {label: monthly[label] for label in labels[PREVIOUS_RECORD_MONTH + 1:RECORD_MONTH]}
    record = {
        "observed": monthly[labels[RECORD_MONTH]],
        "trailing_12_month_mean": round(sum(trailing) / 12, 1),
        "ratio_to_trailing_mean": round(monthly[labels[RECORD_MONTH]] / (sum(trailing) / 12), 3),
        "previous_higher_month": labels[PREVIOUS_RECORD_MONTH],
        "previous_higher_value": monthly[labels[PREVIOUS_RECORD_MONTH]],
        "max_between": max(between.values()),
        "max_between_month": max(between, key=lambda m: between[m]),
        "max_after": max(monthly[label] for label in labels[RECORD_MONTH + 1:]),
    }

    def bf_jnim_rows():
        return [r for r in violence if r["country"] == "Burkina Faso" and r["actor1"] == JNIM
                and r["geo_precision"] == "1"]

    all_seats = {(s.iso3, s.admin1, s.name) for s in seats}
    tier_rows = bf_jnim_rows()

    def is_commune_seat(row: dict[str, str]) -> bool:
        key = (iso3_by_name[row["country"]], row["admin1"], row["location"])
        return row["location"] == row["admin3"] and key not in all_seats

    def tier_figures(flag) -> dict[str, float]:
        by_year: dict[str, list[dict[str, str]]] = defaultdict(list)
        for row in tier_rows:
            by_year[row["year"]].append(row)
        before = by_year["2023"] + by_year["2024"]
        after = by_year["2025"]
        fatalities = {year: sum(int(r["fatalities"]) for r in by_year[year] if flag(r))
                      for year in ("2023", "2024", "2025")}
        months_2025 = LAST_DAY.month
        annualized = fatalities["2025"] * 12 / months_2025
        return {
            "event_share_2023_2024": round(sum(map(flag, before)) / len(before), 3),
            "event_share_2025": round(sum(map(flag, after)) / len(after), 3),
            "fatalities_2023": fatalities["2023"],
            "fatalities_2024": fatalities["2024"],
            "fatalities_2025_to_august": fatalities["2025"],
            "fatalities_2025_annualized": round(annualized, 1),
            "run_rate_ratio_to_2023_plus_2024": round(
                annualized / (fatalities["2023"] + fatalities["2024"]), 3),
        }

    provincial = provincial_capitals(seats)
    provincial_strict = provincial_capitals(seats, include_admin1_capitals=False)

    def at(seat_set):
        return lambda r: (iso3_by_name[r["country"]], r["admin1"], r["location"]) in seat_set

    mali_jnim_days: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        if row["country"] == "Mali" and JNIM in (row["actor1"], row["actor2"]):
            mali_jnim_days[row["event_date"]].add(row["admin2"])
    wave = SYNCHRONIZED_DAY.isoformat()
    others = {day: len(units) for day, units in mali_jnim_days.items() if day != wave}
    busiest = max(sorted(others), key=lambda day: others[day])

    kayes_pv: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in violence:
        if row["country"] == "Mali" and row["admin1"] == "Kayes":
            kayes_pv[row["event_date"][:7]].append(row)
    quiet = labels[month_index(KAYES_QUIET_FROM):RECORD_MONTH]
    front = labels[RECORD_MONTH + 1:]
    return {
        "record": record,
        "tier_shift_admin2_capital": tier_figures(at(provincial)),
        "tier_shift_admin2_capital_excluding_admin1_capitals": tier_figures(
            at(provincial_strict)),
        "tier_shift_admin3_seat": tier_figures(is_commune_seat),
        "synchronized": {
            "day": wave,
            "distinct_admin2": len(mali_jnim_days[wave]),
            "admin2_units": sorted(mali_jnim_days[wave]),
            "max_distinct_admin2_other_days": others[busiest],
            "busiest_other_day": busiest,
        },
        "spread": {
            "political_violence_events_may_2024_to_april_2025": sum(
                len(kayes_pv[m]) for m in quiet),
            "events_by_month": {m: len(kayes_pv[m]) for m in front},
            "fatalities_by_month": {m: sum(int(r["fatalities"]) for r in kayes_pv[m])
                                    for m in front},
            "distinct_admin2_june_to_august_2025": len(
                {r["admin2"] for m in front for r in kayes_pv[m]}),
        },
    }


def weak_patterns(measured: dict[str, dict]) -> list[str]:
    """The planted patterns that did not come out as promised, each with its figures (empty when
    all hold). Output is never rejected for them: a seed is a draw, and claims measured on
    re-seeded samples must include the draws where a pattern came out weak. The shipped seed's
    list is empty (tests/forecasting/test_sample.py)."""
    record = measured["record"]
    problems = []
    if not (record["ratio_to_trailing_mean"] > 1.3
            and record["observed"] > record["max_between"]
            and record["previous_higher_value"] > record["observed"]
            and record["observed"] > record["max_after"]):
        problems.append(f"record: {record}")
    for key in ("tier_shift_admin2_capital",
                "tier_shift_admin2_capital_excluding_admin1_capitals"):
        figures = measured[key]
        if not (figures["run_rate_ratio_to_2023_plus_2024"] > 2.0
                and figures["event_share_2025"] > 2 * figures["event_share_2023_2024"]):
            problems.append(f"{key}: {figures}")
    communes = measured["tier_shift_admin3_seat"]
    if not (0.8 <= communes["run_rate_ratio_to_2023_plus_2024"] < 1.0
            and communes["event_share_2025"] > communes["event_share_2023_2024"] + 0.1):
        problems.append(f"tier_shift_admin3_seat: {communes}")
    synchronized = measured["synchronized"]
    if synchronized["distinct_admin2"] < 8 or synchronized["max_distinct_admin2_other_days"] > 3:
        problems.append(f"synchronized: {synchronized}")
    spread = measured["spread"]
    if spread["political_violence_events_may_2024_to_april_2025"] > 0 \
            or min(spread["events_by_month"].values()) < 3 \
            or spread["distinct_admin2_june_to_august_2025"] < 3:
        problems.append(f"spread: {spread}")
    return problems


def describe_patterns(rows: Sequence[dict[str, str]], measured: dict[str, dict], seed: int = SEED
                      ) -> dict[str, object]:
    """The planted_patterns.json document: what was planted, expected size, measured size."""
    planted_ids: dict[str, list[str]] = defaultdict(list)
    for row in reversed(rows):  # chronological
        for tag in row["tags"].split("; "):
            if tag.startswith("planted="):
                planted_ids[tag.removeprefix("planted=")].append(row["event_id_cnty"])
    area = {"country": None, "admin1": None, "admin2": None, "tier": None, "actor": None}
    bf_jnim = {**area, "country": "Burkina Faso", "actor": JNIM}
    provincial_rule = ("location equals the seat of a gazetteer row of level admin2_capital "
                       "in the same country and admin1 (the gazetteer lists admin1 capitals "
                       "at that level too; figures without them are given alongside)")
    commune_rule = ("location equals admin3 and is not a gazetteer seat of any level in the "
                    "same admin1")
    return {
        "description": (
            "Patterns deliberately planted in the conflictwatch synthetic sample. All events "
            "are invented; nothing here is an ACLED figure. The shapes imitate what ACLED's "
            "public reporting described for JNIM's 2025 offensive in the central Sahel."),
        "data_file": CSV_NAME,
        "generator": {"command": "python -m forecasting.sample.generate", "seed": seed,
                      "weak_patterns": weak_patterns(measured)},
        "row_count": len(rows),
        "period": {"start": FIRST_DAY.isoformat(), "end": LAST_DAY.isoformat()},
        "countries": [c.name for c in COUNTRIES],
        "patterns": [
            {
                "id": "record_2025_05",
                "kind": "record",
                "scope": area,
                "countries": [c.name for c in COUNTRIES],
                "measure": "fatalities",
                "period": "2025-05",
                "reference_periods": {"trailing_12_months": ["2024-05", "2025-04"],
                                      "previous_higher_month": "2024-08"},
                "planted": ("Area-wide fatalities sized to 870 in May 2025 (a JNIM assault on "
                            "Djibo, an attack on the army camp at Dioura, an attack at "
                            "Makalondi, on top of the background) and to 975 in August 2024 "
                            "(a Barsalogho-like massacre in Centre-Nord, Burkina Faso); "
                            "no month from September 2024 to April 2025 above 690."),
                "expected": {"ratio_to_trailing_12_month_mean_above": 1.3,
                             "deadliest_since": "2024-08",
                             "no_month_between_exceeds_it": ["2024-09", "2025-04"]},
                "measured": measured["record"],
                "event_ids": planted_ids["record"],
            },
            {
                "id": "tier_shift_bf_jnim_admin2_capital",
                "kind": "tier_shift",
                "scope": {**bf_jnim, "tier": "admin2_capital"},
                "measure": "events",
                "period": ["2025-01", "2025-08"],
                "baseline_period": ["2023-01", "2024-12"],
                "planted": ("From January 2025, 25% of JNIM (actor1) events in Burkina Faso "
                            "each month are at provincial capitals instead of 7% (plus 3% at "
                            "admin1 capitals throughout), assigned in exact monthly "
                            "proportions."),
                "tier_rule": provincial_rule,
                "expected": {"event_share_before_about": 0.10, "event_share_2025_about": 0.28},
                "measured": {
                    "including_admin1_capitals": {
                        k: v for k, v in measured["tier_shift_admin2_capital"].items()
                        if k.startswith("event_share")},
                    "excluding_admin1_capitals": {
                        k: v for k, v in measured[
                            "tier_shift_admin2_capital_excluding_admin1_capitals"].items()
                        if k.startswith("event_share")},
                },
            },
            {
                "id": "tier_shift_bf_jnim_admin3_seat",
                "kind": "tier_shift",
                "scope": {**bf_jnim, "tier": "admin3_seat"},
                "measure": "events",
                "period": ["2025-01", "2025-08"],
                "baseline_period": ["2023-01", "2024-12"],
                "planted": ("From January 2025, 35% of JNIM events in Burkina Faso each "
                            "month are at commune seats instead of 20%."),
                "tier_rule": commune_rule,
                "expected": {"event_share_before_about": 0.20, "event_share_2025_about": 0.35},
                "measured": {k: v for k, v in measured["tier_shift_admin3_seat"].items()
                             if k.startswith("event_share")},
            },
            {
                "id": "run_rate_bf_jnim_admin2_capital_2025",
                "kind": "run_rate",
                "scope": {**bf_jnim, "tier": "admin2_capital"},
                "measure": "fatalities",
                "period": ["2025-01", "2025-08"],
                "compared_with": ["2023", "2024"],
                "planted": ("Burkina Faso's monthly JNIM fatalities are split by tier at fixed "
                            "shares: provincial capitals 6% before 2025 and 33% from January "
                            "2025, plus the Djibo assault of 11 May 2025."),
                "tier_rule": provincial_rule,
                "expected": {"annualized_2025_over_2023_plus_2024_above": 2.0},
                "measured": {
                    "including_admin1_capitals": measured["tier_shift_admin2_capital"],
                    "excluding_admin1_capitals": measured[
                        "tier_shift_admin2_capital_excluding_admin1_capitals"],
                },
            },
            {
                "id": "run_rate_bf_jnim_admin3_seat_2025",
                "kind": "run_rate",
                "scope": {**bf_jnim, "tier": "admin3_seat"},
                "measure": "fatalities",
                "period": ["2025-01", "2025-08"],
                "compared_with": ["2023", "2024"],
                "planted": ("Commune seats take 16% of Burkina Faso's JNIM fatalities before "
                            "2025 (plus the August 2024 Barsalogho-like massacre) and 42% "
                            "from January 2025: on pace to nearly equal 2023 and 2024 "
                            "combined."),
                "tier_rule": commune_rule,
                "expected": {"annualized_2025_over_2023_plus_2024_between": [0.8, 1.0]},
                "measured": measured["tier_shift_admin3_seat"],
            },
            {
                "id": "synchronized_mli_jnim_2025_07_01",
                "kind": "synchronized",
                "scope": {**area, "country": "Mali", "actor": JNIM},
                "measure": "events",
                "period": SYNCHRONIZED_DAY.isoformat(),
                "planted": ("12 JNIM attacks on one day in 9 cercles: army positions at Niono "
                            "and Macina in central Mali, the city of Kayes, border posts at "
                            "Diboli (Senegal) and Gogui (Mauritania), Nioro du Sahel, Sandare "
                            "and five more western cercle seats. Background JNIM activity in "
                            "Mali is held to at most 3 cercles on any other day."),
                "expected": {"distinct_admin2_at_least": 8,
                             "other_days_distinct_admin2_at_most": 3},
                "measured": measured["synchronized"],
                "event_ids": planted_ids["synchronized"],
            },
            {
                "id": "spread_mli_kayes_2025",
                "kind": "spread",
                "scope": {**area, "country": "Mali", "admin1": "Kayes"},
                "measure": "events",
                "period": ["2025-06", "2025-08"],
                "quiet_period": ["2024-05", "2025-05"],
                "planted": ("No political violence in Kayes region from May 2024 to May 2025 "
                            "(sporadic before), then a JNIM front in several cercles from "
                            "June 2025: ambushes, IEDs, abductions at mining sites, burned "
                            "trucks, and the 1 July wave."),
                "expected": {"political_violence_events_quiet_period": 0,
                             "political_violence_events_per_month_at_least": 3},
                "measured": measured["spread"],
                "event_ids": planted_ids["spread"],
            },
        ],
        "background_mass_casualty_events": {
            "note": ("Historical-style single events (2019-2022) that give the background a "
                     "realistic contour; not detector targets. Figures are synthetic."),
            "event_ids": planted_ids["mass_casualty_background"],
        },
    }


# --------------------------------------------------------------------------- entry points


@dataclass(frozen=True)
class Sample:
    rows: list[dict[str, str]]
    patterns: dict[str, object]
    skipped_admin2: list[str]


def generate(gazetteer_dir: Path = GAZETTEER_DIR, seed: int = SEED) -> Sample:
    """Build the sample in memory: rows in column order (strings) and the patterns document.
    Another `seed` gives another draw of the same world (for measuring claims on data the
    defaults were not chosen on); its patterns are measured and reported, never enforced."""
    seats = load_gazetteer(gazetteer_dir)
    geo = Geography(seats, stage_rng(1, seed))
    plan = build_plan(planted_fatalities_by_month(), stage_rng(2, seed))
    events = generate_background(geo, plan, stage_rng(3, seed))
    events += generate_planted(geo, stage_rng(4, seed))
    spread_synchronized_days(events, stage_rng(5, seed))
    allocate_fatalities(events, plan, stage_rng(6, seed))
    rows = build_rows(events, stage_rng(7, seed))
    measured = measure_patterns(rows, seats)
    return Sample(rows, describe_patterns(rows, measured, seed), geo.skipped_admin2)


def write_sample(out_dir: Path, gazetteer_dir: Path = GAZETTEER_DIR, seed: int = SEED) -> Sample:
    """Generate and write ``acled_sahel_synthetic.csv.gz`` and ``planted_patterns.json``."""
    sample = generate(gazetteer_dir, seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / CSV_NAME).write_bytes(gzip_bytes(csv_bytes(sample.rows)))
    (out_dir / PATTERNS_NAME).write_text(
        json.dumps(sample.patterns, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return sample


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m forecasting.sample.generate",
        description="Write conflictwatch's synthetic ACLED-format sample (not real data).")
    parser.add_argument("--out", type=Path, default=PACKAGE_DIR,
                        help="output folder (default: the forecasting/sample package folder)")
    parser.add_argument("--gazetteer", type=Path, default=GAZETTEER_DIR,
                        help="folder with BFA.csv, MLI.csv, NER.csv")
    parser.add_argument("--seed", type=int, default=SEED,
                        help=f"another draw of the same world (default {SEED}: the shipped sample)")
    args = parser.parse_args(argv)
    try:
        sample = write_sample(args.out, args.gazetteer, args.seed)
    except (GazetteerFormatError, PlantedPatternError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if sample.skipped_admin2:
        print(f"note: {len(sample.skipped_admin2)} admin2 units have no seat coordinates in the "
              f"gazetteer and get no events: {', '.join(sample.skipped_admin2)}", file=sys.stderr)
    weak = sample.patterns["generator"]["weak_patterns"]
    if weak:
        print(f"note: {len(weak)} planted patterns came out weak with seed {args.seed} (kept, not "
              f"rejected): {'; '.join(weak)}", file=sys.stderr)
    print(f"wrote {len(sample.rows)} synthetic events to {args.out / CSV_NAME} "
          f"and {args.out / PATTERNS_NAME}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
