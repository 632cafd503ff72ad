"""Settlement tiers for events: matching event locations to the gazetteer's seats."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecasting.events import PLACE_TIERS, TIERS as SETTLEMENT_TIERS, UNLOCATED, is_located
from forecasting.gazetteer._names import NameCodes, normalize_name
from forecasting.gazetteer._seats import Gazetteer

# Internally a tier is a rank, higher is more important, so "the highest level" is a max().
_TIER_OF_RANK = np.array(PLACE_TIERS[::-1], dtype=object)
_RANK_OF_LEVEL = {"national_capital": 4, "admin1_capital": 3, "admin2_capital": 2}
_ADMIN3_SEAT = 1
_OTHER = 0

_REQUIRED_COLUMNS = ("country", "admin1", "location")
_NAME_COLUMNS = ("country", "admin1", "admin2", "admin3", "location")

EARTH_RADIUS_KM = 6371.0088
_KM_PER_DEGREE_LATITUDE = EARTH_RADIUS_KM * np.pi / 180


def assign_tiers(events: pd.DataFrame, gazetteer: Gazetteer, seat_radius_km: float = 5.0) -> pd.Series:
    """The settlement tier of each event, one of `SETTLEMENT_TIERS`.

    `events` needs the columns country, admin1 and location; admin2, admin3, latitude and
    longitude (decimal degrees) are used when present and may be missing. Rules, first that
    applies wins:

    1. `location` is a seat's name (or one of its variants) in the event's country and admin1
       -> the highest level that seat has. When the event's admin2 is one the gazetteer knows
       for that admin1, it must also be the seat's admin2; a missing or unknown admin2 does not
       block the match.
    2. The event lies within `seat_radius_km` (great-circle distance, km) of a seat with
       coordinates in the same country -> that seat's level (the highest one, if several seats
       are that close).
    3. `location` is the event's `admin3` (its commune) -> "admin3_seat".
    4. Otherwise "other".

    Whatever the place, an event the source did not locate at it (`geo_precision` 2 or 3 in
    ACLED, `where_prec` 3 or more in UCDP GED: see `forecasting.events.is_located`) is
    "unlocated": a village massacre coded to the provincial capital must not count as an attack
    on the capital. Its admin units still count it.

    Names are compared by `normalize_name`. Returns a Series of tier names with the index of
    `events`, named "tier".
    """
    matcher = _Matcher(events, gazetteer)
    rank = matcher.seat_ranks(seat_radius_km)
    tiers = pd.Series(_TIER_OF_RANK[rank], index=events.index, name="tier", dtype=object)
    return tiers.where(is_located(events), UNLOCATED)


def unmatched_seat_candidates(events: pd.DataFrame, gazetteer: Gazetteer, limit: int = 20) -> pd.DataFrame:
    """Event locations that look like administrative seats but match no gazetteer row.

    Among events tiered "other" or "admin3_seat", those whose `location` is the name of their
    own admin2 or admin1 (as "Douentza" in the cercle of Douentza would be) are most likely seats
    missing from the gazetteer, or spelled in a way it does not know. Returns the `limit` most
    frequent (country, admin1, admin2, location), names exactly as in `events`, with the
    columns country, admin1, admin2, location, events (how many events) and hint (what to add
    to the gazetteer), most frequent first.
    """
    matcher = _Matcher(events, gazetteer)
    rank = matcher.seat_ranks(seat_radius_km=0.0)
    codes = matcher.codes
    location = codes["location"]
    # The region as the gazetteer spells it, so "Tombouctou" counts as the region Timbuktu.
    admin1 = matcher.event_admin1
    looks_like_seat = (location > 0) & ((location == codes["admin2"]) | (location == admin1))
    unmatched = looks_like_seat & (rank <= _ADMIN3_SEAT)

    columns = ["country", "admin1", "admin2", "location"]
    found = pd.DataFrame({column: matcher.column(column)[unmatched] for column in columns})
    counts = (
        found.groupby(columns, dropna=False, sort=False).size().rename("events").reset_index()
        .sort_values(["events", *columns], ascending=[False, True, True, True, True], kind="stable")
        .head(limit)
        .reset_index(drop=True)
    )
    counts["events"] = counts["events"].astype("int64")
    hints = _SeatHints(gazetteer)
    counts["hint"] = [hints.hint(*row) for row in counts[columns].itertuples(index=False)]
    return counts


@dataclass
class _SeatNames:
    """The gazetteer's seat names, one row per (seat row, spelling), as normalized keys."""

    country: np.ndarray
    iso3: np.ndarray
    admin1: np.ndarray
    admin2: np.ndarray
    name: np.ndarray
    rank: np.ndarray
    latitude: np.ndarray
    longitude: np.ndarray

    @classmethod
    def from_gazetteer(cls, gazetteer: Gazetteer) -> _SeatNames:
        seats = gazetteer.seats
        repeats = np.array([1 + len(variants) for variants in seats["variants"]], dtype=np.int64)
        names = [
            normalize_name(name)
            for seat, variants in zip(seats["seat"], seats["variants"], strict=True)
            for name in (seat, *variants)
        ]

        def keys(column: str) -> np.ndarray:
            return np.repeat(np.array([normalize_name(v) for v in seats[column]], dtype=object), repeats)

        return cls(
            country=keys("country"),
            iso3=keys("iso3"),
            admin1=keys("admin1"),
            admin2=keys("admin2"),
            name=np.array(names, dtype=object),
            rank=np.repeat(seats["level"].map(_RANK_OF_LEVEL).to_numpy(np.int64), repeats),
            latitude=np.repeat(seats["latitude"].to_numpy(float), repeats),
            longitude=np.repeat(seats["longitude"].to_numpy(float), repeats),
        )

    def all_keys(self) -> list[str]:
        return [*self.country, *self.iso3, *self.admin1, *self.admin2, *self.name]


class _Matcher:
    """Events and gazetteer seats encoded over one vocabulary of name keys."""

    def __init__(self, events: pd.DataFrame, gazetteer: Gazetteer):
        missing = [column for column in _REQUIRED_COLUMNS if column not in events.columns]
        if missing:
            raise ValueError(f"events lack the columns {missing} needed to assign settlement tiers")
        self.events = events
        self.seat_names = _SeatNames.from_gazetteer(gazetteer)
        self.vocabulary, self.codes = NameCodes.build(
            {column: self.column(column) for column in _NAME_COLUMNS}, self.seat_names.all_keys()
        )
        seats = self.seat_names
        self.seat_country = self.vocabulary.code(seats.country)
        self.seat_admin1 = self.vocabulary.code(seats.admin1)
        self.seat_admin2 = self.vocabulary.code(seats.admin2)
        self.seat_name = self.vocabulary.code(seats.name)
        self.event_country = self._canonical_countries()
        self.event_admin1 = self._canonical_admin1()

    def column(self, name: str) -> pd.Series:
        """An event column, or an all-missing one when the events do not have it."""
        if name in self.events.columns:
            return self.events[name]
        return pd.Series(np.nan, index=self.events.index, dtype=float)

    def seat_ranks(self, seat_radius_km: float) -> np.ndarray:
        """The tier rank of every event (see `assign_tiers` for the rules)."""
        if seat_radius_km < 0:
            raise ValueError(f"seat_radius_km must be zero or positive, not {seat_radius_km}")
        rank = self._rank_by_seat_name()
        if seat_radius_km > 0:
            unmatched = rank == _OTHER
            rank[unmatched] = self._rank_by_distance(unmatched, seat_radius_km)[unmatched]
        location = self.codes["location"]
        commune_centre = (rank == _OTHER) & (location > 0) & (location == self.codes["admin3"])
        rank[commune_centre] = _ADMIN3_SEAT
        return rank

    def _canonical_countries(self) -> np.ndarray:
        """Event country codes, with an ISO3 code in the country column read as the country."""
        canonical = np.arange(len(self.vocabulary), dtype=np.int64)
        iso3 = self.vocabulary.code(self.seat_names.iso3)
        canonical[iso3] = self.seat_country
        return canonical[self.codes["country"]]

    def _canonical_admin1(self) -> np.ndarray:
        """Event admin1 codes, with other spellings of a region read as the region.

        A region named after its capital (Timbuktu, Segou, Tillaberi) is also spelled as the
        capital's variants are: an event coded admin1 "Tombouctou" lies in region "Timbuktu".
        """
        seats = self.seat_names
        aliases: dict[tuple[int, int], int] = {}
        capital_rows = np.flatnonzero(seats.rank == _RANK_OF_LEVEL["admin1_capital"])
        named_after_capital = {
            (self.seat_country[i], self.seat_admin1[i]) for i in capital_rows if seats.name[i] == seats.admin1[i]
        }
        for i in capital_rows:
            region = (self.seat_country[i], self.seat_admin1[i])
            if region in named_after_capital:
                aliases[(region[0], self.seat_name[i])] = region[1]
        admin1 = self.codes["admin1"]
        if not aliases:
            return admin1
        pair = self.event_country * len(self.vocabulary) + admin1
        pair_codes, distinct_pairs = pd.factorize(pair)
        # Few distinct (country, admin1) pairs: a dict lookup each is cheap.
        distinct_admin1 = np.array(
            [aliases.get(divmod(int(p), len(self.vocabulary)), int(p) % len(self.vocabulary)) for p in distinct_pairs],
            dtype=np.int64,
        )
        return distinct_admin1[pair_codes]

    def _rank_by_seat_name(self) -> np.ndarray:
        """Rule 1: the event's location is a seat's name within its country and admin1."""
        n = len(self.events)
        rank = np.zeros(n, dtype=np.int64)
        location = self.codes["location"]
        candidates = np.flatnonzero((location > 0) & np.isin(self.event_country, self.seat_country))
        if len(candidates) == 0:
            return rank
        # Match each distinct (country, admin1, admin2, location) once, not each event.
        event_keys = pd.DataFrame(
            {
                "country": self.event_country[candidates],
                "admin1": self.event_admin1[candidates],
                "admin2": self.codes["admin2"][candidates],
                "name": location[candidates],
            }
        )
        combination = _combination_codes(event_keys)
        distinct = event_keys.iloc[_first_occurrences(combination)].reset_index(drop=True)
        distinct["combination"] = np.arange(len(distinct))

        seat_keys = pd.DataFrame(
            {
                "country": self.seat_country,
                "admin1": self.seat_admin1,
                "seat_admin2": self.seat_admin2,
                "name": self.seat_name,
                "rank": self.seat_names.rank,
            }
        )
        matches = distinct.merge(seat_keys, on=["country", "admin1", "name"], how="inner")
        if matches.empty:
            return rank
        # An admin2 the gazetteer knows in that admin1 tells us where the event is; one it does
        # not know (missing, or spelled otherwise) cannot rule a seat out.
        known_admin2 = pd.MultiIndex.from_arrays(
            [seat_keys["country"], seat_keys["admin1"], seat_keys["seat_admin2"]]
        )
        admin2_known = pd.MultiIndex.from_arrays(
            [matches["country"], matches["admin1"], matches["admin2"]]
        ).isin(known_admin2)
        same_admin2 = matches["admin2"].to_numpy() == matches["seat_admin2"].to_numpy()
        seat_without_admin2 = matches["seat_admin2"].to_numpy() == 0
        matches = matches[same_admin2 | seat_without_admin2 | ~admin2_known]

        rank_by_combination = np.zeros(len(distinct), dtype=np.int64)
        best = matches.groupby("combination")["rank"].max()
        rank_by_combination[best.index.to_numpy()] = best.to_numpy()
        rank[candidates] = rank_by_combination[combination]
        return rank

    def _rank_by_distance(self, unmatched: np.ndarray, seat_radius_km: float) -> np.ndarray:
        """Rule 2: the highest level among seats within `seat_radius_km` in the same country."""
        rank = np.zeros(len(self.events), dtype=np.int64)
        latitude = pd.to_numeric(self.column("latitude"), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        longitude = pd.to_numeric(self.column("longitude"), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        located = unmatched & np.isfinite(latitude) & np.isfinite(longitude)

        seats = self.seat_names
        with_coordinates = np.isfinite(seats.latitude) & np.isfinite(seats.longitude)
        seat_table = pd.DataFrame(
            {
                "country": self.seat_country[with_coordinates],
                "latitude": seats.latitude[with_coordinates],
                "longitude": seats.longitude[with_coordinates],
                "rank": seats.rank[with_coordinates],
            }
        )
        # A town listed at several levels has one position: keep its highest level.
        seat_table = seat_table.groupby(["country", "latitude", "longitude"], as_index=False)["rank"].max()
        band_degrees = seat_radius_km / _KM_PER_DEGREE_LATITUDE * 1.001

        for country, country_seats in seat_table.groupby("country"):
            events_here = np.flatnonzero(located & (self.event_country == country))
            if len(events_here) == 0:
                continue
            # Sorted by latitude, the events near a seat are one slice: found by bisection,
            # so each seat costs the events in its latitude band, not all of them.
            by_latitude = events_here[np.argsort(latitude[events_here], kind="stable")]
            sorted_latitude = latitude[by_latitude]
            best_rank = np.zeros(len(by_latitude), dtype=np.int64)
            for seat in country_seats.itertuples(index=False):
                start, stop = np.searchsorted(
                    sorted_latitude, [seat.latitude - band_degrees, seat.latitude + band_degrees]
                )
                if start == stop:
                    continue
                nearby = by_latitude[start:stop]
                distance = haversine_km(latitude[nearby], longitude[nearby], seat.latitude, seat.longitude)
                within = distance <= seat_radius_km
                nearby_rank = best_rank[start:stop]  # a view: writing to it updates best_rank
                nearby_rank[within] = np.maximum(nearby_rank[within], seat.rank)
            rank[by_latitude] = best_rank
        return rank


def haversine_km(latitude, longitude, seat_latitude: float, seat_longitude: float) -> np.ndarray:
    """Great-circle distance in km from each (latitude, longitude) to one point, all in degrees."""
    phi1, phi2 = np.radians(latitude), np.radians(seat_latitude)
    half_dphi = (phi2 - phi1) / 2
    half_dlambda = np.radians(np.asarray(longitude) - seat_longitude) / 2
    a = np.sin(half_dphi) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(half_dlambda) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def _first_occurrences(codes: np.ndarray) -> np.ndarray:
    """For codes numbered by first appearance (as `pd.factorize` gives), where each first appears."""
    return np.flatnonzero(~pd.Index(codes).duplicated(keep="first"))


def _combination_codes(keys: pd.DataFrame) -> np.ndarray:
    """One code per distinct row of a frame of non-negative integer codes."""
    combined = np.zeros(len(keys), dtype=np.int64)
    for column in keys.columns:
        values = keys[column].to_numpy(np.int64)
        # Re-factorizing after each column keeps the combined code below len(keys), so the
        # product never overflows.
        combined, _ = pd.factorize(combined * (int(values.max()) + 1) + values)
        combined = combined.astype(np.int64)
    return combined


class _SeatHints:
    """What to add to the gazetteer for a location that looks like a seat but matched none."""

    def __init__(self, gazetteer: Gazetteer):
        self.countries: dict[str, str] = {}  # name or ISO3 key -> country key
        self.regions: set[tuple[str, str]] = set()
        self.region_spellings: dict[tuple[str, str], str] = {}  # (country, alias) -> admin1 key
        self.seat_of: dict[tuple[str, ...], str] = {}  # unit -> seat name
        self.seats_named: dict[tuple[str, str], list] = {}  # (country, name key) -> seat rows
        for row in gazetteer.seats.itertuples(index=False):
            country, admin1 = normalize_name(row.country), normalize_name(row.admin1)
            admin2 = normalize_name(row.admin2)
            self.countries[country] = self.countries[normalize_name(row.iso3)] = country
            self.regions.add((country, admin1))
            unit = (country, admin1, admin2) if row.level == "admin2_capital" else (country, admin1)
            self.seat_of.setdefault(unit, row.seat)
            names = {normalize_name(name) for name in (row.seat, *row.variants)}
            for name in names:
                self.seats_named.setdefault((country, name), []).append(row)
            if row.level == "admin1_capital" and admin1 in names:
                for name in names:
                    self.region_spellings[(country, name)] = admin1

    def hint(self, country, admin1, admin2, location) -> str:
        """One sentence: the likely cause and the row or variant to add."""
        country_key = self.countries.get(normalize_name(country))
        if country_key is None:
            return f"no gazetteer file covers {country}: add one (see forecasting/gazetteer/data/README.md)"
        admin1_key = normalize_name(admin1)
        admin1_key = self.region_spellings.get((country_key, admin1_key), admin1_key)
        admin2_key, location_key = normalize_name(admin2), normalize_name(location)
        same_name = self.seats_named.get((country_key, location_key), [])
        named_here = [row for row in same_name if normalize_name(row.admin1) == admin1_key]
        elsewhere = sorted({row.admin1 for row in same_name} - {row.admin1 for row in named_here})
        if (country_key, admin1_key) not in self.regions:
            hint = f"admin1 '{admin1}' is not in the gazetteer for {country}: add its rows, or check its spelling"
        elif named_here:
            seat = named_here[0]
            hint = (
                f"'{location}' is the seat of {seat.admin1} / {seat.admin2} in the gazetteer, but these events "
                f"are coded in admin2 '{admin2}': check the events' admin2, or that row's admin2"
            )
        elif location_key == admin2_key:
            seat = self.seat_of.get((country_key, admin1_key, admin2_key))
            hint = _unit_hint(seat, "admin2_capital", f"{admin1} / {admin2}", location)
        else:
            seat = self.seat_of.get((country_key, admin1_key))
            hint = _unit_hint(seat, "admin1_capital", str(admin1), location)
        if elsewhere:
            hint += f" (a seat of that name is listed in {', '.join(elsewhere)}: check the events' admin1)"
        return hint


def _unit_hint(seat: str | None, level: str, unit: str, location: str) -> str:
    if seat is None:
        return f"no {level} row for {unit}: add one with seat '{location}'"
    return (
        f"the gazetteer's seat of {unit} is '{seat}': if '{location}' is the same town, "
        "add it to that row's variants"
    )
