"""An unverified account does not hold its address: registering again, or accepting an
invitation, replaces it (and its tenant when nothing else is bound to it)."""

from __future__ import annotations

from sqlalchemy import func, select

from server.models import License, Tenant, User
from tests.server.admin_world import make_org
from tests.server.flows import (API, DEFAULT_PASSWORD, login, mail_bodies, parse_verification_mail, read_invitation_code,
                                register)
from tests.server.principals import make_principal

ATTACKER_PASSWORD = "attacker-chosen-passphrase-9"


async def counts(app) -> tuple[int, int, int]:
    async with app.state.runtime.sessionmaker() as db:
        return tuple([await db.scalar(select(func.count()).select_from(m)) for m in (User, Tenant, License)])


async def test_registering_again_keeps_both_until_one_is_verified(app, client, settings):
    before = await counts(app)
    assert (await register(client, "victim@example.com", ATTACKER_PASSWORD, org="Squatters")).status_code == 201
    r = await register(client, "victim@example.com", DEFAULT_PASSWORD, org="Victim Ltd")
    assert r.status_code == 201
    assert await counts(app) == tuple(n + 2 for n in before)  # both registrations are pending
    code, _link = parse_verification_mail(mail_bodies(settings, to="victim@example.com")[-1])
    r = await client.post(f"{API}/verify-email", json={"email": "victim@example.com", "code": code,
                                                       "registration": r.json()["registration"]})
    assert r.status_code == 200
    assert await counts(app) == tuple(n + 1 for n in before)  # the first verified won, the other is gone
    me = await login(client, "victim@example.com", DEFAULT_PASSWORD)
    assert "access_token" in me
    r = await client.post(f"{API}/login", json={"email": "victim@example.com", "password": ATTACKER_PASSWORD})
    assert r.status_code == 401
    r = await register(client, "victim@example.com", ATTACKER_PASSWORD)
    assert r.status_code == 409 and r.json()["code"] == "email_taken"


async def test_an_unverified_address_can_be_invited_and_the_invitation_replaces_it(app, client, settings):
    org = await make_org(app, "alpha")
    assert (await register(client, "invitee@example.com", ATTACKER_PASSWORD, org="Squatters")).status_code == 201
    r = await client.post("/api/v1/admin/invitations", headers=org.admin["headers"],
                          json={"email": "invitee@example.com", "role": "member"})
    assert r.status_code == 201, r.text
    token = read_invitation_code(settings, "invitee@example.com")
    preview = await client.post(f"{API}/invitations/preview", json={"token": token})
    assert preview.status_code == 200
    r = await client.post(f"{API}/invitations/accept",
                          json={"token": token, "full_name": "Grace Hopper", "password": DEFAULT_PASSWORD})
    assert r.status_code == 201 and r.json()["tenant_id"] == org.tenant_id
    async with app.state.runtime.sessionmaker() as db:
        [user] = (await db.execute(select(User).where(User.email == "invitee@example.com"))).scalars().all()
        squatters = (await db.execute(select(Tenant).where(Tenant.name == "Squatters"))).scalars().all()
    assert user.tenant_id == org.tenant_id and user.email_verified_at is not None and squatters == []


async def test_a_tenant_with_other_users_is_kept(app, client, settings):
    assert (await register(client, "first@example.com", ATTACKER_PASSWORD, org="Shared")).status_code == 201
    async with app.state.runtime.sessionmaker() as db:
        tenant_id = (await db.execute(select(User.tenant_id).where(User.email == "first@example.com"))).scalar_one()
    await make_principal(app, role="member", tenant_id=tenant_id)
    r = await register(client, "first@example.com", DEFAULT_PASSWORD, org="Mine")
    assert r.status_code == 201
    code, _link = parse_verification_mail(mail_bodies(settings, to="first@example.com")[-1])
    assert (await client.post(f"{API}/verify-email", json={"email": "first@example.com", "code": code,
                                                           "registration": r.json()["registration"]})).status_code == 200
    async with app.state.runtime.sessionmaker() as db:
        assert await db.get(Tenant, tenant_id) is not None
