"""The detector registry: every kind of the alert contract has its detector, and `detect` runs
each registered detector whose inputs are there."""

from __future__ import annotations

import typing

import pandas as pd

from forecasting.alerts import Kind
from forecasting.detectors import parse_as_of
from forecasting.detectors.findings import Findings
from forecasting.detectors.registry import DETECTORS, DetectionInputs
from forecasting.series import empty_series
from jobs.config import DetectConfig


def test_every_alert_kind_has_its_detector_and_only_drops_have_two():
    """Drops are judged against the forecast (with surges) and, for regions, against their own
    past year (`regional_drop`): two families of tests, one kind of alert."""
    kinds = [kind for detector in DETECTORS for kind in detector.kinds]
    assert set(kinds) == set(typing.get_args(Kind))
    assert sorted(kind for kind in set(kinds) if kinds.count(kind) > 1) == ["drop"]


def test_without_events_only_the_detectors_of_series_run():
    inputs = DetectionInputs(events=None, series=empty_series(), predictive=pd.DataFrame(),
                             as_of=parse_as_of("2025-05"), settings=DetectConfig().detection_settings("the watch area"))
    running = {kind for detector in DETECTORS if detector.runs_on(inputs) for kind in detector.kinds}
    assert running == {"surge", "drop", "record", "spread", "change_point"}
    events = pd.DataFrame(columns=["source_id", "event_date", "country", "admin1", "admin2", "actor1", "fatalities", "tier"])
    with_events = DetectionInputs(events=events, series=empty_series(), predictive=pd.DataFrame(),
                                  as_of=parse_as_of("2025-05"), settings=DetectConfig().detection_settings("the watch area"))
    assert all(detector.runs_on(with_events) for detector in DETECTORS)
    assert all(isinstance(detector.find, typing.Callable) for detector in DETECTORS)
    assert Findings  # the type every detector returns
