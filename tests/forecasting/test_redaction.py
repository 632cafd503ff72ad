"""One redaction function masks secrets wherever they appear: plain, URL-encoded, in a URL's user-info."""

from __future__ import annotations

from forecasting.redaction import redact


def test_a_secret_is_masked_as_written_and_as_a_url_writes_it():
    secret = "p@ss word/Sahel!"
    text = (
        f"login refused for {secret}; "
        "GET https://acled:p%40ss%20word%2FSahel%21@acleddata.com/api failed; "
        "form body password=p%40ss+word%2FSahel%21; "
        "lower-case escapes p%40ss%20word%2fsahel%21 are not the secret but p%40ss%20word%2fSahel%21 is"
    )
    masked = redact(text, [secret])
    assert secret not in masked
    assert "p%40ss%20word%2FSahel%21" not in masked
    assert "p%40ss+word%2FSahel%21" not in masked
    assert "p%40ss%20word%2fSahel%21" not in masked
    assert masked.startswith("login refused for ***; GET https://acled:***@acleddata.com/api failed")


def test_any_password_in_a_url_is_masked_even_when_it_is_not_a_known_secret():
    masked = redact("cannot reach postgresql+psycopg://analyst:kayes-2025@db.example:5432/cw (refused)")
    assert masked == "cannot reach postgresql+psycopg://analyst:***@db.example:5432/cw (refused)"
    # No user-info, no password: nothing to mask.
    assert redact("see https://acleddata.com:443/api?x=1") == "see https://acleddata.com:443/api?x=1"


def test_the_longest_secret_is_masked_first_and_empty_ones_are_ignored():
    assert redact("token abc123-refresh and abc123", ["abc123", "abc123-refresh", "", None]) == "token *** and ***"
