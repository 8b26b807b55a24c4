"""Mail anyone can make the server send is limited: registrations and re-sends per client
address, verification codes per account and day, invitations per tenant; names typed by
people are one plain line and stay out of mail headers."""

from __future__ import annotations

import email
import email.policy
from contextlib import asynccontextmanager

import httpx
import pytest
from sqlalchemy import update

from server.models import Tenant
from tests.server.admin_world import make_org
from tests.server.principals import make_principal
from tests.server.flows import API, DEFAULT_PASSWORD, mail_bodies, parse_verification_mail, register, unique_email

ADMIN = "/api/v1/admin"


@asynccontextmanager
async def client_from(app, addr: str):
    transport = httpx.ASGITransport(app=app, client=(addr, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


def is_rate_limited(r) -> bool:
    return r.status_code == 429 and r.json()["code"] == "rate_limited" and int(r.headers["Retry-After"]) > 0


async def test_ten_registrations_an_hour_per_client_address(app, client, clock):
    for _ in range(10):
        assert (await register(client)).status_code == 201
    assert is_rate_limited(await register(client))
    async with client_from(app, "198.51.100.20") as elsewhere:
        assert (await register(elsewhere)).status_code == 201
    clock.advance(3600)
    assert (await register(client)).status_code == 201


async def test_resends_share_the_client_address_limit(client, settings):
    handle = (await register(client, "slow@example.com")).json()["registration"]
    for _ in range(9):
        r = await client.post(f"{API}/verify-email/resend", json={"email": "nobody@example.com", "registration": "r" * 32})
        assert r.status_code == 202
    assert is_rate_limited(await client.post(f"{API}/verify-email/resend",
                                             json={"email": "slow@example.com", "registration": handle}))


async def test_ten_verification_codes_a_day_per_account(app, clock, settings):
    address = "many.codes@example.com"
    for i in range(10):  # one registration and nine re-sends, each from its own network
        async with client_from(app, f"198.51.100.{i}") as c:
            if i == 0:
                registered = await register(c, address)
                assert registered.status_code == 201
                body = {"email": address, "registration": registered.json()["registration"]}
            else:
                assert (await c.post(f"{API}/verify-email/resend", json=body)).status_code == 202
        clock.advance(61)
    assert len(mail_bodies(settings, to=address)) == 10
    async with client_from(app, "198.51.100.99") as c:
        assert (await c.post(f"{API}/verify-email/resend", json=body)).status_code == 202
        assert len(mail_bodies(settings, to=address)) == 10  # same answer, no mail
        clock.advance(24 * 3600)
        assert (await c.post(f"{API}/verify-email/resend", json=body)).status_code == 202
    assert len(mail_bodies(settings, to=address)) == 11


async def test_wrong_codes_for_one_address_are_limited_from_any_network(app, client, settings):
    address = "guessed@example.com"
    handle = (await register(client, address)).json()["registration"]
    code, _link = parse_verification_mail(mail_bodies(settings, to=address)[-1])
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for i in range(10):
        async with client_from(app, f"198.51.100.{i}") as c:
            r = await c.post(f"{API}/verify-email", json={"email": address, "code": wrong, "registration": handle})
            assert r.status_code == 400
    async with client_from(app, "198.51.100.50") as c:
        assert is_rate_limited(await c.post(f"{API}/verify-email",
                                            json={"email": address, "code": code, "registration": handle}))
        # Its own key: the guesses did not lock the account's sign-in.
        r = await c.post(f"{API}/login", json={"email": address, "password": DEFAULT_PASSWORD})
        assert r.status_code == 403 and r.json()["code"] == "email_not_verified"


async def test_invitations_twenty_an_hour_and_a_hundred_a_day_per_tenant(app, client, clock):
    org = await make_org(app, "alpha")

    async def invite():
        # A fresh admin sign-in each time: access tokens last an hour, and the clock moves.
        admin = await make_principal(app, role="admin", tenant_id=org.tenant_id)
        return await client.post(f"{ADMIN}/invitations", headers=admin["headers"],
                                 json={"email": unique_email("invitee"), "role": "member"})

    for _hour in range(5):
        for _ in range(20):
            assert (await invite()).status_code == 201
        assert is_rate_limited(await invite())
        clock.advance(3600)
    assert is_rate_limited(await invite())  # 100 in the last day
    clock.advance(20 * 3600)
    assert (await invite()).status_code == 201


@pytest.mark.parametrize("field, value", [
    ("organization", "Acme\r\nBcc: everyone@example.com"),
    ("organization", "Acme\x1b[2J"),
    ("full_name", "Ada\tLovelace"),
    ("full_name", "Ada\u2028Lovelace"),
    ("full_name", "Ada\x00"),
])
async def test_names_with_control_characters_are_refused(client, field, value):
    body = {"email": unique_email(), "password": DEFAULT_PASSWORD, "full_name": "Ada", "organization": "Acme",
            field: value}
    r = await client.post(f"{API}/register", json=body)
    assert r.status_code == 422 and r.json()["code"] == "validation_error"
    [error] = r.json()["errors"]
    assert error["loc"][-1] == field and "control characters" in error["msg"] and value not in r.text


async def test_device_names_with_control_characters_are_refused(client):
    r = await client.post(f"{API}/login", json={"email": "a@example.com", "password": "x" * 12,
                                                "device_name": "laptop\nroot"})
    assert r.status_code == 422 and r.json()["errors"][0]["loc"][-1] == "device_name"


async def test_the_organization_name_stays_out_of_the_invitation_subject(app, client, settings):
    org = await make_org(app, "alpha")
    async with app.state.runtime.sessionmaker() as db:  # a name from before names were checked
        await db.execute(update(Tenant).where(Tenant.id == org.tenant_id).values(name="Acme\r\nBcc: x@example.com"))
        await db.commit()
    r = await client.post(f"{ADMIN}/invitations", headers=org.admin["headers"],
                          json={"email": "new@example.com", "role": "member"})
    assert r.status_code == 201
    [path] = [p for p in settings.outbox_dir.glob("*.eml") if b"new@example.com" in p.read_bytes()]
    msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert msg["Subject"] == "You are invited to CODITECT" and msg["Bcc"] is None
