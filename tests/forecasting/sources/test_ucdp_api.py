"""UCDP GED's API client against a real server on 127.0.0.1."""

from __future__ import annotations

import pytest
from fake_sources import UCDP_TOKEN, ucdp_event

from forecasting.sources.http import CredentialsRejectedError, SourceError, SourceResponseError
from forecasting.sources.ucdp_api import UcdpClient, country_codes


def client(api, policy, token=UCDP_TOKEN, version="25.1"):
    return UcdpClient(api.url, token, version, page_size=2, policy=policy)


def test_follows_next_page_url_with_the_token_header_and_gleditsch_ward_codes(api, fast_policy):
    api.ucdp_events = [ucdp_event(i, country=country) for i, country in enumerate(["Mali", "Niger", "Mali", "Burkina Faso", "Mali"], 1)]
    pages = []
    with client(api, fast_policy) as session:
        address, number = session.first_page(["Burkina Faso", "Mali", "Niger"]), 1
        while address:
            page = session.read_page(address, number=number)
            pages.append([row["id"] for row in page.rows])
            address, number = page.next_url, number + 1

    assert pages == [[600001, 600002], [600003, 600004], [600005]]
    requests = api.seen("/api/gedevents/25.1")
    assert [request.query.get("page") for request in requests] == [None, "1", "2"]
    assert all(request.query["Country"] == "439,432,436" and request.query["pagesize"] == "2" for request in requests)
    assert all(request.headers["x-ucdp-access-token"] == UCDP_TOKEN for request in requests)


def test_a_refused_token_says_what_to_check(api, fast_policy):
    with client(api, fast_policy, token="wrong") as session:
        with pytest.raises(CredentialsRejectedError) as caught:
            session.read_page(session.first_page(["Mali"]), number=1)
    assert str(caught.value) == "credentials for UCDP were rejected: check UCDP_TOKEN (the access token UCDP issued you)"


def test_an_unknown_version_points_at_the_setting(api, fast_policy):
    with client(api, fast_policy, version="99.9") as session:
        with pytest.raises(SourceResponseError, match=r"HTTP 404.*sources.ucdp.version"):
            session.read_page(session.first_page(["Mali"]), number=1)


def test_a_page_without_result_stops(api, fast_policy):
    api.fail("/api/gedevents/25.1", ("json", {"TotalCount": 3}))
    with client(api, fast_policy) as session:
        with pytest.raises(SourceResponseError, match=r"without 'Result' and 'NextPageUrl'"):
            session.read_page(session.first_page(["Mali"]), number=1)


def test_the_token_only_goes_to_the_configured_server(api, fast_policy):
    api.ucdp_events = [ucdp_event(i) for i in range(1, 4)]
    with client(api, fast_policy) as session:
        page = session.read_page("https://elsewhere.example.org/api/gedevents/25.1?pagesize=2&Country=432&page=1", number=2)
    assert [row["id"] for row in page.rows] == [600003]


def test_countries_without_a_code_are_named():
    assert country_codes(["Burkina Faso", "Mali", "Niger"]) == [439, 432, 436]
    with pytest.raises(SourceError, match=r"none for Atlantis"):
        country_codes(["Mali", "Atlantis"])
