"""Abuse between users (issue 9): admins over owners, enumeration through invitations,
sign-up blocked by strangers, and a stranger's text in official mail."""

from __future__ import annotations

import email
import email.policy

import httpx
import pytest

from server.models import Invitation
from server.services.mail import quoted_name
from tests.server.admin_world import API, acquire, audit_events, make_org
from tests.server.flows import (mail_bodies, read_invitation_code, register, register_and_verify, unique_email)

AUTH = f"{API}/auth"


@pytest.fixture
async def org(app):
    return await make_org(app, "alpha")


# -- only owners act on owners --------------------------------------------------------------

async def test_an_admin_cannot_starve_sign_out_or_unseat_an_owner(client, org):
    owner_id, admin = org.owner["user_id"], org.admin["headers"]
    seat_id = await acquire(client, org.owner, "hw-owner-1")
    refusals = [
        await client.put(f"{API}/admin/quotas/{owner_id}", headers=admin, json={"daily_limit": 0}),
        await client.delete(f"{API}/admin/sessions/{org.owner['session_id']}", headers=admin),
        await client.post(f"{API}/admin/users/{owner_id}/revoke-sessions", headers=admin),
        await client.delete(f"{API}/admin/seats/{seat_id}", headers=admin),
    ]
    for r in refusals:
        assert r.status_code == 403 and r.json()["code"] == "owner_required", r.text
    # Nothing happened: the owner is signed in, holds the seat and has the tier's quota.
    r = await client.put(f"{API}/licenses/heartbeat", headers=org.owner["headers"], json={"seat_id": seat_id})
    assert r.status_code == 200
    r = await client.post(f"{API}/usage/commands", headers=org.owner["headers"], json={"count": 1})
    assert r.status_code == 200


async def test_an_owner_acts_on_owners_and_an_admin_on_members(client, org):
    seat_id = await acquire(client, org.member, "hw-dev-1")
    admin = org.admin["headers"]
    assert (await client.put(f"{API}/admin/quotas/{org.member['user_id']}", headers=admin,
                             json={"daily_limit": 0})).status_code == 200
    assert (await client.delete(f"{API}/admin/seats/{seat_id}", headers=admin)).status_code == 204
    assert (await client.delete(f"{API}/admin/sessions/{org.member['session_id']}", headers=admin)).status_code == 204
    owner = org.owner["headers"]
    assert (await client.put(f"{API}/admin/quotas/{org.owner['user_id']}", headers=owner,
                             json={"daily_limit": 5})).status_code == 200
    r = await client.post(f"{API}/admin/users/{org.owner['user_id']}/revoke-sessions", headers=owner)
    assert r.status_code == 200 and r.json() == {"revoked_sessions": 1}


# -- invitations answer alike for every address ----------------------------------------------

async def invite(client, org, address: str):
    return await client.post(f"{API}/admin/invitations", headers=org.admin["headers"],
                             json={"email": address, "role": "member"})


async def test_an_invitation_answers_alike_whether_or_not_the_address_has_an_account(app, client, settings, org):
    await make_org(app, "beta")
    taken_here, taken_elsewhere, free = "dev@alpha.example", "owner@beta.example", "new.hire@alpha.example"
    answers = [await invite(client, org, address) for address in (taken_here, taken_elsewhere, free)]
    assert [r.status_code for r in answers] == [201, 201, 201]
    shapes = [{k: v for k, v in r.json().items() if k not in ("id", "email")} for r in answers]
    assert shapes[0] == shapes[1] == shapes[2]
    events = await audit_events(app, org.tenant_id, "user.invited")
    assert [sorted(e.detail) for e in events] == [["email", "role"]] * 3
    # The invitee learns the outcome; only the free address gets a code.
    assert read_invitation_code(settings, free)
    for address in (taken_here, taken_elsewhere):
        [body] = mail_bodies(settings, to=address)
        assert "already has a CODITECT account" in body and "I have an invitation" not in body


async def test_invitations_are_counted_before_the_address_is_looked_at(app, client, settings, org):
    for i in range(20):
        assert (await invite(client, org, f"probe{i}@example.com")).status_code == 201
    # The 21st is refused the same way for a taken address and a free one.
    for address in ("owner@alpha.example", "someone-new@example.com"):
        r = await invite(client, org, address)
        assert r.status_code == 429 and r.json()["code"] == "rate_limited"


# -- sign-up blocked for at most an hour -------------------------------------------------------

async def test_strangers_registering_an_address_block_its_owner_an_hour_at_most(app, client, settings, clock):
    victim = unique_email("victim")
    for i in range(10):
        # From many networks: the per-address mail limit is the one that bites.
        transport = httpx.ASGITransport(app=app, client=(f"198.51.100.{i + 1}", 4000))
        async with httpx.AsyncClient(transport=transport, base_url="http://stranger") as stranger:
            r = await register(stranger, victim, org=f"Stranger {i}")
        assert r.status_code == 201, r.text
        clock.advance(60)
    r = await register(client, victim, org="The Real Company")
    assert r.status_code == 429 and r.json()["code"] == "too_many_mails"
    assert r.json()["retry_after"] <= 3600 and int(r.headers["Retry-After"]) == r.json()["retry_after"]
    clock.advance(r.json()["retry_after"])
    assert (await register(client, victim, org="The Real Company")).status_code == 201


# -- names and the stranger's text in mail ---------------------------------------------------

@pytest.mark.parametrize("char", ["\u202e", "\u200b", "\u2066", "\u00ad", "\ufeff"])
async def test_format_characters_are_refused_in_every_name(app, client, settings, org, char):
    r = await register(client, unique_email(), full_name=f"Ada{char}Example")
    assert r.status_code == 422 and r.json()["code"] == "validation_error"
    r = await register(client, unique_email(), org=f"Evil{char}Corp")
    assert r.status_code == 422 and r.json()["code"] == "validation_error"
    assert (await invite(client, org, "fmt@alpha.example")).status_code == 201
    token = read_invitation_code(settings, "fmt@alpha.example")
    r = await client.post(f"{AUTH}/invitations/accept", json={"token": token, "full_name": f"Grace{char}Hopper",
                                                              "password": "tangerine-volcano-harbour-42"})
    assert r.status_code == 422 and r.json()["code"] == "validation_error"


async def test_ordinary_names_in_any_script_are_accepted(client):
    for name in ("José Núñez", "Zoë O'Brien-Smith", "李小龍", "محمد علي"):
        r = await register(client, unique_email(), full_name=name, org=f"{name} GmbH")
        assert r.status_code == 201, (name, r.text)


PHISH = "Your account is suspended. Restore it at https://coditect-support.example/restore now"


def all_text(settings, to: str) -> str:
    directory = settings.outbox_dir
    texts = []
    for path in sorted(directory.glob("*.eml")):
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if msg["To"] == to:
            texts.append(str(msg["Subject"]) + "\n" + msg.get_body(("plain",)).get_content())
    return "\n".join(texts)


async def test_a_strangers_name_reaches_an_unverified_address_only_short_and_quoted(app, client, settings, clock):
    victim = unique_email("victim")
    assert (await register(client, victim, full_name=PHISH, org=PHISH)).status_code == 201
    text = all_text(settings, victim)
    assert "Restore it at" not in text and "https://coditect-support" not in text
    assert f"under the name {quoted_name(PHISH)}" in text and len(quoted_name(PHISH)) <= 42


async def test_an_invitation_mail_quotes_the_inviters_names_short(app, client, settings):
    owner = await register_and_verify(client, settings, full_name=PHISH, org=PHISH)
    from tests.server.flows import bearer, enroll_mfa, login_with_mfa

    secret, _ = await enroll_mfa(client, owner["access_token"], clock := app.state.runtime.clock)
    tokens = await login_with_mfa(client, owner["email"], owner["password"], secret, clock)
    for address in ("newbie@example.com", owner["email"]):
        r = await client.post(f"{API}/admin/invitations", headers=bearer(tokens["access_token"]),
                              json={"email": address, "role": "member"})
        assert r.status_code == 201
        text = all_text(settings, address)
        assert "Restore it at" not in text and "https://coditect-support" not in text
        assert f"Organization: {quoted_name(PHISH)}" in text
        assert f"Invited by:   {quoted_name(PHISH)} <{owner['email']}>" in text


def test_quoted_name_keeps_a_name_a_name():
    assert quoted_name("Ada Lovelace") == '"Ada Lovelace"'
    assert quoted_name('Say "hi"\u202e\u200b') == "\"Say 'hi'\""
    assert quoted_name("x" * 100) == '"' + "x" * 39 + '\u2026"'


async def test_the_invitation_row_exists_for_a_taken_address_too(app, client, org):
    assert (await invite(client, org, "dev@alpha.example")).status_code == 201
    async with app.state.runtime.sessionmaker() as db:
        from sqlalchemy import select

        assert (await db.execute(select(Invitation.email))).scalars().all() == ["dev@alpha.example"]
