"""Masking secrets in any text that may be shown: log lines, error messages, run-log rows, emails.

One function, `redact`, used by the command line's log filter and final error line, the run
log, the mail sender and the ACLED client, so that a secret is masked the same way everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

MASK = "***"

# The password of a URL's user-info: scheme://user:PASSWORD@host. Masked even when it is not a
# known secret (a database or proxy URL given on the command line carries its own password).
_URL_PASSWORD = re.compile(r"(?P<head>[a-zA-Z][a-zA-Z0-9+.\-]*://[^/\s:@]*:)(?P<password>[^/\s@]+)(?=@)")


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """`text` with every secret replaced by `***`: each secret as it is and as it appears inside
    a URL (percent-encoded, or with `+` for spaces), and any password written into a URL's
    user-info (`scheme://user:password@host`). Longer secrets are masked first, so a secret that
    contains another is not left half-shown. Empty or None secrets are ignored."""
    forms: set[str] = set()
    for secret in secrets:
        if not secret:
            continue
        encoded = {quote(secret, safe=""), quote_plus(secret, safe="")}
        # Percent-escapes may be written in lower case (%2f) as well.
        encoded |= {re.sub(r"%[0-9A-F]{2}", lambda escape: escape[0].lower(), form) for form in encoded}
        forms.update({secret, *encoded})
    for form in sorted(forms, key=len, reverse=True):
        text = text.replace(form, MASK)
    return _URL_PASSWORD.sub(lambda match: match["head"] + MASK, text)
