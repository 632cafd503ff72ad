"""A real HTTP server on 127.0.0.1 that speaks ACLED's and UCDP's documented API shapes.

Used by the source and pull tests and by benchmarks/pull.py. It keeps its data in memory, checks
credentials like the real services (OAuth password and refresh grants for ACLED, a token header
for UCDP), pages like them (ACLED: limit/page until a short page; UCDP: NextPageUrl), and can be
told to misbehave: `fail(path, *faults)` queues faults served, in order, to the next requests
for `path`; `fail_page(n, fault)` serves a fault for ACLED event page n every time until cleared,
and `fail_ucdp_page(n, fault)` does the same for GED page n (counted from 1, as the pull counts
them; UCDP's own `page` parameter counts from 0).

Faults: ("status", code[, headers]), ("reset",) (drop the connection), ("stall", seconds)
(answer late), ("body", bytes) (a malformed body), ("json", object) (a well-formed but wrong
answer), ("hold", threading.Event) (wait until the event is set, then answer normally).
"""

from __future__ import annotations

import json
import secrets
import socket
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

ACLED_USERNAME = "analyst@example.org"
ACLED_PASSWORD = "pw-Sahel-7f3c9d"
UCDP_TOKEN = "ucdp-token-41b7e2a9"
UCDP_VERSION = "25.1"
GW_CODES = {"Burkina Faso": 439, "Mali": 432, "Niger": 436}


def acled_event(number: int, *, country: str = "Burkina Faso", timestamp: int = 1_747_000_000, fatalities: int = 3,
                event_date: str = "2025-05-14", location: str = "Djibo", admin1: str = "Sahel",
                admin2: str = "Soum") -> dict:
    """One event as ACLED's API returns it: the export's field names, every value a string."""
    iso = {"Burkina Faso": "854", "Mali": "466", "Niger": "562"}[country]
    prefix = {"Burkina Faso": "BFA", "Mali": "MLI", "Niger": "NIR"}[country]
    return {
        "event_id_cnty": f"{prefix}{number}",
        "event_date": event_date,
        "year": event_date[:4],
        "time_precision": "1",
        "disorder_type": "Political violence",
        "event_type": "Violence against civilians",
        "sub_event_type": "Attack",
        "actor1": "JNIM: Group for Support of Islam and Muslims",
        "assoc_actor_1": "",
        "inter1": "Rebel group",
        "actor2": "Civilians (Burkina Faso)",
        "assoc_actor_2": "",
        "inter2": "Civilians",
        "interaction": "Rebel group-Civilians",
        "civilian_targeting": "Civilian targeting",
        "iso": iso,
        "region": "Western Africa",
        "country": country,
        "admin1": admin1,
        "admin2": admin2,
        "admin3": location,
        "location": location,
        "latitude": "14.1011",
        "longitude": "-1.6281",
        "geo_precision": "1",
        "source": "Test Wire",
        "source_scale": "National",
        "notes": f"Synthetic test event {number}.",
        "fatalities": str(fatalities),
        "tags": "",
        "timestamp": str(timestamp),
    }


def ucdp_event(number: int, *, country: str = "Mali", best: int = 5, date: str = "2024-09-17") -> dict:
    """One GED event as UCDP's API returns it (numbers as JSON numbers)."""
    return {
        "id": 600000 + number,
        "relid": f"MLI-2024-1-{number}",
        "year": int(date[:4]),
        "active_year": True,
        "type_of_violence": 3,
        "conflict_new_id": 999,
        "dyad_new_id": 999,
        "side_a": "JNIM",
        "side_b": "Civilians",
        "source_headline": f"Synthetic GED event {number}",
        "source_original": "Test Wire",
        "where_prec": 1,
        "where_coordinates": "Bamako town",
        "adm_1": "Bamako district",
        "adm_2": "",
        "latitude": 12.6392,
        "longitude": -8.0029,
        "country": country,
        "country_id": GW_CODES[country],
        "region": "Africa",
        "date_prec": 1,
        "date_start": f"{date}T00:00:00.000",
        "date_end": f"{date}T00:00:00.000",
        "best": best,
        "high": best + 2,
        "low": best,
    }


class _QuietServer(ThreadingHTTPServer):
    """A client that was killed mid-request is expected here, not an error worth a traceback."""

    daemon_threads = True

    def handle_error(self, request, client_address):
        import sys

        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


@dataclass
class Seen:
    """One request as the server saw it."""

    at: float
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    form: dict[str, str] = field(default_factory=dict)


class FakeSources:
    """The server and its state. Start with `with FakeSources() as api:`; `api.url` is its base."""

    def __init__(self, *, token_lifetime_s: int = 86400):
        self.lock = threading.Lock()
        self.acled_events: list[dict] = []
        self.acled_deletions: list[dict] = []
        self.ucdp_events: list[dict] = []
        self.password = ACLED_PASSWORD
        self.ucdp_token = UCDP_TOKEN
        self.token_lifetime_s = token_lifetime_s
        self.access_tokens: set[str] = set()
        self.refresh_tokens: set[str] = set()
        self.issued: list[str] = []  # every token ever handed out, to check none leaks
        self.requests: list[Seen] = []
        self.faults: dict[str, deque] = defaultdict(deque)
        self.page_faults: dict[int, tuple] = {}
        self.ucdp_page_faults: dict[int, tuple] = {}
        self.page_delay_s = 0.0
        # Benchmarks set this: each ACLED page is encoded once, so a second timed pull measures
        # the client, not this server's JSON encoding.
        self.cache_pages = False
        self._encoded: dict[tuple, bytes] = {}
        self._server = _QuietServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FakeSources:
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- test controls -------------------------------------------------------------------------

    def fail(self, path: str, *faults: tuple) -> None:
        with self.lock:
            self.faults[path].extend(faults)

    def fail_page(self, page: int, fault: tuple | None) -> None:
        """Break or hold ACLED's page `page` (None: serve it normally again)."""
        self._set_page_fault(self.page_faults, page, fault)

    def fail_ucdp_page(self, page: int, fault: tuple | None) -> None:
        """Break or hold UCDP's page `page` (None: serve it normally again)."""
        self._set_page_fault(self.ucdp_page_faults, page, fault)

    def _set_page_fault(self, faults: dict, page: int, fault: tuple | None) -> None:
        with self.lock:
            if fault is None:
                faults.pop(page, None)
            else:
                faults[page] = fault

    def revoke_access_tokens(self) -> None:
        with self.lock:
            self.access_tokens.clear()

    def seen(self, path: str) -> list[Seen]:
        with self.lock:
            return [request for request in self.requests if request.path == path]

    # --- the handler ---------------------------------------------------------------------------

    def _handler(self):
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args):  # keep test output clean
                pass

            def do_GET(self):
                self._serve("GET")

            def do_POST(self):
                self._serve("POST")

            def _serve(self, method: str) -> None:
                parts = urlsplit(self.path)
                query = {key: values[-1] for key, values in parse_qs(parts.query, keep_blank_values=True).items()}
                form = {}
                length = int(self.headers.get("content-length") or 0)
                if length:
                    body = self.rfile.read(length).decode("utf-8")
                    form = {key: values[-1] for key, values in parse_qs(body, keep_blank_values=True).items()}
                with api.lock:
                    api.requests.append(
                        Seen(time.time(), method, parts.path, query, {k.lower(): v for k, v in self.headers.items()}, form)
                    )
                    fault = api.faults[parts.path].popleft() if api.faults[parts.path] else None
                    if fault is None and parts.path == "/api/acled/read":
                        fault = api.page_faults.get(int(query.get("page", "1")))
                    elif fault is None and parts.path.startswith("/api/gedevents/"):
                        fault = api.ucdp_page_faults.get(int(query.get("page", "0")) + 1)
                if fault is not None and self._misbehave(fault):
                    return
                if parts.path == "/oauth/token" and method == "POST":
                    status, document = api._token(form)
                elif parts.path == "/api/acled/read":
                    status, document = api._acled_read(self.headers, query)
                elif parts.path == "/api/deleted/read":
                    status, document = api._acled_deleted(self.headers, query)
                elif parts.path.startswith("/api/gedevents/"):
                    status, document = api._ucdp(self.headers, parts.path, query)
                else:
                    status, document = 404, {"error": "not found"}
                if api.page_delay_s and parts.path in ("/api/acled/read", "/api/gedevents/" + UCDP_VERSION):
                    time.sleep(api.page_delay_s)
                self._send(status, document if isinstance(document, bytes) else json.dumps(document).encode())

            def _send(self, status: int, body: bytes, headers: dict | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def _misbehave(self, fault: tuple) -> bool:
                """Serve a fault; False means: go on and answer normally."""
                kind = fault[0]
                if kind == "status":
                    headers = fault[2] if len(fault) > 2 else {}
                    self._send(fault[1], json.dumps({"status": fault[1], "success": False}).encode(), headers)
                elif kind == "reset":
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                elif kind == "stall":
                    time.sleep(fault[1])
                    return False
                elif kind == "body":
                    self._send(200, fault[1])
                elif kind == "json":
                    self._send(200, json.dumps(fault[1]).encode())
                elif kind == "hold":
                    fault[1].wait(30)
                    return False
                else:
                    raise ValueError(f"unknown fault {fault!r}")
                return True

        return Handler

    # --- ACLED ---------------------------------------------------------------------------------

    def _new_pair(self) -> dict:
        access, refresh = f"acc-{secrets.token_hex(12)}", f"ref-{secrets.token_hex(12)}"
        self.access_tokens.add(access)
        self.refresh_tokens.add(refresh)
        self.issued += [access, refresh]
        return {"token_type": "Bearer", "expires_in": self.token_lifetime_s, "access_token": access, "refresh_token": refresh}

    def _token(self, form: dict) -> tuple[int, dict]:
        with self.lock:
            if form.get("client_id") != "acled":
                return 400, {"error": "invalid_client"}
            if form.get("grant_type") == "password":
                if form.get("username") == ACLED_USERNAME and form.get("password") == self.password:
                    return 200, self._new_pair()
                return 400, {"error": "invalid_grant", "error_description": "The user credentials were incorrect."}
            if form.get("grant_type") == "refresh_token":
                if form.get("refresh_token") in self.refresh_tokens:
                    self.refresh_tokens.discard(form["refresh_token"])
                    return 200, self._new_pair()
                return 400, {"error": "invalid_grant", "error_description": "Invalid refresh token"}
            return 400, {"error": "unsupported_grant_type"}

    def _authorized(self, headers) -> bool:
        value = headers.get("authorization", "")
        with self.lock:
            return value.startswith("Bearer ") and value[7:] in self.access_tokens

    def _acled_read(self, headers, query: dict) -> tuple[int, object]:
        if not self._authorized(headers):
            return 401, {"status": 401, "success": False, "error": {"message": "Unauthorized"}}
        if query.get("_format") != "json":
            return 400, {"status": 400, "success": False, "error": {"message": "_format=json expected"}}
        countries = set(query.get("country", "").split("|")) if query.get("country") else None
        start = end = None
        if "event_date" in query:
            if query.get("event_date_where") != "BETWEEN":
                return 400, {"status": 400, "success": False, "error": {"message": "event_date_where"}}
            start, end = query["event_date"].split("|")
        newer_than = int(query["timestamp"]) if "timestamp" in query else None
        limit, page = int(query.get("limit", "5000")), int(query.get("page", "1"))
        key = (tuple(sorted(countries or ())), start, end, newer_than, limit, page)
        with self.lock:
            cached = self._encoded.get(key)
            if cached is not None:
                return 200, cached
            rows = [
                row for row in self.acled_events
                if (countries is None or row["country"] in countries)
                and (start is None or start <= row["event_date"] <= end)
                and (newer_than is None or int(row["timestamp"]) >= newer_than)
            ]
        data = rows[(page - 1) * limit : page * limit]
        document = {"status": 200, "success": True, "last_update": 0, "count": len(data), "messages": [],
                    "data": data, "filename": "acled_read"}
        if not self.cache_pages:
            return 200, document
        encoded = json.dumps(document).encode()
        with self.lock:
            self._encoded[key] = encoded
        return 200, encoded

    def _acled_deleted(self, headers, query: dict) -> tuple[int, object]:
        if not self._authorized(headers):
            return 401, {"status": 401, "success": False, "error": {"message": "Unauthorized"}}
        since = int(query.get("deleted_timestamp", "0"))
        limit, page = int(query.get("limit", "5000")), int(query.get("page", "1"))
        with self.lock:
            rows = [row for row in self.acled_deletions if int(row["deleted_timestamp"]) >= since]
        data = rows[(page - 1) * limit : page * limit]
        return 200, {"status": 200, "success": True, "count": len(data), "data": data}

    # --- UCDP ----------------------------------------------------------------------------------

    def _ucdp(self, headers, path: str, query: dict) -> tuple[int, object]:
        if headers.get("x-ucdp-access-token") != self.ucdp_token:
            return 401, {"Message": "Authorization has been denied for this request."}
        version = path.rsplit("/", 1)[-1]
        if version != UCDP_VERSION:
            return 404, {"Message": f"version {version} not found"}
        size, page = int(query.get("pagesize", "100")), int(query.get("page", "0"))
        codes = {int(code) for code in query["Country"].split(",")} if query.get("Country") else None
        start = query.get("StartDate")
        with self.lock:
            rows = [
                row for row in self.ucdp_events
                if (codes is None or row["country_id"] in codes) and (start is None or row["date_start"][:10] >= start)
            ]
        pages = max(1, -(-len(rows) // size))
        data = rows[page * size : (page + 1) * size]

        def link(number: int) -> str:
            params = {key: value for key, value in query.items() if key != "page"} | {"page": str(number)}
            return f"{self.url}{path}?{urlencode(params)}"

        return 200, {
            "TotalCount": len(rows),
            "TotalPages": pages,
            "PreviousPageUrl": link(page - 1) if page > 0 else "",
            "NextPageUrl": link(page + 1) if page + 1 < pages else "",
            "Result": data,
        }

