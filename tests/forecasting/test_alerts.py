"""The alert lifecycle: new, ongoing, resolved; suppression; stable ids; the JSON shape."""

from __future__ import annotations

import json

from forecasting.alerts import Alert, AlertRecord, LifecycleRules, apply_lifecycle

RULES = LifecycleRules(suppression_days=180, resolve_after_months=2)
SCOPE = {"country": "Mali", "admin1": "Kayes", "admin2": None, "tier": None, "actor": None}


def alert(period: str, severity: str = "warning", kind: str = "surge", scope=SCOPE) -> Alert:
    return Alert(kind=kind, scope=scope, measure="fatalities", period=period, observed=40, expected=10.0,
                 lower=3, upper=20, score=0.001, severity=severity, message=f"Surge in {period}.")


def run(months_found: dict[str, list[Alert]]) -> dict[str, list[Alert]]:
    """Detection month by month with an in-memory store: what each month reports."""
    history: list[AlertRecord] = []
    reported = {}
    for month, found in months_found.items():
        outcome = apply_lifecycle(found, history, month, RULES)
        history = [r for r in history if r.as_of != month] + outcome.records
        history = [
            AlertRecord(r.alert, r.as_of, r.episode, r.suppressed_by, month)
            if r.episode in outcome.resolved and r.resolved_as_of is None else r
            for r in history
        ]
        reported[month] = outcome.reported
    return reported


def test_id_is_stable_and_json_has_every_scope_key():
    first, second = alert("2025-05"), alert("2025-05", severity="critical")
    assert first.id == second.id and first.id.startswith("surge-2025-05-")
    assert alert("2025-06").id != first.id
    record = json.loads(json.dumps(first.to_json()))
    assert record["scope"] == SCOPE and record["status"] == "new" and record["id"] == first.id


def test_a_continuing_alert_is_ongoing_then_resolved_after_two_quiet_months():
    reported = run({"2025-03": [alert("2025-03")], "2025-04": [alert("2025-04")], "2025-05": [], "2025-06": []})
    assert [a.status for a in reported["2025-03"]] == ["new"]
    assert [a.status for a in reported["2025-04"]] == ["ongoing"]
    assert reported["2025-05"] == []
    (notice,) = reported["2025-06"]
    assert notice.status == "resolved" and notice.period == "2025-04"
    assert notice.message.startswith("Resolved in June 2025 after 2 months")


def test_lower_severity_within_the_window_is_suppressed_but_higher_is_raised():
    reported = run({
        "2025-01": [alert("2025-01", severity="critical")],
        "2025-02": [], "2025-03": [],
        "2025-04": [alert("2025-04", severity="warning")],
        "2025-05": [], "2025-06": [],
        "2025-09": [alert("2025-09", severity="critical")],
    })
    assert [a.status for a in reported["2025-03"]] == ["resolved"]
    assert reported["2025-04"] == []  # warning after a critical within 180 days: held back
    assert [(a.status, a.severity) for a in reported["2025-09"]] == [("new", "critical")]


def test_suppression_ends_after_the_window():
    reported = run({"2024-01": [alert("2024-01", severity="critical")], "2024-03": [],
                    "2024-09": [alert("2024-09", severity="info")]})
    assert [a.status for a in reported["2024-09"]] == ["new"]


def test_other_scopes_and_kinds_are_independent_and_rerunning_a_month_is_idempotent():
    other = {**SCOPE, "admin1": "Mopti"}
    history: list[AlertRecord] = []
    first = apply_lifecycle([alert("2025-03")], history, "2025-03", RULES)
    again = apply_lifecycle([alert("2025-03")], first.records, "2025-03", RULES)
    assert [a.status for a in again.reported] == ["new"]
    later = apply_lifecycle([alert("2025-04", scope=other), alert("2025-04", kind="record")], first.records, "2025-04", RULES)
    assert sorted(a.status for a in later.reported) == ["new", "new"]
    assert [a for a in later.reported if a.status == "resolved"] == []
