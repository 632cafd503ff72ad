"""Words and numbers for alert messages: places, measures, months, rounded for people."""

from __future__ import annotations

import pandas as pd

#: How analysts name each settlement tier in a sentence.
TIER_NAMES = {
    "national_capital": "the national capital",
    "admin1_capital": "regional capitals",
    "admin2_capital": "provincial capitals",
    "admin3_seat": "commune centres",
    "other": "places outside capitals and seats",
}
MEASURE_NAMES = {"fatalities": "reported fatalities", "events": "political-violence events"}


def place(scope: dict[str, str | None], area_name: str) -> str:
    """'Gourma, Est (Burkina Faso)', 'provincial capitals of Burkina Faso', 'the Central Sahel'."""
    country, admin1, admin2 = scope.get("country"), scope.get("admin1"), scope.get("admin2")
    tier = scope.get("tier")
    if tier:
        where = f"{TIER_NAMES.get(tier, tier)} of {country}" if country else TIER_NAMES.get(tier, tier)
    elif admin2:
        where = f"{admin2}, {admin1} ({country})"
    elif admin1:
        where = f"{admin1} ({country})"
    elif country:
        where = country
    else:
        where = area_name
    return where


def subject(measure: str, scope: dict[str, str | None], area_name: str) -> str:
    """'reported fatalities in Est (Burkina Faso)', or '... in attacks by JNIM in Mali'."""
    actor = scope.get("actor")
    where = place(scope, area_name)
    if actor:
        return f"{MEASURE_NAMES[measure]} involving {actor} in {where}"
    return f"{MEASURE_NAMES[measure]} in {where}"


def month_name(period: pd.Timestamp | str) -> str:
    """'May 2025'."""
    return pd.Timestamp(period).strftime("%B %Y")


def day_name(day) -> str:
    """'1 July 2025'."""
    stamp = pd.Timestamp(day)
    return f"{stamp.day} {stamp.strftime('%B %Y')}"


def count(value: float) -> str:
    """A count as people write it: 850, 1,240, 12,400; a fractional expectation to 2 significant
    figures under 10 (4.3) and whole above; thousands to 3 significant figures."""
    value = float(value)
    if value >= 1000:
        return f"{float(f'{value:.3g}'):,.0f}"
    if value >= 10 or value == round(value):
        return f"{round(value):,d}"
    return f"{value:.2g}"


def expected(value: float) -> str:
    """An expected count as people say it: 'almost none' below one half (not 0.033 or 1.2e-20),
    'fewer than one' below one."""
    value = float(value)
    if value < 0.5:
        return "almost none"
    return "fewer than one" if value < 1 else count(value)


def above_expected(observed: float, expected: float, level: str = "the expected level") -> str:
    """', 4.8 times the expected level', or nothing where fewer than one was expected (a multiple
    of almost nothing says nothing)."""
    if float(expected) < 1:
        return ""
    return f", {multiple(float(observed) / max(float(expected), 1.0))} {level}"


def multiple(ratio: float) -> str:
    """'2.6 times', '12 times', 'about the same'."""
    if ratio >= 10:
        return f"{ratio:.0f} times"
    return f"{ratio:.1f} times"


def percent(share: float) -> str:
    """A share as a whole percentage (below 1%, one decimal)."""
    return f"{share * 100:.0f}%" if share >= 0.01 or share == 0 else f"{share * 100:.1f}%"


def interval(lower: float, upper: float) -> str:
    """'90% range 58-215'."""
    return f"90% range {count(lower)}\u2013{count(upper)}"


def sentence(text: str) -> str:
    """Upper-case the first letter only (place and actor names inside keep their case)."""
    return text[:1].upper() + text[1:]
