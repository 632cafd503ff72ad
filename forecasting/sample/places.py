"""Places from the gazetteer: admin units, their seats, invented commune seats and villages.

Part of the synthetic sample's generator: see `forecasting/sample/generate.py`."""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from forecasting.sample.scope import (
    COUNTRIES,
    GAZETTEER_COLUMNS,
    GAZETTEER_DIR,
    GazetteerFormatError,
    PlantedPatternError,
    normalize,
)


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
