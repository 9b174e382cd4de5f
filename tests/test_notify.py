"""The notification mail (wegwijs/handovers/notify.py) against a local aiosmtpd sink."""
from __future__ import annotations

import email
import time
from email import policy
from typing import List

import pytest
from aiosmtpd.controller import Controller

from support import free_port
from wegwijs.db import migrate
from wegwijs.db.engine import session_factory
from wegwijs.handovers import service
from wegwijs.handovers.notify import send_notification
from wegwijs.settings import Settings

QUESTION = ("Onze dochter Fleur van der Meulen durft sinds het incident in de fietsenstalling "
            "niet meer alleen naar school te fietsen.")
PORTAL_URL = "https://portaal.hetbaken.example/"




class Mailbox:
    """An aiosmtpd handler that keeps every envelope."""

    def __init__(self) -> None:
        self.envelopes: List = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.envelopes.append(envelope)
        return "250 OK"


@pytest.fixture
def sink():
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield mailbox, controller.port
    finally:
        controller.stop()


@pytest.fixture
def handover(db_url):
    """A stored handover whose question is a distinctive sentence."""
    migrate.upgrade(db_url)
    with session_factory(db_url)() as session, session.begin():
        return service.create_handover(
            session, school_id="het-baken", role="zorgcoordinator", conversation_id="conv-mail",
            question=QUESTION, contact_method="email", contact_detail="ouder@voorbeeld.example",
            consent_text="Mag ik dit delen? Ja.", child_class="1 vwo", urgency="urgent")


def settings_for(db_url: str, home, **extra: str) -> Settings:
    env = {"WEGWIJS_DB_URL": db_url, "WEGWIJS_SCHOOLS_DIR": str(home / "schools"),
           "WEGWIJS_DATA_DIR": str(home / "data"), "WEGWIJS_PORTAL_URL": PORTAL_URL,
           "WEGWIJS_SMTP_FROM": "wegwijs@hetbaken.example"}
    env.update(extra)
    return Settings.from_env(env)


def test_mail_goes_to_the_role_with_a_link_and_without_the_question(sink, handover, db_url, home,
                                                                    registry):
    mailbox, port = sink
    school = registry.get("het-baken")
    address = school.contacts["zorgcoordinator"].email
    assert address
    settings = settings_for(db_url, home, WEGWIJS_SMTP_HOST="127.0.0.1", WEGWIJS_SMTP_PORT=str(port))
    sent = send_notification(settings, address, "de zorgcoördinator", school.name,
                             handover.public_id, handover.urgency)
    assert sent is True
    assert len(mailbox.envelopes) == 1
    envelope = mailbox.envelopes[0]
    assert envelope.rcpt_tos == [address]
    assert envelope.mail_from == "wegwijs@hetbaken.example"
    message = email.message_from_bytes(envelope.original_content or envelope.content,
                                       policy=policy.default)
    assert message["To"] == address
    assert message["Subject"].startswith("[Spoed] ")
    assert school.name in message["Subject"]
    body = message.get_body(("plain",)).get_content()
    assert f"https://portaal.hetbaken.example/handovers/{handover.public_id}" in body
    assert "/handovers//" not in body
    # nothing the parent wrote, nor their contact details, in any decoded part or header
    everything = body + "".join(f"{key}: {value}\n" for key, value in message.items())
    for secret in (QUESTION, "Fleur", "fietsenstalling", "ouder@voorbeeld.example", "1 vwo"):
        assert secret not in everything, secret
        assert secret.encode() not in (envelope.original_content or envelope.content)


def test_no_smtp_host_sends_nothing(sink, handover, db_url, home):
    mailbox, port = sink
    settings = settings_for(db_url, home, WEGWIJS_SMTP_PORT=str(port))
    assert settings.smtp_host is None
    assert send_notification(settings, "zorg@hetbaken.example", "de zorgcoördinator", "Het Baken",
                             handover.public_id, "normal") is False
    # nor without an address
    with_host = settings_for(db_url, home, WEGWIJS_SMTP_HOST="127.0.0.1", WEGWIJS_SMTP_PORT=str(port))
    assert send_notification(with_host, None, "de zorgcoördinator", "Het Baken",
                             handover.public_id, "normal") is False
    time.sleep(0.1)
    assert mailbox.envelopes == []


def test_an_unreachable_smtp_server_returns_false_without_raising(handover, db_url, home):
    port = free_port()  # nothing listens here
    settings = settings_for(db_url, home, WEGWIJS_SMTP_HOST="127.0.0.1", WEGWIJS_SMTP_PORT=str(port))
    started = time.monotonic()
    assert send_notification(settings, "zorg@hetbaken.example", "de zorgcoördinator", "Het Baken",
                             handover.public_id, "urgent") is False
    assert time.monotonic() - started < 10


# --- TLS (issue 20, finding 8) -----------------------------------------------------------------------

def self_signed(tmp_path):
    """A certificate for 127.0.0.1 that no public authority signed, and its key."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "smtp.test")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "smtp.pem", tmp_path / "smtp.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@pytest.fixture
def tls_sink(tmp_path):
    import ssl

    cert_path, key_path = self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(cert_path), str(key_path))
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port(), tls_context=context,
                            auth_require_tls=True)
    controller.start()
    try:
        yield mailbox, controller.port, cert_path
    finally:
        controller.stop()


def test_starttls_verifies_the_certificate_and_refuses_a_self_signed_one(tls_sink, handover, db_url, home):
    mailbox, port, cert_path = tls_sink
    untrusted = settings_for(db_url, home, WEGWIJS_SMTP_HOST="127.0.0.1", WEGWIJS_SMTP_PORT=str(port),
                             WEGWIJS_SMTP_STARTTLS="true")
    assert send_notification(untrusted, "zorg@hetbaken.example", "de zorgcoördinator", "Het Baken",
                             handover.public_id, "normal") is False
    time.sleep(0.1)
    assert mailbox.envelopes == []
    # the school's own authority, named in WEGWIJS_SMTP_CAFILE, is trusted
    trusted = settings_for(db_url, home, WEGWIJS_SMTP_HOST="127.0.0.1", WEGWIJS_SMTP_PORT=str(port),
                           WEGWIJS_SMTP_STARTTLS="true", WEGWIJS_SMTP_CAFILE=str(cert_path))
    assert send_notification(trusted, "zorg@hetbaken.example", "de zorgcoördinator", "Het Baken",
                             handover.public_id, "normal") is True
    assert len(mailbox.envelopes) == 1


def test_a_password_is_never_sent_without_tls(sink, handover, db_url, home, caplog):
    mailbox, port = sink
    settings = settings_for(db_url, home, WEGWIJS_SMTP_HOST="127.0.0.1", WEGWIJS_SMTP_PORT=str(port),
                            WEGWIJS_SMTP_USER="wegwijs", WEGWIJS_SMTP_PASSWORD="geheim-wachtwoord")
    assert send_notification(settings, "zorg@hetbaken.example", "de zorgcoördinator", "Het Baken",
                             handover.public_id, "normal") is False
    time.sleep(0.1)
    assert mailbox.envelopes == []
    assert "WEGWIJS_SMTP_STARTTLS" in caplog.text and "geheim-wachtwoord" not in caplog.text
