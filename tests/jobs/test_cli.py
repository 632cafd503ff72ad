"""The command line as users run it: a real `conflictwatch` process, stdout, stderr, exit codes."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pandas as pd
from factories import acled_row, conflictwatch


def test_help_lists_the_commands(tmp_path):
    result = conflictwatch("--help", cwd=tmp_path)
    assert result.returncode == 0
    for command in ("ingest", "series", "gazetteer"):
        assert command in result.stdout


def test_ingest_then_series_as_csv(tmp_path, write_acled):
    export = write_acled(
        "export.csv",
        [
            acled_row("BFA1", "2025-03-02", fatalities="12"),
            acled_row("BFA2", "2025-05-14", fatalities="4"),
            acled_row("MLI1", "2025-05-20", country="Mali", admin1="Kayes", admin2="Kayes", location="Kayes", fatalities="30"),
        ],
    )

    ingested = conflictwatch("ingest", str(export), cwd=tmp_path)
    assert ingested.returncode == 0, ingested.stderr
    assert "export.csv\tacled\t3\t3\t0\t0\t0" in ingested.stdout
    assert (tmp_path / "conflictwatch.db").exists()

    printed = conflictwatch("series", "--by", "country", "--csv", cwd=tmp_path)
    assert printed.returncode == 0, printed.stderr
    series = pd.read_csv(io.StringIO(printed.stdout))
    assert {"series_id", "period", "value", "country", "admin1"} <= set(series.columns)
    burkina = series[series["series_id"] == "fatalities|country|Burkina Faso"].set_index("period")["value"]
    assert burkina.to_dict() == {"2025-03": 12, "2025-04": 0, "2025-05": 4}

    events = conflictwatch("series", "--by", "admin1", "--measure", "events", "--country", "Mali", "--csv", cwd=tmp_path)
    frame = pd.read_csv(io.StringIO(events.stdout))
    assert frame["series_id"].unique().tolist() == ["events|admin1|Mali|Kayes"]
    assert frame["value"].tolist() == [1]


def test_country_matches_stored_names_in_any_case_and_an_unknown_one_lists_the_choices(tmp_path, write_acled, store_url):
    export = write_acled(
        "export.csv",
        [
            acled_row("BFA1", "2025-03-02"),
            acled_row("MLI1", "2025-05-20", country="Mali", admin1="Kayes", admin2="Kayes", location="Kayes"),
        ],
    )
    assert conflictwatch("--db", store_url, "ingest", str(export), cwd=tmp_path).returncode == 0

    for asked in (["Malli"], ["Mali", "Malli"]):
        options = [argument for name in asked for argument in ("--country", name)]
        result = conflictwatch("--db", store_url, "series", *options, cwd=tmp_path)
        assert result.returncode == 1, result.stdout
        assert f"'{asked[-1]}'" in result.stderr
        assert "choose from Burkina Faso, Mali" in result.stderr
        assert "Traceback" not in result.stderr
        assert result.stdout == ""

    for spelling in ("Mali", "mali", "MALI"):
        held = conflictwatch("--db", store_url, "series", "--country", spelling, "--csv", cwd=tmp_path)
        assert held.returncode == 0, held.stderr
        assert pd.read_csv(io.StringIO(held.stdout))["series_id"].unique().tolist() == ["fatalities|country|Mali"]


def test_a_bad_file_prints_one_message_and_exits_non_zero(tmp_path, write_acled):
    bad = write_acled("bad.csv", [acled_row("BFA1"), acled_row("BFA2", fatalities="-3")])
    result = conflictwatch("ingest", str(bad), cwd=tmp_path)
    assert result.returncode == 1
    assert "bad.csv: 1 invalid rows, nothing was stored" in result.stderr
    assert "line 3: fatalities is negative" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_a_bad_config_names_the_key(tmp_path):
    (tmp_path / "config.yaml").write_text("detect:\n  min_fatalites: 3\n", encoding="utf-8")
    result = conflictwatch("series", cwd=tmp_path)
    assert result.returncode == 1
    assert "config.yaml: unknown key 'detect.min_fatalites'" in result.stderr
    assert "Traceback" not in result.stderr


def test_db_option_and_environment_choose_the_database(tmp_path, write_acled):
    from forecasting.store import open_store
    from forecasting.store.events import count_events

    export = write_acled("export.csv", [acled_row("BFA1")])
    by_option = tmp_path / "option.db"
    by_env = tmp_path / "env.db"

    for result in (
        conflictwatch("--db", f"sqlite:///{by_option}", "ingest", str(export), cwd=tmp_path),
        conflictwatch("ingest", str(export), cwd=tmp_path, env={"CONFLICTWATCH_DB": f"sqlite:///{by_env}"}),
    ):
        assert result.returncode == 0, result.stderr
        assert "export.csv\tacled\t1\t1\t0\t0\t0" in result.stdout  # one row read, one inserted, in each

    for database in (by_option, by_env):
        store = open_store(f"sqlite:///{database}")
        assert count_events(store) == 1
        store.engine.dispose()
    assert not (tmp_path / "conflictwatch.db").exists()


def test_config_option_and_environment_choose_the_file(tmp_path):
    (tmp_path / "strict.yaml").write_text("bogus: 1\n", encoding="utf-8")
    by_option = conflictwatch("--config", str(tmp_path / "strict.yaml"), "series", cwd=tmp_path)
    by_env = conflictwatch("series", cwd=tmp_path, env={"CONFLICTWATCH_CONFIG": str(tmp_path / "strict.yaml")})
    for result in (by_option, by_env):
        assert result.returncode == 1 and "strict.yaml: unknown key 'bogus'" in result.stderr


def test_an_unusable_database_url_is_explained(tmp_path):
    result = conflictwatch("--db", "mysql://x@y/z", "series", cwd=tmp_path)
    assert result.returncode == 1
    assert "unsupported database 'mysql'" in result.stderr


def test_gazetteer_check_lists_seat_like_places_that_did_not_match(tmp_path, write_acled):
    # Douentza is the seat of Douentza cercle; spelt "Duwenza" it looks like a seat (equal to its
    # admin2 name) yet matches nothing.
    rows = [
        acled_row(f"MLI{i}", country="Mali", admin1="Mopti", admin2="Duwenza", admin3="Duwenza",
                  location="Duwenza", latitude="", longitude="")
        for i in range(3)
    ]
    ingested = conflictwatch("ingest", str(write_acled("e.csv", rows)), cwd=tmp_path)
    assert ingested.returncode == 0, ingested.stderr
    result = conflictwatch("gazetteer", "check", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Duwenza" in result.stdout


def test_starting_the_command_line_imports_nothing_slow(tmp_path):
    # `conflictwatch --help` must answer at once: the heavy libraries load inside the commands
    # that use them. A command module importing one of these at its top level fails here.
    slow = ["pandas", "numpy", "scipy", "statsmodels", "prophet", "matplotlib", "sqlalchemy", "httpx", "apscheduler"]
    probe = (
        "import sys, jobs.cli; "
        f"print(','.join(name for name in {slow!r} if name in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


def test_a_default_forecast_of_every_level_loads_none_of_the_libraries_detect_does_without(tmp_path):
    # scipy.stats is half a second of import (forecasting/distributions.py), statsmodels, prophet
    # and matplotlib more: every `detect` would pay for them. A forecast by the default model of
    # districts, regions, countries and the area (members, calibration, the reconciliation with
    # the districts' rare months) in a fresh process loads none of them, lazily or not.
    heavy = ["scipy.stats", "statsmodels", "prophet", "matplotlib"]
    probe = (
        "import sys\n"
        "import numpy as np, pandas as pd\n"
        "import jobs.detect\n"
        "from forecasting.models import forecast\n"
        "from forecasting.series import series_from_counts\n"
        "rng = np.random.default_rng(3)\n"
        "periods = pd.date_range('2020-01-01', periods=48, freq='MS')\n"
        "counts = pd.concat([pd.DataFrame({'country': 'Mali', 'admin1': f'R{r}', 'admin2': f'R{r}-{d}',\n"
        "    'year': periods.year, 'month': periods.month, 'events': 1,\n"
        "    'fatalities': rng.negative_binomial(1.0, 0.2, 48) + 300 * (rng.random(48) < 0.02)})\n"
        "    for r in range(3) for d in range(4)], ignore_index=True)\n"
        "levels = [series_from_counts(counts, level) for level in ('area', 'country', 'admin1', 'admin2')]\n"
        "result = forecast(pd.concat(levels, ignore_index=True), 'default', horizon=2)\n"
        "assert len(result) == 2 * 17, len(result)\n"
        f"print(','.join(name for name in {heavy!r} if name in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


def test_a_logged_traceback_does_not_show_the_acled_password(tmp_path):
    """log.exception formats the exception after the message: the secret in it is masked too."""
    script = (
        "import logging\n"
        "from jobs.cli import configure_logging\n"
        "from jobs.config import Secrets\n"
        "configure_logging(False, Secrets(acled_password='hunter2-Sahel!'))\n"
        "try:\n"
        "    raise RuntimeError('login refused for password hunter2-Sahel!')\n"
        "except RuntimeError:\n"
        "    logging.getLogger('jobs.pull').exception('pull failed (password hunter2-Sahel!)')\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=Path(__file__).parents[2], capture_output=True,
                            text=True, timeout=60)

    assert result.returncode == 0, result.stderr
    assert "hunter2-Sahel!" not in result.stderr
    assert "pull failed (password ***)" in result.stderr
    assert "Traceback (most recent call last)" in result.stderr
    assert "RuntimeError: login refused for password ***" in result.stderr
