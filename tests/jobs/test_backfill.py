"""`detect --from --to`: a run of months in one pass gives what month-by-month runs give."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from forecasting.detectors import build_series, parse_as_of
from forecasting.detectors.backfill import series_history
from forecasting.gazetteer import load_gazetteer
from forecasting.store import alerts as stored_alerts
from forecasting.store import events as stored_events
from forecasting.store import open_store
from jobs.config import Config
from jobs.detect import InvalidMonthRangeError, NoDataForPeriodError, month_range, run_detection, run_detections
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
    with pytest.raises(InvalidMonthRangeError, match="after --to"):
        month_range("2025-03", "2025-01")
    with pytest.raises(InvalidMonthRangeError, match="give months"):
        month_range("2025-03-02", "2025-04")
    opened = _copy(sample_file, tmp_path)
    with pytest.raises(NoDataForPeriodError):
        run_detections(opened, Config(), "2025-08", "2026-01")
    assert stored_alerts.list_alerts(opened, include_suppressed=True) == []
    opened.engine.dispose()
