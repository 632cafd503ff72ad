"""The detector registry: every detector `detect` runs, what it needs, and the function.

Adding a detector is one module (a pure function returning `Findings`) and one line in
`DETECTORS`. `detect` builds the inputs once (`DetectionInputs`) and runs every registered
detector whose inputs are there: without events (ACLED's HDX admin2-month aggregates) the
detectors that need events (days, settlement tiers, actors) are skipped. Each detector's tests
are one false-discovery family; a kind may come from two (drops: against the forecast, with the
surges, and a region's against its own past year, `regional_drop`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from forecasting.detectors.change_point import detect_change_points
from forecasting.detectors.findings import Findings
from forecasting.detectors.record import detect_monthly_records, detect_window_records
from forecasting.detectors.regional_drop import detect_regional_drops
from forecasting.detectors.run_rate import detect_run_rates
from forecasting.detectors.settings import AsOf, DetectionSettings
from forecasting.detectors.spread import detect_spread
from forecasting.detectors.surge import detect_surges_and_drops
from forecasting.detectors.synchronized import detect_synchronized
from forecasting.detectors.tier_shift import detect_tier_shifts

if TYPE_CHECKING:
    import pandas as pd

    from forecasting.detectors.backfill import RunEvents

Input = Literal["events", "series", "predictive"]


@dataclass(frozen=True)
class DetectionInputs:
    """What detectors read, built once per run.

    `events`: events up to the as-of day with `actor1` as actor families, or None (monthly
    counts only). `series`: the series frame up to the as-of month. `predictive`: each series'
    as-of month against its forecast (`month_against_forecast`).
    """

    events: pd.DataFrame | None
    series: pd.DataFrame
    predictive: pd.DataFrame
    as_of: AsOf
    settings: DetectionSettings
    #: What detectors work out from a backfill's events once for the run (each month cuts its
    #: own from it; `forecasting.detectors.backfill.RunEvents`); None: from `events`.
    run: RunEvents | None = None

    def has(self, needed: Input) -> bool:
        return getattr(self, needed) is not None


@dataclass(frozen=True)
class Detector:
    """One registered detector: the alert kinds it raises, the inputs it cannot run without, and
    the pure function from inputs to findings."""

    kinds: tuple[str, ...]
    needs: tuple[Input, ...]
    find: Callable[[DetectionInputs], Findings]

    def runs_on(self, inputs: DetectionInputs) -> bool:
        return all(inputs.has(needed) for needed in self.needs)


def _records(inputs: DetectionInputs) -> Findings:
    """Monthly records; for a day as-of with events, the deadliest rolling 30-day window."""
    if inputs.as_of.is_day and inputs.events is not None:
        return detect_window_records(inputs.events, inputs.as_of, inputs.settings)
    return detect_monthly_records(inputs.series, inputs.predictive, inputs.as_of, inputs.settings)


#: Every detector, in the order their alerts are listed before sorting.
DETECTORS: tuple[Detector, ...] = (
    Detector(("surge", "drop"), ("predictive",), lambda i: detect_surges_and_drops(i.predictive, i.as_of, i.settings)),
    Detector(("drop",), ("series", "predictive"),
             lambda i: detect_regional_drops(i.series, i.predictive, i.as_of, i.settings)),
    Detector(("record",), ("series", "predictive"), _records),
    Detector(("tier_shift",), ("events",), lambda i: detect_tier_shifts(i.events, i.as_of, i.settings, codes=i.run.codes if i.run else None)),
    Detector(("run_rate",), ("events",), lambda i: detect_run_rates(i.events, i.as_of, i.settings, codes=i.run.codes if i.run else None)),
    Detector(("synchronized",), ("events",), lambda i: detect_synchronized(i.events, i.as_of, i.settings, run_hits=i.run.hits if i.run else None,
                                                                 run_windows=i.run.windows if i.run else None)),
    Detector(("spread",), ("series",), lambda i: detect_spread(i.series, i.as_of, i.settings)),
    Detector(("change_point",), ("series",), lambda i: detect_change_points(i.series, i.as_of, i.settings)),
)
