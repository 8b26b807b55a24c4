"""Verification mail through a real SMTP server (aiosmtpd on loopback) and the outbox."""

from __future__ import annotations

import dataclasses
import email
import email.policy
import os
import stat

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from sqlalchemy import select

from server.models import Invitation, User
from tests.conftest import free_port, serving
from tests.server.admin_world import make_org
from tests.server.flows import API, DEFAULT_PASSWORD, parse_verification_mail, register


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), msg))
        return "250 OK"


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


async def test_registration_mail_is_delivered_over_smtp(settings, smtp_server):
    controller, inbox = smtp_server
    smtp_settings = dataclasses.replace(settings, smtp_url=f"smtp://127.0.0.1:{controller.port}", outbox_dir=None)
    async with serving(smtp_settings) as (_app, client):
        registered = await register(client, "smtp.user@example.com")
        assert registered.status_code == 201
        [(recipients, msg)] = inbox.messages
        assert recipients == ["smtp.user@example.com"]
        assert msg["Subject"] == "Your CODITECT verification code" and "CODITECT" in msg["From"]
        code, _token = parse_verification_mail(msg.get_body(("plain",)).get_content())
        r = await client.post(f"{API}/verify-email", json={"email": "smtp.user@example.com", "code": code,
                                                               "registration": registered.json()["registration"]})
        assert r.status_code == 200
        r = await client.post(f"{API}/login", json={"email": "smtp.user@example.com", "password": DEFAULT_PASSWORD})
        assert r.status_code == 200


async def test_unreachable_smtp_server_does_not_lose_the_account(settings):
    smtp_settings = dataclasses.replace(settings, smtp_url=f"smtp://127.0.0.1:{free_port()}", outbox_dir=None)
    async with serving(smtp_settings) as (app, client):
        assert (await register(client, "later@example.com")).status_code == 201
        async with app.state.runtime.sessionmaker() as db:
            assert (await db.execute(select(User.email))).scalars().all() == ["later@example.com"]


async def test_outbox_mail_is_private_to_its_owner(client, settings):
    assert (await register(client, "outbox@example.com")).status_code == 201
    [path] = list(settings.outbox_dir.glob("*.eml"))
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert msg["To"] == "outbox@example.com"


async def test_an_unreachable_smtp_server_does_not_fail_an_invitation(settings):
    smtp_settings = dataclasses.replace(settings, smtp_url=f"smtp://127.0.0.1:{free_port()}", outbox_dir=None)
    async with serving(smtp_settings) as (app, client):
        org = await make_org(app, "alpha")
        r = await client.post("/api/v1/admin/invitations", headers=org.admin["headers"],
                              json={"email": "later@example.com", "role": "member"})
        assert r.status_code == 201, r.text
        async with app.state.runtime.sessionmaker() as db:
            assert (await db.execute(select(Invitation.email))).scalars().all() == ["later@example.com"]


class RecordingAuthenticator:
    def __init__(self) -> None:
        self.attempts: list[bytes] = []

    def __call__(self, server, session, envelope, mechanism, auth_data):
        self.attempts.append(auth_data)
        return AuthResult(success=True)


async def test_the_smtp_password_is_never_sent_without_tls(settings, caplog):
    inbox, authenticator = Inbox(), RecordingAuthenticator()
    # A server that offers AUTH on a plain connection and no STARTTLS.
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), authenticator=authenticator,
                            auth_require_tls=False)
    controller.start()
    smtp_settings = dataclasses.replace(
        settings, smtp_url=f"smtp://mailer:s3cret-smtp-pass@127.0.0.1:{controller.port}", outbox_dir=None)
    try:
        async with serving(smtp_settings) as (_app, client):
            assert (await register(client, "plain@example.com")).status_code == 201
    finally:
        controller.stop()
    assert authenticator.attempts == [] and inbox.messages == []
    assert "offers no STARTTLS" in caplog.text and "s3cret-smtp-pass" not in caplog.text
