"""POST /auth/invitations/preview and /auth/invitations/accept: an invited colleague gets in.

Invitations are made through the real admin API (POST /admin/invitations) and their code
is read from the mail in the outbox, as the invited person would.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import func, select

from server.models import AuditEvent, Invitation, User
from tests.server.admin_world import API, audit_events, make_org
from tests.server.flows import (DEFAULT_PASSWORD, bearer, enroll_mfa, login, login_with_mfa,
                                read_invitation_code, register_and_verify)
from tests.server.principals import app_beside, make_principal
from tests.server.test_seats_concurrency import start_live

AUTH = f"{API}/auth/invitations"
NAME = "Grace Hopper"


async def invite(client, settings, inviter: dict, email: str, role: str = "member") -> str:
    r = await client.post(f"{API}/admin/invitations", headers=inviter["headers"], json={"email": email, "role": role})
    assert r.status_code == 201, r.text
    return read_invitation_code(settings, email)


async def accept(client, token: str, password: str = DEFAULT_PASSWORD, full_name: str = NAME):
    return await client.post(f"{AUTH}/accept", json={"token": token, "full_name": full_name, "password": password})


async def users_with(app, email: str) -> list[User]:
    async with app.state.runtime.sessionmaker() as db:
        return list((await db.execute(select(User).where(User.email == email))).scalars())


@pytest.fixture
async def org(app):
    return await make_org(app, "alpha")


async def test_preview_then_accept_then_sign_in_with_mfa_still_required(app, client, settings, clock, org):
    token = await invite(client, settings, org.admin, "grace@alpha.example", "admin")
    r = await client.post(f"{AUTH}/preview", json={"token": token})
    assert r.status_code == 200, r.text
    organization = (await client.get(f"{API}/auth/me", headers=org.admin["headers"])).json()["tenant_name"]
    assert r.json() == {"email": "grace@alpha.example", "organization": organization,
                        "role": "admin", "expires_at": "2026-12-03T10:00:00Z"}
    async with app.state.runtime.sessionmaker() as db:
        [invitation] = (await db.execute(select(Invitation))).scalars().all()
    assert invitation.accepted_at is None  # a preview does not use the invitation

    r = await accept(client, token)
    assert r.status_code == 201, r.text
    assert r.json() == {"user_id": r.json()["user_id"], "tenant_id": org.tenant_id,
                        "email": "grace@alpha.example", "role": "admin"}
    tokens = await login(client, "grace@alpha.example")  # verified already: no e-mail step
    me = (await client.get(f"{API}/auth/me", headers=bearer(tokens["access_token"]))).json()
    assert (me["email_verified"], me["mfa_enrolled"], me["role"], me["tenant_id"], me["full_name"]) == (
        True, False, "admin", org.tenant_id, NAME)
    # An admin without a second factor may not administer yet: enroll first, as everybody.
    r = await client.get(f"{API}/admin/users", headers=bearer(tokens["access_token"]))
    assert r.status_code == 403 and r.json()["code"] == "mfa_required"
    secret, _codes = await enroll_mfa(client, tokens["access_token"], clock)
    tokens = await login_with_mfa(client, "grace@alpha.example", DEFAULT_PASSWORD, secret, clock)
    r = await client.get(f"{API}/admin/users", headers=bearer(tokens["access_token"]))
    assert r.status_code == 200 and "grace@alpha.example" in {u["email"] for u in r.json()["users"]}


@pytest.mark.parametrize("inviter,role", [("admin", "member"), ("admin", "admin"), ("owner", "owner")])
async def test_the_invited_role_is_honoured(app, client, settings, org, inviter, role):
    token = await invite(client, settings, getattr(org, inviter), "new@alpha.example", role)
    assert (await client.post(f"{AUTH}/preview", json={"token": token})).json()["role"] == role
    assert (await accept(client, token)).json()["role"] == role
    [user] = await users_with(app, "new@alpha.example")
    assert (user.role, user.tenant_id, user.email_verified_at is not None) == (role, org.tenant_id, True)


async def test_an_invitation_works_once(app, client, settings, org):
    token = await invite(client, settings, org.admin, "once@alpha.example")
    assert (await accept(client, token)).status_code == 201
    for r in (await accept(client, token, password="another-long-passphrase-77"),
              await client.post(f"{AUTH}/preview", json={"token": token})):
        assert r.status_code == 410 and r.json()["code"] == "invitation_invalid"
        assert "sign in" in r.json()["detail"]
    assert len(await users_with(app, "once@alpha.example")) == 1


async def test_an_invitation_expires_after_7_days(app, client, settings, clock, org):
    token = await invite(client, settings, org.admin, "late@alpha.example")
    clock.advance(days=7, seconds=-1)
    assert (await client.post(f"{AUTH}/preview", json={"token": token})).status_code == 200
    clock.advance(1)
    for r in (await client.post(f"{AUTH}/preview", json={"token": token}), await accept(client, token)):
        assert r.status_code == 410 and r.json()["code"] == "invitation_invalid"
    assert await users_with(app, "late@alpha.example") == []


async def test_a_newer_invitation_replaces_the_older_code(app, client, settings, org):
    old = await invite(client, settings, org.admin, "twice@alpha.example", "member")
    new = await invite(client, settings, org.admin, "twice@alpha.example", "admin")
    assert (await accept(client, old)).json()["code"] == "invitation_invalid"
    assert (await accept(client, new)).json()["role"] == "admin"


@pytest.mark.parametrize("token", ["x" * 43, "not-a-code-but-long-enough", "y" * 512])
async def test_a_wrong_code_is_refused_in_plain_words(client, token):
    for r in (await client.post(f"{AUTH}/preview", json={"token": token}), await accept(client, token)):
        assert r.status_code == 410, r.text
        body = r.json()
        assert body["code"] == "invitation_invalid" and body["title"] == "This invitation code is not valid."
        assert token not in r.text


async def test_malformed_requests_do_not_echo_the_password(client):
    r = await client.post(f"{AUTH}/accept", json={"token": "short", "full_name": "", "password": "hunter2-secret"})
    assert r.status_code == 422 and r.json()["code"] == "validation_error"
    assert "hunter2-secret" not in r.text


async def test_failed_attempts_are_throttled_per_client_address(app, client, settings, org):
    token = await invite(client, settings, org.admin, "slow@alpha.example")
    for i in range(50):
        r = await client.post(f"{AUTH}/preview", json={"token": f"guess-{i:04d}-xxxxxxxxxxxxxxxx"})
        assert r.status_code == 410
    for r in (await client.post(f"{AUTH}/preview", json={"token": token}), await accept(client, token)):
        assert r.status_code == 429 and r.json()["code"] == "rate_limited" and int(r.headers["Retry-After"]) > 0
    assert await users_with(app, "slow@alpha.example") == []


async def test_the_address_registered_and_verified_meanwhile(app, client, settings, org):
    token = await invite(client, settings, org.admin, "taken@alpha.example")
    await register_and_verify(client, settings, email="taken@alpha.example", org="Elsewhere Ltd", sign_in=False)
    for r in (await client.post(f"{AUTH}/preview", json={"token": token}), await accept(client, token)):
        assert r.status_code == 409 and r.json()["code"] == "email_taken"
    [user] = await users_with(app, "taken@alpha.example")
    assert user.tenant_id != org.tenant_id
    async with app.state.runtime.sessionmaker() as db:
        assert (await db.execute(select(Invitation.accepted_at))).scalar_one() is None


async def test_the_password_policy_of_registration_applies(app, client, settings, org):
    token = await invite(client, settings, org.admin, "policy@alpha.example")
    for password, reason in (("short-pw", "too_short"), ("password1234", "common"),
                             ("Grace-Hopper-Alpha-2026", "personal")):
        r = await accept(client, token, password=password)
        assert r.status_code == 422 and r.json()["code"] == "weak_password", r.text
        assert r.json()["reason"] == reason and password not in r.text
    assert (await accept(client, token)).status_code == 201  # still pending after refusals


async def test_each_tenant_invitation_lands_in_its_own_tenant(app, client, settings, org):
    beta = await make_org(app, "beta")
    alpha_code = await invite(client, settings, org.admin, "shared@example.com", "admin")
    beta_code = await invite(client, settings, beta.admin, "shared@example.com", "member")
    preview = (await client.post(f"{AUTH}/preview", json={"token": beta_code})).json()
    assert preview["role"] == "member" and preview["organization"] != (
        await client.post(f"{AUTH}/preview", json={"token": alpha_code})).json()["organization"]

    r = await accept(client, beta_code)
    assert (r.json()["tenant_id"], r.json()["role"]) == (beta.tenant_id, "member")
    r = await accept(client, alpha_code)  # one address, one account
    assert r.status_code == 409 and r.json()["code"] == "email_taken"
    listed = {u["email"] for u in (await client.get(f"{API}/admin/users", headers=org.admin["headers"])).json()["users"]}
    assert "shared@example.com" not in listed
    assert await audit_events(app, org.tenant_id, "invitation.accepted") == []
    assert len(await audit_events(app, beta.tenant_id, "invitation.accepted")) == 1


async def test_audit_events_carry_no_secret(app, client, settings, org):
    token = await invite(client, settings, org.admin, "audited@alpha.example", "admin")
    password = "audit-trail-passphrase-31"
    wrong = "w" * 43
    await client.post(f"{AUTH}/preview", json={"token": wrong})
    user_id = (await accept(client, token, password=password)).json()["user_id"]
    await accept(client, token, password=password)  # used: rejected

    [event] = await audit_events(app, org.tenant_id, "invitation.accepted")
    assert (event.actor_user_id, event.actor_email, event.target, event.client_addr) == (
        user_id, "audited@alpha.example", f"user:{user_id}", "203.0.113.7")
    assert event.detail["role"] == "admin" and event.detail["invited_by"] == org.admin["user_id"]
    [used] = await audit_events(app, org.tenant_id, "invitation.rejected")
    assert used.detail == {"reason": "used"}
    async with app.state.runtime.sessionmaker() as db:
        rows = (await db.execute(select(AuditEvent))).scalars().all()
        invitation = (await db.execute(select(Invitation))).scalar_one()
    [unknown] = [e for e in rows if e.action == "invitation.rejected" and e.tenant_id is None]
    assert unknown.detail == {"reason": "unknown"} and unknown.target is None
    dump = " ".join(f"{e.target} {e.detail} {e.actor_email}" for e in rows)
    for secret in (token, wrong, password, invitation.token_hash):
        assert secret not in dump


async def test_simultaneous_accepts_give_one_account(live_server, database_url, tmp_path):
    server = await start_live(live_server, database_url)
    app = app_beside(tmp_path / "live", database_url)
    try:
        admin = await make_principal(app, role="admin")
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
            r = await client.post(f"{API}/admin/invitations", headers=admin["headers"],
                                  json={"email": "race@example.com", "role": "member"})
            assert r.status_code == 201, r.text
            token = read_invitation_code(tmp_path / "live" / "outbox", "race@example.com")
            answers = await asyncio.gather(*[accept(client, token, password=f"race-passphrase-{i}-zq")
                                             for i in range(6)])
        assert sorted(r.status_code for r in answers)[0] == 201
        assert [r.status_code for r in answers].count(201) == 1, [r.text for r in answers]
        assert {r.json()["code"] for r in answers if r.status_code != 201} <= {"email_taken", "invitation_invalid"}
        async with app.state.runtime.sessionmaker() as db:
            assert await db.scalar(select(func.count()).select_from(User).where(User.email == "race@example.com")) == 1
            assert (await db.execute(select(Invitation.accepted_at))).scalar_one() is not None
    finally:
        await app.state.runtime.close()
