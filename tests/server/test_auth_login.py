"""Login without MFA, GET /me, own sessions, logout, and enumeration-safe answers."""

from __future__ import annotations

from argon2 import extract_parameters
from sqlalchemy import select

from server.models import AuditEvent, User
from server.services.passwords import passwords_for
from tests.server.flows import API, DEFAULT_PASSWORD, bearer, login, register_and_verify


async def test_login_returns_tokens_and_me_describes_the_account(client, settings):
    account = await register_and_verify(client, settings, org="Contoso")
    r = await client.get(f"{API}/me", headers=bearer(account["access_token"]))
    assert r.status_code == 200
    me = r.json()
    assert me["user_id"] == account["user_id"] and me["tenant_id"] == account["tenant_id"]
    assert me["tenant_name"] == "Contoso" and me["role"] == "owner" and me["tier"] == "free"
    assert me["license_key"].startswith("CODITECT-FREE-")
    assert me["mfa_enrolled"] is False and me["email_verified"] is True
    assert me["session_id"] == account["session_id"] and me["amr"] == ["pwd"]


async def test_login_token_response_shape(client, settings):
    account = await register_and_verify(client, settings, sign_in=False)
    tokens = await login(client, account["email"])
    assert set(tokens) == {"mfa_required", "access_token", "refresh_token", "token_type", "expires_in", "session_id",
                           "device_token"}
    assert tokens["mfa_required"] is False
    assert tokens["token_type"] == "bearer" and tokens["expires_in"] == 3600


async def test_unknown_email_and_wrong_password_answer_identically(client, settings):
    account = await register_and_verify(client, settings, sign_in=False)
    wrong = await client.post(f"{API}/login", json={"email": account["email"], "password": "not the password 1"})
    unknown = await client.post(f"{API}/login", json={"email": "nobody@example.com", "password": "not the password 1"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() and wrong.json()["code"] == "invalid_credentials"
    assert wrong.headers.get("content-type") == unknown.headers.get("content-type")


async def test_unknown_accounts_are_checked_against_a_hash_of_the_same_cost(app, client, settings):
    account = await register_and_verify(client, settings, sign_in=False)
    hasher = passwords_for(settings)
    assert await hasher.verify(None, "anything at all") is False
    async with app.state.runtime.sessionmaker() as db:
        real = (await db.execute(select(User.password_hash).where(User.email == account["email"]))).scalar_one()
    assert extract_parameters(hasher._dummy) == extract_parameters(real)


async def test_login_and_failure_are_audited_without_secrets(app, client, settings):
    account = await register_and_verify(client, settings)
    await client.post(f"{API}/login", json={"email": account["email"], "password": "not the password 1"})
    async with app.state.runtime.sessionmaker() as db:
        events = (await db.execute(select(AuditEvent).order_by(AuditEvent.id))).scalars().all()
    by_action = {e.action: e for e in events}
    assert by_action["auth.login"].actor_user_id == account["user_id"]
    failed = by_action["auth.login_failed"]
    assert failed.tenant_id == account["tenant_id"] and failed.client_addr == "203.0.113.7"
    assert failed.detail == {"reason": "password"}
    dump = repr([(e.action, e.target, e.detail) for e in events])
    assert DEFAULT_PASSWORD not in dump and "not the password" not in dump


async def test_sessions_list_marks_the_current_one_and_delete_revokes_immediately(client, settings):
    account = await register_and_verify(client, settings)
    other = await login(client, account["email"], device_name="laptop")
    r = await client.get(f"{API}/sessions", headers=bearer(account["access_token"]))
    sessions = {s["id"]: s for s in r.json()}
    assert sessions[account["session_id"]]["current"] is True
    assert sessions[other["session_id"]]["current"] is False
    assert sessions[other["session_id"]]["device_name"] == "laptop"
    r = await client.delete(f"{API}/sessions/{other['session_id']}", headers=bearer(account["access_token"]))
    assert r.status_code == 204
    r = await client.get(f"{API}/me", headers=bearer(other["access_token"]))
    assert r.status_code == 401 and r.json()["code"] == "session_revoked"
    r = await client.post(f"{API}/refresh", json={"refresh_token": other["refresh_token"]})
    assert r.status_code == 401 and r.json()["code"] == "session_revoked"
    listed = {s["id"]: s for s in (await client.get(f"{API}/sessions", headers=bearer(account["access_token"]))).json()}
    assert listed[other["session_id"]]["revoked_at"] is not None


async def test_cannot_revoke_someone_elses_session(client, settings):
    alice = await register_and_verify(client, settings)
    bob = await register_and_verify(client, settings)
    r = await client.delete(f"{API}/sessions/{bob['session_id']}", headers=bearer(alice["access_token"]))
    assert r.status_code == 404 and r.json()["code"] == "session_not_found"
    assert (await client.get(f"{API}/me", headers=bearer(bob["access_token"]))).status_code == 200


async def test_logout_revokes_the_session_on_the_very_next_request(client, settings):
    account = await register_and_verify(client, settings)
    assert (await client.post(f"{API}/logout", headers=bearer(account["access_token"]))).status_code == 204
    r = await client.get(f"{API}/me", headers=bearer(account["access_token"]))
    assert r.status_code == 401 and r.json()["code"] == "session_revoked"
    r = await client.post(f"{API}/refresh", json={"refresh_token": account["refresh_token"]})
    assert r.status_code == 401


async def test_routes_that_need_a_sign_in_say_so(client):
    for method, path in [("GET", "me"), ("GET", "sessions"), ("POST", "logout"), ("POST", "mfa/enroll")]:
        r = await client.request(method, f"{API}/{path}")
        assert r.status_code == 401 and r.json()["code"] == "unauthorized", path
