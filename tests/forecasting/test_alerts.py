"""The alert lifecycle: new, ongoing, resolved; suppression; stable ids; the JSON shape."""

from __future__ import annotations

import dataclasses
import json

from forecasting.alerts import (
    Alert, AlertRecord, Band, BandCheck, LifecycleRules, MonthReadings, apply_lifecycle,
)

RULES = LifecycleRules(suppression_days=180, resolve_after_months=2)
SCOPE = {"country": "Mali", "admin1": "Kayes", "admin2": None, "tier": None, "actor": None}
SERIES = "fatalities|admin1|Mali|Kayes"


def alert(period: str, severity: str = "warning", kind: str = "surge", scope=SCOPE, **evidence) -> Alert:
    return Alert(kind=kind, scope=scope, measure="fatalities", period=period, observed=40, expected=10.0,
                 lower=3, upper=20, score=0.001, severity=severity, message=f"Surge in {period}.",
                 evidence={"series_id": SERIES, **evidence})


def series_at(observed: float, lower: float = 3, upper: float = 20) -> MonthReadings:
    """Readings of a month in which the Kayes series is `observed` against a 90% range."""
    return MonthReadings(series={SERIES: Band(observed, lower, upper)}, tier_shares={})


IN_BAND = series_at(10)


def run(months_found: dict[str, list[Alert]], readings: dict[str, MonthReadings] | None = None) -> dict[str, list[Alert]]:
    """Detection month by month with an in-memory store: what each month reports. `readings`
    per month (default: the series inside its range)."""
    history: list[AlertRecord] = []
    checks: list[BandCheck] = []
    reported = {}
    for month, found in months_found.items():
        outcome = apply_lifecycle(found, history, month, RULES, (readings or {}).get(month, IN_BAND), checks)
        history = [r for r in history if r.as_of != month] + outcome.records
        history = [
            AlertRecord(r.alert, r.as_of, r.episode, r.suppressed_by, month)
            if r.episode in outcome.resolved and r.resolved_as_of is None else r
            for r in history
        ]
        checks = [c for c in checks if c.as_of != month] + outcome.checks
        reported[month] = outcome.reported
    return reported


def test_id_is_stable_and_json_has_every_scope_key():
    first, second = alert("2025-05"), alert("2025-05", severity="critical")
    assert first.id == second.id and first.id.startswith("surge-2025-05-")
    assert alert("2025-06").id != first.id
    record = json.loads(json.dumps(first.to_json()))
    assert record["scope"] == SCOPE and record["status"] == "new" and record["id"] == first.id


def test_a_continuing_alert_is_ongoing_then_resolved_after_two_months_back_in_band():
    reported = run({"2025-03": [alert("2025-03")], "2025-04": [alert("2025-04")], "2025-05": [], "2025-06": [],
                    "2025-07": []})
    assert [a.status for a in reported["2025-03"]] == ["new"]
    assert [a.status for a in reported["2025-04"]] == ["ongoing"]
    assert reported["2025-05"] == []
    (notice,) = reported["2025-06"]
    assert notice.status == "resolved" and notice.period == "2025-04"
    assert notice.message.startswith(
        "Resolved in June 2025 after 2 months back in band (10 in June 2025, at most the top of its 90% forecast range (20))"
    )
    assert notice.evidence["months_in_band"] == 2 and notice.evidence["resolved_as_of"] == "2025-06"
    assert reported["2025-07"] == []  # the notice is given once


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
    reported = run({"2024-01": [alert("2024-01", severity="critical")], "2024-02": [], "2024-03": [],
                    "2024-09": [alert("2024-09", severity="info")]})
    assert [a.status for a in reported["2024-03"]] == ["resolved"]
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


def test_a_surge_stays_ongoing_while_above_its_range_even_with_no_new_alert():
    # The detector stops firing in May (its baseline has caught up), but the series stays above
    # the top of its range (20) until July: no resolution until two months back in band.
    months = ["2025-04", "2025-05", "2025-06", "2025-07", "2025-08", "2025-09", "2025-10"]
    observed = {"2025-05": 35, "2025-06": 21, "2025-07": 12, "2025-08": 30, "2025-09": 0, "2025-10": 20}
    reported = run({month: [alert(month)] if month == "2025-04" else [] for month in months},
                   {month: series_at(value) for month, value in observed.items()})
    assert [a.status for a in reported["2025-04"]] == ["new"]
    # May, June: above; July in band; August above again (the count restarts); September below
    # the range (counts as in band for a surge); October at the top of the range: resolved.
    assert all(reported[month] == [] for month in months[1:6])
    (notice,) = reported["2025-10"]
    assert notice.status == "resolved" and notice.evidence["months_in_band"] == 2
    # A new alert of the same scope before then would have been `ongoing`, however long the gap.
    again = run({"2025-04": [alert("2025-04")], "2025-05": [], "2025-06": [], "2025-07": [], "2025-08": [alert("2025-08")]},
                {month: series_at(35) for month in ("2025-05", "2025-06", "2025-07")})
    assert [a.status for a in again["2025-08"]] == ["ongoing"]


def test_a_drop_is_back_in_band_at_or_above_the_bottom_of_its_range_and_a_skipped_month_breaks_the_count():
    drop = alert("2025-04", kind="drop")
    reported = run({"2025-04": [drop], "2025-05": [], "2025-06": []},
                   {"2025-05": series_at(2), "2025-06": series_at(60)})
    assert reported["2025-05"] == [] and reported["2025-06"] == []  # 2 is below the range (3): still low
    reported = run({"2025-04": [drop], "2025-05": [], "2025-06": [], "2025-07": []},
                   {"2025-05": series_at(2), "2025-06": series_at(60), "2025-07": series_at(3)})
    (notice,) = reported["2025-07"]
    assert "at least the bottom of its 90% forecast range (3)" in notice.message
    # June and August in band, July not run: no verdict for July, so August is one month in band.
    skipped = run({"2025-04": [drop], "2025-06": [], "2025-08": [], "2025-09": []})
    assert skipped["2025-06"] == [] and skipped["2025-08"] == []
    assert [a.status for a in skipped["2025-09"]] == ["resolved"]


def test_a_record_without_readings_for_its_series_stays_open():
    # A 30-day window record names its series by level and scope (no series_id in its evidence).
    window = Alert(kind="record", scope={**SCOPE, "admin1": None}, measure="events", period="2025-07-01",
                   observed=80, expected=30.0, lower=12, upper=50, score=1e-4, severity="critical",
                   message="Record.", evidence={"level": "country"})
    history = [AlertRecord(window, "2025-07", window.id)]
    unknown = MonthReadings(series={SERIES: Band(10, 3, 20)})
    assert apply_lifecycle([], history, "2025-08", RULES, unknown).checks == []
    known = MonthReadings(series={"events|country|Mali": Band(70, 12, 50)})
    (check,) = apply_lifecycle([], history, "2025-08", RULES, known).checks
    assert (check.in_band, check.observed, check.upper) == (False, 70, 50)


TIER_SCOPE = {"country": "Burkina Faso", "admin1": None, "admin2": None, "tier": "admin2_capital", "actor": "JNIM"}
TIER_KEY = ("Burkina Faso", "JNIM", "admin2_capital", "events")


def tier_alert(period: str, share: float, lower_share: float, upper_share: float) -> Alert:
    return Alert(kind="tier_shift", scope=TIER_SCOPE, measure="events", period=period, observed=share * 100,
                 expected=lower_share * 100, lower=lower_share * 100, upper=upper_share * 100, score=1e-6,
                 severity="critical", message=f"Shift in {period}.",
                 evidence={"share": share, "total": 100.0, "baseline_lower_share": lower_share,
                           "baseline_upper_share": upper_share})


def shares(at_tier: float, total: float) -> MonthReadings:
    return MonthReadings(series={}, tier_shares={TIER_KEY: (at_tier, total)})


def test_a_tier_shift_is_resolved_only_back_within_the_first_alerts_baseline_range():
    # January: 30% against a 4-7% baseline. February: still raised, but against a trailing
    # baseline that has absorbed part of the shift (15-35%). From March the detector is silent
    # while the share stays at 24-32%: still outside the first alert's 4-7%, so still open.
    found = {"2025-01": [tier_alert("2025-01", 0.30, 0.04, 0.07)],
             "2025-02": [tier_alert("2025-02", 0.28, 0.15, 0.35)]}
    months = ["2025-01", "2025-02", "2025-03", "2025-04", "2025-05", "2025-06", "2025-07", "2025-08"]
    readings = {"2025-03": shares(24, 100), "2025-04": shares(32, 100), "2025-05": shares(6, 100),
                "2025-06": shares(7, 80), "2025-07": shares(8, 100), "2025-08": shares(0, 0)}
    reported = run({month: found.get(month, []) for month in months}, readings)
    assert [a.status for a in reported["2025-02"]] == ["ongoing"]
    # May and June within 4-7% (6%, 8.75% is not: June is out), July 8% out, August no events at all.
    assert all(reported[month] == [] for month in months[2:7])
    readings["2025-06"] = shares(5, 80)
    readings["2025-07"] = shares(3, 60)
    reported = run({month: found.get(month, []) for month in months}, readings)
    assert reported["2025-05"] == []
    (notice,) = reported["2025-06"]
    assert notice.status == "resolved" and notice.period == "2025-02"
    assert "(a share of 6% in June 2025, within its baseline range of 4%\u20137%)" in notice.message
    assert reported["2025-07"] == [] and reported["2025-08"] == []


def test_a_month_with_nothing_in_the_country_counts_as_back_in_band_for_a_tier_shift():
    months = {"2025-01": [tier_alert("2025-01", 0.30, 0.04, 0.07)], "2025-02": [], "2025-03": []}
    reported = run(months, {"2025-02": MonthReadings(tier_shares={}), "2025-03": shares(1, 20)})
    (notice,) = reported["2025-03"]
    assert notice.status == "resolved"
    # Resolved in a month with nothing in the country: the notice says so.
    (notice,) = run(months, {"2025-02": shares(1, 20), "2025-03": MonthReadings(tier_shares={})})["2025-03"]
    assert "(nothing there in March 2025, within its baseline range of 4%\u20137%)" in notice.message
    # Without event-level data (aggregates only) tier shares are not measured: no verdict.
    unmeasured = run(months, {"2025-02": MonthReadings(), "2025-03": MonthReadings()})
    assert unmeasured["2025-03"] == []


def test_kinds_without_a_band_are_resolved_after_months_without_an_alert():
    spread = alert("2025-03", kind="spread")
    reported = run({"2025-03": [spread], "2025-04": [], "2025-05": []}, {"2025-04": series_at(99), "2025-05": series_at(99)})
    (notice,) = reported["2025-05"]
    assert notice.message.startswith("Resolved in May 2025 after 2 months without a new spread alert")
    # Skipped months count as quiet: a run three months on resolves it, and a later alert is new.
    later = run({"2025-03": [spread], "2025-06": [], "2025-07": [alert("2025-07", kind="spread")]})
    assert [a.status for a in later["2025-06"]] == ["resolved"]
    assert [a.status for a in later["2025-07"]] == ["new"]


def test_an_episode_told_within_the_all_actors_alert_is_neither_resolved_nor_new_again():
    # Detection folds an actor family's alert into the same alert for all actors
    # (`actor_families` in its evidence): the family's episode was raised that month all the same.
    scope = {"country": "Mali", "admin1": None, "admin2": None, "tier": "admin2_capital", "actor": None}
    family = alert("2025-03", kind="run_rate", scope={**scope, "actor": "JNIM"})
    everyone = [alert(month, kind="run_rate", scope=scope, actor_families=[{"actor": "JNIM", "id": "x"}])
                for month in ("2025-04", "2025-05")]
    reported = run({"2025-03": [family], "2025-04": [everyone[0]], "2025-05": [everyone[1]], "2025-06": [],
                    "2025-07": [alert("2025-07", kind="run_rate", scope={**scope, "actor": "JNIM"})],
                    "2025-08": [], "2025-09": []})
    assert [a.status for a in reported["2025-04"]] == ["new"]
    assert [a.status for a in reported["2025-05"]] == ["ongoing"]
    # Without the folding, the family's episode would be resolved in May, and new again in July.
    assert reported["2025-06"] == []
    assert [(a.status, a.scope["actor"]) for a in reported["2025-07"]] == [("ongoing", "JNIM"), ("resolved", None)]
    (notice,) = reported["2025-09"]
    assert notice.scope["actor"] == "JNIM" and "after 2 months without a new year-to-date pace alert" in notice.message


def test_an_alert_id_never_changes_between_versions_and_names_places_in_their_own_letters():
    # Stored alerts are matched to new ones by id across releases: the formula is a contract.
    segou = Alert(kind="surge", scope={"country": "Mali", "admin1": "Ségou"}, measure="fatalities", period="2025-05",
                  observed=40, expected=10.0, lower=3, upper=20, score=0.001, severity="warning", message="m")
    assert segou.id == "surge-2025-05-aa0014ed8a"
    # A scope given with only some keys still has all five in the JSON, null where n/a.
    assert segou.to_json()["scope"] == {"country": "Mali", "admin1": "Ségou", "admin2": None, "tier": None, "actor": None}


def test_notices_are_info_and_say_which_episode_they_close():
    reported = run({"2025-03": [alert("2025-03", severity="critical", kind="spread")], "2025-04": [], "2025-05": []})
    (notice,) = reported["2025-05"]
    assert (notice.severity, notice.status) == ("info", "resolved")
    assert notice.message == "Resolved in May 2025 after 2 months without a new spread alert: Surge in 2025-03."
    assert notice.evidence == {"series_id": SERIES, "episode": alert("2025-03", kind="spread").id,
                               "resolved_as_of": "2025-05", "months_without_alert": 2}
    reported = run({"2025-03": [alert("2025-03", severity="critical")], "2025-04": [], "2025-05": []})
    (notice,) = reported["2025-05"]
    assert notice.severity == "info" and notice.message.endswith("): Surge in 2025-03.")
    assert (notice.evidence["episode"], notice.evidence["months_in_band"]) == (alert("2025-03").id, 2)


def test_months_are_counted_across_the_turn_of_the_year():
    # A spread alert of December: January is one month without an alert, February two.
    reported = run({"2024-12": [alert("2024-12", kind="spread")], "2025-01": [], "2025-02": []})
    assert reported["2025-01"] == [] and [a.status for a in reported["2025-02"]] == ["resolved"]
    # Back in band in December and January after a November surge; in January and February after a December one.
    for first, months in (("2024-11", ["2024-12", "2025-01"]), ("2024-12", ["2025-01", "2025-02"])):
        reported = run({first: [alert(first)], months[0]: [], months[1]: []})
        assert reported[months[0]] == [] and [a.evidence["months_in_band"] for a in reported[months[1]]] == [2]


def test_one_month_back_in_band_resolves_when_the_rules_ask_for_one_and_a_month_out_of_band_does_not():
    one = LifecycleRules(suppression_days=180, resolve_after_months=1)
    history = apply_lifecycle([alert("2025-03")], [], "2025-03", one).records
    assert apply_lifecycle([], history, "2025-04", one, series_at(35)).reported == []
    (notice,) = apply_lifecycle([], history, "2025-04", one, series_at(20)).reported
    assert notice.evidence["months_in_band"] == 1


def test_suppression_names_the_latest_stronger_alert_and_its_window_includes_its_last_day():
    # January critical and February info (ongoing) resolved in April; a May warning is held back
    # by January's alert although February's weaker one and another scope's came since.
    mopti = {**SCOPE, "admin1": "Mopti"}
    months = {"2025-01": [alert("2025-01", severity="critical")], "2025-02": [alert("2025-02", severity="info")],
              "2025-03": [], "2025-04": [alert("2025-04", scope=mopti)]}
    history: list[AlertRecord] = []
    checks: list[BandCheck] = []
    for month, found in months.items():
        outcome = apply_lifecycle(found, history, month, RULES, IN_BAND, checks)
        history = [AlertRecord(r.alert, r.as_of, r.episode, r.suppressed_by, month)
                   if r.episode in outcome.resolved else r for r in history] + outcome.records
        checks += outcome.checks
    assert history[0].resolved_as_of == "2025-04"
    may = apply_lifecycle([alert("2025-05")], history, "2025-05", RULES)
    assert may.reported == []
    (held,) = may.records
    assert (held.alert.id, held.alert.status, held.episode, held.suppressed_by) == (
        alert("2025-05").id, "new", alert("2025-05").id, alert("2025-01").id)
    # From 1 January to 1 July is 181 days: inside a 181-day window, outside a 180-day one.
    assert apply_lifecycle([alert("2025-07")], history, "2025-07", RULES).reported != []
    wider = LifecycleRules(suppression_days=181, resolve_after_months=2)
    assert apply_lifecycle([alert("2025-07")], history, "2025-07", wider).reported == []


def test_suppression_reads_day_periods_and_the_latest_of_two_stronger_alerts():
    day = {**SCOPE, "admin1": None, "actor": "JNIM"}
    january = alert("2025-01-05", kind="synchronized", severity="critical", scope=day)
    april = alert("2025-04-10", kind="synchronized", severity="critical", scope=day)
    history = [AlertRecord(january, "2025-01", january.id, resolved_as_of="2025-03"),
               AlertRecord(april, "2025-04", april.id, resolved_as_of="2025-06")]
    (held,) = apply_lifecycle([alert("2025-07-02", kind="synchronized", scope=day)], history, "2025-07", RULES).records
    assert held.suppressed_by == april.id


def test_every_alert_and_every_open_episode_of_a_month_is_handled():
    """Several alerts found in one month and several open episodes: each gets its verdict,
    whatever came before it (an ongoing or suppressed alert; an episode unjudged, not yet back
    in band long enough, or quiet for too short a time)."""
    def at(place, period, **keywords):
        return alert(period, scope={**SCOPE, "admin1": place}, series_id=f"fatalities|admin1|Mali|{place}", **keywords)

    def stored(found, as_of, **keywords):
        return AlertRecord(found, as_of, found.id, **keywords)

    history = [
        stored(at("Mopti", "2025-01", severity="critical"), "2025-01", resolved_as_of="2025-03"),
        stored(at("Tombouctou", "2025-01"), "2025-01"),  # in band in March and April
        stored(at("Kayes", "2025-03"), "2025-03"),  # found again in April
        stored(at("Gao", "2025-03"), "2025-03"),  # no reading in April: unjudged
        stored(at("Sikasso", "2025-03"), "2025-03"),  # in band in April only
        stored(at("Segou", "2025-03", kind="spread"), "2025-03"),  # one month without an alert
        stored(at("Bamako", "2025-03-20", kind="record"), "2025-03"),  # a 30-day window record
    ]
    checks = [BandCheck(at("Tombouctou", "2025-01").id, "2025-03", True, 10, 3, 20)]
    readings = MonthReadings(series={f"fatalities|admin1|Mali|{place}": Band(10, 3, 20)
                                     for place in ("Tombouctou", "Sikasso", "Bamako")})
    found = [at("Kayes", "2025-04"), at("Mopti", "2025-04"),
             dataclasses.replace(at("Tombouctou", "2025-04", kind="record"), status="resolved")]
    outcome = apply_lifecycle(found, history, "2025-04", RULES, readings, checks)

    assert {(a.scope["admin1"], a.kind): a.status for a in outcome.reported} == {
        ("Kayes", "surge"): "ongoing", ("Tombouctou", "record"): "new", ("Tombouctou", "surge"): "resolved"}
    (held,) = [r for r in outcome.records if r.alert.scope["admin1"] == "Mopti"]
    assert (held.alert.id, held.episode, held.suppressed_by) == (
        at("Mopti", "2025-04").id, at("Mopti", "2025-04").id, at("Mopti", "2025-01").id)
    assert outcome.resolved == [at("Tombouctou", "2025-01").id]
    assert [c.episode for c in outcome.checks] == [
        at("Tombouctou", "2025-01").id, at("Sikasso", "2025-03").id, at("Bamako", "2025-03-20", kind="record").id]
    assert at("Segou", "2025-03", kind="spread").id in apply_lifecycle([], history, "2025-05", RULES).resolved


def test_rerunning_the_month_that_resolved_an_episode_gives_its_notice_again():
    history = [AlertRecord(alert("2025-03", kind="spread"), "2025-03", alert("2025-03", kind="spread").id,
                           resolved_as_of="2025-05")]
    (notice,) = apply_lifecycle([], history, "2025-05", RULES).reported
    assert notice.status == "resolved"
    assert apply_lifecycle([], history, "2025-06", RULES).reported == []


def test_a_tier_share_at_either_end_of_the_range_is_in_band_and_one_event_is_a_share():
    def judged(at_tier, total):
        history = [AlertRecord(tier_alert("2025-01", 0.30, 0.05, 0.25), "2025-01", tier_alert("2025-01", 0.3, 0.05, 0.25).id)]
        (check,) = apply_lifecycle([], history, "2025-02", RULES, shares(at_tier, total)).checks
        return check.in_band, check.observed

    assert judged(1, 20) == (True, 0.05) and judged(5, 20) == (True, 0.25)
    assert judged(0, 1) == (False, 0.0)  # a single event, not at the tier: 0% is below 5%


def test_older_tier_shift_alerts_are_judged_by_their_count_range_over_the_window_total():
    def stored(**evidence):
        shift = Alert(kind="tier_shift", scope=TIER_SCOPE, measure="events", period="2025-01", observed=60,
                      expected=11.0, lower=8, upper=14, score=1e-6, severity="critical", message="Shift.",
                      evidence=evidence)
        return [AlertRecord(shift, "2025-01", shift.id)]

    def check(history, at_tier):
        return [(c.lower, c.upper, c.in_band) for c in apply_lifecycle([], history, "2025-02", RULES, shares(at_tier, 100)).checks]

    # 8 to 14 of 200 events: 4% to 7%.
    assert check(stored(total=200.0), 5) == [(0.04, 0.07, True)]
    assert check(stored(total=200.0, baseline_lower_share=0.5), 5) == [(0.04, 0.07, True)]
    assert check(stored(total=200.0, baseline_upper_share=0.5), 8) == [(0.04, 0.07, False)]
    assert check(stored(total=200.0, baseline_lower_share=0.01, baseline_upper_share=0.02), 5) == [(0.01, 0.02, False)]
    assert check(stored(), 5) == [] and check(stored(total=0), 5) == []
    for missing in ({"lower": None}, {"upper": None}):
        (record,) = stored(total=200.0)
        record = AlertRecord(Alert(**{**record.alert.__dict__, **missing}), "2025-01", record.episode)
        assert check([record], 5) == []


def test_a_tier_shift_whose_first_alert_is_no_longer_stored_is_judged_by_its_latest():
    later = tier_alert("2025-02", 0.28, 0.15, 0.35)
    history = [AlertRecord(dataclasses.replace(later, status="ongoing"), "2025-02", "tier_shift-2025-01-gone")]
    (check,) = apply_lifecycle([], history, "2025-03", RULES, shares(20, 100)).checks
    assert (check.lower, check.upper, check.in_band) == (0.15, 0.35, True)


def test_alerts_stored_before_series_ids_find_their_series_by_the_level_they_name():
    actor_at_tier = {"country": "Burkina Faso", "admin1": None, "admin2": None, "tier": "admin2_capital", "actor": "JNIM"}
    window = Alert(kind="record", scope=actor_at_tier, measure="events", period="2025-07-01", observed=80,
                   expected=30.0, lower=12, upper=50, score=1e-4, severity="critical", message="Record.",
                   evidence={"level": "tier"})
    history = [AlertRecord(window, "2025-07", window.id)]
    readings = MonthReadings(series={"events|tier|Burkina Faso|admin2_capital|actor=JNIM": Band(70, 12, 50),
                                     "events|actor|Burkina Faso|JNIM|tier=admin2_capital": Band(10, 12, 50)})
    (check,) = apply_lifecycle([], history, "2025-08", RULES, readings).checks
    assert (check.observed, check.in_band) == (70, False)
    # A series id in the evidence wins over the scope (which alone would name the actor's series).
    named = dataclasses.replace(window, evidence={"series_id": "events|tier|Burkina Faso|admin2_capital|actor=JNIM"})
    (check,) = apply_lifecycle([], [AlertRecord(named, "2025-07", named.id)], "2025-08", RULES, readings).checks
    assert check.observed == 70
