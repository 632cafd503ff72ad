"""A labelled synthetic world for measuring the detectors: background violence with one injected
anomaly of every kind, at places and months drawn from the seed.

The background is as rough as real conflict data (`_roughen`), or the detectors would be tuned
to a world that does not exist: escalations that last years (each country's level follows its
own multi-year regime), long quiet stretches then sudden onset (a fifth of districts silent
for one to three years), single events with 100 or more deaths, about a fifth of events with
`geo_precision` 2 or 3 (coded to the commune seat or the provincial capital: tier `unlocated`
for the detectors), protests and riots (many, in the capitals, mostly without deaths, and one
day of protests across many districts) and strategic developments. None of the rough parts is
an injected story: an alert about them is a false alert.

Used by tests/forecasting/detectors/test_labelled.py and benchmarks/detect.py. Events carry only
the columns the detectors read (`forecasting.detectors.pipeline.EVENT_COLUMNS`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

COUNTRIES = ("Burkina Faso", "Mali", "Niger")
FAMILIES = (
    ("JNIM: Group for Support of Islam and Muslims", 0.55),
    ("Islamic State Sahel Province", 0.2),
    ("Military Forces of {country}", 0.25),
)
TIER_SHARES = (("admin1_capital", 0.03), ("admin2_capital", 0.08), ("admin3_seat", 0.2), ("other", 0.69))
START, END = pd.Timestamp("2019-01-01"), pd.Timestamp("2025-12-31")
EVALUATED_MONTHS = pd.date_range("2025-02-01", "2025-09-01", freq="MS")
#: Seeds the detectors' defaults were developed and tuned on (the test runs these), and seeds
#: never used for that: docs/benchmarks.md reports both, the held-out ones as the claim.
TUNING_SEEDS = (11, 29, 3)
HELD_OUT_SEEDS = (4101, 4102, 4103, 4104)
POLITICAL_VIOLENCE_TYPES = ("Battles", "Explosions/Remote violence", "Violence against civilians")
#: Where the capitals' protests happen: the first region of each country holds its capital.
CAPITAL_REGION = 0


@dataclass(frozen=True)
class Injection:
    """One planted anomaly: what, where, from which month (onset) to which (last affected)."""

    kind: str
    country: str
    admin1: str | None
    admin2: str | None
    onset: pd.Timestamp
    last: pd.Timestamp
    tier: str | None = None
    # The admin2 units it touched, as (admin1, admin2), where it touched only some of its place's
    # units (a synchronized wave); None: every unit of its place.
    units: frozenset[tuple[str, str]] | None = None
    # The first month a detector can see it (a run rate needs 3 months of the year, a level
    # shift must have held 3 months); recall counts detection in this month or the next.
    detectable: pd.Timestamp | None = None

    @property
    def first_month(self) -> pd.Timestamp:
        return self.detectable if self.detectable is not None else self.onset


@dataclass(frozen=True)
class World:
    events: pd.DataFrame
    injections: list[Injection]


def make_world(seed: int, *, admin1_per_country: int = 4, admin2_per_admin1: int = 5, rate: float = 2.5) -> World:
    """Background events 2019-2025 and one anomaly of each kind (several seeds, different draws)."""
    rng = np.random.default_rng(seed)
    units = [
        (country, f"{country[:3]}-R{r}", f"{country[:3]}-R{r}-P{p}")
        for country in COUNTRIES
        for r in range(admin1_per_country)
        for p in range(admin2_per_admin1)
    ]
    months = pd.date_range(START, END, freq="MS")
    base = rng.gamma(4.0, rate / 4.0, size=len(units))
    # Campaign seasons: every unit's monthly rate wanders (gamma noise, shape 6) around its base,
    # and each country's level follows a regime that lasts years (`_regimes`).
    monthly = base[:, None] * rng.gamma(6.0, 1 / 6.0, size=(len(units), len(months)))
    monthly *= _regimes(rng, units, months)
    counts = rng.poisson(monthly)
    _quiet_stretches(rng, counts, months)

    injections: list[Injection] = []
    countries = list(rng.permutation(COUNTRIES))
    onset = {kind: EVALUATED_MONTHS[rng.integers(0, len(EVALUATED_MONTHS) - 1)] for kind in
             ("surge", "drop", "record", "tier_shift", "spread", "synchronized", "massacre")}
    onset["change_point"] = EVALUATED_MONTHS[rng.integers(0, len(EVALUATED_MONTHS) - 3)]
    month_index = {month: i for i, month in enumerate(months)}
    unit_order = rng.permutation(len(units))

    # spread: a unit silent for two years, then active from its onset.
    spread_unit = unit_order[0]
    m = month_index[onset["spread"]]
    counts[spread_unit, m - 24 : m] = 0
    counts[spread_unit, m : m + 3] = rng.integers(6, 10, size=min(3, len(months) - m))
    injections.append(_injection("spread", units[spread_unit], onset["spread"], onset["spread"] + pd.DateOffset(months=2), admin2=True))

    # surge: one admin2 unit, one month, several times its usual level.
    surge_unit = unit_order[1]
    m = month_index[onset["surge"]]
    counts[surge_unit, m] += max(12, int(5 * base[surge_unit]))
    injections.append(_injection("surge", units[surge_unit], onset["surge"], onset["surge"], admin2=True))

    # change point: one admin1 unit's rate x2.5 from its onset on, lasting.
    region = units[unit_order[2]][:2]
    members = [i for i, unit in enumerate(units) if unit[:2] == region and i not in (spread_unit, surge_unit)]
    m = month_index[onset["change_point"]]
    counts[members, m:] = rng.poisson(monthly[members, m:] * 2.5)
    injections.append(Injection("change_point", region[0], region[1], None, onset["change_point"], months[-1],
                                detectable=onset["change_point"] + pd.DateOffset(months=2)))

    # drop: the busiest admin1 unit (not the changed one) goes almost silent for one month.
    by_region: dict[tuple, list[int]] = {}
    for i, unit in enumerate(units):
        if i != spread_unit:
            by_region.setdefault(unit[:2], []).append(i)
    region_rates = {key: base[idx].sum() for key, idx in by_region.items() if key != region}
    busiest = max(region_rates, key=region_rates.get)
    m = month_index[onset["drop"]]
    counts[by_region[busiest], m] = rng.binomial(counts[by_region[busiest], m], 0.1)
    injections.append(Injection("drop", busiest[0], busiest[1], None, onset["drop"], onset["drop"]))

    events = _events(rng, units, months, counts)

    events = _roughen(rng, events, units, months)

    # massacre: one event of 100+ deaths in a district, coded to its provincial capital
    # (geo_precision 3, village unknown): a surge and record of deaths at its place, and no
    # shift toward capitals (it is in no settlement tier).
    massacre_unit = units[unit_order[3]]
    day = onset["massacre"] + pd.Timedelta(days=int(rng.integers(0, 27)))
    massacre = _rows([dict(source_id=f"MASSACRE{seed}", event_date=day, country=massacre_unit[0],
                           admin1=massacre_unit[1], admin2=massacre_unit[2],
                           actor1="JNIM: Group for Support of Islam and Muslims", fatalities=int(rng.integers(100, 160)),
                           tier="admin2_capital", geo_precision=3)])
    events = pd.concat([events, massacre], ignore_index=True)
    injections.append(_injection("massacre", massacre_unit, onset["massacre"], onset["massacre"], admin2=True))

    # record: one month of the whole area about half as deadly again as usual (many places at once).
    m = onset["record"]
    in_month = (events["event_date"].dt.to_period("M").dt.to_timestamp() == m) & events["event_type"].isin(
        POLITICAL_VIOLENCE_TYPES)
    extra = events[in_month].sample(frac=0.3, random_state=int(rng.integers(1 << 30))).copy()
    extra["fatalities"] = extra["fatalities"] + 1
    extra["source_id"] = extra["source_id"] + "R"
    events = pd.concat([events, extra], ignore_index=True)
    injections.append(Injection("record", None, None, None, m, m))

    # tier shift: JNIM in one country moves toward provincial capitals from its onset on.
    shift_country = countries[0]
    jnim = (events["country"] == shift_country) & events["actor1"].str.startswith("JNIM") & (
        events["event_date"] >= onset["tier_shift"]
    ) & (events["geo_precision"] == 1)
    moved = jnim & (rng.random(len(events)) < 0.3)
    events.loc[moved, "tier"] = "admin2_capital"
    injections.append(Injection("tier_shift", shift_country, None, None, onset["tier_shift"], months[-1], tier="admin2_capital"))

    # synchronized: JNIM strikes 8 distinct admin2 units of one country on one day.
    sync_country = countries[1]
    day = onset["synchronized"] + pd.Timedelta(days=int(rng.integers(0, 27)))
    targets = [unit for unit in units if unit[0] == sync_country]
    chosen = rng.choice(len(targets), size=8, replace=False)
    wave = _rows([
        dict(source_id=f"SYNC{seed}-{i}", event_date=day, country=sync_country, admin1=targets[j][1],
             admin2=targets[j][2], actor1="JNIM: Group for Support of Islam and Muslims",
             fatalities=int(rng.integers(1, 6)),
             tier=str(rng.choice([tier for tier, _ in TIER_SHARES], p=[share for _, share in TIER_SHARES])))
        for i, j in enumerate(chosen)
    ])
    events = pd.concat([events, wave], ignore_index=True)
    injections.append(Injection("synchronized", sync_country, None, None, onset["synchronized"], onset["synchronized"],
                                units=frozenset((targets[i][1], targets[i][2]) for i in chosen)))

    # run rate: from January 2025 the third country's violence moves from villages to commune
    # seats, so that their year-to-date pace triples (a shift toward administrative centres, as
    # in the motivating case); the country's and every unit's totals stay what they were.
    rate_country = countries[2]
    this_year = (events["country"] == rate_country) & (events["event_date"] >= "2025-01-01") & (
        events["geo_precision"] == 1) & events["event_type"].isin(POLITICAL_VIOLENCE_TYPES)
    seats_share = (events.loc[this_year, "tier"] == "admin3_seat").mean()
    villages = this_year & (events["tier"] == "other")
    moved = villages & (rng.random(len(events)) < 2 * seats_share / max(villages.sum() / this_year.sum(), 1e-9))
    events.loc[moved, "tier"] = "admin3_seat"
    injections.append(Injection("run_rate", rate_country, None, None, pd.Timestamp("2025-01-01"), months[-1],
                                tier="admin3_seat", detectable=pd.Timestamp("2025-03-01")))

    events = events.sort_values("event_date", kind="stable").reset_index(drop=True)
    events["fatalities"] = events["fatalities"].astype("Int64")
    return World(events=events, injections=injections)


def _injection(kind, unit, onset, last, *, admin2: bool) -> Injection:
    return Injection(kind, unit[0], unit[1], unit[2] if admin2 else None, onset, last)


def _events(rng, units, months, counts) -> pd.DataFrame:
    unit_index = np.repeat(np.arange(len(units)), counts.sum(axis=1))
    month_of = np.concatenate([np.repeat(np.arange(len(months)), row) for row in counts])
    n = len(unit_index)
    days = months.days_in_month.to_numpy()[month_of]
    dates = months.to_numpy()[month_of] + (rng.random(n) * days).astype("int64").astype("timedelta64[D]")
    family_names = [name for name, _ in FAMILIES]
    family = rng.choice(len(FAMILIES), size=n, p=[share for _, share in FAMILIES])
    tiers = rng.choice([tier for tier, _ in TIER_SHARES], size=n, p=[share for _, share in TIER_SHARES])
    country = np.array([units[i][0] for i in unit_index], dtype=object)
    actor = np.array([family_names[f].format(country=c) for f, c in zip(family, country)], dtype=object)
    # Deaths per event: many events kill nobody, a few kill dozens (negative binomial, mean 2.5).
    fatalities = rng.negative_binomial(0.5, 0.5 / (0.5 + 2.5), size=n)
    return _rows_frame(
        {
            "source_id": [f"E{i}" for i in range(n)],
            "event_date": pd.to_datetime(dates),
            "country": country,
            "admin1": np.array([units[i][1] for i in unit_index], dtype=object),
            "admin2": np.array([units[i][2] for i in unit_index], dtype=object),
            "actor1": actor,
            "fatalities": fatalities,
            "tier": tiers,
        }
    )


def _rows_frame(columns: dict) -> pd.DataFrame:
    """An event frame of political violence (Battles by an armed group, located at its place)
    from the given columns; the others take those defaults."""
    frame = pd.DataFrame(columns)
    defaults = {"source": "acled", "disorder_type": "Political violence", "event_type": "Battles",
                "inter1": "Rebel group", "geo_precision": 1}
    for name, value in defaults.items():
        if name not in frame:
            frame[name] = value
    return frame


def _rows(rows: list[dict]) -> pd.DataFrame:
    frame = _rows_frame({name: [row.get(name) for row in rows] for name in rows[0]})
    frame["event_date"] = pd.to_datetime(frame["event_date"])
    return frame


def _regimes(rng, units, months) -> np.ndarray:
    """Each country's level over the years, as a factor per unit and month: anchors every two
    years from 2019 drift (log steps of mean +0.25, sd 0.45: escalations that last years, some
    lulls), interpolated in between, scaled to 1 in 2025 so that the evaluated months keep the
    base rate."""
    anchors = pd.date_range("2019-01-01", "2025-01-01", freq="24MS")
    years = (months - months[0]).days.to_numpy() / 365.25
    anchor_years = (anchors - months[0]).days.to_numpy() / 365.25
    factors = {}
    for country in COUNTRIES:
        steps = np.concatenate([[0.0], np.cumsum(rng.normal(0.25, 0.45, size=len(anchors) - 1))])
        path = np.interp(years, anchor_years, steps)
        factors[country] = np.exp(path - steps[-1])
    return np.array([factors[unit[0]] for unit in units])


def _quiet_stretches(rng, counts: np.ndarray, months) -> None:
    """Long quiet stretches then sudden onset: a fifth of the districts silent for one to three
    years, ending before mid-2024 (an onset in the evaluated months would be a true spread)."""
    last_end = int(np.searchsorted(months, pd.Timestamp("2024-07-01")))
    for unit in rng.choice(len(counts), size=len(counts) // 5, replace=False):
        length = int(rng.integers(12, 37))
        end = int(rng.integers(length, last_end))
        counts[unit, end - length : end] = 0


def _roughen(rng, events: pd.DataFrame, units, months) -> pd.DataFrame:
    """What real exports carry besides political violence located at its place (none of it an
    injected story): imprecise locations, demonstrations, strategic developments and a few
    historical massacres."""
    events = events.copy()
    # About a fifth coded to a nearby town (2: the commune seat) or the provincial capital (3).
    precision = rng.choice([1, 2, 3], size=len(events), p=[0.8, 0.14, 0.06])
    events["geo_precision"] = precision
    events.loc[precision == 2, "tier"] = "admin3_seat"
    events.loc[precision == 3, "tier"] = "admin2_capital"

    capital_units = [unit for unit in units if unit[1].endswith(f"-R{CAPITAL_REGION}")]
    demonstrations = []
    for month in months:
        for country in COUNTRIES:
            here = [unit for unit in capital_units if unit[0] == country]
            for _ in range(int(rng.poisson(6))):
                unit = here[int(rng.integers(len(here)))]
                riot = rng.random() < 0.25
                demonstrations.append(dict(
                    event_date=month + pd.Timedelta(days=int(rng.integers(0, month.days_in_month))), country=country,
                    admin1=unit[1], admin2=unit[2], actor1=f"{'Rioters' if riot else 'Protesters'} ({country})",
                    inter1="Rioters" if riot else "Protesters", event_type="Riots" if riot else "Protests",
                    disorder_type="Demonstrations", fatalities=int(rng.random() < 0.1) * int(rng.integers(1, 4)) if riot else 0,
                    tier=str(rng.choice(["national_capital", "admin2_capital", "other"], p=[0.6, 0.2, 0.2])),
                    geo_precision=1))
    # One day of protests across many districts of one country, in the evaluated months.
    country = COUNTRIES[int(rng.integers(len(COUNTRIES)))]
    day = EVALUATED_MONTHS[int(rng.integers(len(EVALUATED_MONTHS)))] + pd.Timedelta(days=int(rng.integers(0, 27)))
    for unit in [unit for unit in units if unit[0] == country][:12]:
        demonstrations.append(dict(event_date=day, country=country, admin1=unit[1], admin2=unit[2],
                                   actor1=f"Protesters ({country})", inter1="Protesters", event_type="Protests",
                                   disorder_type="Demonstrations", fatalities=0, tier="admin2_capital", geo_precision=1))
    # Strategic developments: bases handed over, arrests; no deaths.
    strategic = events.sample(frac=0.05, random_state=int(rng.integers(1 << 30))).assign(
        event_type="Strategic developments", disorder_type="Strategic developments", fatalities=0)
    strategic["source_id"] = "SD" + strategic["source_id"]
    # Massacres of 100-250 in the years before the evaluated months (heavy tails in the history).
    massacres = []
    for year in (2020, 2022, 2023):
        unit = units[int(rng.integers(len(units)))]
        massacres.append(dict(event_date=pd.Timestamp(year, int(rng.integers(1, 13)), 15), country=unit[0],
                              admin1=unit[1], admin2=unit[2], actor1="Islamic State Sahel Province",
                              fatalities=int(rng.integers(100, 251)), tier="other", geo_precision=1))
    added = pd.concat([_rows(demonstrations), strategic, _rows(massacres)], ignore_index=True)
    added["source_id"] = [f"R{i}" if not str(sid).startswith("SD") else sid for i, sid in enumerate(added["source_id"])]
    return pd.concat([events, added], ignore_index=True)


def explains(injection: Injection, alert) -> bool:
    """Whether an injection explains an alert, judged strictly: the alert's month is within the
    injection's span (one month of delay allowed) and the alert is about what the injection
    changed, where it changed it:

    - a surge or spread in one district explains alerts at that district and its region (a
      surge also its country); a massacre, alerts about deaths there, in its region and country
      (its actor's too);
    - a level change of a region explains alerts at the region, its districts and its country;
    - a drop explains drops (and level changes down) there, at its country and the area;
    - the area-wide record month explains record and surge alerts of deaths or events at the
      area, country and region levels (not single districts);
    - a tier shift or a run rate at a tier explains alerts about that tier (its pace, share or
      monthly count) in its country only, not every district surge in the country;
    - a synchronized wave explains the wave and alerts at the districts it hit (and their
      regions), of its actor family or of all actors.
    """
    period = pd.Timestamp(alert.period[:7] + "-01")
    if not (injection.onset <= period <= injection.last + pd.DateOffset(months=1)):
        return False
    scope = alert.scope
    for key in ("country", "admin1", "admin2"):
        mine, theirs = getattr(injection, key), scope.get(key)
        if mine is not None and theirs is not None and mine != theirs:
            return False
    kind = injection.kind
    if kind in ("tier_shift", "run_rate"):
        return scope.get("country") == injection.country and scope.get("tier") == injection.tier
    if scope.get("tier") is not None:
        return False  # only tier injections change settlement tiers
    if kind == "record":
        return alert.kind in ("record", "surge") and scope.get("admin2") is None and scope.get("actor") is None
    if kind == "spread":
        return scope.get("admin1") is not None and scope.get("actor") is None
    if kind == "massacre":
        return alert.measure == "fatalities" and scope.get("country") is not None
    if kind == "surge":
        return scope.get("country") is not None
    if kind == "drop":
        return alert.kind in ("drop", "change_point") and scope.get("actor") is None
    if kind == "change_point":
        return scope.get("country") is not None
    if kind == "synchronized":
        if alert.kind == "synchronized":
            return True
        if scope.get("actor") not in (None, "JNIM"):
            return False
        admin1, admin2 = scope.get("admin1"), scope.get("admin2")
        if admin2 is not None:
            return (admin1, admin2) in injection.units
        return admin1 is not None and admin1 in {unit[0] for unit in injection.units}
    raise ValueError(f"no rule for injected {kind}")


#: Alert kinds that count as finding each injected kind.
FINDS = {
    "surge": {"surge", "record"},
    "drop": {"drop"},
    "record": {"record"},
    "tier_shift": {"tier_shift"},
    "run_rate": {"run_rate"},
    "spread": {"spread"},
    "synchronized": {"synchronized"},
    "change_point": {"change_point"},
    "massacre": {"surge", "record"},
}


def found_in(injection: Injection, alerts_by_month: dict) -> pd.Timestamp | None:
    """The first month (from the detectable month, up to one month later) whose alerts find it."""
    for delay in (0, 1):
        month = injection.first_month + pd.DateOffset(months=delay)
        for alert in alerts_by_month.get(month, []):
            if alert.kind in FINDS[injection.kind] and explains(injection, alert):
                return month
    return None


def detect_month_by_month(world: World) -> tuple[dict, dict, dict]:
    """Run detection, the lifecycle and the grouping into incidents over `EVALUATED_MONTHS`, as
    a monthly service would (`forecasting.incidents.tell_month`, as `detect` does).

    Returns (alerts found per month, new alerts reported per month, incidents told per month).
    """
    import dataclasses

    from forecasting.detectors import build_series, detect, forecast_the_month, month_readings, parse_as_of
    from forecasting.incidents import tell_month
    from forecasting.models.memo import ForecastMemo
    from jobs.config import DetectConfig

    defaults = DetectConfig()
    settings = defaults.detection_settings("the watch area")

    history, checks, found, new, told = [], [], {}, {}, {}
    # As a backfill does (`detect --from --to`): the ensemble's members fitted at an origin serve
    # every later month whose window holds it. The forecasts are the same without it, each
    # judgement fitted afresh (tests/forecasting/models/test_memo.py), at 3-4 times the time.
    memo = ForecastMemo(keep_origins=True)
    for month in EVALUATED_MONTHS:
        as_of = parse_as_of(month.strftime("%Y-%m"))
        series = build_series(world.events, as_of)
        forecasts = forecast_the_month(series, as_of, memo=memo)
        alerts = detect(world.events, series, forecasts, as_of, settings)
        readings = month_readings(world.events, series, forecasts, as_of)
        outcome = tell_month(alerts, history, checks, readings, as_of.month_text, defaults.lifecycle_rules(),
                             explained_share=settings.incident_explained_share, area_name=settings.area_name,
                             driving_limit=settings.driving_events)
        # As the store does: the episodes resolved this month get `resolved_as_of`.
        history = [
            dataclasses.replace(record, resolved_as_of=as_of.month_text)
            if record.episode in outcome.lifecycle.resolved and record.resolved_as_of is None else record
            for record in history
        ] + outcome.records
        checks += outcome.lifecycle.checks
        found[month] = alerts
        new[month] = [alert for alert in outcome.lifecycle.reported if alert.status == "new"]
        told[month] = outcome.told.incidents
    return found, new, told
