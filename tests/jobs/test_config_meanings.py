"""Config values are checked against what they mean, not only their type, when the file is read."""

from __future__ import annotations

import pytest

from jobs.config import ConfigError, load_config


def write(tmp_path, text: str):
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "text, message",
    [
        ("detect:\n  false_discovery_rate: -3\n", "key 'detect.false_discovery_rate' is a probability: it must lie between 0 and 1"),
        ("detect:\n  false_discovery_rate: 1\n", "key 'detect.false_discovery_rate' is a probability"),
        ("detect:\n  record_tail_probability: 0\n", "key 'detect.record_tail_probability' is a probability"),
        ("detect:\n  false_discovery_rate: .nan\n", "key 'detect.false_discovery_rate' must be a finite number"),
        ("detect:\n  record_lookback_months: 0\n", "key 'detect.record_lookback_months' must be more than 0, not 0"),
        ("detect:\n  min_fatalities: -1\n", "key 'detect.min_fatalities' must be 0 or more, not -1"),
        ("forecast:\n  horizon: -6\n", "key 'forecast.horizon' must be more than 0"),
        ("forecast:\n  workers: 0\n", "key 'forecast.workers' must be more than 0"),
        ("gazetteer:\n  seat_radius_km: .inf\n", "key 'gazetteer.seat_radius_km' must be a finite number"),
        ("sources:\n  acled:\n    timeout_seconds: 0\n", "key 'sources.acled.timeout_seconds' must be more than 0"),
        ("email:\n  port: 70000\n", "key 'email.port' must be from 1 to 65535, not 70000"),
        ("email:\n  delivery_budget_seconds: -1\n", "key 'email.delivery_budget_seconds' must be more than 0"),
        ("data:\n  max_fatalities: 0\n", "key 'data.max_fatalities' must be more than 0"),
        ("schedule:\n  timezone: Mars/Olympus\n", "schedule.timezone 'Mars/Olympus' is not a time zone name"),
        ("schedule:\n  report: '0 6 * * mnday'\n", "schedule.report '0 6 * * mnday' is not a valid cron expression"),
        ("schedule:\n  pull: '61 * * * *'\n", "schedule.pull '61 * * * *' is not a valid cron expression"),
        ("schedule:\n  refit: '0 5 1 *'\n", "schedule.refit '0 5 1 *' must have 5 cron fields"),
    ],
)
def test_a_value_against_its_meaning_is_refused_naming_the_file_and_key(tmp_path, text, message):
    path = write(tmp_path, text)

    with pytest.raises(ConfigError) as raised:
        load_config(path)

    assert str(raised.value).startswith(f"{path}: ")
    assert message in str(raised.value)


def test_the_edges_that_mean_something_are_accepted(tmp_path):
    config = load_config(write(tmp_path, (
        "data:\n  future_days: 0\n  max_fatalities: 1\n"
        "detect:\n  false_discovery_rate: 0.999\n  min_fatalities: 0\n  suppression_days: 0\n"
        "forecast:\n  seed: 0\n"
        "schedule:\n  timezone: Africa/Ouagadougou\n  pull: '*/3 * * * * *'\n  refit: null\n"
        "email:\n  port: 1\n"
    )))

    assert (config.data.future_days, config.detect.false_discovery_rate, config.schedule.refit) == (0, 0.999, None)
