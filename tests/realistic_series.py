"""Realistic labelled conflict series for forecasting tests: what the field's data look like, not
stationary noise.

One world per seed: 3 countries x 4 regions (admin1) x 5 districts (admin2), monthly fatalities
from 2012 to the end of 2025 (168 months), with

- **regimes that last years**: each region spends years in one regime (quiet, low, active,
  escalation) before moving to another, and its districts follow it with their own weights;
- **escalation ramps and slow de-escalations** (since 2026-11-30): a region's rate can grow
  log-linearly by about 3-8% a month for 18-48 months (`ramp`), from a low or active level to
  the escalation range (50-160 deaths a month, and at least 2.5 times where it started) (a tenfold rise over three years, as Burkina Faso's deaths from 2017 to 2020),
  and an escalation or a ramp can end in a decline of 2-6% a month for 12-36 months (`decline`);
  the regime after a ramp or decline carries on from the level it reached, where the others
  start with a step;
- **long quiet stretches, then sudden onset**: every world has regions quiet (nearly no deaths)
  for years that switch straight into an active or escalating regime;
- **mass-casualty events**: single events of 100+ deaths (a massacre, an attack on a base) in
  about one district-month in 250, on top of the regime;
- overdispersed months (negative binomial noise) and a rainy-season lull (July-September).

The labels say, per region, when each regime started and its log growth a month for ramps and
declines (`World.regimes`: country, admin1, regime, start, months, growth) and every mass-casualty
month (`World.mass_casualty`), so a test can check the world really has them. Series are built by
`forecasting.series.series_from_counts` from district counts, so the region and country series are
exact sums of their districts', with the ids the rest of the code uses.

**Stress worlds** (`make_world(seed, national=True)`; since 2026-11-30: STRESS_SEEDS reported
only, never tuned on; STRESS_TUNING_SEEDS for choices): a country-wide war, as Burkina Faso's from 2016 to 2020, where the
ordinary worlds' regions move independently (so their countries' sums are smoother than a real
country's). Each country draws one regime path, with ramps of 6-15% a month over 12-48 months,
and its four regions follow it, each with its own share (0.3-1.5 times) and a lag of 0-12
months (the war spreading from one region to the next), each with its own wobble; the regime labels
are the country's, shifted by each region's lag.

**Rising worlds** (`make_world(seed, national=True, rising=True)`; since 2026-12-01:
RISING_TUNING_SEEDS to choose on, RISING_SEEDS reported only): stress worlds whose countries'
wars are still growing when the data end, as the real exports of issue 16 (1997 to mid-2020) end
in the middle of Burkina Faso's, Mali's and Niger's escalation: the last 36-72 months are one ramp
of 3-6% a month from wherever the country's path was (a low level if quiet), so the
backtests' origins all fall inside the growth.

Seeds (fixed on 2026-11-30, before any result of the worlds with ramps was seen): TUNING_SEEDS
(1-3) and TUNING_WORLDS (1-30) are the worlds forecast choices are made on (seeds 1-3 first,
then 1-9 and 1-30: docs/forecasting.md); HELD_OUT_SEEDS (the three ORIGINAL_HELD_OUT_SEEDS and
six more) never are, and the backtest claims are measured on them (docs/benchmarks.md), pooled
over the nine and over the original three.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecasting.series import series_from_counts

COUNTRIES = ("Burkina Faso", "Mali", "Niger")
START = pd.Timestamp("2012-01-01")
MONTHS = 168
#: Seeds the defaults were tuned on, and seeds no choice was ever made on (see module doc).
#: TUNING_SEEDS are the quick tuning run (`benchmarks/forecast_skill.py --data tuning`);
#: TUNING_WORLDS, all 30 tuning seeds, are what forecast choices are replayed on.
TUNING_SEEDS = (1, 2, 3)
TUNING_WORLDS = tuple(range(1, 31))
#: The three original held-out seeds, then six more fixed on 2026-11-30 at 11:37 UTC, before any
#: result of the worlds with escalation ramps was seen (world-to-world spread is large: three
#: worlds are a weak estimate). Results are reported pooled over all nine and over the first three.
ORIGINAL_HELD_OUT_SEEDS = (9101, 9202, 9303)
HELD_OUT_SEEDS = (*ORIGINAL_HELD_OUT_SEEDS, 9404, 9505, 9606, 9707, 9808, 9909)
#: Eighteen more worlds drawn on 2026-12-01 (00:52 UTC) to check whether the held-out nine's
#: country shortfall was chance (median country gain -0.1% there against +8.4% on the tuning
#: worlds): run with the default as it stood (deb48fb), never chosen on. World 44 showed the quiet
#: parents' scaling fault (docs/forecasting.md, "Quiet parents"); the fix was set without them.
CHECK_SEEDS = tuple(range(31, 49))
#: Stress worlds (`national=True`), fixed on 2026-11-30 at 16:55 UTC before any was run: reported, never tuned on.
STRESS_SEEDS = (7101, 7202, 7303, 7404, 7505, 7606)
#: Stress worlds a choice may be made on (fixed at 17:03 UTC, after the STRESS_SEEDS' first report
#: had shown the countries' intervals too narrow there: docs/forecasting.md).
STRESS_TUNING_SEEDS = tuple(range(71, 81))
#: Rising worlds (`rising=True`), fixed on 2026-12-01 at 10:30 UTC before any was made: a choice
#: may be made on RISING_TUNING_SEEDS; RISING_SEEDS are reported only.
RISING_TUNING_SEEDS = tuple(range(81, 91))
RISING_SEEDS = (8101, 8202, 8303, 8404, 8505, 8606)
#: The rising worlds' last ramp: log growth a month and length in months.
RISING_RAMP = ((0.03, 0.06), (36, 72))
#: Regimes: name -> (monthly deaths of a region, low .. high).
REGIMES = {"quiet": (0.0, 0.6), "low": (2.0, 8.0), "active": (10.0, 40.0), "escalation": (50.0, 160.0)}
#: Chance per district and month of a single mass-casualty event, and its deaths.
MASS_CASUALTY_RATE = 1 / 250
MASS_CASUALTY_DEATHS = (100, 320)
#: Ramps' log growth a month and length in months, in the ordinary worlds and the stress worlds.
RAMPS = ((0.03, 0.08), (18, 48))
NATIONAL_RAMPS = ((0.06, 0.15), (12, 48))


@dataclass(frozen=True)
class World:
    """District, region and country fatality series (one series frame each) and their labels."""

    admin2: pd.DataFrame
    admin1: pd.DataFrame
    country: pd.DataFrame
    #: One row per region and regime spell: country, admin1, regime (quiet, low, active, escalation,
    #: ramp, decline), start (month), months, growth (mean log growth a month; 0 for level regimes).
    regimes: pd.DataFrame
    #: One row per mass-casualty event: country, admin1, admin2, period, deaths.
    mass_casualty: pd.DataFrame

    def levels(self) -> pd.DataFrame:
        """All three levels in one series frame."""
        return pd.concat([self.country, self.admin1, self.admin2], ignore_index=True)


def make_world(seed: int, *, months: int = MONTHS, national: bool = False, rising: bool = False) -> World:
    """The world of `seed` (see module doc); the same seed gives the same world. `national`: a
    stress world, whose regions follow their country's war; with `rising`, a war still growing
    when the data end (see module doc)."""
    rng = np.random.default_rng(seed)
    periods = pd.date_range(START, periods=months, freq="MS")
    rainy = np.isin(periods.month, (7, 8, 9))
    counts, spells, spikes = [], [], []
    for country in COUNTRIES:
        if national:
            war, war_rows = _regime_path(rng, months, quiet_start=True, ramps=NATIONAL_RAMPS)
            if rising:
                war, war_rows = _rising_to_the_end(rng, war, war_rows)
        for r in range(4):
            admin1 = f"{country[:3]}-R{r}"
            if national:
                rate, regime_rows = _follow(rng, war, war_rows)
            else:
                rate, regime_rows = _regime_path(rng, months, quiet_start=r < 2)
            spells += [{"country": country, "admin1": admin1, **row} for row in regime_rows]
            shares = rng.dirichlet(np.full(5, 1.2))
            for p in range(5):
                admin2 = f"{admin1}-P{p}"
                mean = rate * shares[p] * np.where(rainy, 0.6, 1.1) * rng.gamma(5.0, 1 / 5.0, size=months)
                # Negative binomial months (dispersion 0.7): a quiet district's rare deaths come in bursts.
                size = 1.0 / 0.7
                deaths = rng.negative_binomial(size, size / (size + np.maximum(mean, 1e-9)))
                hit = rng.random(months) < MASS_CASUALTY_RATE
                massacre = rng.integers(*MASS_CASUALTY_DEATHS, size=months)
                deaths = deaths + np.where(hit, massacre, 0)
                spikes += [
                    {"country": country, "admin1": admin1, "admin2": admin2, "period": periods[m], "deaths": int(massacre[m])}
                    for m in np.flatnonzero(hit)
                ]
                counts.append(
                    pd.DataFrame(
                        {
                            "country": country, "admin1": admin1, "admin2": admin2,
                            "year": periods.year, "month": periods.month,
                            "events": np.ceil(deaths / 3).astype(int), "fatalities": deaths,
                        }
                    )
                )
    frame = pd.concat(counts, ignore_index=True)
    start, end = periods[0], periods[-1]
    series = {level: series_from_counts(frame, level, start=start, end=end) for level in ("admin2", "admin1", "country")}
    regimes = pd.DataFrame(spells)
    return World(series["admin2"], series["admin1"], series["country"], regimes, pd.DataFrame(spikes))


def _follow(rng: np.random.Generator, war: np.ndarray, war_rows: list[dict]) -> tuple[np.ndarray, list[dict]]:
    """A region of a stress world: its country's rate `war` (and spells `war_rows`) `lag` months
    later (0-12; quiet before), times its share (0.3-1.5), with its own wobble (an AR(1) on the
    log scale, 0.9 a month, so about 12% either way: the country's path already drifts)."""
    lag = int(rng.integers(0, 13))
    share = rng.uniform(0.3, 1.5)
    shocks = rng.normal(0.0, 0.05, size=len(war))
    wobble = np.zeros(len(war))
    for month in range(1, len(war)):
        wobble[month] = 0.9 * wobble[month - 1] + shocks[month]
    drift = np.exp(wobble)
    rate = np.r_[np.full(lag, war[0]), war[: len(war) - lag]] * share * drift
    rows = [{**row, "start": row["start"] + pd.DateOffset(months=lag)} for row in war_rows]
    end = START + pd.DateOffset(months=len(war))
    rows = [{**row, "months": min(row["months"], (end.year - row["start"].year) * 12 + end.month - row["start"].month)}
            for row in rows if row["start"] < end]
    return rate, rows


def _rising_to_the_end(rng: np.random.Generator, rate: np.ndarray, rows: list[dict]) -> tuple[np.ndarray, list[dict]]:
    """`rate` (and its spells `rows`) whose last 36-72 months are replaced by one ramp of 3-6% a
    month, from the level the path had there (a low level if it was quiet), with the spells'
    drift; the spells before it cut where it starts."""
    (slowest, fastest), (shortest, longest) = RISING_RAMP
    length = int(rng.integers(shortest, longest + 1))
    start = len(rate) - length
    base = rate[start - 1] if rate[start - 1] >= REGIMES["low"][0] else rng.uniform(*REGIMES["low"])
    growth = rng.uniform(slowest, fastest)
    drift = np.exp(np.cumsum(rng.normal(0.0, 0.05, size=length)))
    rising = rate.copy()
    rising[start:] = base * np.exp(growth * np.arange(1, length + 1)) * drift
    began = START + pd.DateOffset(months=start)
    kept = []
    for row in rows:
        if row["start"] >= began:
            break
        ends = (began.year - row["start"].year) * 12 + began.month - row["start"].month
        kept.append({**row, "months": min(row["months"], ends)})
    kept.append({"regime": "ramp", "start": began, "months": length, "growth": float(growth)})
    return rising, kept


def _regime_path(rng: np.random.Generator, months: int, *, quiet_start: bool, ramps=RAMPS) -> tuple[np.ndarray, list[dict]]:
    """A region's monthly rate: spells of 1-5 years per regime (ramps 18-48 months, declines
    12-36; a spell cut by the end of the series is shorter). A region that starts quiet stays quiet for 3-8 years, then jumps straight to an active
    or escalating regime (or starts ramping up from a low level). Level regimes start at a level
    drawn from their range (a step), except after a ramp or a decline, where the level carries on
    from where the ramp or decline left it (clipped into the new regime's range)."""
    rate = np.zeros(months)
    rows = []
    month = 0
    regime = "quiet" if quiet_start else str(rng.choice(["low", "active"]))
    level = 0.0
    carry = False
    while month < months:
        if regime == "quiet" and month == 0:
            length = int(rng.integers(36, 97))
        elif regime == "ramp":
            # Years-long escalation: log-linear growth from a low or active level (where the
            # region is, or a low level after quiet) to a level in the escalation range at least
            # 2.5 times higher, at 3-8% a month (so 18-48 months; a little faster from very low;
            # `ramps` of a stress world are faster).
            (slowest, fastest), (shortest, longest) = ramps
            ramp_from = level if level >= REGIMES["low"][0] else rng.uniform(*REGIMES["low"])
            ramp_to = rng.uniform(max(REGIMES["escalation"][0], 2.5 * ramp_from), max(REGIMES["escalation"][1], 3.0 * ramp_from))
            length = int(np.clip(round(np.log(ramp_to / ramp_from) / rng.uniform(slowest, fastest)), shortest, longest))
        elif regime == "decline":
            length = int(rng.integers(12, 37))
        else:
            length = int(rng.integers(12, 61))
        stop = min(months, month + length)
        steps = np.arange(1, stop - month + 1)
        # Within a spell the level drifts a little (a random walk on the log scale), as campaigns do.
        drift = np.exp(np.cumsum(rng.normal(0.0, 0.05, size=stop - month)))
        if regime == "ramp":
            path = ramp_from * np.exp(np.log(ramp_to / ramp_from) / length * steps)
        elif regime == "decline":
            # A slower de-escalation after a peak: 2-6% a month down.
            path = level * np.exp(-rng.uniform(0.02, 0.06) * steps)
        else:
            low, high = REGIMES[regime]
            base = float(np.clip(level, low, high)) if carry else rng.uniform(low, high)
            path = np.full(stop - month, base)
        rate[month:stop] = path * drift
        level = float(path[-1])
        carry = regime in ("ramp", "decline")
        row = {"regime": regime, "start": START + pd.DateOffset(months=month), "months": stop - month}
        row["growth"] = float(np.log(path[-1] / path[0]) / max(len(path) - 1, 1)) if regime in ("ramp", "decline") else 0.0
        rows.append(row)
        month = stop
        regime = _next_regime(rng, regime)
    return rate, rows


def _next_regime(rng: np.random.Generator, regime: str) -> str:
    """Quiet breaks out suddenly (to active or escalation) or starts a ramp; low and active
    regimes often ramp up for years rather than step up; an escalation ends by stepping down or
    by a slow decline; a ramp ends in an escalation plateau or turns straight into a decline;
    wars rarely end at once."""
    choices = {
        "quiet": (["active", "escalation", "ramp"], [0.45, 0.3, 0.25]),
        "low": (["quiet", "active", "escalation", "ramp"], [0.25, 0.3, 0.1, 0.35]),
        "active": (["low", "escalation", "ramp"], [0.4, 0.2, 0.4]),
        "escalation": (["active", "low", "decline"], [0.4, 0.2, 0.4]),
        "ramp": (["escalation", "decline"], [0.6, 0.4]),
        "decline": (["active", "low"], [0.6, 0.4]),
    }
    names, weights = choices[regime]
    return str(rng.choice(names, p=weights))
