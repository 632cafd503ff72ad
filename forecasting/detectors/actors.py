"""Actor families: an armed group together with its affiliates and the names ACLED gives them.

ACLED names JNIM's component katibas and allied groups separately ("Katiba Macina", "Ansaroul
Islam", ...); analysts count them as one campaign. Events are grouped by family for the actor
series, for synchronized waves and for tier shifts per actor. An actor matching no family keeps
its own name.
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
_PATTERNS = {family: re.compile(pattern, re.IGNORECASE) for family, pattern in ACTOR_FAMILIES.items()}


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
