"""What the sample covers: seed, period, countries, labels, and month arithmetic.

Part of the synthetic sample's generator: see `forecasting/sample/generate.py`."""

from __future__ import annotations

import calendar
import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from forecasting.as_of import add_months, months_between


SEED = 20250701
FIRST_DAY = date(2018, 1, 1)
LAST_DAY = date(2025, 8, 31)
# The export the sample pretends to be: every timestamp (first publication or revision) is
# before it, so "what was known on day X" questions have sensible answers.
EXPORT_DAY = date(2025, 9, 9)
N_MONTHS = months_between(FIRST_DAY, LAST_DAY) + 1

PACKAGE_DIR = Path(__file__).resolve().parent
GAZETTEER_DIR = PACKAGE_DIR.parent / "gazetteer" / "data"
CSV_NAME = "acled_sahel_synthetic.csv.gz"
PATTERNS_NAME = "planted_patterns.json"
SAMPLE_CSV = PACKAGE_DIR / CSV_NAME
PLANTED_PATTERNS_JSON = PACKAGE_DIR / PATTERNS_NAME

SOURCE = "conflictwatch synthetic sample (not ACLED data)"
NOTES_PREFIX = "SYNTHETIC EVENT - not a real incident."
SYNTHETIC_TAG = "synthetic"

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


def month_index(day: date) -> int:
    """Months since January 2018 (0 = 2018-01)."""
    return months_between(FIRST_DAY, day)


def month_start(index: int) -> date:
    return add_months(FIRST_DAY, index)


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
