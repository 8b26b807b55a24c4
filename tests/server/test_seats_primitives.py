"""The seat primitives other services build on: live rule, count, release, reclaim sweep."""

from __future__ import annotations

from sqlalchemy import select

from server.models import AuditEvent, License, Seat
from server.services import seats
from tests.server.principals import make_principal

TTL = 900


async def _seat(db, principal, lic, clock, hardware_id):
    now = clock.now()
    seat = Seat(license_id=lic.id, tenant_id=principal["tenant_id"], user_id=principal["user_id"],
                session_id=principal["session_id"], hardware_id=hardware_id, device_name="laptop",
                kind="desktop", started_at=now, last_heartbeat_at=now)
    db.add(seat)
    await db.flush()
    return seat


async def _license(db, tenant_id):
    return (await db.execute(select(License).where(License.tenant_id == tenant_id))).scalar_one()


async def test_a_seat_stops_counting_when_its_ttl_passes(app, clock):
    owner = await make_principal(app)
    runtime = app.state.runtime
    async with runtime.sessionmaker() as db:
        lic = await _license(db, owner["tenant_id"])
        await _seat(db, owner, lic, clock, "hw-1")
        assert await seats.seats_used(db, lic.id, clock.now(), TTL) == 1
        clock.advance(TTL - 1)
        assert await seats.seats_used(db, lic.id, clock.now(), TTL) == 1
        clock.advance(1)
        assert await seats.seats_used(db, lic.id, clock.now(), TTL) == 0


async def test_release_is_idempotent_and_audited_once(app, clock):
    owner = await make_principal(app)
    runtime = app.state.runtime
    async with runtime.sessionmaker() as db:
        lic = await _license(db, owner["tenant_id"])
        seat = await _seat(db, owner, lic, clock, "hw-1")
        await seats.release_seat(db, clock, seat, "admin")
        await seats.release_seat(db, clock, seat, "admin")
        await db.commit()
        assert seat.released_reason == "admin"
        assert await seats.seats_used(db, lic.id, clock.now(), TTL) == 0
        events = (await db.execute(select(AuditEvent).where(AuditEvent.action == "seat.released"))).scalars().all()
        assert len(events) == 1 and events[0].detail["reason"] == "admin"


async def test_sweep_releases_only_dead_seats_and_audits_each(app, clock):
    owner = await make_principal(app)
    runtime = app.state.runtime
    async with runtime.sessionmaker() as db:
        lic = await _license(db, owner["tenant_id"])
        old = await _seat(db, owner, lic, clock, "hw-old")
        clock.advance(600)
        young = await _seat(db, owner, lic, clock, "hw-young")
        clock.advance(300)  # old: 900 s without heartbeat (dead); young: 300 s
        assert await seats.reclaim_expired_seats(db, clock, TTL) == 1
        assert await seats.reclaim_expired_seats(db, clock, TTL) == 0
        await db.commit()
        await db.refresh(old)
        await db.refresh(young)
        assert old.released_reason == "expired" and young.released_at is None
        actions = (await db.execute(select(AuditEvent.action, AuditEvent.target))).all()
        assert actions == [("seat.reclaimed", f"seat:{old.id}")]
