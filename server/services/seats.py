"""Floating seats: acquire, heartbeat, release, reclaim.

A seat is live while it is not released and its last heartbeat is younger than the seat
TTL. Counting applies that rule directly (`live_seat_filter`), so a dead machine's seat
is free again the moment its TTL passes, with no background thread; the sweep only
writes down what the count already knows (released_reason 'expired', audited).

Seat limits hold under concurrency because the license row is the lock: on PostgreSQL
acquire takes `SELECT ... FOR UPDATE` on it before counting; on SQLite every transaction
is BEGIN IMMEDIATE (server/db.py), so writers are serialized already. A heartbeat is a
conditional UPDATE that never revives a seat the count has already given up.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.models import Seat
from server.services import audit

EXPIRED = "expired"  # released_reason of a reclaimed seat


def live_seat_filter(now: datetime, ttl_s: int):
    """SQL condition: the seat is held (not released, heartbeat younger than ttl_s)."""
    return and_(Seat.released_at.is_(None), Seat.last_heartbeat_at > now - timedelta(seconds=ttl_s))


def seat_is_live(seat: Seat, now: datetime, ttl_s: int) -> bool:
    """The same rule as live_seat_filter, for a loaded row."""
    return seat.released_at is None and seat.last_heartbeat_at > now - timedelta(seconds=ttl_s)


async def seats_used(db: AsyncSession, license_id: str, now: datetime, ttl_s: int) -> int:
    return await db.scalar(
        select(func.count()).select_from(Seat).where(Seat.license_id == license_id, live_seat_filter(now, ttl_s))
    )


async def release_seat(
    db: AsyncSession, clock, seat: Seat, reason: str, *, actor=None, client_addr: str | None = None,
) -> None:
    """Release one seat; a no-op if it is already released.

    Audited once (conditional update: of two concurrent releases only one writes):
    `seat.reclaimed` for reason 'expired', else `seat.released` with the reason.
    """
    now = clock.now()
    result = await db.execute(
        update(Seat)
        .where(Seat.id == seat.id, Seat.released_at.is_(None))
        .values(released_at=now, released_reason=reason[:32])
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 0:
        return
    seat.released_at, seat.released_reason = now, reason[:32]
    await audit.record(
        db, clock, "seat.reclaimed" if reason == EXPIRED else "seat.released",
        tenant_id=seat.tenant_id, actor=actor, client_addr=client_addr, target=f"seat:{seat.id}",
        detail={"reason": reason, "user_id": seat.user_id, "license_id": seat.license_id,
                "device_name": seat.device_name},
    )


async def reclaim_expired_seats(db: AsyncSession, clock, ttl_s: int, *, license_id: str | None = None) -> int:
    """Mark seats whose heartbeat is older than ttl_s as released ('expired'), each audited
    as `seat.reclaimed`. Returns how many. Safe to run from several processes at once."""
    now = clock.now()
    dead = and_(Seat.released_at.is_(None), Seat.last_heartbeat_at <= now - timedelta(seconds=ttl_s))
    if license_id is not None:
        dead = and_(dead, Seat.license_id == license_id)
    rows = (
        await db.execute(
            update(Seat).where(dead).values(released_at=now, released_reason=EXPIRED)
            .returning(Seat.id, Seat.tenant_id, Seat.user_id, Seat.license_id, Seat.last_heartbeat_at)
            .execution_options(synchronize_session=False)
        )
    ).all()
    for row in rows:
        await audit.record(
            db, clock, "seat.reclaimed", tenant_id=row.tenant_id, target=f"seat:{row.id}",
            detail={"reason": EXPIRED, "user_id": row.user_id, "license_id": row.license_id,
                    "last_heartbeat_at": row.last_heartbeat_at.isoformat()},
        )
    return len(rows)
