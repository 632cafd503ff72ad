"""Picking, out of the report's inputs, what one chart or table shows. No arithmetic on the data
beyond filtering and ordering: the numbers come computed (STYLE.md 6)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

from forecasting.alerts import SEVERITY_ORDER, Alert
# One definition each, in the domain: the report-data functions select series the same way.
from forecasting.report_data import month_of, series_rows  # noqa: F401
from forecasting.series import scope_level  # noqa: F401

_SCOPE_KEYS = ("country", "admin1", "admin2", "tier", "actor")


def forecast_rows(forecasts: pd.DataFrame, series_id: str, measure: str) -> pd.DataFrame:
    """The forecast rows of one series, sorted by month. A `measure` column, when the job adds
    one, tells apart the fatalities and events forecasts of the same place."""
    if forecasts.empty:
        return forecasts
    chosen = forecasts["series_id"] == series_id
    if "measure" in forecasts:
        chosen &= forecasts["measure"] == measure
    return forecasts[chosen].sort_values("period")


def alert_rows(frame: pd.DataFrame, alert_id: str) -> pd.DataFrame:
    """The rows of a per-alert frame (ReportInputs.year_to_date, .alert_tier_shares) about one
    alert; empty when the frame has none."""
    if frame.empty or "alert_id" not in frame:
        return frame.iloc[0:0]
    return frame[frame["alert_id"] == alert_id]


def alerts_about(alerts: Iterable[Alert], measure: str, scope: Mapping[str, str | None]) -> list[Alert]:
    """Alerts on exactly this series (same measure, same scope)."""
    return [
        alert
        for alert in alerts
        if alert.measure == measure and all((alert.scope.get(key) or None) == (scope.get(key) or None) for key in _SCOPE_KEYS)
    ]


def by_severity(alerts: Iterable[Alert]) -> list[Alert]:
    """Most severe first; within a severity the strongest evidence (smallest score) first, then
    the latest period, so the order is the same on every run."""
    return sorted(
        alerts,
        key=lambda alert: (-SEVERITY_ORDER[alert.severity], alert.score, _reverse(alert.period), alert.id),
    )


def _reverse(text: str) -> tuple[int, ...]:
    return tuple(-ord(character) for character in text)
