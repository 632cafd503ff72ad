"""Email over TLS with a login: STARTTLS and implicit TLS (email.security), the password from the
environment, the server certificate checked against email.ca_file. A real aiosmtpd server on
127.0.0.1 with a certificate from a CA made in the test (trustme)."""

from __future__ import annotations

import datetime as dt
import logging
import ssl

import pytest
import trustme
from aiosmtpd.smtp import AuthResult, LoginPassword

from forecasting.store import outbox
from jobs.config import Secrets
from jobs.notify import deliver_outbox, notify

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")

NOW = dt.datetime(2025, 6, 2, 6, 0, tzinfo=dt.timezone.utc)
USER = "sahel-mailer"
PASSWORD = "Tr0ub4dor-smtp-7c1e"
SECRETS = Secrets(smtp_password=PASSWORD)


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def server_tls(ca) -> ssl.SSLContext:
    """The server side: a certificate for 127.0.0.1 signed by the test's CA."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    return context


@pytest.fixture
def ca_file(ca, tmp_path) -> str:
    path = tmp_path / "sahel-desk-ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


@pytest.fixture
def other_ca_file(tmp_path) -> str:
    """A CA that did not sign the server's certificate."""
    path = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(path))
    return str(path)


class Logins:
    """An aiosmtpd authenticator (AUTH LOGIN and PLAIN) that accepts USER with PASSWORD only and
    remembers every attempt, so a test can tell whether a password was ever sent."""

    def __init__(self) -> None:
        self.attempts: list[tuple[str, str, bool]] = []

    def __call__(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        assert isinstance(auth_data, LoginPassword), mechanism
        user, password = auth_data.login.decode(), auth_data.password.decode()
        accepted = (user, password) == (USER, PASSWORD)
        # Whether the password travelled encrypted (STARTTLS or implicit TLS).
        encrypted = server.transport.get_extra_info("ssl_object") is not None
        self.attempts.append((mechanism, user, encrypted))
        # handled=False: aiosmtpd answers a refusal with 535 itself.
        return AuthResult(success=accepted, handled=False, auth_data=user if accepted else None)


def start_tls_server(start_smtp_server, security: str, server_tls: ssl.SSLContext, logins: Logins):
    """A server that takes mail only over TLS and only from a logged-in USER."""
    if security == "starttls":
        return start_smtp_server(tls_context=server_tls, require_starttls=True, authenticator=logins,
                                 auth_required=True)
    # Implicit TLS: the socket is TLS from the first byte. aiosmtpd only counts STARTTLS as
    # "encrypted" for AUTH (and warns), so auth_require_tls is off; Logins checks the transport itself.
    return start_smtp_server(ssl_context=server_tls, authenticator=logins, auth_required=True,
                             auth_require_tls=False)


def one_critical_alert(store, config, make_alert, secrets=SECRETS):
    alert = make_alert(country="Burkina Faso", severity="critical")
    return notify(store, config, secrets, alerts=[alert], report=None, as_of="2025-05", occasion="pull:1", now=NOW)


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_mail_goes_out_encrypted_and_logged_in_to_a_server_whose_certificate_the_ca_file_vouches_for(
    security, store, start_smtp_server, server_tls, ca_file, email_config, service_config, make_alert
):
    logins = Logins()
    server = start_tls_server(start_smtp_server, security, server_tls, logins)
    email = email_config(server.port, security=security, username=USER, ca_file=ca_file,
                         recipients=email_config(0).recipients[:1])

    result = one_critical_alert(store, service_config(email=email), make_alert)

    assert (result.delivery.sent, result.delivery.remaining) == (1, 0)
    (received,) = server.received
    assert received.recipients == ["burkina@sahel-desk.test"]
    assert received.message["Subject"].startswith("[conflictwatch] CRITICAL: surge in Burkina Faso")
    assert received.tls in ("TLSv1.2", "TLSv1.3")
    assert received.login == USER
    assert logins.attempts and all(encrypted for _mechanism, _user, encrypted in logins.attempts)
    assert {mechanism for mechanism, _user, _encrypted in logins.attempts} <= {"LOGIN", "PLAIN"}
    (sent,) = outbox.list_messages(store)
    assert (sent.state, sent.attempts, sent.last_error) == ("sent", 1, None)


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_a_server_certificate_from_a_ca_not_trusted_is_refused_and_the_message_waits(
    security, store, start_smtp_server, server_tls, other_ca_file, email_config, service_config, make_alert
):
    logins = Logins()
    server = start_tls_server(start_smtp_server, security, server_tls, logins)
    email = email_config(server.port, security=security, username=USER, ca_file=other_ca_file,
                         recipients=email_config(0).recipients[:1])

    result = one_critical_alert(store, service_config(email=email), make_alert)

    assert (result.delivery.sent, result.delivery.failed_attempts, result.delivery.remaining) == (0, 1, 1)
    assert server.received == [] and logins.attempts == []  # the password never left the client
    (waiting,) = outbox.list_messages(store)
    assert (waiting.state, waiting.attempts) == ("pending", 1)
    assert f"the certificate of the SMTP server 127.0.0.1:{server.port} could not be verified" in waiting.last_error
    assert "email.ca_file" in waiting.last_error


def test_a_wrong_password_names_the_server_and_the_variable_and_the_message_waits(
    store, start_smtp_server, server_tls, ca_file, email_config, service_config, make_alert, caplog
):
    logins = Logins()
    server = start_tls_server(start_smtp_server, "starttls", server_tls, logins)
    email = email_config(server.port, security="starttls", username=USER, ca_file=ca_file,
                         password_env="SAHEL_SMTP_PASSWORD", recipients=email_config(0).recipients[:1])
    config = service_config(email=email)
    wrong = "n0t-the-Right-one-42"

    with caplog.at_level(logging.DEBUG):
        result = one_critical_alert(store, config, make_alert, secrets=Secrets(smtp_password=wrong))

    assert (result.delivery.sent, result.delivery.remaining) == (0, 1)
    assert server.received == [] and logins.attempts  # it did try, encrypted
    (waiting,) = outbox.list_messages(store)
    assert (waiting.state, waiting.attempts, waiting.sent_at) == ("pending", 1, None)
    assert waiting.last_error == (
        f"the SMTP server 127.0.0.1:{server.port} refused the login of 'sahel-mailer': check the password "
        "in the environment variable SAHEL_SMTP_PASSWORD (email.password_env)"
    )
    assert wrong not in caplog.text and "SAHEL_SMTP_PASSWORD" in caplog.text

    # The password fixed, the next due pass sends the same message once.
    later = NOW + dt.timedelta(minutes=2)
    assert deliver_outbox(store, email, SECRETS, now=later).sent == 1
    (received,) = server.received
    assert received.login == USER and received.message["Message-ID"] == waiting.message_id
    (sent,) = outbox.list_messages(store)
    assert (sent.state, sent.attempts, sent.sent_at) == ("sent", 2, later)


def test_starttls_required_but_not_offered_sends_nothing_in_plain_text_and_the_message_waits(
    store, start_smtp_server, ca_file, email_config, service_config, make_alert
):
    # A plain-text server that would even take a login without TLS: the client must not try.
    logins = Logins()
    server = start_smtp_server(authenticator=logins, auth_require_tls=False)
    email = email_config(server.port, security="starttls", username=USER, ca_file=ca_file,
                         recipients=email_config(0).recipients[:1])

    result = one_critical_alert(store, service_config(email=email), make_alert)

    assert (result.delivery.sent, result.delivery.failed_attempts, result.delivery.remaining) == (0, 1, 1)
    assert server.received == [] and logins.attempts == []
    (waiting,) = outbox.list_messages(store)
    assert (waiting.state, waiting.attempts) == ("pending", 1)
    assert waiting.last_error.startswith(
        f"the SMTP server 127.0.0.1:{server.port} does not offer STARTTLS (email.security: starttls)"
    )
    assert PASSWORD not in waiting.last_error


@pytest.mark.parametrize(
    ("ca_file", "expected"),
    [
        ("certs/sahel-ca.pem", "email.ca_file must be an absolute path, not 'certs/sahel-ca.pem'"),
        ("/nonexistent/sahel-ca.pem", "email.ca_file: cannot load CA certificates from /nonexistent/sahel-ca.pem"),
    ],
)
def test_a_ca_file_that_cannot_be_used_stops_delivery_before_any_attempt(
    ca_file, expected, store, smtp_server, email_config, make_alert
):
    from jobs.notify import EmailSetupError, enqueue, plan_messages

    email = email_config(smtp_server.port, security="starttls", ca_file=ca_file, recipients=email_config(0).recipients[:1])
    alert = make_alert(country="Burkina Faso", severity="critical")
    enqueue(store, email, plan_messages(store, email, [alert], report=None, as_of="2025-05", occasion="pull:1", now=NOW),
            run_id=None, now=NOW)

    with pytest.raises(EmailSetupError, match="^" + expected.replace(".", r"\.")):
        deliver_outbox(store, email, SECRETS, now=NOW)

    (waiting,) = outbox.list_messages(store)
    assert (waiting.state, waiting.attempts) == ("pending", 0)
