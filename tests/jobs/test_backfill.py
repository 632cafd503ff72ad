"""`detect --from --to`: a run of months in one pass gives what month-by-month runs give."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from factories import acled_row, conflictwatch

from forecasting.detectors import build_series, parse_as_of
from forecasting.detectors.backfill import series_history
from forecasting.gazetteer import load_gazetteer
from forecasting.store import alerts as stored_alerts
from forecasting.store import events as stored_events
from forecasting.store import open_store
from jobs.config import Config
from forecasting.as_of import InvalidAsOfError, month_range
from jobs.detect import NoDataForPeriodError, run_detection, run_detections
from jobs.ingest import ingest_sample_if_empty

# May 2025 (the deadliest month), the spread into Kayes in June and the 1 July wave: months
# with new and ongoing alerts, so the lifecycle is exercised across the run.
MONTHS = ("2025-05", "2025-06", "2025-07")


@pytest.fixture(scope="module")
def sample_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("sample") / "conflictwatch.db"
    opened = open_store(f"sqlite:///{path}")
    ingest_sample_if_empty(opened, load_gazetteer(), seat_radius_km=5.0)
    opened.engine.dispose()
    return path


def _copy(sample_file, folder):
    folder.mkdir(exist_ok=True)
    target = folder / "conflictwatch.db"
    shutil.copy(sample_file, target)
    return open_store(f"sqlite:///{target}")


def test_series_cut_from_one_build_are_those_built_month_by_month(sample_file):
    opened = open_store(f"sqlite:///{sample_file}")
    events = stored_events.load_events(opened, until=parse_as_of("2025-08").day,
                                       columns=["source_id", "event_date", "country", "admin1", "admin2", "actor1",
                                                "fatalities", "tier"])
    opened.engine.dispose()
    history = series_history(build_series(events, parse_as_of("2025-08")))
    # 2018-01 is the first month of the sample: some places had no event yet.
    for month in ("2018-01", "2018-02", "2019-07", "2025-05", "2025-08"):
        as_of = parse_as_of(month)
        expected = build_series(events[events["event_date"] <= pd.Timestamp(as_of.day)], as_of)
        pd.testing.assert_frame_equal(history.as_of(as_of), expected, check_dtype=False)
    assert history.as_of(parse_as_of("2018-01"))["series_id"].nunique() < history.series["series_id"].nunique()


@pytest.mark.parametrize("measures", [("fatalities", "events"), ("fatalities", "events", "demonstrations")])
def test_forecast_parts_cut_from_one_build_are_the_months_own(sample_file, measures):
    """Months of the sample (its first half-year, as places are first seen, and later ones;
    demonstrations apart), all parts or some: the frames `parts_apart(history_for_forecast(...))`
    of the month gives, index included."""
    from forecasting.detectors.pipeline import EVENT_COLUMNS, history_for_forecast
    from forecasting.models import parts_apart

    opened = open_store(f"sqlite:///{sample_file}")
    events = stored_events.load_events(opened, until=parse_as_of("2025-08").day, columns=list(EVENT_COLUMNS))
    opened.engine.dispose()
    history = series_history(build_series(events, parse_as_of("2025-08"), measures=measures))
    names = [name for name, _ in parts_apart(history.series)]
    assert {f"{measure}|geographic" for measure in measures} <= set(names) and "events|tier" in names
    compared = 0
    for month in [*month_range("2018-01", "2018-06"), *map(parse_as_of, ("2019-07", "2022-03", "2025-05", "2025-08"))]:
        expected = parts_apart(history_for_forecast(history.as_of(month), month))
        for wanted in (set(names), {names[0], names[-1]}):
            found = history.forecast_parts(month, wanted)
            assert [name for name, _ in found] == [name for name, _ in expected if name in wanted]
            for (_, part), (_, own) in zip(found, [(name, own) for name, own in expected if name in wanted]):
                pd.testing.assert_frame_equal(part, own, check_exact=True)
                compared += 1
    # The first month has no history before it; later ones gain places.
    assert history.forecast_parts(parse_as_of("2018-01"), set(names)) == []
    assert compared > 8 * 8


def test_detectors_given_the_runs_events_find_what_they_find_from_the_months_events(sample_file):
    """A backfill works out what synchronized waves count, and the events' countries, families
    and tiers as codes, once for the run (`run_events`) and cuts each month's from it: the same
    waves, tier shifts and paces, p-values and hypotheses as from the month's own events, in
    months with a wave (July 2025) and without, and up to a day inside a month."""
    from forecasting.detectors.backfill import run_events
    from forecasting.detectors.pipeline import EVENT_COLUMNS, known_events
    from forecasting.detectors.run_rate import detect_run_rates
    from forecasting.detectors.synchronized import detect_synchronized
    from forecasting.detectors.tier_shift import detect_tier_shifts
    from jobs.detect import detection_settings

    opened = open_store(f"sqlite:///{sample_file}")
    events = stored_events.load_events(opened, until=parse_as_of("2025-08").day, columns=list(EVENT_COLUMNS))
    opened.engine.dispose()
    settings = detection_settings(Config())
    run = known_events(events, parse_as_of("2025-08"))
    prepared = run_events(run)
    found = {"waves": 0, "shifts": 0, "paces": 0}
    for text in ("2019-03", "2024-12", "2025-06", "2025-07", "2025-07-01", "2025-08"):
        as_of = parse_as_of(text)
        month = run[run["event_date"] <= pd.Timestamp(as_of.day)]
        waves = detect_synchronized(month, as_of, settings)
        assert detect_synchronized(month, as_of, settings, run_hits=prepared.hits) == waves
        assert detect_synchronized(month, as_of, settings, run_hits=prepared.hits, run_windows=prepared.windows) == waves
        shifts = detect_tier_shifts(month, as_of, settings)
        assert detect_tier_shifts(month, as_of, settings, codes=prepared.codes) == shifts
        paces = detect_run_rates(month, as_of, settings)
        assert detect_run_rates(month, as_of, settings, codes=prepared.codes) == paces
        for name, findings in (("waves", waves), ("shifts", shifts), ("paces", paces)):
            found[name] += len(findings.candidates)
    # The 1 July wave, seen in the month and on its first day; shifts and paces to compare.
    assert found["waves"] >= 2 and found["shifts"] >= 1 and found["paces"] >= 1, found


def test_a_run_of_months_gives_the_alerts_and_lifecycle_of_month_by_month(sample_file, tmp_path):
    config = Config()
    one_by_one = _copy(sample_file, tmp_path / "monthly")
    expected = [run_detection(one_by_one, config, month) for month in MONTHS]
    backfill = _copy(sample_file, tmp_path / "backfill")
    progress = []
    got = run_detections(backfill, config, MONTHS[0], MONTHS[-1],
                         on_month=lambda done, total, result: progress.append((done, total, result.as_of.text)))

    assert progress == [(index + 1, len(MONTHS), month) for index, month in enumerate(MONTHS)]
    for before, after in zip(expected, got):
        assert [alert.to_json() for alert in after.alerts] == [alert.to_json() for alert in before.alerts]
        assert [alert.id for alert in after.suppressed] == [alert.id for alert in before.suppressed]
        pd.testing.assert_frame_equal(after.forecasts, before.forecasts)
    # The lifecycle is the same stored story: every status, episode and check of every month.
    assert [_stored(record) for record in stored_alerts.list_alerts(backfill, include_suppressed=True)] == \
        [_stored(record) for record in stored_alerts.list_alerts(one_by_one, include_suppressed=True)]
    assert stored_alerts.load_band_checks(backfill) == stored_alerts.load_band_checks(one_by_one)
    statuses = {alert.status for result in got for alert in result.alerts}
    assert {"new", "ongoing"} <= statuses
    one_by_one.engine.dispose()
    backfill.engine.dispose()


def _stored(record):
    return (record.alert.to_json(), record.status, record.as_of, record.episode)


def test_month_ranges_are_checked_before_any_month_is_assessed(sample_file, tmp_path):
    assert [month.text for month in month_range("2024-11", "2025-02")] == ["2024-11", "2024-12", "2025-01", "2025-02"]
    assert [month.text for month in month_range("2025-03", "2025-03")] == ["2025-03"]
    with pytest.raises(InvalidAsOfError, match="after --to"):
        month_range("2025-03", "2025-01")
    with pytest.raises(InvalidAsOfError, match="--from '2025-03-02': give a month, YYYY-MM"):
        month_range("2025-03-02", "2025-04")
    with pytest.raises(InvalidAsOfError, match="--to 'May' is not a month or a day"):
        month_range("2025-03", "May")
    opened = _copy(sample_file, tmp_path)
    with pytest.raises(NoDataForPeriodError):
        run_detections(opened, Config(), "2025-08", "2026-01")
    assert stored_alerts.list_alerts(opened, include_suppressed=True) == []
    opened.engine.dispose()


def test_the_command_prints_every_months_alerts_and_its_progress_on_stderr(tmp_path, write_acled):
    # Two years of a few events a month in one district, then a surge in its last month.
    rows = []
    for month in pd.period_range("2023-01", "2024-12", freq="M"):
        rows += [acled_row(f"BFA{month}{i}", f"{month}-1{i}", fatalities="2") for i in range(3)]
    rows += [acled_row(f"BFA2025{i}", f"2025-01-{10 + i}", fatalities="30") for i in range(12)]
    path = write_acled("events.csv", rows)
    assert conflictwatch("ingest", str(path), cwd=tmp_path).returncode == 0

    run = conflictwatch("detect", "--from", "2024-11", "--to", "2025-01", "--json", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    alerts = json.loads(run.stdout)  # one JSON array on stdout, nothing else
    assert {alert["period"][:7] for alert in alerts} <= {"2024-11", "2024-12", "2025-01"}
    assert any(alert["kind"] in ("surge", "record") and alert["period"] == "2025-01" for alert in alerts)
    # Off a terminal, progress is one plain line per month.
    lines = [line for line in run.stderr.splitlines() if line.startswith("detect ")]
    assert [line.split(":")[0] for line in lines] == ["detect 1/3", "detect 2/3", "detect 3/3"]
    assert "2025-01" in lines[-1]

    both = conflictwatch("detect", "--as-of", "2025-01", "--from", "2024-11", "--to", "2025-01", cwd=tmp_path)
    assert both.returncode == 2 and "either --as-of, or both --from and --to" in both.stderr
    half = conflictwatch("detect", "--from", "2024-11", cwd=tmp_path)
    assert half.returncode == 2
    backwards = conflictwatch("detect", "--from", "2025-01", "--to", "2024-11", cwd=tmp_path)
    assert backwards.returncode == 1 and "--from 2025-01 is after --to 2024-11" in backwards.stderr


def test_report_from_to_writes_a_report_for_every_month(tmp_path, write_acled):
    rows = []
    for month in pd.period_range("2024-01", "2024-12", freq="M"):
        rows += [acled_row(f"BFA{month}{i}", f"{month}-1{i}", fatalities="2") for i in range(3)]
    rows += [acled_row(f"BFA2025{i}", f"2025-01-{10 + i}", fatalities="30") for i in range(12)]
    assert conflictwatch("ingest", str(write_acled("events.csv", rows)), cwd=tmp_path).returncode == 0

    run = conflictwatch("report", "--from", "2024-12", "--to", "2025-01", "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    listed = [line.split("\t") for line in run.stdout.splitlines()]
    # The data end on 21 January: that month is reported as the month so far, as --as-of 2025-01 would.
    assert [(month, kind) for month, kind, _ in listed] == [("2024-12", "PDF"), ("2025-01-21", "PDF")]
    for month, _, pdf in listed:
        assert Path(pdf).parent == tmp_path / "out" / f"report-{month}"
        assert Path(pdf).read_bytes()[:5] == b"%PDF-"
    assert [line.split(":")[0] for line in run.stderr.splitlines() if line.startswith("report ")] == ["report 1/2", "report 2/2"]
    # The months were detected and stored in order, as detect --from --to stores them.
    listed_alerts = json.loads(conflictwatch("alerts", "--json", cwd=tmp_path).stdout)
    assert {alert["as_of"] for alert in listed_alerts} <= {"2024-12", "2025-01"}
    assert any(alert["as_of"] == "2025-01" for alert in listed_alerts)


def test_parts_made_ahead_in_processes_of_their_own_are_the_forecasts_made_here(sample_file):
    """Each share of the parts of the months' forecasts (a measure's hierarchy, its tiers, its
    actor families) made in a process of its own with its own memo, month after month: the same
    forecasts as made in this process with one memo for all."""
    from forecasting.detectors import pipeline
    from forecasting.detectors.ahead import ForecastsAhead, share_parts
    from forecasting.models import ExecutorSettings, parts_apart
    from forecasting.models.memo import ForecastMemo

    opened = open_store(f"sqlite:///{sample_file}")
    events = stored_events.load_events(opened, until=parse_as_of(MONTHS[-1]).day, columns=list(pipeline.EVENT_COLUMNS))
    opened.engine.dispose()
    moments = [parse_as_of(month) for month in MONTHS]
    history = series_history(build_series(events, moments[-1]))
    sizes = {name: part["series_id"].nunique()
             for name, part in parts_apart(pipeline.history_for_forecast(history.as_of(moments[-1]), moments[-1]))}
    # Two measures, each with its hierarchy, tiers and actor families; three processes.
    assert len(sizes) == 6
    shares = share_parts(sizes, 3)
    here = ForecastMemo(keep_origins=True)
    # One share made here, when its month is asked for, the two others in processes of their own.
    with ForecastsAhead(history.forecast_parts, moments, shares,
                        model="default", seed=5, executor=ExecutorSettings(), memo=ForecastMemo(keep_origins=True),
                        here=True) as ahead:
        for moment in moments:
            series = history.as_of(moment)
            made = ahead.next_month()
            assert set(made) == set(sizes)
            pd.testing.assert_frame_equal(pipeline.forecast_the_month(series, moment, seed=5, made=made),
                                          pipeline.forecast_the_month(series, moment, seed=5, memo=here))


def test_parts_are_shared_by_their_cost_the_costliest_first():
    from forecasting.detectors.ahead import share_parts

    sizes = {"events|geographic": 197, "fatalities|geographic": 197, "events|tier": 12, "fatalities|tier": 12,
             "events|actor": 3, "fatalities|actor": 3}
    assert share_parts(sizes, 2) == [{"events|geographic", "events|tier", "events|actor"},
                                     {"fatalities|geographic", "fatalities|tier", "fatalities|actor"}]
    # A process with a hierarchy takes nothing more while the small parts are not worth its load.
    three = share_parts(sizes, 3)
    assert three[0] == {"events|geographic"} and three[1] == {"fatalities|geographic"}
    assert three[2] == {"events|tier", "fatalities|tier", "events|actor", "fatalities|actor"}
    assert share_parts({"events|geographic": 5}, 2) == [{"events|geographic"}, set()]


@pytest.mark.parametrize("run", ["backfill", "month by month"])
def test_parts_made_at_once_keep_the_rows_one_process_keeps(sample_file, tmp_path, monkeypatch, run):
    """The alerts, and the memo's rows, after a backfill whose parts were made ahead in two
    processes (each judging, keeping and pruning its own parts), or after months detected one by
    one with a share of the parts made in a second process (the first month judged from scratch,
    the second from the origins the first kept), are those made in one process, to the byte."""
    import sqlalchemy as sa

    from forecasting.detectors import ahead
    from forecasting.detectors.pipeline import history_for_forecast
    from jobs.config import ForecastConfig

    # As on a machine of two cores or more, whatever this one has.
    monkeypatch.setattr(ahead, "usable_cores", lambda: 2)
    configs = {"at once": Config(), "here": Config(forecast=ForecastConfig(workers=1))}
    opened = open_store(f"sqlite:///{sample_file}")
    last = parse_as_of(MONTHS[-1])
    seen = history_for_forecast(build_series(stored_events.load_events(opened, until=last.day), last), last)
    opened.engine.dispose()
    assert [len(ahead.part_shares(seen, config.forecast.local_workers())) for config in configs.values()] == [2, 0]
    rows, alerts = {}, {}
    for name, config in configs.items():
        opened = _copy(sample_file, tmp_path / name)
        results = run_detections(opened, config, MONTHS[1], MONTHS[-1]) if run == "backfill" else \
            [run_detection(opened, config, month) for month in MONTHS[1:]]
        alerts[name] = [[alert.to_json() for alert in result.alerts] for result in results]
        with opened.engine.connect() as connection:
            rows[name] = [sorted(row[:-1] for row in connection.execute(sa.text(f"select * from {table}")).all())
                          for table in ("ensemble_origins", "ensemble_judgements")]  # saved_at aside (the last column)
        opened.engine.dispose()
    assert alerts["at once"] == alerts["here"]
    origins, judgements = rows["at once"]
    assert len(origins) > 36 and len(judgements) == 2 * 6
    assert rows["at once"] == rows["here"]
