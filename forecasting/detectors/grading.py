"""Severity by human impact: how sure we are (significance) and how much it matters (size).

`control_false_discoveries` grades each alert by significance and multiple of the baseline
(`findings.severity`). That says how unusual a change is, not how grave: ten deaths in a
district that expects almost none are very unusual and not a national emergency. Here each
alert is graded again:

- **info at most** when it rests on little: an alert about deaths on at most `info_max_fatalities`
  (12) deaths, an alert about events on at most `info_max_events` (5) events;
- **critical** only when it is significant (graded at least warning) AND big: at least
  `critical_excess_fatalities` (25) deaths above expected, or that share
  (`critical_share_of_usual_month`, 0.2) of the country's usual month, whichever is larger; or a
  synchronized wave of armed actors across at least `critical_wave_units` (5) admin2 units; or a
  record month (or 30 days) of the whole area or a country;
- otherwise at most warning: a significant change that is not big is a warning.

A year-to-date pace (run_rate) is a trend, not an event: it is at most a warning. Every graded
alert's evidence says what its grade rests on (`excess_fatalities`, `critical_floor`).
"""

from __future__ import annotations

import dataclasses

from forecasting.alerts import SEVERITY_ORDER, Alert
from forecasting.detectors.settings import DetectionSettings

#: Actor families that are not armed actors: a wave of protests is not an offensive.
_UNARMED = ("protesters", "rioters")
#: Kinds whose `observed` and `expected` are counts of one period, so their difference is excess.
_COUNT_KINDS = ("surge", "record", "tier_shift")


def grade(alert: Alert, usual_month: dict[str | None, float], settings: DetectionSettings) -> Alert:
    """`alert` with its severity by impact and the basis in its evidence.

    `usual_month`: each country's expected fatalities for a whole as-of month (its forecast
    mean), and the whole area's under the key None.
    """
    if alert.status == "resolved":
        return dataclasses.replace(alert, severity="info")
    excess = excess_fatalities(alert)
    usual = usual_month.get(alert.scope.get("country"), usual_month.get(None, 0.0))
    floor = max(float(settings.critical_excess_fatalities), settings.critical_share_of_usual_month * usual)
    basis: dict[str, object] = {"critical_floor": round(floor, 1)}
    if excess is not None:
        basis["excess_fatalities"] = round(excess, 1)
    if rests_on_little(alert, settings):
        severity = "info"
        basis["graded_by"] = "rests on few events or deaths"
    elif alert.kind == "run_rate":
        severity = _at_most(alert.severity, "warning")
        basis["graded_by"] = "a year-to-date pace is at most a warning"
    elif SEVERITY_ORDER[alert.severity] >= SEVERITY_ORDER["warning"] and _is_big(alert, excess, floor, settings):
        severity = "critical"
        basis["graded_by"] = "significant and big"
    else:
        severity = _at_most(alert.severity, "warning")
        basis["graded_by"] = "significance" if severity == alert.severity else "significant but not big"
    return dataclasses.replace(alert, severity=severity, evidence={**alert.evidence, **basis})


def excess_fatalities(alert: Alert) -> float | None:
    """Deaths above what was expected in the alert's period and scope, or None when the alert
    does not count deaths of a period (events, a pace)."""
    if alert.kind == "spread":
        # Violence where there was almost none: every death is above expectation.
        return float(alert.evidence.get("fatalities") or 0)
    if alert.measure != "fatalities" or alert.expected is None:
        return None
    if alert.kind in _COUNT_KINDS:
        return float(alert.observed) - float(alert.expected)
    if alert.kind == "change_point":
        months = int(alert.evidence.get("months_at_new_level") or 1)
        return (float(alert.observed) - float(alert.expected)) * months
    return None


def rests_on_little(alert: Alert, settings: DetectionSettings) -> bool:
    """Whether the alert's count is too small to be more than information: its deaths (alerts
    about deaths) or its events (alerts about events) at most the info limits."""
    observed = float(alert.observed)
    if alert.kind == "change_point":
        observed *= int(alert.evidence.get("months_at_new_level") or 1)
    if alert.measure == "fatalities":
        return observed <= settings.info_max_fatalities
    return observed <= settings.info_max_events


def _is_big(alert: Alert, excess: float | None, floor: float, settings: DetectionSettings) -> bool:
    if excess is not None and excess >= floor:
        return True
    if alert.kind == "synchronized":
        actor = (alert.scope.get("actor") or "").casefold()
        armed = not any(word in actor for word in _UNARMED)
        return armed and float(alert.observed) >= settings.critical_wave_units
    scope = alert.scope
    national = all(scope.get(key) is None for key in ("admin1", "admin2", "tier", "actor"))
    return alert.kind == "record" and national


def _at_most(severity: str, ceiling: str) -> str:
    return severity if SEVERITY_ORDER[severity] <= SEVERITY_ORDER[ceiling] else ceiling
