"""Refresh tokens: rotation, reuse detection revokes the session, 30-day absolute expiry."""

from __future__ import annotations

from sqlalchemy import select

from server.models import AuditEvent
from tests.server.flows import API, bearer, register_and_verify


async def refresh(client, token):
    return await client.post(f"{API}/refresh", json={"refresh_token": token})


async def test_refresh_rotates_the_pair(client, settings):
    account = await register_and_verify(client, settings)
    r1 = await refresh(client, account["refresh_token"])
    assert r1.status_code == 200
    pair = r1.json()
    assert pair["refresh_token"] != account["refresh_token"] and pair["session_id"] == account["session_id"]
    assert (await client.get(f"{API}/me", headers=bearer(pair["access_token"]))).status_code == 200
    assert (await refresh(client, pair["refresh_token"])).status_code == 200


async def test_presenting_a_rotated_token_revokes_the_whole_session(app, client, settings):
    account = await register_and_verify(client, settings)
    newer = (await refresh(client, account["refresh_token"])).json()
    reused = await refresh(client, account["refresh_token"])
    assert reused.status_code == 401 and reused.json()["code"] == "refresh_reused"
    # The thief's copy and the legitimate newer pair are both dead now.
    assert (await refresh(client, newer["refresh_token"])).json()["code"] == "session_revoked"
    r = await client.get(f"{API}/me", headers=bearer(newer["access_token"]))
    assert r.status_code == 401 and r.json()["code"] == "session_revoked"
    async with app.state.runtime.sessionmaker() as db:
        actions = (await db.execute(select(AuditEvent.action))).scalars().all()
    assert "auth.refresh_reused" in actions and "session.revoked" in actions


async def test_refresh_has_a_30_day_absolute_expiry(client, clock, settings):
    account = await register_and_verify(client, settings)
    token = account["refresh_token"]
    clock.advance(days=29, hours=23)
    r = await refresh(client, token)
    assert r.status_code == 200  # rotation does not extend the session
    clock.advance(hours=1)
    r = await refresh(client, r.json()["refresh_token"])
    assert r.status_code == 401 and r.json()["code"] == "refresh_expired"


async def test_unknown_refresh_token_is_rejected(client):
    r = await refresh(client, "x" * 43)
    assert r.status_code == 401 and r.json()["code"] == "refresh_invalid"


async def test_refreshed_access_token_carries_the_session_amr(client, settings):
    account = await register_and_verify(client, settings)
    pair = (await refresh(client, account["refresh_token"])).json()
    assert (await client.get(f"{API}/me", headers=bearer(pair["access_token"]))).json()["amr"] == ["pwd"]
