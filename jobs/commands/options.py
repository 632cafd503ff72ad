"""The options several commands share, spelt once (docs/cli.md is the grammar they follow).

`--level` (alias `--by`), `--measure`, `--country` (repeatable, any case) and `--as-of` mean the
same in every command that has them. Nothing slow is imported at the top.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum
from typing import TYPE_CHECKING

from forecasting.errors import ConflictwatchError

if TYPE_CHECKING:
    from forecasting.store import Store


def choices(name: str, values: Iterable[str]) -> type[Enum]:
    """A str Enum whose members are `values`, each named as it is spelt: the fixed set an option
    or argument accepts, which Typer shows in --help and checks (`member.value` is the text)."""
    return Enum(name, {value: value for value in values}, type=str)


# The level a series is counted at: the whole watch area, a country, a first- or second-order
# unit, a settlement tier or an actor family (forecasting.series.LEVELS, which loads pandas).
Level = choices("Level", ("area", "country", "admin1", "admin2", "tier", "actor"))
# What is counted (forecasting.series.MEASURE_COUNTS): deaths in political violence, its events,
# or demonstrations (protests and riots), which are never mixed into the other two.
Measure = choices("Measure", ("fatalities", "events", "demonstrations"))


LEVEL_HELP = "Level of the series: area, country, admin1, admin2, tier or actor."
COUNTRY_HELP = "Only this country (repeatable; any case, e.g. mali)."
LAST_MONTH_HELP = "Last month (YYYY-MM) of the run started by --from."


class UnknownCountryError(ConflictwatchError):
    """A --country the store holds nothing for."""


def stored_country_names(store: "Store", asked: list[str] | None) -> list[str] | None:
    """The stored spelling of each asked country, matched without regard to case ("mali" is
    "Mali"), or None when none was asked. Raises `UnknownCountryError` naming the ones the store
    holds nothing for and listing those it does: a misspelt name would otherwise print nothing."""
    if not asked:
        return None
    from forecasting.store import events as stored_events

    held = stored_events.stored_countries(store)
    by_folded = {name.casefold(): name for name in held}
    unknown = [name for name in asked if name.strip().casefold() not in by_folded]
    if unknown:
        names = ", ".join(repr(name) for name in unknown)
        if not held:
            raise UnknownCountryError(
                f"--country: the store holds no data for {names}, nor for any country: load some with"
                " `conflictwatch ingest FILE`"
            )
        raise UnknownCountryError(f"--country: the store holds no data for {names}; choose from {', '.join(held)}")
    return list(dict.fromkeys(by_folded[name.strip().casefold()] for name in asked))
