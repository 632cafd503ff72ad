"""Words and numbers for people: every number, place, label and period an analyst reads.

Alert messages, incident summaries, report pages and emails all format through this module, so
the same number reads the same everywhere ("1,240", "p < 0.001", "Kayes (Mali)") and a ratio
in a sentence is the ratio of the numbers printed beside it.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from typing import Any

#: Settlement tiers (forecasting.events.TIERS) in a sentence. In Burkina Faso the admin2
#: capitals are the provincial capitals and the admin3 seats the commune centres.
TIER_NAMES = {
    "national_capital": "the national capital",
    "admin1_capital": "regional capitals",
    "admin2_capital": "provincial capitals",
    "admin3_seat": "commune centres",
    "other": "places outside capitals and seats",
    "unlocated": "events not located at a named place",
}
#: Settlement tiers as a heading, legend or table label.
TIER_LABELS = {
    "national_capital": "National capital",
    "admin1_capital": "Regional (admin1) capitals",
    "admin2_capital": "Provincial (admin2) capitals",
    "admin3_seat": "Commune (admin3) seats",
    "other": "Elsewhere",
    "unlocated": "Not located at a named place (geo-precision 2, 3)",
}
MEASURE_NAMES = {
    "fatalities": "reported fatalities",
    "events": "political-violence events",
    "demonstrations": "demonstrations (protests and riots)",
}
KIND_LABELS = {
    "surge": "Surge",
    "drop": "Drop",
    "record": "Record",
    "tier_shift": "Shift between settlement tiers",
    "spread": "Spread",
    "synchronized": "Synchronized attacks",
    "run_rate": "Year-to-date pace",
    "change_point": "Lasting change",
}
SEVERITY_LABELS = {"info": "Information", "warning": "Warning", "critical": "Critical"}
STATUS_LABELS = {"new": "New", "ongoing": "Ongoing", "resolved": "Resolved"}


# --- Places -----------------------------------------------------------------------------------


def place(scope: Mapping[str, str | None], area_name: str) -> str:
    """A place in a sentence: 'Gourma (Est, Burkina Faso)', 'Kayes district (Kayes, Mali)' (an
    admin2 unit named as its admin1 unit), 'Kayes (Mali)', 'Mali', 'provincial capitals of
    Burkina Faso', or the watch area's name. The parentheses always hold the wider units, so no
    name is read twice as 'Kayes, Kayes'."""
    country, admin1, admin2 = scope.get("country"), scope.get("admin1"), scope.get("admin2")
    tier = scope.get("tier")
    if tier:
        return f"{tier_name(tier)} of {country}" if country else tier_name(tier)
    if admin2:
        return f"{district(admin2, admin1)} ({admin1}, {country})" if admin1 else f"{admin2} ({country})"
    if admin1:
        return f"{admin1} ({country})"
    return country or area_name


def district(admin2: str, admin1: str | None) -> str:
    """An admin2 unit's name, 'Kayes district' where it is also its admin1 unit's name."""
    return f"{admin2} district" if admin1 is not None and admin2 == admin1 else admin2


def place_list(scopes: Iterable[Mapping[str, str | None]], area_name: str, *, limit: int = 8) -> str:
    """Places in a sentence, each name read once and every unit with the units that hold it:
    admin2 units grouped by their admin1 unit, admin1 units by country, then the rest, most
    specific first as given: 'Bafoulabe, Diema and Kayes district (Kayes, Mali); Niono (Segou,
    Mali); Kayes and Segou (Mali); Mali'. Past `limit` names, 'and 4 more places'."""
    groups: dict[tuple, list[str]] = {}
    for scope in scopes:
        country, admin1, admin2 = scope.get("country"), scope.get("admin1"), scope.get("admin2")
        if scope.get("tier") or not (admin1 or admin2):
            name = place(scope, area_name)
            key = ("place", name)
        elif admin2:
            key, name = ("admin2", country, admin1), district(admin2, admin1)
        else:
            key, name = ("admin1", country), admin1
        groups.setdefault(key, []).append(name)

    def holder(key: tuple) -> str:
        if key[0] == "admin2":
            return f" ({key[2]}, {key[1]})" if key[2] else f" ({key[1]})"
        return f" ({key[1]})" if key[0] == "admin1" else ""

    text, hidden = _grouped(groups, holder, limit)
    return text + (f" and {hidden} more place{'s' if hidden != 1 else ''}" if hidden else "")


def units_by_region(units: Iterable[Mapping[str, str | None]], *, limit: int = 10) -> str:
    """The admin2 units of one country by admin1 unit, for a sentence that names the country:
    'Bafoulabe, Diema, Kayes district and Nioro in Kayes; Macina and Niono in Segou'; past `limit`
    units, 'and 3 more'."""
    regions: dict[str, list[str]] = {}
    for unit in units:
        if unit.get("admin2"):
            regions.setdefault(unit.get("admin1") or "", []).append(district(unit["admin2"], unit.get("admin1")))
    text, hidden = _grouped(regions, lambda region: f" in {region}" if region else "", limit)
    return text + (f" and {hidden} more" if hidden else "")


def _grouped(groups: Mapping[Any, list[str]], holder, limit: int) -> tuple[str, int]:
    """Each group's names once ('A, B and C') followed by `holder(key)`, groups joined by '; ',
    at most `limit` names in all; returns the text and how many names were left out."""
    parts, shown = [], 0
    unique = {key: list(dict.fromkeys(names)) for key, names in groups.items()}
    for key, names in unique.items():
        names = names[: max(limit - shown, 0)]
        if not names:
            break
        shown += len(names)
        parts.append(places(names, limit=len(names)) + holder(key))
    return "; ".join(parts), sum(len(names) for names in unique.values()) - shown


def place_name(scope: Mapping[str, str | None], area_name: str) -> str:
    """A place as a heading or table cell: `place` without the tier, then the tier label and the
    actor after dashes ('Mali - Provincial (admin2) capitals - JNIM')."""
    name = place({**scope, "tier": None}, area_name)
    if scope.get("tier"):
        name += " - " + tier_label(scope["tier"])
    if scope.get("actor"):
        name += " - " + str(scope["actor"])
    return name


def event_place(*names: str | None) -> str:
    """'Nioro, Kayes, Mali': an event's place from the most to the least specific name, a name
    that repeats the one before it said once (the town of Kayes in Kayes region is 'Kayes, Mali',
    never 'Kayes, Kayes')."""
    parts = [name for name in names if isinstance(name, str) and name]
    return ", ".join(name for index, name in enumerate(parts) if index == 0 or name != parts[index - 1])


def places(names: Iterable[str], *, limit: int = 6) -> str:
    """A list of places in a sentence: 'Kayes, Nioro and Diema'; past `limit`, 'and 4 more'."""
    names = list(dict.fromkeys(names))
    if len(names) > limit:
        shown, rest = names[:limit], len(names) - limit
        return f"{', '.join(shown)} and {rest} more"
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


def tier_name(tier: str) -> str:
    """'provincial capitals' (in a sentence)."""
    return TIER_NAMES.get(tier, tier.replace("_", " "))


def tier_label(tier: str) -> str:
    """'Provincial (admin2) capitals' (a heading or legend)."""
    return TIER_LABELS.get(tier, tier.replace("_", " ").capitalize())


def subject(measure: str, scope: Mapping[str, str | None], area_name: str) -> str:
    """'reported fatalities in Est (Burkina Faso)', or '... involving JNIM in Mali'."""
    actor = scope.get("actor")
    where = place(scope, area_name)
    if actor:
        return f"{MEASURE_NAMES[measure]} involving {actor} in {where}"
    return f"{MEASURE_NAMES[measure]} in {where}"


def kind_label(kind: str) -> str:
    """'Synchronized attacks'."""
    return KIND_LABELS.get(kind, kind.replace("_", " ").capitalize())


# --- Periods ----------------------------------------------------------------------------------


def month_name(period: Any) -> str:
    """'May 2025' for a month start, a date, a timestamp or 'YYYY-MM[-DD]'."""
    return _date(period).strftime("%B %Y")


#: The report's name for a month (the same words).
month_label = month_name


def day_name(day: Any) -> str:
    """'1 July 2025'."""
    stamp = _date(day)
    return f"{stamp.day} {stamp.strftime('%B %Y')}"


def period_label(period: str) -> str:
    """An alert period in words: 'May 2025' for '2025-05', '1 July 2025' for '2025-07-01'."""
    return month_name(period) if len(period) == 7 else day_name(period)


def _date(value: Any) -> dt.date:
    if isinstance(value, str):
        return dt.date.fromisoformat(value if len(value) == 10 else f"{value[:7]}-01")
    if hasattr(value, "to_pydatetime"):
        return value.to_pydatetime().date()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    # numpy datetime64 and anything else pandas understands.
    import pandas as pd

    return pd.Timestamp(value).date()


# --- Numbers ----------------------------------------------------------------------------------


def count(value: float) -> str:
    """A count as people write it: 850, 1,187, 12,400 (exact, so it matches the evidence); a
    fractional expectation to 2 significant figures under 10 (4.3), whole above."""
    value = float(value)
    if value >= 10 or value == round(value):
        return f"{round(value):,d}"
    return f"{value:.2g}"


def printed(value: float) -> float:
    """The value as `count` prints it, so arithmetic in a sentence uses what the reader sees."""
    return float(count(value).replace(",", ""))


def number(value: float | None) -> str:
    """A count in a table cell: whole, thousands separated ('1,234'); '-' when missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{round(float(value)):,}"


def expected(value: float) -> str:
    """An expected count as people say it: 'almost none' below one half (not 0.033 or 1.2e-20),
    'fewer than one' below one."""
    value = float(value)
    if value < 0.5:
        return "almost none"
    return "fewer than one" if value < 1 else count(value)


def count_cell(value: float | None) -> str:
    """A count in a table cell as the sentences print it (`count`: '8.7', '1,087'); '-' when missing."""
    return "-" if value is None else count(value)


def expected_cell(value: float | None, lower: float | None, upper: float | None) -> str:
    """An expected count and its 90% range in a table cell, worded as the alert's sentence words
    them: '1.4 (0\u20134)', 'almost none (0\u20132.3)'; '-' when nothing was expected."""
    if value is None:
        return "-"
    if lower is None or upper is None:
        return expected(value)
    return f"{expected(value)} ({value_range(lower, upper)})"


def rate(value: float, unit: str = "a month") -> str:
    """'27 a month'; 'almost none a month' below one half."""
    return f"{expected(value) if float(value) < 1 else count(value)} {unit}"


def multiple(ratio: float) -> str:
    """'2.6 times', '12 times'."""
    if ratio >= 10:
        return f"{ratio:.0f} times"
    return f"{ratio:.1f} times"


def times(observed: float, baseline: float) -> str:
    """How many times `baseline` `observed` is, from the numbers as printed ('4.8 times'), or ''
    when the baseline prints below one (a multiple of almost nothing says nothing)."""
    base = printed(baseline)
    if base < 1:
        return ""
    return multiple(printed(observed) / base)


def above_expected(observed: float, expected_value: float, level: str = "the expected level") -> str:
    """', 4.8 times the expected level', or nothing where fewer than one was expected."""
    ratio = times(observed, expected_value)
    return f", {ratio} {level}" if ratio else ""


def percent(share: float) -> str:
    """A share as a whole percentage (below 1%, one decimal)."""
    return f"{share * 100:.0f}%" if share >= 0.01 or share == 0 else f"{share * 100:.1f}%"


def value_range(lower: float, upper: float) -> str:
    """'58–215' (counts as `count` prints them); one number when both print the same."""
    low, high = count(lower), count(upper)
    return low if low == high else f"{low}\u2013{high}"


def interval(lower: float, upper: float) -> str:
    """'90% range 58–215'."""
    return f"90% range {value_range(lower, upper)}"


def p_value(p: float) -> str:
    """'p < 0.001' or 'p = 0.03' (two significant digits)."""
    p = float(p)
    if p < 0.001:
        return "p < 0.001"
    return f"p = {float(f'{p:.2g}'):g}"


def level_held(values: Iterable[float], unit: str = "a month") -> str:
    """A level over several months: '32 a month', and the range when the months differ a lot
    ('32 a month (from 9 to 72)'), so an average never hides that it was one bad month."""
    values = [float(value) for value in values]
    mean = sum(values) / len(values)
    low, high = min(values), max(values)
    text = rate(mean, unit)
    if high > 0 and (high - low) > 0.5 * max(mean, 1.0):
        text += f" (from {count(low)} to {count(high)})"
    return text


def sentence(text: str) -> str:
    """Upper-case the first letter only (place and actor names inside keep their case)."""
    return text[:1].upper() + text[1:]


# --- Evidence for people ----------------------------------------------------------------------

#: Evidence keys shown to a person: label and how the value reads, in the order shown. Other
#: keys are for tools (the JSON) and are not printed on a page.
EVIDENCE_FACTS: dict[str, tuple[str, str]] = {
    "highest_since": ("Highest since", "period"),
    "months_without_higher": ("Months without a higher one", "count"),
    "new_level_since": ("New level since", "period"),
    "months_at_new_level": ("Months at the new level", "count"),
    "last_active_month": ("Last active", "period"),
    "admin2_units": ("Admin2 units", "places"),
    "same_or_more_last_seen": ("As many places last hit", "period"),
    "share": ("Share", "percent"),
    "baseline_share": ("Usual share", "percent"),
    "projected_year_total": ("Projected for the year", "count"),
    "earlier_years": ("Earlier years", "years"),
    "forecast_model": ("Forecast model", "text"),
    "forecast_fallback": ("Forecast fallback", "text"),
    "tests_this_month": ("Tests this month", "count"),
}


def evidence_facts(evidence: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(label, text) for the evidence a page shows: known keys only, missing values left out (no
    'Highest since: None')."""
    facts = []
    for key, (label, style) in EVIDENCE_FACTS.items():
        value = evidence.get(key)
        if value is None or value == [] or value == "" or value == {}:
            continue
        facts.append((label, _fact(style, value)))
    return facts


def _fact(style: str, value: Any) -> str:
    if style == "period":
        return period_label(str(value)[:10] if len(str(value)) >= 10 else str(value)[:7])
    if style == "count":
        return count(value)
    if style == "percent":
        return percent(float(value))
    if style == "places":
        return places([str(item) for item in value])
    if style == "years":
        return ", ".join(f"{year}: {count(total)}" for year, total in value.items())
    return str(value)
