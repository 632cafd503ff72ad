"""Actor families: an armed group together with its affiliates and the names ACLED gives them.

ACLED names JNIM's component katibas and allied groups separately ("Katiba Macina", "Ansaroul
Islam", ...); analysts count them as one campaign. Events are grouped by family for the actor
series, for synchronized waves and for tier shifts per actor. An actor matching no family keeps
its own name.

Protesters and rioters are not armed actors: they have no family and no actor series, and they
strike no synchronized wave (`armed_actor_families`), even where ACLED names them as the first
actor of an event it counts as political violence.
"""

from __future__ import annotations

import re

import pandas as pd

#: Family name -> pattern matched (case-insensitive) against ACLED's actor1.
ACTOR_FAMILIES: dict[str, str] = {
    "JNIM": (
        r"\bJNIM\b|Group for Support of Islam and Muslims|Jama'?at Nus?rat al-Islam|Katiba Macina|"
        r"Katiba Serma|Katiba Hanifa|Ansaroul Islam|Ansar Dine|Al Mourabitoune|AQIM|"
        r"Al Qaeda in the Islamic Maghreb"
    ),
    "Islamic State Sahel": r"Islamic State Sahel|Islamic State \(Greater Sahara\)|\bISGS\b|\bISSP\b|Islamic State West Africa",
    "State forces": r"^Military Forces of|^Police Forces of|Wagner Group|Africa Corps|Volunteers for the Defense of the Homeland|\bVDP\b",
}
#: An actor family is assessed on its own in a country (its tier shift, its year-to-date pace)
#: once it has this many events in the baseline: fewer cannot say what is usual for it.
MIN_FAMILY_EVENTS = 100
_PATTERNS = {family: re.compile(pattern, re.IGNORECASE) for family, pattern in ACTOR_FAMILIES.items()}

#: ACLED's inter codes of actors that are not armed groups: rioters (5) and protesters (6), as
#: numbers (older exports) or names (newer ones).
UNARMED_INTER = frozenset({"5", "6", "Rioters", "Protesters"})
#: ACLED names them "Protesters (Mali)", "Rioters (Burkina Faso)": for files without inter codes.
_UNARMED_NAME = re.compile(r"^(Protesters|Rioters)\b", re.IGNORECASE)


def actor_family(actor: str | None) -> str | None:
    """The family of one actor name, or the name itself; None stays None."""
    if actor is None or (isinstance(actor, float) and pd.isna(actor)):
        return None
    for family, pattern in _PATTERNS.items():
        if pattern.search(actor):
            return family
    return actor


def actor_families(actors: pd.Series) -> pd.Series:
    """`actor_family` for a column, computed once per distinct name (fast on a million events)."""
    names = actors.dropna().unique()
    mapping = {name: actor_family(name) for name in names}
    return actors.map(mapping).astype(object).where(actors.notna(), None)


def armed_actor_families(events: pd.DataFrame) -> pd.Series:
    """Each event's actor family (`actor_families` of `actor1`), or None where the actor is not
    armed (protesters or rioters, by `inter1` or, where the frame lacks it, by ACLED's name)."""
    families = actor_families(events["actor1"])
    # Names and codes are matched once each, not once per event (a million events, dozens of names).
    unarmed_names = [name for name in events["actor1"].dropna().unique() if _UNARMED_NAME.match(str(name))]
    unarmed = events["actor1"].isin(unarmed_names)
    if "inter1" in events:
        codes = events["inter1"].dropna().unique()
        unarmed_codes = [code for code in codes if str(code).strip() in UNARMED_INTER]
        unarmed |= events["inter1"].isin(unarmed_codes)
    return families.where(~unarmed.to_numpy(), None)
