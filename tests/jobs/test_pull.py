"""`pull` end to end: a real server on 127.0.0.1, real SQLite and PostgreSQL stores, real
processes that are killed or run side by side."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
from factories import acled_row
from fake_sources import ACLED_PASSWORD, ACLED_USERNAME, UCDP_TOKEN, FakeSources, acled_event, ucdp_event

from forecasting.sources.http import SourceResponseError, SourceUnavailableError
from forecasting.store import events as stored_events
from forecasting.store import pulls
from forecasting.gazetteer import load_gazetteer
from jobs.config import AcledSourceConfig, Config, Secrets, SourcesConfig, UcdpSourceConfig
from jobs.ingest import ingest_files, ingest_sample_if_empty
from jobs.pull import MissingCredentialsError, PullResult, pull_source

PAGE = 10
SECRETS = Secrets(acled_username=ACLED_USERNAME, acled_password=ACLED_PASSWORD, ucdp_token=UCDP_TOKEN)
REPOSITORY = Path(__file__).resolve().parents[2]
NO_PAGES = SimpleNamespace(pages_done=0)


@pytest.fixture
def api():
    with FakeSources() as server:
        server.acled_events = [acled_event(i, timestamp=1_700_000_000 + i) for i in range(1, 26)]
        yield server


@pytest.fixture
def config(api, tmp_path) -> Config:
    fast = dict(attempts=3, backoff_seconds=0.01, max_backoff_seconds=0.02, timeout_seconds=2.0)
    return Config(
        sources=SourcesConfig(
            acled=AcledSourceConfig(base_url=api.url, page_size=PAGE, token_cache=str(tmp_path / "token.json"), **fast),
            ucdp=UcdpSourceConfig(base_url=api.url, page_size=3, **fast),
        )
    )


def stored_ids(store) -> list[str]:
    return sorted(stored_events.load_events(store, columns=["source_id"])["source_id"])


def acled_ids(numbers) -> list[str]:
    return sorted(f"BFA{i}" for i in numbers)


def test_a_first_pull_loads_everything_then_only_what_changed_and_deletions(store, api, config):
    first = pull_source(store, config, SECRETS, "acled")

    assert first == PullResult("acled", pages=3, events_received=25, inserted=25, updated=0, deleted=0, resumed_from=None)
    events = stored_events.load_events(store).set_index("source_id")
    assert list(events.loc["BFA7", ["source", "country", "admin1", "location", "fatalities", "timestamp"]]) == [
        "acled", "Burkina Faso", "Sahel", "Djibo", 3, 1_700_000_007,
    ]
    assert events.loc["BFA7", "tier"] == "admin2_capital"  # Djibo is the seat of Soum
    assert "timestamp" not in api.seen("/api/acled/read")[0].query

    api.acled_events[4] = acled_event(5, timestamp=1_800_000_000, fatalities=9)  # revised upstream
    api.acled_events.append(acled_event(26, timestamp=1_800_000_001))  # new
    api.acled_deletions.append({"event_id_cnty": "BFA3", "deleted_timestamp": str(1_800_000_002)})
    second = pull_source(store, config, SECRETS, "acled")

    assert second == PullResult("acled", pages=1, events_received=3, inserted=1, updated=1, deleted=1, resumed_from=None)
    incremental = api.seen("/api/acled/read")[-1].query
    assert incremental["timestamp"] == "1700000025"  # the newest timestamp the first pull received
    assert stored_ids(store) == acled_ids([i for i in range(1, 27) if i != 3])
    assert stored_events.load_events(store).set_index("source_id").loc["BFA5", "fatalities"] == 9

    third = pull_source(store, config, SECRETS, "acled")
    assert (third.inserted, third.updated, third.deleted) == (0, 0, 0)
    assert api.seen("/api/deleted/read")[-1].query["deleted_timestamp"] == str(1_800_000_002)


def test_since_rereads_from_a_date_without_moving_the_incremental_mark(store, api, config):
    import datetime as dt

    pull_source(store, config, SECRETS, "acled")
    again = pull_source(store, config, SECRETS, "acled", since=dt.date(2025, 1, 1))

    assert (again.events_received, again.inserted, again.updated) == (25, 0, 0)
    query = api.seen("/api/acled/read")[-1].query
    assert query["event_date"].startswith("2025-01-01|") and "timestamp" not in query
    assert pulls.read_checkpoint(store, "acled").timestamp_watermark == 1_700_000_025

    pull_source(store, config, SECRETS, "acled")
    assert api.seen("/api/acled/read")[-1].query["timestamp"] == "1700000025"  # still incremental


def test_a_revision_of_an_event_dated_before_since_still_arrives_with_the_next_plain_pull(store, api, config):
    """A --since pull receives newer timestamps than the mark, but only for events dated from
    `since`: if it moved the mark, a revision made meanwhile to an older event would be skipped
    by every later incremental pull, and lost for good."""
    import datetime as dt

    api.acled_events[0] = acled_event(1, timestamp=1_700_000_001, event_date="2024-06-03", fatalities=2)
    pull_source(store, config, SECRETS, "acled")
    api.acled_events[0] = acled_event(1, timestamp=1_800_000_000, event_date="2024-06-03", fatalities=11)  # revised
    api.acled_events[9] = acled_event(10, timestamp=1_800_000_500, fatalities=4)  # revised, dated 2025-05-14

    since = pull_source(store, config, SECRETS, "acled", since=dt.date(2025, 1, 1))
    assert (since.events_received, since.updated) == (24, 1)  # every event but BFA1, dated before since
    assert pulls.read_checkpoint(store, "acled").timestamp_watermark == 1_700_000_025

    plain = pull_source(store, config, SECRETS, "acled")
    assert api.seen("/api/acled/read")[-1].query["timestamp"] == "1700000025"
    # BFA1's revision; BFA10's and BFA25 (at the mark itself) again, unchanged.
    assert (plain.events_received, plain.updated) == (3, 1)
    assert stored_events.load_events(store).set_index("source_id").loc["BFA1", "fatalities"] == 11
    assert pulls.read_checkpoint(store, "acled").timestamp_watermark == 1_800_000_500


def test_a_first_pull_into_a_store_holding_the_synthetic_sample_loads_everything_and_replaces_it(
    store, api, config, caplog
):
    (sample,) = ingest_sample_if_empty(store, load_gazetteer(), seat_radius_km=5.0)
    # The sample's newest event is newer than every event the server holds: a pull that started
    # from the newest stored timestamp would load nothing at all.
    assert sample.inserted > 10_000
    assert stored_events.load_events(store, columns=["timestamp"])["timestamp"].max() > 1_700_000_025

    with caplog.at_level(logging.WARNING, logger="jobs.pull"):
        result = pull_source(store, config, SECRETS, "acled")

    assert (result.events_received, result.inserted) == (25, 25)
    (first_query,) = [request.query for request in api.seen("/api/acled/read") if request.query["page"] == "1"]
    assert "timestamp" not in first_query and first_query["event_date"].startswith("2018-01-01|")
    assert stored_ids(store) == acled_ids(range(1, 26))  # the sample's rows are gone
    assert not stored_events.source_counts(store)["synthetic"].any()
    warnings = [record.getMessage() for record in caplog.records if record.name == "jobs.pull"]
    assert [message for message in warnings if "SYNTHETIC" in message] == [
        f"ACLED: removed the {sample.inserted} events of the shipped SYNTHETIC sample from the store:"
        " real events have arrived, and the two are never kept together"
    ]
    checkpoint = pulls.read_checkpoint(store, "acled")
    assert (checkpoint.timestamp_watermark, checkpoint.watermark_countries) == (
        1_700_000_025, ("Burkina Faso", "Mali", "Niger"),
    )


def test_a_bad_first_page_leaves_the_synthetic_sample_in_place(store, api, config):
    (sample,) = ingest_sample_if_empty(store, load_gazetteer(), seat_radius_km=5.0)
    api.fail_page(1, ("json", {"status": 200, "success": True, "data": [acled_event(1) | {"fatalities": "many"}]}))

    with pytest.raises(SourceResponseError):
        pull_source(store, config, SECRETS, "acled")

    # The sample goes in the transaction of the first page stored, so with none stored it stays.
    assert stored_events.count_events(store) == sample.inserted
    assert stored_events.source_counts(store)["synthetic"].all()


def test_events_from_a_file_do_not_make_the_first_pull_incremental_but_the_second_is(
    store, api, config, write_acled
):
    # A small manual export, newer than anything the server holds.
    path = write_acled("export.csv", [acled_row(f"BFA{900 + i}", timestamp="1900000000") for i in range(3)])
    ingest_files(store, [path], load_gazetteer(), seat_radius_km=5.0)

    first = pull_source(store, config, SECRETS, "acled")

    assert (first.events_received, first.inserted) == (25, 25)
    assert "timestamp" not in api.seen("/api/acled/read")[-1].query
    assert stored_ids(store) == sorted(acled_ids(range(1, 26)) + ["BFA900", "BFA901", "BFA902"])

    api.acled_events.append(acled_event(26, timestamp=1_800_000_000))
    second = pull_source(store, config, SECRETS, "acled")

    # From the newest event the first pull loaded, not the export's 1900000000.
    assert api.seen("/api/acled/read")[-1].query["timestamp"] == "1700000025"
    assert (second.events_received, second.inserted, second.updated) == (2, 1, 0)  # BFA25 again, and BFA26
    assert pulls.read_checkpoint(store, "acled").timestamp_watermark == 1_800_000_000


def test_a_country_added_to_the_watch_area_is_loaded_from_start_date(store, api, config):
    api.acled_events += [acled_event(i, country="Mali", timestamp=1_600_000_000 + i) for i in (1, 2)]
    burkina = dataclasses.replace(config, watch_area=dataclasses.replace(config.watch_area, countries=("Burkina Faso",)))
    pull_source(store, burkina, SECRETS, "acled")
    assert api.seen("/api/acled/read")[-1].query["country"] == "Burkina Faso"

    pull_source(store, config, SECRETS, "acled")

    # Mali's events are older than Burkina Faso's watermark: only a full load finds them.
    query = api.seen("/api/acled/read")[-1].query
    assert "timestamp" not in query and query["country"] == "Burkina Faso|Mali|Niger"
    assert stored_ids(store) == sorted(acled_ids(range(1, 26)) + ["MLI1", "MLI2"])

    pull_source(store, burkina, SECRETS, "acled")  # fewer countries than the last pull loaded
    assert api.seen("/api/acled/read")[-1].query["timestamp"] == "1700000025"


@pytest.mark.parametrize(
    "fault",
    [
        ("body", b'{"status": 200, "success": true, "data": [{"event_id_cnty"'),
        ("json", {"status": 500, "success": False, "error": {"message": "Database unavailable"}}),
        ("json", {"status": 200, "success": True, "data": [{"event_id_cnty": "BFA21", "country": "Burkina Faso"}]}),
        ("json", {"status": 200, "success": True, "data": [acled_event(21) | {"fatalities": "many"}]}),
    ],
    ids=["malformed", "success-false", "missing-fields", "invalid-value"],
)
def test_a_bad_page_stops_the_pull_keeps_the_pages_before_it_and_the_next_run_resumes(store, api, config, fault):
    api.fail_page(3, fault)

    with pytest.raises(SourceResponseError, match=r"page 3|previous page"):
        pull_source(store, config, SECRETS, "acled")

    assert stored_ids(store) == acled_ids(range(1, 21))
    checkpoint = pulls.read_checkpoint(store, "acled")
    assert (checkpoint.phase, checkpoint.next_page, checkpoint.pages_done) == ("pages", 3, 2)

    api.fail_page(3, None)
    resumed = pull_source(store, config, SECRETS, "acled")

    assert (resumed.resumed_from, resumed.pages, resumed.inserted) == (3, 1, 5)
    assert stored_ids(store) == acled_ids(range(1, 26))
    assert [request.query["page"] for request in api.seen("/api/acled/read")][-1:] == ["3"]


def test_a_server_that_keeps_failing_stops_the_pull_which_resumes_later(store, api, config):
    api.fail_page(2, ("status", 503))

    with pytest.raises(SourceUnavailableError, match=r"failed 3 times \(HTTP 503"):
        pull_source(store, config, SECRETS, "acled")
    assert stored_ids(store) == acled_ids(range(1, 11))

    api.fail_page(2, None)
    assert pull_source(store, config, SECRETS, "acled").resumed_from == 2
    assert stored_ids(store) == acled_ids(range(1, 26))


def test_a_pull_killed_between_pages_resumes_without_duplicates_or_gaps(store, store_url, api, config, tmp_path):
    release = threading.Event()
    api.fail_page(3, ("hold", release))
    process = start_cli(tmp_path, store_url, api, ["pull", "acled"])
    try:
        # Page 3 is on its way (held by the server) and page 2 is stored: kill between pages.
        wait_for(lambda: any(r.query.get("page") == "3" for r in api.seen("/api/acled/read")), process)
        wait_for(lambda: (pulls.read_checkpoint(store, "acled") or NO_PAGES).pages_done == 2, process)
        process.kill()  # SIGKILL: no cleanup, no lease release
        process.wait(10)
    finally:
        api.fail_page(3, None)
        release.set()

    assert stored_ids(store) == acled_ids(range(1, 21))
    resumed = pull_source(store, config, SECRETS, "acled")

    assert (resumed.resumed_from, resumed.pages, resumed.events_received, resumed.inserted) == (3, 1, 5, 5)
    events = stored_events.load_events(store, columns=["source", "source_id"])
    assert len(events) == 25 and not events.duplicated().any()
    assert stored_ids(store) == acled_ids(range(1, 26))
    assert pulls.read_checkpoint(store, "acled").query is None


def pull_twice_at_once(tmp_path, store_url, api, source: str, fail_page) -> list[tuple[int, str, str]]:
    """Start two `pull SOURCE` processes while page 1 is held (`fail_page`: the fake server's
    control for that source's pages), let them run out and return (exit code, stdout, stderr)
    of each, sorted: the winner first."""
    release = threading.Event()
    fail_page(1, ("hold", release))
    processes = [start_cli(tmp_path, store_url, api, ["pull", source], name=f"p{n}") for n in (1, 2)]
    try:
        # Whichever claimed the source first waits on page 1; the other must give up at once.
        deadline = time.monotonic() + 60
        while all(p.poll() is None for p in processes) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        fail_page(1, None)
        release.set()
    return sorted((p.wait(60), p.stdout.read(), p.stderr.read()) for p in processes)


def test_two_pulls_at_once_one_runs_the_other_says_so_and_nothing_doubles(store, store_url, api, tmp_path):
    (winner_code, _, _), (loser_code, _, loser_err) = pull_twice_at_once(tmp_path, store_url, api, "acled", api.fail_page)
    assert (winner_code, loser_code) == (0, 1)
    assert "a pull of ACLED is already running" in loser_err
    assert "stopped without changing anything" in loser_err
    events = stored_events.load_events(store, columns=["source", "source_id"])
    assert len(events) == 25 and not events.duplicated().any()
    checkpoint = pulls.read_checkpoint(store, "acled")
    assert checkpoint.query is None and checkpoint.timestamp_watermark == 1_700_000_025


def test_a_lease_held_by_a_live_pull_blocks_and_a_dead_ones_is_taken_over(store, api, config):
    live = f"{os.uname().nodename}|{os.getpid()}|other"
    pulls.claim_source(store, "acled", live, pulls_lease())
    with pytest.raises(pulls.PullInProgressError, match=rf"process {os.getpid()}"):
        pull_source(store, config, SECRETS, "acled")
    pulls.release_source(store, "acled", live)

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    pulls.claim_source(store, "acled", f"{os.uname().nodename}|{dead.pid}|gone", pulls_lease())
    assert pull_source(store, config, SECRETS, "acled").inserted == 25


def test_a_pull_off_a_terminal_logs_one_plain_line_per_page_and_prints_only_results(api, tmp_path):
    # About what is printed, not about the database: one backend is enough. Captured pipes are
    # not terminals, so the progress bar gives way to log lines on stderr.
    store_url = f"sqlite:///{tmp_path / 'progress.db'}"

    run = run_cli(tmp_path, store_url, api, ["pull", "acled"])

    assert run.returncode == 0, run.stderr
    assert run.stdout == (
        "source\tpages\treceived\tinserted\tupdated\tdeleted\tresumed from page\n"
        "acled\t3\t25\t25\t0\t0\t\n"
    )
    pages = re.findall(r"ACLED: page (\d+) stored, (\d+) events so far \((\d+) events/s\)$", run.stderr, re.MULTILINE)
    assert [(page, events) for page, events, _rate in pages] == [("1", "10"), ("2", "20"), ("3", "25")]
    assert all(int(rate) > 0 for _page, _events, rate in pages)
    # No bar: no carriage returns, cursor moves or colours meant for a terminal.
    assert "\r" not in run.stderr and "\x1b" not in run.stderr and "━" not in run.stderr


def test_no_password_or_token_appears_in_any_output(api, tmp_path):
    # About what is printed, not about the database: one backend is enough.
    store_url = f"sqlite:///{tmp_path / 'secrets.db'}"
    api.ucdp_events = [ucdp_event(1)]
    runs = [
        run_cli(tmp_path, store_url, api, ["-v", "pull", "acled"], password="wrong-" + ACLED_PASSWORD),
        run_cli(tmp_path, store_url, api, ["-v", "pull", "ucdp"], ucdp_token="bad-" + UCDP_TOKEN),
        run_cli(tmp_path, store_url, api, ["-v", "pull"]),  # both sources, both succeed
    ]
    # A failing page whose error text echoes the access token back.
    api.fail_page(2, ("json", {"status": 400, "success": False, "error": {"message": f"bad token {api.issued[0]}"}}))
    api.acled_events += [acled_event(100 + i, timestamp=1_900_000_000) for i in range(PAGE + 1)]
    runs.append(run_cli(tmp_path, store_url, api, ["-v", "pull", "acled"]))
    runs.append(run_cli(tmp_path, store_url, api, ["pull", "--help"]))

    assert [run.returncode for run in runs] == [1, 1, 0, 1, 0]
    assert "credentials for ACLED were rejected: check ACLED_USERNAME/ACLED_PASSWORD" in runs[0].stderr
    assert "credentials for UCDP were rejected: check UCDP_TOKEN" in runs[1].stderr
    assert "acled\t3\t25\t25" in runs[2].stdout and "ucdp\t1\t1\t1" in runs[2].stdout
    assert "bad token ***" in runs[3].stderr
    output = "".join(run.stdout + run.stderr for run in runs)
    secrets = [ACLED_PASSWORD, UCDP_TOKEN, *api.issued]
    assert len(api.issued) >= 2
    assert [secret for secret in secrets if secret in output] == []
    cache = tmp_path / "token.json"
    assert oct(cache.stat().st_mode & 0o777) == "0o600"
    assert ACLED_PASSWORD not in cache.read_text()


def test_ucdp_pull_reads_the_version_once_and_maps_events(store, api, config):
    api.ucdp_events = [ucdp_event(i, country=c) for i, c in enumerate(["Mali", "Niger", "Burkina Faso", "Mali"], 1)]

    first = pull_source(store, config, SECRETS, "ucdp")
    again = pull_source(store, config, SECRETS, "ucdp")

    assert (first.pages, first.inserted) == (2, 4)
    assert (again.pages, again.inserted) == (0, 0)
    events = stored_events.load_events(store).set_index("source_id")
    assert list(events.loc["600001", ["source", "country", "admin1", "location", "fatalities"]]) == [
        "ucdp", "Mali", "Bamako", "Bamako", 5,
    ]
    assert events.loc["600001", "tier"] == "national_capital"


UCDP_PAGE_3 = [
    ("body", b'{"TotalCount": 8, "TotalPages": 3, "Result": [{"id"'),
    # UCDP has no `success` flag: a failure comes as an error document (the {"Message": ...} of its
    # 401 answers) instead of a page.
    ("json", {"Message": "An error has occurred."}),
    ("json", {"TotalCount": 8, "TotalPages": 3, "PreviousPageUrl": "", "NextPageUrl": "",
              "Result": [{key: value for key, value in ucdp_event(7).items() if key != "best"}]}),
    ("json", {"TotalCount": 8, "TotalPages": 3, "PreviousPageUrl": "", "NextPageUrl": "",
              "Result": [ucdp_event(7) | {"best": "many"}]}),
]


@pytest.mark.parametrize("fault", UCDP_PAGE_3, ids=["malformed", "error-answer", "missing-field", "invalid-value"])
def test_a_bad_ucdp_page_stops_the_pull_keeps_the_pages_before_it_and_the_next_run_resumes(store, api, config, fault):
    api.ucdp_events = ucdp_events(8)  # pages of 3: 3, 3, 2
    api.fail_ucdp_page(3, fault)

    with pytest.raises(SourceResponseError, match=r"^UCDP (sent )?page 3 "):
        pull_source(store, config, SECRETS, "ucdp")

    assert stored_ids(store) == ucdp_ids(range(1, 7))
    checkpoint = pulls.read_checkpoint(store, "ucdp")
    assert (checkpoint.phase, checkpoint.next_page, checkpoint.pages_done) == ("pages", 3, 2)
    assert ucdp_page_of(checkpoint.next_url) == "2"  # UCDP's NextPageUrl for page 3 counts from 0

    api.fail_ucdp_page(3, None)
    before = len(api.seen(UCDP_PATH))
    resumed = pull_source(store, config, SECRETS, "ucdp")

    assert (resumed.resumed_from, resumed.pages, resumed.inserted, resumed.updated) == (3, 1, 2, 0)
    assert [request.query.get("page") for request in api.seen(UCDP_PATH)[before:]] == ["2"]
    assert stored_ids(store) == ucdp_ids(range(1, 9))
    assert pulls.read_checkpoint(store, "ucdp").query is None


def test_a_ucdp_pull_killed_between_pages_resumes_from_its_next_page_url(store, store_url, api, config, tmp_path):
    api.ucdp_events = ucdp_events(8)
    release = threading.Event()
    api.fail_ucdp_page(3, ("hold", release))
    process = start_cli(tmp_path, store_url, api, ["pull", "ucdp"])
    try:
        # Page 3 is on its way (held by the server) and page 2 is stored: kill between pages.
        wait_for(lambda: any(r.query.get("page") == "2" for r in api.seen(UCDP_PATH)), process)
        wait_for(lambda: (pulls.read_checkpoint(store, "ucdp") or NO_PAGES).pages_done == 2, process)
        process.kill()  # SIGKILL: no cleanup, no lease release
        process.wait(10)
    finally:
        api.fail_ucdp_page(3, None)
        release.set()

    assert stored_ids(store) == ucdp_ids(range(1, 7))
    assert ucdp_page_of(pulls.read_checkpoint(store, "ucdp").next_url) == "2"
    before = len(api.seen(UCDP_PATH))
    resumed = pull_source(store, config, SECRETS, "ucdp")

    assert (resumed.resumed_from, resumed.pages, resumed.events_received, resumed.inserted) == (3, 1, 2, 2)
    assert [request.query.get("page") for request in api.seen(UCDP_PATH)[before:]] == ["2"]
    events = stored_events.load_events(store, columns=["source", "source_id"])
    assert len(events) == 8 and not events.duplicated().any()
    assert sorted(events["source_id"]) == ucdp_ids(range(1, 9))
    checkpoint = pulls.read_checkpoint(store, "ucdp")
    assert checkpoint.query is None and checkpoint.completed_query["version"] == "25.1"


def test_two_ucdp_pulls_at_once_one_runs_the_other_says_so_and_nothing_doubles(store, store_url, api, tmp_path):
    api.ucdp_events = ucdp_events(8)
    outcomes = pull_twice_at_once(tmp_path, store_url, api, "ucdp", api.fail_ucdp_page)

    (winner_code, winner_out, _), (loser_code, _, loser_err) = outcomes
    assert (winner_code, loser_code) == (0, 1)
    assert "ucdp\t3\t8\t8\t0\t0\t\n" in winner_out
    assert "a pull of UCDP is already running" in loser_err
    assert "stopped without changing anything" in loser_err
    events = stored_events.load_events(store, columns=["source", "source_id"])
    assert len(events) == 8 and not events.duplicated().any()
    assert pulls.read_checkpoint(store, "ucdp").query is None


def test_missing_credentials_say_which_variables_to_set(store, config):
    with pytest.raises(MissingCredentialsError, match=r"ACLED_USERNAME and ACLED_PASSWORD are not set"):
        pull_source(store, config, Secrets(), "acled")
    with pytest.raises(MissingCredentialsError, match=r"UCDP_TOKEN is not set"):
        pull_source(store, config, Secrets(), "ucdp")
    assert pulls.read_checkpoint(store, "acled").query is None


# --- helpers -------------------------------------------------------------------------------------


UCDP_PATH = "/api/gedevents/25.1"


def ucdp_events(count: int) -> list[dict]:
    countries = ["Mali", "Niger", "Burkina Faso"]
    return [ucdp_event(i, country=countries[i % 3]) for i in range(1, count + 1)]


def ucdp_ids(numbers) -> list[str]:
    return sorted(str(600000 + i) for i in numbers)


def ucdp_page_of(address: str) -> str:
    """UCDP's own (0-based) page parameter of a page address."""
    return parse_qs(urlsplit(address).query)["page"][0]


def pulls_lease():
    from jobs.pull import LEASE

    return LEASE


def write_config(tmp_path: Path) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(
        "sources:\n"
        "  acled:\n"
        f"    page_size: {PAGE}\n"
        f"    token_cache: {json.dumps(str(tmp_path / 'token.json'))}\n"
        "    attempts: 2\n    backoff_seconds: 0.01\n    max_backoff_seconds: 0.02\n    timeout_seconds: 30.0\n"
        "    enabled: true\n"
        "  ucdp:\n"
        "    page_size: 3\n    attempts: 2\n    backoff_seconds: 0.01\n    enabled: true\n",
        encoding="utf-8",
    )
    return path


def cli_command(tmp_path, store_url, api, args, *, password=ACLED_PASSWORD, ucdp_token=UCDP_TOKEN):
    env = dict(os.environ)
    env.update(
        ACLED_USERNAME=ACLED_USERNAME, ACLED_PASSWORD=password, UCDP_TOKEN=ucdp_token,
        ACLED_BASE_URL=api.url, UCDP_BASE_URL=api.url, PYTHONPATH=str(REPOSITORY),
    )
    command = [sys.executable, "-c", "from jobs.cli import main; main()", "--db", store_url,
               "--config", str(write_config(tmp_path)), *args]
    return command, env


def start_cli(tmp_path, store_url, api, args, name="pull") -> subprocess.Popen:
    command, env = cli_command(tmp_path, store_url, api, args)
    return subprocess.Popen(command, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def run_cli(tmp_path, store_url, api, args, **credentials) -> subprocess.CompletedProcess:
    command, env = cli_command(tmp_path, store_url, api, args, **credentials)
    return subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)


def wait_for(condition, process: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if process.poll() is not None:
            raise AssertionError(f"the pull exited early ({process.returncode}): {process.stderr.read()}")
        if time.monotonic() > deadline:
            raise AssertionError("the pull never reached the page it was to be killed on")
        time.sleep(0.05)
