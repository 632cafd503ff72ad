"""Every error a user can cause is one line naming the thing and the fix, with the documented exit
code (docs/cli.md): 1 user error, 2 usage error, 3 a bug (traceback and a line saying so).

A real `conflictwatch` process each time, on real SQLite and PostgreSQL databases."""

from __future__ import annotations

import io
import subprocess

import pandas as pd
from factories import acled_row, conflictwatch

from jobs.cli import EXIT_BUG, EXIT_USER_ERROR, report_error


def one_error_line(result: subprocess.CompletedProcess, code: int = 1) -> str:
    """The single `error: ...` line of a user error; fails if there is a traceback or more."""
    assert result.returncode == code, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_a_config_file_that_is_not_utf8_names_the_file_byte_and_line(tmp_path):
    (tmp_path / "config.yaml").write_bytes(b"detect:\n  min_fatalities: 3  # caf\xe9\n")
    line = one_error_line(conflictwatch("series", cwd=tmp_path))
    assert line == "error: config.yaml: not UTF-8 text (byte 34, line 2); save the file as UTF-8"


def test_out_that_is_a_file_or_under_a_file_is_refused_before_any_work(tmp_path):
    (tmp_path / "taken").write_text("a file\n", encoding="utf-8")
    for out in ("taken", "taken/reports"):
        result = conflictwatch("report", "--as-of", "2025-05", "--out", str(tmp_path / out), cwd=tmp_path)
        line = one_error_line(result)
        assert f"--out {tmp_path / out}:" in line and "is a file, not a folder" in line
    assert not (tmp_path / "conflictwatch.db").exists()  # refused before the store was opened


def test_out_that_cannot_be_written_is_refused(tmp_path):
    # /proc/1 exists and refuses new entries even to root.
    line = one_error_line(conflictwatch("report", "--as-of", "2025-05", "--out", "/proc/1/reports", cwd=tmp_path))
    assert line == "error: --out /proc/1/reports: /proc/1 is not writable; choose a folder you can write to"


def test_db_naming_a_file_that_is_not_sqlite_is_one_line(tmp_path):
    not_a_database = tmp_path / "events.csv"
    not_a_database.write_text("event_id_cnty,event_date\n" * 200, encoding="utf-8")
    line = one_error_line(conflictwatch("--db", f"sqlite:///{not_a_database}", "series", cwd=tmp_path))
    assert f"cannot use sqlite:///{not_a_database}: file is not a database" in line
    assert "--db" in line
    assert not_a_database.read_text(encoding="utf-8").startswith("event_id_cnty")  # left as it was


def test_db_with_an_unknown_driver_is_one_line(tmp_path):
    line = one_error_line(conflictwatch("--db", "postgresql+nodriver://analyst@127.0.0.1/cw", "series", cwd=tmp_path))
    assert line.startswith("error: no database driver 'postgresql+nodriver': use sqlite:///FILE.db or postgresql+psycopg://")


def test_db_in_a_missing_folder_is_an_error_naming_it_and_creates_nothing(tmp_path):
    missing = tmp_path / "no" / "such"
    line = one_error_line(conflictwatch("--db", f"sqlite:///{missing / 'cw.db'}", "series", cwd=tmp_path))
    assert f"the folder {missing} does not exist" in line
    assert not (tmp_path / "no").exists()


def test_db_on_postgresql_that_refuses_the_connection_masks_the_password(tmp_path, postgres_url):
    import sqlalchemy as sa

    # The session's real server, on a port where nothing listens, with a password in the URL.
    url = sa.engine.make_url(postgres_url).set(port=1, password="kayes-2025").render_as_string(hide_password=False)
    result = conflictwatch("--db", url, "series", cwd=tmp_path)
    line = one_error_line(result)
    assert line.startswith("error: cannot open the database postgresql+psycopg://postgres:***@127.0.0.1:1/")
    assert "kayes-2025" not in result.stderr


def test_usage_errors_exit_2_with_the_choices(tmp_path):
    for args, shown in (
        (["runs", "--state", "bogus"], "'working', 'success', 'error', 'noop', 'skipped'"),
        (["outbox", "--state", "bogus"], "'held', 'pending', 'sent', 'failed'"),
        (["alerts", "--status", "bogus"], "'new', 'ongoing', 'resolved'"),
        (["series", "--level", "province"], "'area', 'country', 'admin1', 'admin2', 'tier', 'actor'"),
        (["series", "--no-such-option"], "No such option"),
    ):
        result = conflictwatch(*args, cwd=tmp_path)
        assert result.returncode == 2, (args, result.stderr)
        assert shown in " ".join(result.stderr.replace("│", " ").split()), result.stderr
        assert "Traceback" not in result.stderr


def test_a_bug_shows_its_traceback_and_says_it_is_a_bug(capsys, monkeypatch):
    monkeypatch.setenv("ACLED_PASSWORD", "hunter2-Sahel!")
    try:
        raise KeyError("hunter2-Sahel! was not expected")
    except KeyError as error:
        code = report_error(error)
    stderr = capsys.readouterr().err
    assert code == EXIT_BUG == 3
    assert "Traceback (most recent call last)" in stderr
    assert stderr.splitlines()[-1].startswith("error: this is a bug in conflictwatch (KeyError: '*** was not expected')")
    assert "hunter2-Sahel!" not in stderr


def test_a_user_error_is_one_line_and_its_traceback_only_with_verbose(tmp_path):
    quiet = conflictwatch("--db", "sqlite:////nonexistent-folder/cw.db", "series", cwd=tmp_path)
    one_error_line(quiet, EXIT_USER_ERROR)
    verbose = conflictwatch("-v", "--db", "sqlite:////nonexistent-folder/cw.db", "series", cwd=tmp_path)
    assert verbose.returncode == EXIT_USER_ERROR
    assert "Traceback (most recent call last)" in verbose.stderr
    assert verbose.stderr.splitlines()[-1].startswith("error: cannot create the database /nonexistent-folder/cw.db")


def test_a_password_inside_acled_base_url_is_masked_in_the_final_error_line(tmp_path):
    (tmp_path / "config.yaml").write_text(
        "sources:\n  acled:\n    enabled: true\n    attempts: 1\n    token_cache: null\n", encoding="utf-8"
    )
    # Nothing listens on port 9: the pull fails at once, naming where it tried.
    result = conflictwatch(
        "pull", "acled", cwd=tmp_path,
        env={"ACLED_USERNAME": "analyst@example.org", "ACLED_PASSWORD": "s3cret/Kayes",
             "ACLED_BASE_URL": "http://analyst:s3cret%2FKayes@127.0.0.1:9"},
    )
    assert result.returncode == 1, result.stderr
    assert "s3cret" not in result.stderr and "s3cret" not in result.stdout
    assert result.stderr.splitlines()[-1].startswith("error: ")


def test_series_csv_and_the_rejects_file_neutralise_formulas(tmp_path, write_acled, store_url):
    db = store_url
    # (Names of no actor family: one naming JNIM would be counted as JNIM's, as detection does.)
    hostile = ['=HYPERLINK("http://x.test","X")', "+cmd|' /C calc'!A0", "@SUM(1+1)"]
    rows = [acled_row(f"BFA{i}", "2025-03-02", actor1=actor) for i, actor in enumerate(hostile)]
    rows.append(acled_row("BAD1", "2025-03-02", actor1="-2+3+cmd|' /C calc'!A0", fatalities="-3"))
    export = write_acled("export.csv", rows)

    ingested = conflictwatch("--db", db, "ingest", "--skip-invalid", str(export), cwd=tmp_path)
    assert ingested.returncode == 0, ingested.stderr
    rejects = pd.read_csv(tmp_path / "export.csv.rejected.csv", dtype=str, keep_default_na=False)
    assert rejects.loc[0, "actor1"] == "'-2+3+cmd|' /C calc'!A0"
    assert rejects.loc[0, "fatalities"] == "-3"  # a plain number stays one, ready to fix and reload

    printed = conflictwatch("--db", db, "series", "--level", "actor", "--csv", cwd=tmp_path)
    assert printed.returncode == 0, printed.stderr
    frame = pd.read_csv(io.StringIO(printed.stdout), dtype=str, keep_default_na=False)
    for column in frame.columns:
        assert not frame[column].str.startswith(("=", "+", "@", "\t", "\r")).any(), column
    assert frame["series_id"].str.contains("HYPERLINK").any()


def test_broken_input_files_are_one_line_each_and_store_nothing(tmp_path, write_acled, store_url):
    import gzip

    good = write_acled("good.csv", [acled_row(f"BFA{i}", notes="x" * 200) for i in range(400)]).read_text(encoding="utf-8")
    header = good.splitlines()[0]
    quote = tmp_path / "quote.csv"
    quote.write_text(good + 'BFA999,"2025-05-01,broken\n' + good.splitlines()[1] + "\n", encoding="utf-8")
    twice = tmp_path / "twice.csv"
    twice.write_text(header.replace("admin1,admin2", "admin1,admin1") + "\n" + good.split("\n", 1)[1], encoding="utf-8")
    cut = tmp_path / "cut.csv.gz"
    whole = gzip.compress(good.encode("utf-8"))
    cut.write_bytes(whole[: len(whole) * 2 // 3])

    for path, expected in (
        (quote, "quote.csv: line 402: not a well-formed CSV row"),
        (twice, "twice.csv: the column 'admin1' appears twice in the header (columns 19 and 20)"),
        (cut, "cut.csv.gz: the compressed file is damaged or ends early (an interrupted download?); download it again"),
    ):
        line = one_error_line(conflictwatch("--db", store_url, "ingest", str(path), cwd=tmp_path))
        assert expected in line, line
    counted = conflictwatch("--db", store_url, "runs", cwd=tmp_path)  # the store opens, and holds no event
    assert counted.returncode == 0, counted.stderr
    from forecasting.store import open_store
    from forecasting.store.events import count_events

    opened = open_store(store_url)
    assert count_events(opened) == 0
    opened.engine.dispose()


def test_series_on_an_empty_store_without_the_sample_says_how_to_load_data(tmp_path):
    (tmp_path / "config.yaml").write_text("data:\n  sample_when_empty: false\n", encoding="utf-8")
    line = one_error_line(conflictwatch("series", cwd=tmp_path))
    assert line.startswith("error: the store holds no events: ingest a file (conflictwatch ingest FILE)")
    assert "data.sample_when_empty: true" in line


def test_pull_with_no_source_enabled_names_every_registered_source_section(tmp_path):
    line = one_error_line(conflictwatch("pull", cwd=tmp_path))
    assert line == ("error: no source is enabled: name one (`conflictwatch pull acled`) or set enabled: true"
                    " under sources.acled or sources.ucdp in config.yaml.")
