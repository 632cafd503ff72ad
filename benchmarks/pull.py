"""Benchmark: a first ACLED pull of 200,000 events in 40 pages from a server on 127.0.0.1 into a
fresh SQLite store. Target: under 30 s.

    .venv/bin/python benchmarks/pull.py [--events 200000] [--page-size 5000] [--db URL]

The server (tests/fake_sources.py) speaks ACLED's API and encodes each page once before the
timed run, so the figure is the client's: HTTP, JSON decoding, validation, settlement tiers,
and the store's upsert with its per-page checkpoint.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tempfile
import time
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
# The repository first (tests/forecasting would otherwise shadow the package), then tests/ for
# the fake server.
sys.path[:0] = [str(REPOSITORY)]
sys.path.append(str(REPOSITORY / "tests"))

import httpx  # noqa: E402
from fake_sources import ACLED_PASSWORD, ACLED_USERNAME, FakeSources, acled_event  # noqa: E402

from forecasting.gazetteer import load_gazetteer  # noqa: E402
from forecasting.store import events as stored_events  # noqa: E402
from forecasting.store import open_store  # noqa: E402
from jobs.config import AcledSourceConfig, Config, Secrets, SourcesConfig  # noqa: E402
from jobs.pull import pull_source  # noqa: E402

PLACES = [  # (country, admin1, admin2, location): capitals, seats and villages, as in real data
    ("Burkina Faso", "Sahel", "Soum", "Djibo"),
    ("Burkina Faso", "Centre", "Kadiogo", "Ouagadougou"),
    ("Burkina Faso", "Est", "Gourma", "Fada N'gourma"),
    ("Mali", "Mopti", "Mopti", "Sevare"),
    ("Mali", "Kayes", "Kayes", "Kayes"),
    ("Niger", "Tillaberi", "Ouallam", "Ouallam"),
    ("Niger", "Tillaberi", "Tera", "Petelkole"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--page-size", type=int, default=5000)
    parser.add_argument("--db", help="store URL (default: a fresh SQLite file in a temporary folder)")
    options = parser.parse_args()

    # The server runs in a process of its own, as a real one would: no GIL shared with the pull.
    to_server, from_main = multiprocessing.Pipe()
    server = multiprocessing.Process(target=_serve, args=(options.events, from_main), daemon=True)
    server.start()
    url = to_server.recv()
    with tempfile.TemporaryDirectory() as folder:
        config = Config(
            sources=SourcesConfig(
                acled=AcledSourceConfig(base_url=url, page_size=options.page_size, token_cache=None)
            )
        )
        secrets = Secrets(acled_username=ACLED_USERNAME, acled_password=ACLED_PASSWORD)
        pages = -(-options.events // options.page_size)
        _warm_server(url, config, pages)
        gazetteer = load_gazetteer()
        store = open_store(options.db or f"sqlite:///{Path(folder) / 'bench.db'}")

        began, cpu_began = time.perf_counter(), time.process_time()
        result = pull_source(store, config, secrets, "acled", gazetteer=gazetteer)
        seconds, cpu_seconds = time.perf_counter() - began, time.process_time() - cpu_began

        stored = stored_events.count_events(store)
        print(f"backend            {store.dialect}")
        print(f"pages              {result.pages} ({pages} full, then the short page that ends the pull)")
        print(f"events received    {result.events_received:,}")
        print(f"events stored      {stored:,}")
        print(f"seconds            {seconds:.1f} (CPU time of the pull: {cpu_seconds:.1f} s)")
        print(f"load average       {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (other work slows the wall clock)")
        print(f"events per second  {result.events_received / seconds:,.0f}")
        print(f"target             < 30 s: {'met' if seconds < 30 and stored == options.events else 'NOT MET'}")
    to_server.send("stop")
    server.join(10)


def _serve(events: int, channel) -> None:
    """The server process: ACLED's API over `events` synthetic events, until told to stop."""
    with FakeSources() as api:
        api.acled_events = [_event(number) for number in range(1, events + 1)]
        api.cache_pages = True
        channel.send(api.url)
        channel.recv()


def _event(number: int) -> dict:
    country, admin1, admin2, location = PLACES[number % len(PLACES)]
    return acled_event(
        number, country=country, admin1=admin1, admin2=admin2, location=location,
        event_date=f"20{18 + number % 8}-{1 + number % 12:02d}-{1 + number % 28:02d}",
        timestamp=1_600_000_000 + number, fatalities=number % 7,
    )


def _warm_server(url: str, config: Config, pages: int) -> None:
    """Have the server encode every page once, outside the timed run."""
    import datetime as dt

    settings = config.sources.acled
    with httpx.Client(base_url=url, timeout=120) as client:
        token = client.post(
            "/oauth/token",
            data={"username": ACLED_USERNAME, "password": ACLED_PASSWORD, "grant_type": "password", "client_id": "acled"},
        ).json()["access_token"]
        today = dt.datetime.now(dt.timezone.utc).date().isoformat()
        for page in range(1, pages + 2):
            client.get(
                "/api/acled/read",
                params={
                    "_format": "json", "country": "|".join(config.watch_area.countries),
                    "event_date": f"{settings.start_date}|{today}", "event_date_where": "BETWEEN",
                    "limit": str(settings.page_size), "page": str(page),
                },
                headers={"Authorization": f"Bearer {token}"},
            ).raise_for_status()


if __name__ == "__main__":
    main()
