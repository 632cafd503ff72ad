"""Benchmark: ingest N ACLED-format rows into SQLite and PostgreSQL, then aggregate them.

    .venv/bin/python benchmarks/ingest.py [--rows 1000000] [--backend sqlite postgresql]

References in the same run (issue 15: ingest within 2x of them): the databases' own loaders of the
same CSV, `sqlite3 .import` into a fresh file and `psql \copy` into a fresh table of text
columns, run before and after each backend's ingest. The same file is then ingested again (every
row stored and unchanged: a new export of the same events), against the same reference.

Targets (issue 3): 1,000,000 rows at >= 50,000 rows/s on each backend with peak memory under
2 GiB; 1,000,000 stored events into admin2-month series in under 2 s. Each backend runs in a
child process so that its peak memory (max RSS) is its own. Prints one line per figure.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from forecasting.sources.acled_csv import ACLED_COLUMNS  # noqa: E402

POSTGRES_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def write_rows(path: Path, rows: int, seed: int = 1, *, history: tuple[str, str] | None = None) -> None:
    """A synthetic ACLED export: real admin units from the gazetteer, random dates and counts.
    Dates: uniform over 2,800 days from January 2018; or, with `history` (first and last month,
    "YYYY-MM"), spread over those months as the real exports of issue 16 (Burkina Faso, Mali and
    Niger, 1997 to mid-2020) are: a twentieth of the later density until 2012, then growing 3.5%
    a month (`escalating_months`)."""
    from forecasting.gazetteer import load_gazetteer

    rng = np.random.default_rng(seed)
    seats = load_gazetteer().seats
    units = seats[seats["level"] == "admin2_capital"].reset_index(drop=True)
    pick = rng.integers(0, len(units), rows)
    # A share of events at the seat itself, the rest at numbered villages of the same unit.
    at_seat = rng.random(rows) < 0.2
    village = pd.Series(rng.integers(1, 400, rows)).astype(str).radd("Village ")
    location = np.where(at_seat, units["seat"].to_numpy()[pick], village.to_numpy())
    if history is None:
        dates = pd.Timestamp("2018-01-01") + pd.to_timedelta(rng.integers(0, 2800, rows), unit="D")
    else:
        months, weights = escalating_months(*history)
        dates = pd.DatetimeIndex(months[rng.choice(len(months), size=rows, p=weights)])
        dates = dates + pd.to_timedelta(rng.integers(0, 28, rows), unit="D")
    frame = pd.DataFrame(
        {
            "event_id_cnty": [f"BEN{i:08d}" for i in range(rows)],
            "event_date": dates.strftime("%Y-%m-%d"),
            "year": dates.year,
            "time_precision": 1,
            "disorder_type": "Political violence",
            "event_type": "Battles",
            "sub_event_type": "Armed clash",
            "actor1": "JNIM: Group for Support of Islam and Muslims",
            "assoc_actor_1": "",
            "inter1": "Rebel group",
            "actor2": "Civilians (Burkina Faso)",
            "assoc_actor_2": "",
            "inter2": "Civilians",
            "interaction": "Rebel group-Civilians",
            "civilian_targeting": "Civilian targeting",
            "iso": 854,
            "region": "Western Africa",
            "country": units["country"].to_numpy()[pick],
            "admin1": units["admin1"].to_numpy()[pick],
            "admin2": units["admin2"].to_numpy()[pick],
            "admin3": units["admin2"].to_numpy()[pick],
            "location": location,
            "latitude": np.round(rng.uniform(10, 20, rows), 4),
            "longitude": np.round(rng.uniform(-5, 10, rows), 4),
            "geo_precision": 1,
            "source": "benchmark (synthetic)",
            "source_scale": "National",
            "notes": "SYNTHETIC benchmark row; Jama'at Nusrat al-Islam wal-Muslimin.",
            "fatalities": rng.negative_binomial(1, 0.4, rows),
            "tags": "synthetic",
            "timestamp": 1_700_000_000 + rng.integers(0, 10_000_000, rows),
        }
    )
    frame[list(ACLED_COLUMNS)].to_csv(path, index=False)


def escalating_months(first: str, last: str, onset: str = "2012-01", growth: float = 0.035) -> tuple[pd.DatetimeIndex, np.ndarray]:
    """The months from `first` to `last` and each one's share of the events: before `onset` a
    twentieth of the onset month's, then `growth` more each month (2012 to mid-2020 at 3.5%:
    about 29 times more events a month by the end, as the three countries' exports grew)."""
    months = pd.date_range(f"{first}-01", f"{last}-01", freq="MS")
    since = (months.year - int(onset[:4])) * 12 + months.month - int(onset[5:7])
    weights = np.where(since < 0, 0.05, np.exp(growth * np.maximum(since, 0)))
    return months, weights / weights.sum()


def measure(url: str, path: Path) -> dict:
    """Ingest `path` into the store at `url` and aggregate it; run in a child process."""
    from forecasting.gazetteer import load_gazetteer
    from forecasting.series import load_series
    from forecasting.store import open_store
    from jobs.ingest import ingest_files

    store = open_store(url)
    gazetteer = load_gazetteer()
    server_before = _server_cpu_seconds(store)
    began, cpu_began = time.perf_counter(), time.process_time()
    (report,) = ingest_files(store, [path], gazetteer, seat_radius_km=5.0)
    ingest_seconds = time.perf_counter() - began
    ingest_cpu_seconds = time.process_time() - cpu_began
    server_after = _server_cpu_seconds(store)
    server_cpu_seconds = sum(seconds - server_before.get(pid, 0.0) for pid, seconds in server_after.items())

    began = time.perf_counter()
    again = ingest_files(store, [path], gazetteer, seat_radius_km=5.0)[0]
    reingest_seconds = time.perf_counter() - began

    began = time.perf_counter()
    series = load_series(store, "admin2", "fatalities")
    aggregate_seconds = time.perf_counter() - began
    return {
        "rows": report.rows_read,
        "inserted": report.inserted,
        "unchanged_on_reingest": again.unchanged,
        "ingest_seconds": round(ingest_seconds, 2),
        "ingest_cpu_seconds": round(ingest_cpu_seconds, 2),
        "server_cpu_seconds": round(server_cpu_seconds, 2) if store.dialect == "postgresql" else None,
        "rows_per_second": round(report.rows_read / ingest_seconds),
        "reingest_seconds": round(reingest_seconds, 2),
        "aggregate_seconds": round(aggregate_seconds, 2),
        "series": int(series["series_id"].nunique()),
        "peak_memory_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def _server_cpu_seconds(store) -> dict[int, float]:
    """CPU seconds so far of each PostgreSQL backend serving the store's database, read from
    /proc (a server on this machine); empty for SQLite (its work is the client's own CPU)."""
    if store.dialect != "postgresql":
        return {}
    with store.engine.connect() as connection:
        pids = connection.exec_driver_sql(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
        ).scalars().all()
    seconds = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # a server elsewhere, or a backend that has gone
        seconds[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return seconds


def run_backend(backend: str, path: Path, workdir: Path) -> dict:
    import sqlalchemy as sa

    drop = None
    if backend == "sqlite":
        url = f"sqlite:///{workdir / 'bench.db'}"
    else:
        name = f"cw_bench_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(POSTGRES_SERVER, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        url = sa.engine.make_url(POSTGRES_SERVER).set(database=name).render_as_string(hide_password=False)

        def drop():
            with admin.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    try:
        child = subprocess.run(
            [sys.executable, __file__, "--measure", url, str(path)], capture_output=True, text=True, check=True
        )
    finally:
        if drop is not None:
            drop()
    return json.loads(child.stdout.strip().splitlines()[-1])


def reference_load(backend: str, path: Path, workdir: Path) -> tuple[float, float]:
    """Wall and CPU seconds of the database's own CSV loader on `path` (a fresh table)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from timing import run_command

    if backend == "sqlite":
        target = workdir / "reference.db"
        target.unlink(missing_ok=True)
        timing = run_command(["sqlite3", str(target), f".import --csv {path} events"])
        target.unlink(missing_ok=True)
        return timing
    import sqlalchemy as sa

    url = sa.engine.make_url(POSTGRES_SERVER)
    columns = ", ".join(f'"{name}" text' for name in ACLED_COLUMNS)
    connection = ["psql", "-h", url.host, "-p", str(url.port), "-U", url.username, "-d", url.database, "-q", "-v", "ON_ERROR_STOP=1"]
    run_command([*connection, "-c", f"DROP TABLE IF EXISTS cw_reference_load; CREATE TABLE cw_reference_load ({columns})"])
    timing = run_command([*connection, "-c", f"\\copy cw_reference_load FROM '{path}' WITH (FORMAT csv, HEADER true)"])
    run_command([*connection, "-c", "DROP TABLE cw_reference_load"])
    return timing


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--backend", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"])
    parser.add_argument("--measure", nargs=2, metavar=("URL", "FILE"), help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.measure:
        url, path = arguments.measure
        print(json.dumps(measure(url, Path(path))))
        return

    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        path = workdir / "acled_benchmark.csv"
        began = time.perf_counter()
        write_rows(path, arguments.rows)
        print(f"load average before: {os.getloadavg()[0]:.2f} (2 cores)")
        print(f"wrote {arguments.rows:,} rows ({path.stat().st_size / 2**20:.0f} MiB) in {time.perf_counter() - began:.1f} s")
        for backend in arguments.backend:
            references = [reference_load(backend, path, workdir)]
            figures = run_backend(backend, path, workdir)
            references.append(reference_load(backend, path, workdir))
            loader = "sqlite3 .import" if backend == "sqlite" else "psql \\copy"
            reference = sum(wall for wall, _ in references) / len(references)
            print(
                f"{backend}: ingest {figures['ingest_seconds']} s = {figures['ingest_seconds'] / reference:.1f}x {loader} "
                f"of the same CSV (target <= 2x; {loader} {', '.join(f'{wall:.2f} s' for wall, _ in references)}, "
                f"before and after; load average {os.getloadavg()[0]:.2f}); the same file again (every row stored "
                f"and unchanged) {figures['reingest_seconds']} s = {figures['reingest_seconds'] / reference:.1f}x"
            )
            print(
                f"{backend}: ingest {figures['rows']:,} rows in {figures['ingest_seconds']} s = "
                f"{figures['rows_per_second']:,} rows/s (client CPU {figures['ingest_cpu_seconds']} s"
                + (f", server CPU {figures['server_cpu_seconds']} s" if figures["server_cpu_seconds"] is not None else "")
                + f"); "
                f"admin2-month series ({figures['series']} series) in {figures['aggregate_seconds']} s; "
                f"peak memory {figures['peak_memory_mib']} MiB"
            )


if __name__ == "__main__":
    main()
