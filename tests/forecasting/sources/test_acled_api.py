"""ACLED's API client against a real server on 127.0.0.1 speaking ACLED's documented shapes."""

from __future__ import annotations

import datetime as dt
import json
import stat

import pytest
from fake_sources import ACLED_PASSWORD, ACLED_USERNAME, acled_event

from forecasting.sources.acled_api import AcledClient
from forecasting.sources.http import CredentialsRejectedError, SourceResponseError

COUNTRIES = ["Burkina Faso", "Mali", "Niger"]
REJECTED = "credentials for ACLED were rejected: check ACLED_USERNAME/ACLED_PASSWORD"


class Clock:
    """Unix seconds that a test can move forward, to expire tokens without waiting a day."""

    def __init__(self, now: float = 1_750_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


def client(api, policy, *, password=ACLED_PASSWORD, token_cache=None, clock=None):
    return AcledClient(
        api.url, ACLED_USERNAME, password, policy=policy, token_cache=token_cache, clock=clock or Clock()
    )


def read(session, page=1, limit=2, newer_than=None):
    return session.read_events(
        countries=COUNTRIES, start=dt.date(2018, 1, 1), end=dt.date(2025, 7, 31), page=page, limit=limit,
        newer_than=newer_than,
    )


def test_signs_in_with_the_password_grant_and_reads_pages_with_the_documented_parameters(api, fast_policy):
    api.acled_events = [acled_event(i, timestamp=1000 + i) for i in range(1, 4)]
    with client(api, fast_policy) as session:
        first, second = read(session, 1), read(session, 2)

    assert [row["event_id_cnty"] for row in first + second] == ["BFA1", "BFA2", "BFA3"]
    (sign_in,) = api.seen("/oauth/token")
    assert sign_in.method == "POST"
    assert sign_in.form == {
        "username": ACLED_USERNAME, "password": ACLED_PASSWORD, "grant_type": "password", "client_id": "acled",
    }
    page_two = api.seen("/api/acled/read")[1]
    assert page_two.query == {
        "_format": "json", "country": "Burkina Faso|Mali|Niger", "event_date": "2018-01-01|2025-07-31",
        "event_date_where": "BETWEEN", "limit": "2", "page": "2",
    }
    assert page_two.headers["authorization"] == f"Bearer {api.issued[0]}"


def test_incremental_reads_send_the_timestamp(api, fast_policy):
    api.acled_events = [acled_event(1, timestamp=1000), acled_event(2, timestamp=2000)]
    with client(api, fast_policy) as session:
        rows = read(session, newer_than=1500)
    assert [row["event_id_cnty"] for row in rows] == ["BFA2"]
    assert api.seen("/api/acled/read")[0].query["timestamp"] == "1500"


def test_the_token_cache_is_private_and_spares_the_next_sign_in(api, fast_policy, tmp_path):
    cache = tmp_path / "cache" / "acled-token.json"
    with client(api, fast_policy, token_cache=cache) as session:
        read(session)
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
    assert ACLED_PASSWORD not in cache.read_text() and ACLED_USERNAME not in cache.read_text()

    with client(api, fast_policy, token_cache=cache) as session:
        read(session)

    assert len(api.seen("/oauth/token")) == 1
    assert api.seen("/api/acled/read")[1].headers["authorization"] == f"Bearer {api.issued[0]}"


def test_a_token_cached_for_another_account_is_not_used(api, fast_policy, tmp_path):
    cache = tmp_path / "acled-token.json"
    with client(api, fast_policy, token_cache=cache) as session:
        read(session)
    document = json.loads(cache.read_text())
    cache.write_text(json.dumps(document | {"user": "someone-else"}))

    with client(api, fast_policy, token_cache=cache) as session:
        read(session)

    assert [request.form["grant_type"] for request in api.seen("/oauth/token")] == ["password", "password"]


def test_an_access_token_about_to_expire_is_refreshed_not_signed_in_again(api, fast_policy):
    clock = Clock()
    with client(api, fast_policy, clock=clock) as session:
        read(session)
        clock.now += 24 * 3600 - 60  # a minute before the access token expires
        read(session)

    grants = [request.form for request in api.seen("/oauth/token")]
    assert [grant["grant_type"] for grant in grants] == ["password", "refresh_token"]
    assert grants[1]["refresh_token"] == api.issued[1] and "password" not in grants[1]
    assert api.seen("/api/acled/read")[1].headers["authorization"] == f"Bearer {api.issued[2]}"


def test_after_the_refresh_token_expires_it_signs_in_again(api, fast_policy):
    clock = Clock()
    with client(api, fast_policy, clock=clock) as session:
        read(session)
        clock.now += 15 * 24 * 3600
        read(session)
    assert [request.form["grant_type"] for request in api.seen("/oauth/token")] == ["password", "password"]


def test_a_refused_refresh_falls_back_to_signing_in(api, fast_policy):
    clock = Clock()
    with client(api, fast_policy, clock=clock) as session:
        read(session)
        api.refresh_tokens.clear()
        clock.now += 24 * 3600
        rows = read(session)
    assert len(rows) == 0
    assert [request.form["grant_type"] for request in api.seen("/oauth/token")] == ["password", "refresh_token", "password"]


def test_a_401_gets_one_fresh_token_and_the_request_goes_through(api, fast_policy):
    api.acled_events = [acled_event(1)]
    with client(api, fast_policy) as session:
        read(session)
        api.revoke_access_tokens()
        rows = read(session)
    assert [row["event_id_cnty"] for row in rows] == ["BFA1"]
    assert [request.form["grant_type"] for request in api.seen("/oauth/token")] == ["password", "refresh_token"]


def test_a_wrong_password_says_the_credentials_were_rejected(api, fast_policy):
    with client(api, fast_policy, password="not-the-password") as session:
        with pytest.raises(CredentialsRejectedError) as caught:
            read(session)
    assert str(caught.value) == REJECTED
    assert len(api.seen("/api/acled/read")) == 0


def test_a_401_that_persists_after_a_fresh_token_says_the_credentials_were_rejected(api, fast_policy):
    api.fail("/api/acled/read", ("status", 401), ("status", 401))
    with client(api, fast_policy) as session:
        with pytest.raises(CredentialsRejectedError) as caught:
            read(session)
    assert str(caught.value) == REJECTED
    assert len(api.seen("/api/acled/read")) == 2
    assert len(api.seen("/oauth/token")) == 2


@pytest.mark.parametrize(
    "fault, expected",
    [
        (("body", b"<html>Service maintenance</html>"), r"not valid JSON"),
        (("json", {"status": 400, "success": False, "error": {"message": "Invalid country"}}), r"with an error: Invalid country"),
        (("json", {"status": 200, "success": True, "count": 1}), r"without a list of rows under 'data'"),
        (("json", {"status": 200, "success": True, "data": [{"event_id_cnty": "BFA1", "country": "Mali"}]}),
         r"row 1 \(event BFA1\) lacks event_date, fatalities, timestamp"),
        (("status", 403), r"HTTP 403.*API access"),
    ],
)
def test_an_answer_that_is_not_a_page_of_events_stops_with_a_clear_message(api, fast_policy, fault, expected):
    api.fail("/api/acled/read", fault)
    with client(api, fast_policy) as session:
        with pytest.raises(SourceResponseError, match=expected):
            read(session)


def test_deletions_are_read_since_a_timestamp(api, fast_policy):
    api.acled_deletions = [
        {"event_id_cnty": "BFA1", "deleted_timestamp": "1000"},
        {"event_id_cnty": "MLI7", "deleted_timestamp": "3000"},
    ]
    with client(api, fast_policy) as session:
        deletions = session.read_deletions(since=2000, page=1, limit=100)
    assert deletions == [("MLI7", 3000)]
    assert api.seen("/api/deleted/read")[0].query == {
        "_format": "json", "deleted_timestamp": "2000", "limit": "100", "page": "1",
    }
