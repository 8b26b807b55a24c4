"""GET /admin/users, PATCH /admin/users/{id}, POST /admin/users/{id}/reset-mfa,
POST /admin/invitations: the owner rules, disabling, MFA reset and invitations."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from server.models import Invitation, RecoveryCode, User
from tests.server.admin_world import API, acquire, audit_events, make_org
from tests.server.flows import login, mail_bodies, mfa_owner
from tests.server.principals import make_principal


@pytest.fixture
async def org(app):
    return await make_org(app, "alpha")


async def users_by_email(client, principal) -> dict:
    r = await client.get(f"{API}/admin/users", headers=principal["headers"])
    assert r.status_code == 200, r.text
    return {u["email"]: u for u in r.json()["users"]}


async def patch(client, actor, user_id, **body):
    return await client.patch(f"{API}/admin/users/{user_id}", headers=actor["headers"], json=body)


async def test_users_list_shows_role_status_and_last_login(client, clock, org):
    users = await users_by_email(client, org.admin)
    dev = users["dev@alpha.example"]
    assert dev["role"] == "member" and dev["disabled"] is False
    assert dev["email_verified"] is True and dev["mfa_enrolled"] is False
    assert dev["last_login_at"] == clock.now().isoformat().replace("+00:00", "Z")
    assert [u["role"] for u in users.values()].count("owner") == 1


async def test_users_list_pages_by_email(app, client, org):
    for i in range(4):
        await make_principal(app, role="member", tenant_id=org.tenant_id, email=f"m{i}@alpha.example")
    first = (await client.get(f"{API}/admin/users", headers=org.admin["headers"], params={"limit": 4})).json()
    rest = (await client.get(f"{API}/admin/users", headers=org.admin["headers"],
                             params={"limit": 4, "cursor": first["next_cursor"]})).json()
    emails = [u["email"] for u in first["users"] + rest["users"]]
    assert emails == sorted(emails) and len(set(emails)) == 7 and rest["next_cursor"] is None


async def test_admin_changes_a_role_and_it_is_audited(app, client, org):
    r = await patch(client, org.admin, org.member["user_id"], role="admin")
    assert r.status_code == 200 and r.json()["role"] == "admin"
    [event] = await audit_events(app, org.tenant_id, "user.updated")
    assert event.actor_email == "admin@alpha.example" and event.target == f"user:{org.member['user_id']}"
    assert event.detail == {"role": ["member", "admin"]}
    # The new role applies to the next token; the member's current one still says member.
    r = await patch(client, org.admin, org.member["user_id"], role="admin")
    assert r.status_code == 200 and len(await audit_events(app, org.tenant_id, "user.updated")) == 1


@pytest.mark.parametrize("change", [{"role": "owner"}, {"disabled": True}, {"role": "member"}])
async def test_only_an_owner_touches_an_owner(app, client, org, change):
    second_owner = await make_principal(app, role="owner", tenant_id=org.tenant_id)
    target = org.member["user_id"] if change == {"role": "owner"} else second_owner["user_id"]
    r = await patch(client, org.admin, target, **change)
    assert r.status_code == 403 and r.json()["code"] == "owner_required"
    r = await patch(client, org.owner, target, **change)
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("change", [{"role": "admin"}, {"disabled": True}])
async def test_the_last_active_owner_stays(app, client, org, change):
    r = await patch(client, org.owner, org.owner["user_id"], **change)
    assert r.status_code == 409 and r.json()["code"] == "last_owner"
    # A disabled second owner does not count as another owner.
    other = await make_principal(app, role="owner", tenant_id=org.tenant_id)
    assert (await patch(client, org.owner, other["user_id"], disabled=True)).status_code == 200
    r = await patch(client, org.owner, org.owner["user_id"], **change)
    assert r.status_code == 409 and r.json()["code"] == "last_owner"
    assert (await patch(client, org.owner, other["user_id"], disabled=False)).status_code == 200
    assert (await patch(client, org.owner, org.owner["user_id"], **change)).status_code == 200


async def test_support_role_cannot_be_granted(client, org):
    r = await patch(client, org.owner, org.member["user_id"], role="support")
    assert r.status_code == 422


async def test_disabling_a_user_ends_sessions_and_seats(app, client, org):
    seat_id = await acquire(client, org.member, "hw-dev-1")
    r = await patch(client, org.admin, org.member["user_id"], disabled=True)
    assert r.status_code == 200 and r.json()["disabled"] is True
    r = await client.put(f"{API}/licenses/heartbeat", headers=org.member["headers"], json={"seat_id": seat_id})
    assert r.status_code == 401
    assert (await client.get(f"{API}/admin/seats", headers=org.admin["headers"])).json()["seats"] == []
    sessions = (await client.get(f"{API}/admin/sessions", headers=org.admin["headers"],
                                 params={"user_id": org.member["user_id"], "active": "true"})).json()
    assert sessions["sessions"] == []
    # Re-enabling does not bring sessions back.
    r = await patch(client, org.admin, org.member["user_id"], disabled=False)
    assert r.status_code == 200 and r.json()["disabled"] is False
    assert (await client.get(f"{API}/auth/me", headers=org.member["headers"])).status_code == 401


async def test_reset_mfa_clears_the_authenticator_and_signs_out(app, client, settings, clock):
    account = await mfa_owner(client, settings, clock, email="ada@northwind.example")
    co_owner = await make_principal(app, role="owner", tenant_id=account["tenant_id"])
    headers = {"Authorization": f"Bearer {account['access_token']}"}
    r = await client.post(f"{API}/admin/users/{account['user_id']}/reset-mfa", headers=co_owner["headers"])
    assert r.status_code == 204
    assert (await client.get(f"{API}/auth/me", headers=headers)).status_code == 401
    async with app.state.runtime.sessionmaker() as db:
        user = await db.get(User, account["user_id"])
        assert user.totp_secret_enc is None and user.totp_enrolled_at is None
        assert (await db.execute(select(RecoveryCode).where(RecoveryCode.user_id == user.id))).first() is None
    # The next sign-in asks for no second factor: the user enrolls a new one.
    tokens = await login(client, account["email"], account["password"])
    assert not tokens.get("mfa_required") and tokens["access_token"]
    [event] = await audit_events(app, account["tenant_id"], "user.mfa_reset")
    assert event.actor_user_id == co_owner["user_id"]


async def test_an_admin_cannot_reset_an_owners_mfa(client, org):
    r = await client.post(f"{API}/admin/users/{org.owner['user_id']}/reset-mfa", headers=org.admin["headers"])
    assert r.status_code == 403 and r.json()["code"] == "owner_required"
    assert (await client.get(f"{API}/auth/me", headers=org.owner["headers"])).status_code == 200


async def test_invitation_is_mailed_and_stored_hashed(app, client, settings, org):
    r = await client.post(f"{API}/admin/invitations", headers=org.admin["headers"],
                          json={"email": "  New.Hire@Alpha.Example ", "role": "member"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["email"] == "new.hire@alpha.example" and body["role"] == "member"
    assert set(body) == {"id", "email", "role", "expires_at"}
    [mail] = mail_bodies(settings, to="new.hire@alpha.example")
    token = next(line.strip() for line in mail.splitlines() if line.startswith("    "))
    async with app.state.runtime.sessionmaker() as db:
        [inv] = (await db.execute(select(Invitation))).scalars().all()
    assert inv.tenant_id == org.tenant_id and inv.invited_by == org.admin["user_id"]
    assert token not in inv.token_hash and len(token) >= 32
    [event] = await audit_events(app, org.tenant_id, "user.invited")
    assert token not in str(event.detail) and event.actor_email == "admin@alpha.example"
    # Inviting again replaces the pending invitation.
    r = await client.post(f"{API}/admin/invitations", headers=org.admin["headers"],
                          json={"email": "new.hire@alpha.example", "role": "admin"})
    assert r.status_code == 201
    async with app.state.runtime.sessionmaker() as db:
        assert [i.role for i in (await db.execute(select(Invitation))).scalars()] == ["admin"]


@pytest.mark.parametrize("body,status,code", [
    ({"email": "x@alpha.example", "role": "owner"}, 403, "owner_required"),
    ({"email": "x@alpha.example", "role": "support"}, 422, "validation_error"),
    ({"email": "not-an-address", "role": "member"}, 422, "validation_error"),
])
async def test_bad_invitations(app, client, org, body, status, code):
    await make_org(app, "beta")
    r = await client.post(f"{API}/admin/invitations", headers=org.admin["headers"], json=body)
    assert r.status_code == status and r.json()["code"] == code


async def test_an_owner_may_invite_an_owner(client, org):
    r = await client.post(f"{API}/admin/invitations", headers=org.owner["headers"],
                          json={"email": "cofounder@alpha.example", "role": "owner"})
    assert r.status_code == 201
