"""POST /auth/agent-sessions: a login session of its own for the coditect command."""

from __future__ import annotations

from sqlalchemy import select

from server.models import AuditEvent
from tests.server.flows import API, bearer, register_and_verify


async def test_agent_session_is_a_separate_revocable_session(app, client, settings):
    account = await register_and_verify(client, settings)
    console = bearer(account["access_token"])
    r = await client.post(f"{API}/agent-sessions", headers=console,
                          json={"device_name": "ada-mac (macOS)", "hardware_id": "h" * 64})
    assert r.status_code == 201, r.text
    agent = r.json()
    assert agent["session_id"] != account["session_id"] and agent["refresh_token"] != account["refresh_token"]

    sessions = (await client.get(f"{API}/sessions", headers=console)).json()
    listed = {s["id"]: s for s in sessions}
    assert listed[agent["session_id"]]["device_name"] == "ada-mac (macOS) (coditect command)"

    # Each holder rotates its own refresh token: no reuse detection trips for the other.
    r1 = await client.post(f"{API}/refresh", json={"refresh_token": agent["refresh_token"]})
    r2 = await client.post(f"{API}/refresh", json={"refresh_token": account["refresh_token"]})
    assert r1.status_code == r2.status_code == 200
    console = bearer(r2.json()["access_token"])

    # Revoked from the console's session list like any other: the agent is signed out, the console is not.
    r = await client.delete(f"{API}/sessions/{agent['session_id']}", headers=console)
    assert r.status_code == 204
    r = await client.post(f"{API}/refresh", json={"refresh_token": r1.json()["refresh_token"]})
    assert (r.status_code, r.json()["code"]) == (401, "session_revoked")
    assert (await client.get(f"{API}/me", headers=console)).status_code == 200

    async with app.state.runtime.sessionmaker() as db:
        events = (await db.execute(select(AuditEvent).where(AuditEvent.action == "session.agent_created"))).scalars()
        event = events.one()
    assert event.target == f"session:{agent['session_id']}"


async def test_agent_session_needs_a_signed_in_caller(client):
    r = await client.post(f"{API}/agent-sessions", json={})
    assert r.status_code == 401
