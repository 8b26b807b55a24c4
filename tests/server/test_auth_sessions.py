"""services.sessions: revoking a session ends its seats, is audited and is idempotent."""

from __future__ import annotations

from sqlalchemy import func, select

from server.models import AuditEvent, License, LoginSession, Seat
from server.services.sessions import revoke_session, revoke_user_sessions
from tests.server.flows import API, bearer, login, register_and_verify


async def _add_seat(db, clock, account, session_id, hardware_id) -> str:
    lic = (await db.execute(select(License).where(License.tenant_id == account["tenant_id"]))).scalar_one()
    seat = Seat(license_id=lic.id, tenant_id=account["tenant_id"], user_id=account["user_id"], session_id=session_id,
                hardware_id=hardware_id, kind="desktop", started_at=clock.now(), last_heartbeat_at=clock.now())
    db.add(seat)
    await db.flush()
    return seat.id


async def test_logout_ends_the_seats_of_that_session_only(app, client, clock, settings):
    account = await register_and_verify(client, settings)
    other = await login(client, account["email"])
    async with app.state.runtime.sessionmaker() as db:
        mine = await _add_seat(db, clock, account, account["session_id"], "hw-1")
        theirs = await _add_seat(db, clock, account, other["session_id"], "hw-2")
        await db.commit()
    assert (await client.post(f"{API}/logout", headers=bearer(account["access_token"]))).status_code == 204
    async with app.state.runtime.sessionmaker() as db:
        ended, kept = await db.get(Seat, mine), await db.get(Seat, theirs)
    assert ended.released_at == clock.now() and ended.released_reason == "session_revoked"
    assert kept.released_at is None


async def test_revoke_session_is_idempotent_and_audited_once(app, client, clock, settings):
    account = await register_and_verify(client, settings)
    runtime = app.state.runtime
    async with runtime.sessionmaker() as db:
        session = await db.get(LoginSession, account["session_id"])
        await revoke_session(db, clock, session, reason="admin_revoked")
        clock.advance(60)
        await revoke_session(db, clock, session, reason="again")
        await db.commit()
    async with runtime.sessionmaker() as db:
        session = await db.get(LoginSession, account["session_id"])
        count = (await db.execute(select(func.count()).where(AuditEvent.action == "session.revoked"))).scalar_one()
    assert session.revoked_reason == "admin_revoked" and count == 1


async def test_revoke_user_sessions_ends_every_live_session(app, client, clock, settings):
    account = await register_and_verify(client, settings)
    second = await login(client, account["email"])
    bystander = await register_and_verify(client, settings)
    async with app.state.runtime.sessionmaker() as db:
        assert await revoke_user_sessions(db, clock, account["user_id"], reason="disabled") == 2
        await db.commit()
    for token in (account["access_token"], second["access_token"]):
        assert (await client.get(f"{API}/me", headers=bearer(token))).status_code == 401
    assert (await client.get(f"{API}/me", headers=bearer(bystander["access_token"]))).status_code == 200
