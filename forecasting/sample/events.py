"""Events before they become rows: background draws, planted events and the constraints on both.

Part of the synthetic sample's generator: see `forecasting/sample/generate.py`."""

from __future__ import annotations

import calendar
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Sequence

import numpy as np

from forecasting.sample.scope import (
    COUNTRIES,
    JNIM,
    JNIM_FULL_NAME,
    N_MONTHS,
    interpolate,
    month_index,
    month_start,
    normalize,
    year_fraction,
)
from forecasting.sample.places import Geography, Place
from forecasting.sample.scenarios import (
    BF_JNIM_FATALITY_SHARES,
    LETHALITY,
    SCENARIOS,
    SCENARIO_BY_KEY,
    Scenario,
    TIERS,
    TIER_PROFILES,
    TIER_SHIFT_START,
    actor_name,
    associated_actor,
    demonstration_admin1_weight,
    pv_admin1_weight,
)
from forecasting.sample.plan import MonthlyPlan, PER_EVENT_CAP, split_total


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
    # 1. record: the August 2024 spike (a Barsalogho-like massacre) and the May 2025 record above it.
    PlantedEvent("record", date(2024, 8, 24), "BFA", "Sanmatenga", "Barsalogho",
                 "jnim_attack_civilians", 330,
                 "militants of {jnim} attacked civilians and VDP digging a defensive trench on "
                 "the outskirts of Barsalogho; a mass-casualty massacre"),
    PlantedEvent("record", date(2024, 8, 9), "BFA", "Namentenga", "Tougouri",
                 "jnim_clash_military", 30,
                 "JNIM militants attacked an army detachment at Tougouri"),
    PlantedEvent("record", date(2025, 5, 11), "BFA", "Soum", "Djibo", "jnim_clash_military", 200,
                 "militants of {jnim} launched a large dawn assault on the army camp and the "
                 "town of Djibo, the provincial capital"),
    PlantedEvent("record", date(2025, 5, 23), "MLI", "Tenenkou", "Dioura", "jnim_clash_military",
                 165, "JNIM militants overran the army camp at Dioura and killed soldiers and "
                 "residents who fled into the town"),
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
    *(PlantedEvent("mass_casualty_background", day, iso3, admin2, location, scenario, fatalities, text)
      for day, iso3, admin2, location, scenario, fatalities, text in (
          (date(2019, 3, 23), "MLI", "Bankass", "Ouonkoro", "dan_na_ambassagou_attack_civilians", 150,
           "Dan Na Ambassagou militiamen attacked a Fulani settlement and killed villagers"),
          (date(2019, 12, 10), "NER", "Ayorou", "Inatès", "issp_clash_military", 90,
           "IS Sahel militants overran the army camp at Inatès"),
          (date(2021, 6, 5), "BFA", "Yagha", "Solhan", "jnim_attack_civilians", 130,
           "militants attacked the town of Solhan at night and killed residents"),
          (date(2022, 3, 27), "MLI", "Djenne", "Madiama", "military_attack_civilians", 160,
           "soldiers with foreign partners executed detained men during a sweep of a market village"),
          (date(2022, 6, 11), "BFA", "Seno", "Seytenga", "issp_attack_civilians", 80,
           "IS Sahel militants attacked residents of Seytenga"),
      )),
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
