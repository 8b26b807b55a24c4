"""Mail details: links on the server's real URL (pasted into the console when embedded), a
private --outbox folder, and addresses that are not ASCII sent with SMTPUTF8."""

from __future__ import annotations

import dataclasses
import email
import email.policy
import logging
import os
import stat

import pytest
from aiosmtpd.controller import Controller

from server.cli import serving_url, settings_from_args, build_parser
from tests.conftest import free_port, serving
from tests.server.flows import API, mail_bodies, parse_verification_mail, register
from tests.server.test_mail_delivery import Inbox

INTERNATIONAL = "jörg.müller@example.com"


@pytest.fixture
def smtputf8_server():
    """aiosmtpd that offers SMTPUTF8 (and one that does not, for the refusal)."""
    controllers = []

    def start(utf8: bool):
        inbox = Inbox()
        controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), enable_SMTPUTF8=utf8)
        controller.start()
        controllers.append(controller)
        return controller, inbox

    yield start
    for controller in controllers:
        controller.stop()


async def test_a_non_ascii_address_is_sent_with_smtputf8(settings, smtputf8_server):
    controller, inbox = smtputf8_server(True)
    smtp = dataclasses.replace(settings, smtp_url=f"smtp://127.0.0.1:{controller.port}", outbox_dir=None)
    async with serving(smtp) as (_app, client):
        r = await register(client, INTERNATIONAL)
        assert r.status_code == 201, r.text
        [(recipients, msg)] = inbox.messages
        assert recipients == [INTERNATIONAL] and msg["To"] == INTERNATIONAL  # not =?utf-8?...?=
        code, _token = parse_verification_mail(msg.get_body(("plain",)).get_content())
        r = await client.post(f"{API}/verify-email", json={"email": INTERNATIONAL, "code": code,
                                                           "registration": r.json()["registration"]})
        assert r.status_code == 200


async def test_without_smtputf8_the_log_says_why_and_ascii_mail_still_goes(settings, smtputf8_server, caplog):
    controller, inbox = smtputf8_server(False)
    smtp = dataclasses.replace(settings, smtp_url=f"smtp://127.0.0.1:{controller.port}", outbox_dir=None)
    caplog.set_level(logging.WARNING)
    async with serving(smtp) as (_app, client):
        assert (await register(client, INTERNATIONAL)).status_code == 201
        assert "does not offer SMTPUTF8" in caplog.text and INTERNATIONAL not in caplog.text
        assert (await register(client, "plain@example.com")).status_code == 201
    assert [r for r, _ in inbox.messages] == [["plain@example.com"]]


async def test_the_outbox_keeps_a_non_ascii_address_readable(client, settings):
    assert (await register(client, INTERNATIONAL)).status_code == 201
    [path] = list(settings.outbox_dir.glob("*.eml"))
    assert email.message_from_bytes(path.read_bytes(), policy=email.policy.default)["To"] == INTERNATIONAL


async def test_an_outbox_folder_of_its_own_is_made_private(settings, tmp_path):
    outbox = tmp_path / "elsewhere" / "mail"
    async with serving(dataclasses.replace(settings, outbox_dir=outbox)) as (_app, client):
        assert (await register(client, "a@example.com")).status_code == 201
    assert stat.S_IMODE(os.stat(outbox).st_mode) == 0o700


async def test_links_use_the_public_url_and_embedded_mail_says_to_paste_them(settings):
    remote = dataclasses.replace(settings, public_url="https://api.example.org:9443")
    async with serving(remote) as (_app, client):
        assert (await register(client, "remote@example.com")).status_code == 201
    [body] = mail_bodies(settings, to="remote@example.com")
    assert "https://api.example.org:9443/verify?token=" in body and "open this link" in body
    embedded = dataclasses.replace(settings, embedded=True, public_url="http://embedded.coditect.local")
    async with serving(embedded) as (_app, client):
        assert (await register(client, "local@example.com")).status_code == 201
    [body] = mail_bodies(settings, to="local@example.com")
    assert "paste this link into CODITECT Console" in body


def test_without_public_url_links_use_the_address_the_server_listens_on():
    assert serving_url("127.0.0.1", 9999) == "http://127.0.0.1:9999"
    assert serving_url("::1", 8000) == "http://[::1]:8000"
    args = build_parser().parse_args(["--port", "9999", "--max-body", "1000", "--db-connections", "8",
                                      "--workers", "2"])
    settings = settings_from_args(args)
    assert (settings.max_body, settings.db_connections, settings.workers) == (1000, 8, 2)
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--max-body", "0"])


def test_a_live_server_mails_links_on_its_own_port(live_server, tmp_path):
    import httpx

    server = live_server(process=False)
    r = httpx.post(f"{server.url}{API}/register", json={"email": "live@example.com", "password":
                                                        "tangerine-volcano-harbour-42", "full_name": "L",
                                                        "organization": "Live"})
    assert r.status_code == 201
    from tests.server.flows import read_verification_mail

    read_verification_mail(tmp_path / "live" / "outbox", to="live@example.com")
    [body] = mail_bodies(tmp_path / "live" / "outbox", to="live@example.com")
    assert f"{server.url}/verify?token=" in body
