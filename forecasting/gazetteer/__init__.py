"""Settlement tiers: is an event in a national capital, a regional capital, a provincial seat,
a commune centre, or elsewhere?

The gazetteer lists the seats of each administrative unit (one CSV per country in `data/`, see
`data/README.md`). `assign_tiers` gives every event exactly one tier from `SETTLEMENT_TIERS`,
matching its location by name within its own region, then by distance, then by commune name.
`unmatched_seat_candidates` lists event locations that look like seats but matched none, to
find missing rows and spellings.

    gazetteer = load_gazetteer()
    events["tier"] = assign_tiers(events, gazetteer)
"""

from forecasting.gazetteer._names import normalize_name, normalize_names
from forecasting.gazetteer._seats import (
    SEAT_COLUMNS,
    SEAT_LEVELS,
    Gazetteer,
    GazetteerError,
    load_gazetteer,
)
from forecasting.gazetteer._tiers import (
    SETTLEMENT_TIERS,
    assign_tiers,
    haversine_km,
    unmatched_seat_candidates,
)

__all__ = [
    "SEAT_COLUMNS",
    "SEAT_LEVELS",
    "SETTLEMENT_TIERS",
    "Gazetteer",
    "GazetteerError",
    "assign_tiers",
    "haversine_km",
    "load_gazetteer",
    "normalize_name",
    "normalize_names",
    "unmatched_seat_candidates",
]
