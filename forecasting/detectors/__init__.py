"""Early-warning detectors: pure functions from series, events and forecasts to alerts.

    series = build_series(events, as_of)
    forecasts = forecast_the_month(series, as_of)
    alerts = detect(events, series, forecasts, as_of, settings)

No store, no clock, no files: `as_of` (see `parse_as_of`) is "now", and nothing dated after it
is used. Each kind has its module (surge, record, tier_shift, run_rate, spread, synchronized,
change_point); `pipeline.detect` runs them all, controls false discoveries across every test of
the month (Benjamini-Hochberg) and grades severity. The lifecycle (new, ongoing, resolved,
suppression) is `forecasting.alerts.apply_lifecycle`; `month_readings` gives it what it judges
open episodes back in band by.
"""

from forecasting.detectors.actors import ACTOR_FAMILIES, actor_families, actor_family
from forecasting.detectors.pipeline import (
    build_series,
    detect,
    forecast_the_month,
    history_for_forecast,
    month_readings,
    sort_alerts,
)
from forecasting.detectors.settings import AsOf, DetectionSettings, InvalidAsOfError, parse_as_of

__all__ = [
    "ACTOR_FAMILIES",
    "AsOf",
    "DetectionSettings",
    "InvalidAsOfError",
    "actor_families",
    "actor_family",
    "build_series",
    "detect",
    "forecast_the_month",
    "history_for_forecast",
    "month_readings",
    "parse_as_of",
    "sort_alerts",
]
