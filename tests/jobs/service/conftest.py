"""Fixtures of the service tests: a real SMTP server on 127.0.0.1 (aiosmtpd), alerts, configs."""

from __future__ import annotations

import email
import email.policy
import io
import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from forecasting.alerts import Alert
from jobs.config import Config, EmailConfig, Recipient, ScheduleConfig
from reports.inputs import Chart, ReportFiles


# aiosmtpd logs every connection from its own thread, sometimes after the test that opened it
# has ended and its captured stream is closed: keep its chatter out of the test output.
logging.getLogger("mail.log").setLevel(logging.WARNING)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: email.message.EmailMessage
    tls: str | None = None  # the TLS version of the connection it came over; None: plain text
    login: str | None = None  # the user the session logged in as; None: no login


@dataclass
class SmtpServer:
    """A real SMTP server on loopback that keeps what it receives.

    `before_reply`, when set, runs after a message was received and stored but before the
    server answers 250: the moment a client crash leaves the message delivered but unmarked.
    """

    port: int
    received: list[Received] = field(default_factory=list)
    before_reply: Callable[[], None] | None = None
    _controller: Controller | None = None

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler hook
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        tls = server.transport.get_extra_info("ssl_object")
        login = session.auth_data if session.authenticated else None
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), parsed,
                                      tls=tls.version() if tls is not None else None, login=login))
        if self.before_reply is not None:
            self.before_reply()
        return "250 Message accepted for delivery"

    def start(self, **options) -> None:
        """`options` go to aiosmtpd's Controller: tls_context, ssl_context, authenticator, ..."""
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port, **options)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def to(self, address: str) -> list[Received]:
        return [item for item in self.received if address in item.recipients]


@pytest.fixture
def start_smtp_server():
    """Start a real SMTP server on a loopback port (stopped after the test); keyword arguments
    go to aiosmtpd's Controller (TLS, authentication)."""
    started: list[SmtpServer] = []

    def start(port: int | None = None, **options) -> SmtpServer:
        server = SmtpServer(port=port or free_port())
        server.start(**options)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def smtp_server(start_smtp_server) -> SmtpServer:
    return start_smtp_server()


def _email_config(port: int, **overrides) -> EmailConfig:
    values = dict(
        enabled=True,
        host="127.0.0.1",
        port=port,
        sender="conflictwatch@sahel-desk.test",
        administrator="ops@sahel-desk.test",
        recipients=(
            Recipient("burkina@sahel-desk.test", countries=("Burkina Faso",), min_severity="warning"),
            Recipient("mali@sahel-desk.test", countries=("Mali",), min_severity="critical"),
            Recipient("all@sahel-desk.test", min_severity="info"),
        ),
    )
    values.update(overrides)
    return EmailConfig(**values)


def _make_alert(kind="surge", country="Burkina Faso", period="2025-05", severity="critical", status="new", **extra) -> Alert:
    scope = {"country": country, "admin1": extra.pop("admin1", None), "admin2": None, "tier": None, "actor": None}
    return Alert(
        kind=kind, scope=scope, measure="fatalities", period=period, observed=850, expected=600.0,
        lower=450.0, upper=760.0, score=0.0004, severity=severity, status=status,
        message=extra.pop("message", f"{kind} in {country or 'the Central Sahel'} in {period}: 850 fatalities against 600 expected."),
        **extra,
    )


def _config_with(tmp_path: Path, email: EmailConfig | None = None, schedule: ScheduleConfig | None = None, **sections) -> Config:
    """A Config for in-process tests (files relative to tmp_path)."""
    import dataclasses

    config = Config(email=email or EmailConfig(), schedule=schedule or ScheduleConfig(), **sections)
    return dataclasses.replace(config, path=tmp_path / "config.yaml")


def _report_files(folder: Path, alert_ids: tuple[str, ...] = ()) -> ReportFiles:
    from PIL import Image

    folder.mkdir(exist_ok=True)
    pdf = folder / "conflictwatch-2025-05.pdf"
    pdf.write_bytes(b"%PDF-1.4\n% a two-page trend report\n%%EOF\n")
    png = folder / "fatalities.png"
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), "firebrick").save(buffer, format="PNG")
    png.write_bytes(buffer.getvalue())
    chart = Chart(key="fatalities", title="Fatalities", path=png, width=40, height=20,
                  content_id="fatalities.2025-05@conflictwatch", inline=True)
    body = '<html><body><h1>Central Sahel, May 2025</h1><img src="cid:fatalities.2025-05@conflictwatch"></body></html>'
    html = folder / "report.html"
    html.write_text(body, encoding="utf-8")
    return ReportFiles(out_dir=folder, pdf=pdf, html=html, email_html=html, json=folder / "report.json",
                       charts=(chart,), html_body=body, headline_findings=("Deadliest month since August 2024.",),
                       alert_ids=alert_ids, pages=2)


@pytest.fixture
def report_files(tmp_path):
    """A small rendered report of May 2025 under tmp_path: report_files(alert_ids=) (the alerts it shows)."""
    return lambda alert_ids=(): _report_files(tmp_path / "report-2025-05", alert_ids)


@pytest.fixture
def make_alert():
    """Build an Alert: make_alert(kind=, country=, period=, severity=, status=, message=)."""
    return _make_alert


@pytest.fixture
def email_config():
    """EmailConfig for the SMTP server on a port, three recipients and an administrator."""
    return _email_config


@pytest.fixture
def service_config(tmp_path):
    """A Config with the given email / schedule / other sections, its files under tmp_path."""
    return lambda **sections: _config_with(tmp_path, **sections)


@pytest.fixture
def unused_port() -> int:
    """A loopback port where no SMTP server listens (yet)."""
    return free_port()
