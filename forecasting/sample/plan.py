"""The monthly plan: area-wide fatalities and events per country and month.

Part of the synthetic sample's generator: see `forecasting/sample/generate.py`."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Sequence

import numpy as np

from forecasting.sample.scope import COUNTRIES, N_MONTHS, interpolate, month_index, year_fraction


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
RECORD_TOTAL = 1060
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
