"""No secret anywhere: not on stdout or stderr (log lines and the final error line), not in any row
of any table, even when a password is written into ACLED_BASE_URL."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import sqlalchemy as sa
from fake_sources import ACLED_PASSWORD, ACLED_USERNAME, FakeSources, acled_event

REPOSITORY = Path(__file__).resolve().parents[2]
# A password only the URL carries (a proxy's, say): no environment variable names it.
URL_ONLY_PASSWORD = "proxy-Pw-9d2k!"


def pull(tmp_path: Path, db: str, base_url: str) -> subprocess.CompletedProcess:
    config = tmp_path / "config.yaml"
    config.write_text(
        "sources:\n  acled:\n    page_size: 10\n    attempts: 1\n    timeout_seconds: 5\n"
        f"    token_cache: {tmp_path / 'token.json'}\n",
        encoding="utf-8",
    )
    env = {key: value for key, value in os.environ.items() if not key.startswith("CONFLICTWATCH_")}
    env.update(ACLED_USERNAME=ACLED_USERNAME, ACLED_PASSWORD=ACLED_PASSWORD, ACLED_BASE_URL=base_url,
               PYTHONPATH=str(REPOSITORY))
    return subprocess.run(
        [sys.executable, "-m", "jobs", "--db", db, "--config", str(config), "pull", "acled"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180,
    )


def every_stored_value(db: str) -> str:
    engine = sa.create_engine(db)
    try:
        with engine.connect() as connection:
            return "\n".join(
                repr(row)
                for table in sa.inspect(connection).get_table_names()
                for row in connection.execute(sa.text(f'SELECT * FROM "{table}"')).all()
            )
    finally:
        engine.dispose()


def assert_nowhere(secret: str, *texts: str) -> None:
    for form in {secret, quote(secret, safe="")}:
        for text in texts:
            assert form not in text


def test_passwords_in_the_base_url_reach_no_output_and_no_table(tmp_path):
    db = f"sqlite:///{tmp_path / 'conflictwatch.db'}"
    with FakeSources() as api:
        api.acled_events = [acled_event(i, timestamp=1_700_000_000 + i) for i in range(1, 13)]
        # Both the ACLED password and a URL-only password sit in the URL's user-info; the HTTP
        # client sends them as basic authentication, which ACLED (and the fake) refuse: the pull
        # fails after signing in, logging and recording the failure along the way.
        base_url = api.url.replace("http://", f"http://{quote(ACLED_PASSWORD, safe='')}:{quote(URL_ONLY_PASSWORD, safe='')}@")

        failed = pull(tmp_path, db, base_url)

    assert failed.returncode == 1
    assert failed.stderr.strip().splitlines()[-1].startswith("error: credentials for ACLED were rejected")
    stored = every_stored_value(db)
    assert_nowhere(ACLED_PASSWORD, failed.stdout, failed.stderr, stored)
    assert_nowhere(URL_ONLY_PASSWORD, failed.stdout, failed.stderr, stored)


def test_a_failing_pull_says_what_failed_in_its_last_line_with_the_password_masked(tmp_path):
    db = f"sqlite:///{tmp_path / 'conflictwatch.db'}"
    # Nothing listens on port 9 of loopback: the pull fails, and says what it asked for.
    base_url = f"http://analyst:{quote(URL_ONLY_PASSWORD, safe='')}@127.0.0.1:9/{quote(ACLED_PASSWORD, safe='')}"

    failed = pull(tmp_path, db, base_url)

    assert failed.returncode == 1
    last = failed.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ACLED (/***/oauth/token) failed"), last  # masked where it stood
    assert_nowhere(ACLED_PASSWORD, failed.stdout, failed.stderr, every_stored_value(db))
    assert_nowhere(URL_ONLY_PASSWORD, failed.stdout, failed.stderr, every_stored_value(db))
