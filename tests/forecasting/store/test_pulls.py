"""Pull checkpoints on SQLite and PostgreSQL: the lease, page counts, the newest timestamp, the
incremental mark and deletions, called as the pull step calls them."""

from __future__ import annotations

import datetime as dt
import socket

import pandas as pd
import pytest

from forecasting.store import events as stored_events
from forecasting.store import pulls

LEASE = dt.timedelta(minutes=30)
QUERY = {"kind": "incremental", "countries": ["Burkina Faso"], "start": "2018-01-01", "newer_than": None}


def page(numbers: list[int], timestamps: list[int]) -> pd.DataFrame:
    """A validated event page of these ACLED events (as the pull step stores one)."""
    from fake_sources import acled_event

    from forecasting.events import EventBounds, validate_events
    from forecasting.sources.acled_csv import acled_rows_to_events

    raw = pd.DataFrame([acled_event(n, timestamp=t) for n, t in zip(numbers, timestamps)], dtype=object)
    bounds = EventBounds(today=dt.date(2026, 1, 1))
    events = validate_events(acled_rows_to_events(raw), pd.Series(range(1, len(raw) + 1)), bounds).events
    return events.assign(tier="other")


def pull(store, owner: str, pages: list[pd.DataFrame], *, advance: bool = True, deletions=(), query=QUERY):
    pulls.claim_source(store, "acled", owner, LEASE)
    pulls.start_pull(store, "acled", owner, query, next_page=1)
    for number, events in enumerate(pages, start=1):
        pulls.save_pulled_page(store, "acled", owner, events, rows_received=len(events), next_page=number + 1,
                               next_url=None, last_page=number == len(pages), lease=LEASE)
    return pulls.finish_pull(store, "acled", owner, deletions=list(deletions), deletions_since=None,
                             advance_watermark=advance, log_file="ACLED API", log_format="acled-api")


def test_a_pull_counts_its_pages_and_moves_the_mark_to_the_newest_timestamp_received(store):
    owner = pulls.new_owner()
    deleted, before = pull(store, owner, [page([1, 2], [1_700_000_050, 1_700_000_010]), page([3], [1_700_000_020])])

    assert deleted == 0
    assert (before.pages_done, before.events_received, before.inserted, before.updated) == (2, 3, 3, 0)
    assert (before.phase, before.next_page, before.newest_received) == ("finishing", 3, 1_700_000_050)
    done = pulls.read_checkpoint(store, "acled")
    assert (done.query, done.phase, done.next_page, done.timestamp_watermark) == (None, None, None, 1_700_000_050)
    assert done.watermark_countries == ("Burkina Faso",)
    # A later pull that received only older timestamps never moves the mark back.
    pull(store, pulls.new_owner(), [page([1], [1_700_000_001])])
    assert pulls.read_checkpoint(store, "acled").timestamp_watermark == 1_700_000_050


def test_a_pull_that_does_not_advance_keeps_the_mark_and_its_countries(store):
    pull(store, pulls.new_owner(), [page([1], [1_700_000_050])])
    since = {**QUERY, "kind": "since", "countries": ["Burkina Faso", "Niger"]}
    pull(store, pulls.new_owner(), [page([2], [1_800_000_000])], advance=False, query=since)

    done = pulls.read_checkpoint(store, "acled")
    assert (done.timestamp_watermark, done.watermark_countries) == (1_700_000_050, ("Burkina Faso",))


def test_deletions_remove_only_versions_not_newer_than_the_deletion(store):
    pull(store, pulls.new_owner(), [page([1, 2, 3], [100, 200, 300])])

    deleted, _ = pull(store, pulls.new_owner(), [], deletions=[("BFA1", 150), ("BFA2", 150), ("BFA3", 300), ("BFA9", 999)])

    assert deleted == 2  # BFA2 was republished after its deletion
    assert sorted(stored_events.load_events(store, columns=["source_id"])["source_id"]) == ["BFA2"]
    assert pulls.delete_events(store, "acled", [("BFA2", 200)]) == 1


def test_a_live_lease_on_this_host_blocks_a_dead_or_expired_one_is_taken_over(store):
    import os
    import subprocess
    import sys

    live = f"{socket.gethostname()}|{os.getpid()}|live"
    pulls.claim_source(store, "acled", live, LEASE)
    with pytest.raises(pulls.PullInProgressError, match=rf"process {os.getpid()} on {socket.gethostname()} \(its claim runs until"):
        pulls.claim_source(store, "acled", pulls.new_owner(), LEASE)
    # The holder itself may claim again (a resumed run of the same pull).
    assert pulls.claim_source(store, "acled", live, LEASE).source == "acled"

    elsewhere = "another-host|1|x"
    pulls.release_source(store, "acled", live)
    pulls.claim_source(store, "acled", elsewhere, LEASE)
    with pytest.raises(pulls.PullInProgressError):  # another host's live-looking lease holds until it expires
        pulls.claim_source(store, "acled", pulls.new_owner(), LEASE)
    pulls.release_source(store, "acled", elsewhere)
    pulls.claim_source(store, "acled", elsewhere, -LEASE)  # expired half an hour ago
    taker = pulls.new_owner()
    assert pulls.claim_source(store, "acled", taker, LEASE).source == "acled"

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    pulls.release_source(store, "acled", taker)
    pulls.claim_source(store, "acled", f"{socket.gethostname()}|{gone.pid}|gone", LEASE)
    pulls.claim_source(store, "acled", pulls.new_owner(), LEASE)  # its process has exited


def test_a_pull_that_lost_its_lease_writes_nothing_more(store):
    first, second = pulls.new_owner(), pulls.new_owner()
    pulls.claim_source(store, "acled", first, -LEASE)
    pulls.start_pull(store, "acled", first, QUERY, next_page=1)
    pulls.claim_source(store, "acled", second, LEASE)  # the first one's lease had run out

    with pytest.raises(pulls.PullLeaseLostError, match="lost its claim to another pull"):
        pulls.save_pulled_page(store, "acled", first, page([1], [100]), rows_received=1, next_page=2, next_url=None,
                               last_page=False, lease=LEASE)
    assert stored_events.count_events(store) == 0
    with pytest.raises(pulls.PullLeaseLostError, match="lost its claim to another pull"):
        pulls.finish_pull(store, "acled", first, deletions=[], deletions_since=None, advance_watermark=True,
                          log_file="x", log_format="acled-api")
    assert pulls.read_checkpoint(store, "acled").pages_done == 0


def lease_until(store, source: str = "acled") -> dt.datetime | None:
    """The stored expiry of the source's lease (SQLite hands back naive text; it is UTC)."""
    import sqlalchemy as sa

    with store.engine.connect() as connection:
        until = connection.execute(sa.text("SELECT lease_until FROM pull_state WHERE source = :s"), {"s": source}).scalar()
    until = dt.datetime.fromisoformat(until) if isinstance(until, str) else until
    return until if until is None or until.tzinfo else until.replace(tzinfo=dt.timezone.utc)


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def test_a_checkpoint_holds_what_a_resumed_pull_needs_and_a_new_pull_starts_from_zero(store):
    assert pulls.read_checkpoint(store, "acled") is None
    owner = pulls.new_owner()
    began = now()
    claimed = pulls.claim_source(store, "acled", owner, LEASE)
    assert (claimed.query, claimed.phase, claimed.pages_done, claimed.events_received, claimed.inserted, claimed.updated,
            claimed.timestamp_watermark) == (None, None, 0, 0, 0, 0, None)
    assert began + LEASE <= lease_until(store) <= now() + LEASE
    started = pulls.start_pull(store, "acled", owner, {"b": 2, "a": 1}, next_url="https://api.test/page/1")
    assert (started.query, started.phase, started.next_page, started.next_url) == (
        {"a": 1, "b": 2}, "pages", None, "https://api.test/page/1")
    # Two pages; the second received a row more than it stored (a rejected row) and older timestamps.
    for number, (events, received) in enumerate([(page([1, 2], [500, 900]), 2), (page([3], [700]), 2)], start=1):
        pulls.save_pulled_page(store, "acled", owner, events, rows_received=received, next_page=None,
                               next_url=f"https://api.test/page/{number + 1}", last_page=False, lease=LEASE)
    # Every page renews the lease from the moment it is stored; a page may come back empty.
    renewed = now()
    pulls.save_pulled_page(store, "acled", owner, page([1], [500]).iloc[:0], rows_received=0, next_page=None,
                           next_url="https://api.test/page/3", last_page=False, lease=2 * LEASE)
    assert renewed + 2 * LEASE <= lease_until(store) <= now() + 2 * LEASE
    middle = pulls.read_checkpoint(store, "acled")
    assert (middle.phase, middle.next_url, middle.pages_done, middle.events_received, middle.inserted,
            middle.updated, middle.newest_received) == ("pages", "https://api.test/page/3", 3, 4, 3, 0, 900)
    pulls.save_pulled_page(store, "acled", owner, page([1], [950]), rows_received=1, next_page=None, next_url=None,
                           last_page=True, lease=LEASE)
    last = pulls.read_checkpoint(store, "acled")
    assert (last.phase, last.next_url, last.pages_done, last.updated, last.newest_received) == ("finishing", None, 4, 1, 950)
    # The same owner starting again (a new pull, not a resume) counts from zero.
    again = pulls.start_pull(store, "acled", owner, QUERY, next_page=1)
    assert (again.next_page, again.pages_done, again.events_received, again.inserted, again.updated,
            again.newest_received) == (1, 0, 0, 0, 0, None)


def test_finishing_logs_the_whole_pull_once_keeps_the_deletions_mark_and_frees_the_source(store):
    from forecasting.store.events import ingest_log

    owner = pulls.new_owner()
    pulls.claim_source(store, "acled", owner, LEASE)
    started = now()
    pulls.start_pull(store, "acled", owner, QUERY, next_page=1)
    after_start = now()
    pulls.save_pulled_page(store, "acled", owner, page([1, 2], [100, 200]), rows_received=3, next_page=2, next_url=None,
                           last_page=False, lease=LEASE)
    pulls.save_pulled_page(store, "acled", owner, page([1], [300]), rows_received=1, next_page=None, next_url=None,
                           last_page=True, lease=LEASE)
    pulls.finish_pull(store, "acled", owner, deletions=[], deletions_since=1_700_000_000, advance_watermark=True,
                      log_file="ACLED API", log_format="acled-api")
    (logged,) = ingest_log(store).to_dict("records")
    assert (logged["file"], logged["format"], logged["rows_read"], logged["inserted"], logged["updated"],
            logged["unchanged"], logged["rejected"]) == ("ACLED API", "acled-api", 4, 2, 1, 1, 0)
    logged_start = pd.Timestamp(logged["started_at"])
    logged_start = logged_start.tz_localize("UTC") if logged_start.tzinfo is None else logged_start
    assert started <= logged_start <= after_start  # the pull's start, not the finishing run's
    assert pulls.read_checkpoint(store, "acled").deletions_since == 1_700_000_000
    assert lease_until(store) is None
    # The lease is free: another live pull claims the source at once.
    assert pulls.claim_source(store, "acled", pulls.new_owner(), LEASE).source == "acled"


def test_a_pull_that_received_nothing_moves_no_mark_and_names_no_countries(store):
    from forecasting.store.events import ingest_log

    pull(store, pulls.new_owner(), [])
    assert ingest_log(store)[["rows_read", "inserted", "updated", "unchanged"]].iloc[0].tolist() == [0, 0, 0, 0]
    done = pulls.read_checkpoint(store, "acled")
    assert (done.timestamp_watermark, done.watermark_countries, done.completed_query) == (
        None, None, {"countries": ["Burkina Faso"], "kind": "incremental", "newer_than": None, "start": "2018-01-01"})
    pull(store, pulls.new_owner(), [page([1], [500])])
    pull(store, pulls.new_owner(), [], query={**QUERY, "countries": ["Niger"]})
    done = pulls.read_checkpoint(store, "acled")
    assert (done.timestamp_watermark, done.watermark_countries) == (500, ("Niger",))


def test_only_the_holder_releases_a_lease_and_sources_are_leased_apart(store):
    import os

    holder = f"{socket.gethostname()}|{os.getpid()}|holder"
    pulls.claim_source(store, "acled", holder, LEASE)
    pulls.release_source(store, "acled", pulls.new_owner())
    with pytest.raises(pulls.PullInProgressError):
        pulls.claim_source(store, "acled", pulls.new_owner(), LEASE)
    assert pulls.claim_source(store, "ucdp", pulls.new_owner(), LEASE).source == "ucdp"
    assert pulls.read_checkpoint(store, "acled").source == "acled"
    # One owner holding two sources: each checkpoint and lease is its own.
    both = pulls.new_owner()
    for source in ("ged", "gdelt"):
        pulls.claim_source(store, source, both, LEASE)
    pulls.start_pull(store, "ged", both, QUERY, next_page=7)
    assert pulls.read_checkpoint(store, "gdelt").query is None
    pulls.release_source(store, "ged", both)
    assert lease_until(store, "ged") is None and lease_until(store, "gdelt") is not None
    # A holder on this host whose process id is not a number, or a process alive under any
    # user (pid 1), is not taken for dead.
    pulls.release_source(store, "acled", holder)
    for alive in (f"{socket.gethostname()}|init|x", f"{socket.gethostname()}|1|x"):
        pulls.claim_source(store, "acled", alive, LEASE)
        with pytest.raises(pulls.PullInProgressError):
            pulls.claim_source(store, "acled", pulls.new_owner(), LEASE)
        pulls.release_source(store, "acled", alive)


def test_deletions_touch_only_their_source_and_go_in_chunks(store):
    pull(store, pulls.new_owner(), [page(list(range(1, 1203)), [100] * 1202)])
    deletions = [(f"BFA{number}", 100) for number in range(1, 1202)]
    assert pulls.delete_events(store, "ucdp", deletions) == 0
    assert pulls.delete_events(store, "acled", deletions) == 1201
    assert list(stored_events.load_events(store, columns=["source_id"])["source_id"]) == ["BFA1202"]
