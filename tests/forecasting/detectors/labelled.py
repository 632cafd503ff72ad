"""A labelled synthetic world for measuring the detectors: background violence with one injected
anomaly of every kind, at places and months drawn from the seed.

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
    # Campaign seasons: every unit's monthly rate wanders (gamma noise, shape 6) around its base.
    monthly = base[:, None] * rng.gamma(6.0, 1 / 6.0, size=(len(units), len(months)))
    counts = rng.poisson(monthly)

    injections: list[Injection] = []
    countries = list(rng.permutation(COUNTRIES))
    onset = {kind: EVALUATED_MONTHS[rng.integers(0, len(EVALUATED_MONTHS) - 1)] for kind in
             ("surge", "drop", "record", "tier_shift", "spread", "synchronized")}
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

    # record: one month of the whole area about half as deadly again as usual (many places at once).
    m = onset["record"]
    in_month = events["event_date"].dt.to_period("M").dt.to_timestamp() == m
    extra = events[in_month].sample(frac=0.3, random_state=int(rng.integers(1 << 30))).copy()
    extra["fatalities"] = extra["fatalities"] + 1
    extra["source_id"] = extra["source_id"] + "R"
    events = pd.concat([events, extra], ignore_index=True)
    injections.append(Injection("record", None, None, None, m, m))

    # tier shift: JNIM in one country moves toward provincial capitals from its onset on.
    shift_country = countries[0]
    jnim = (events["country"] == shift_country) & events["actor1"].str.startswith("JNIM") & (
        events["event_date"] >= onset["tier_shift"]
    )
    moved = jnim & (rng.random(len(events)) < 0.3)
    events.loc[moved, "tier"] = "admin2_capital"
    injections.append(Injection("tier_shift", shift_country, None, None, onset["tier_shift"], months[-1], tier="admin2_capital"))

    # synchronized: JNIM strikes 8 distinct admin2 units of one country on one day.
    sync_country = countries[1]
    day = onset["synchronized"] + pd.Timedelta(days=int(rng.integers(0, 27)))
    targets = [unit for unit in units if unit[0] == sync_country]
    chosen = rng.choice(len(targets), size=8, replace=False)
    wave = pd.DataFrame(
        {
            "source_id": [f"SYNC{seed}-{i}" for i in range(8)],
            "event_date": day,
            "country": sync_country,
            "admin1": [targets[i][1] for i in chosen],
            "admin2": [targets[i][2] for i in chosen],
            "actor1": "JNIM: Group for Support of Islam and Muslims",
            "fatalities": rng.integers(1, 6, size=8),
            "tier": rng.choice([tier for tier, _ in TIER_SHARES], size=8, p=[share for _, share in TIER_SHARES]),
        }
    )
    events = pd.concat([events, wave], ignore_index=True)
    injections.append(Injection("synchronized", sync_country, None, None, onset["synchronized"], onset["synchronized"],
                                units=frozenset((targets[i][1], targets[i][2]) for i in chosen)))

    # run rate: commune seats of the third country three times as hit from January 2025 on.
    rate_country = countries[2]
    seats = events[(events["country"] == rate_country) & (events["tier"] == "admin3_seat")
                   & (events["event_date"] >= "2025-01-01")]
    more = pd.concat([seats, seats], ignore_index=True)
    more["source_id"] = more["source_id"] + "S" + pd.Series(range(len(more))).astype(str)
    events = pd.concat([events, more], ignore_index=True)
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
    return pd.DataFrame(
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


def explains(injection: Injection, alert) -> bool:
    """Whether an alert is about this injection: its month is within the injection's span (one
    month of delay allowed) and its place is the injection's, inside it or containing it (an
    injected surge in one district also raises its region, country and the area). Where the
    injection touched only some units (a synchronized wave), a unit alert must be about one of
    them. A tier shift moves events between tiers without adding any, so it explains only alerts
    about its tier or about tier shares; counts of places did not change."""
    period = pd.Timestamp(alert.period[:7] + "-01")
    if not (injection.onset <= period <= injection.last + pd.DateOffset(months=1)):
        return False
    for key in ("country", "admin1", "admin2"):
        mine, theirs = getattr(injection, key), alert.scope.get(key)
        if mine is not None and theirs is not None and mine != theirs:
            return False
    if injection.units is not None:
        admin1, admin2 = alert.scope.get("admin1"), alert.scope.get("admin2")
        if admin2 is not None and (admin1, admin2) not in injection.units:
            return False
        if admin1 is not None and admin1 not in {unit[0] for unit in injection.units}:
            return False
    if injection.kind == "tier_shift":
        return alert.kind == "tier_shift" or alert.scope.get("tier") == injection.tier
    return True


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
}


def found_in(injection: Injection, alerts_by_month: dict) -> pd.Timestamp | None:
    """The first month (from the detectable month, up to one month later) whose alerts find it."""
    for delay in (0, 1):
        month = injection.first_month + pd.DateOffset(months=delay)
        for alert in alerts_by_month.get(month, []):
            if alert.kind in FINDS[injection.kind] and explains(injection, alert):
                return month
    return None


def detect_month_by_month(world: World) -> tuple[dict, dict]:
    """Run detection and the lifecycle over `EVALUATED_MONTHS`, as a monthly service would.

    Returns (alerts found per month, new alerts reported per month).
    """
    import dataclasses

    from forecasting.alerts import LifecycleRules, apply_lifecycle
    from forecasting.detectors import (
        DetectionSettings, build_series, detect, history_for_forecast, month_readings, parse_as_of,
    )
    from forecasting.models import forecast

    history, checks, found, new = [], [], {}, {}
    for month in EVALUATED_MONTHS:
        as_of = parse_as_of(month.strftime("%Y-%m"))
        series = build_series(world.events, as_of)
        forecasts = forecast(history_for_forecast(series, as_of), horizon=1, seed=0)
        alerts = detect(world.events, series, forecasts, as_of, DetectionSettings())
        readings = month_readings(world.events, series, forecasts, as_of)
        outcome = apply_lifecycle(alerts, history, as_of.month_text, LifecycleRules(), readings, checks)
        # As the store does: the episodes resolved this month get `resolved_as_of`.
        history = [
            dataclasses.replace(record, resolved_as_of=as_of.month_text)
            if record.episode in outcome.resolved and record.resolved_as_of is None else record
            for record in history
        ] + outcome.records
        checks += outcome.checks
        found[month] = alerts
        new[month] = [alert for alert in outcome.reported if alert.status == "new"]
    return found, new
