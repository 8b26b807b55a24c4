"""Admin view of the tenant's seats, and forced release (audited by release_seat)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.models import License, Seat, User
from server.services.seats import release_seat, seat_is_live
from server.services.tenancy import TenantScope

SEAT_LIST_MAX = 1000


async def list_seats(db: AsyncSession, clock, scope: TenantScope, *, ttl_s: int) -> list[tuple[Seat, User, License, bool]]:
    """Every seat not yet released, newest first, with whether it is still live (a seat
    that missed its heartbeats stays listed, as dead, until it is reclaimed)."""
    now = clock.now()
    rows = (
        await db.execute(
            scope.scoped(select(Seat, User, License), Seat)
            .join(User, User.id == Seat.user_id)
            .join(License, License.id == Seat.license_id)
            .where(Seat.released_at.is_(None))
            .order_by(Seat.started_at.desc(), Seat.id)
            .limit(SEAT_LIST_MAX)
        )
    ).all()
    return [(seat, user, lic, seat_is_live(seat, now, ttl_s)) for seat, user, lic in rows]


async def force_release(db: AsyncSession, clock, scope: TenantScope, seat_id: str) -> None:
    """Idempotent, like the holder's own release."""
    seat = await scope.get_scoped(db, Seat, seat_id)
    await scope.require_owner_to_act_on(db, seat.user_id, "release an owner's seat")
    await release_seat(db, clock, seat, "admin_released", actor=scope.actor, client_addr=scope.client_addr)


async def release_user_seats(db: AsyncSession, clock, scope: TenantScope, user_id: str, *, reason: str) -> None:
    seats = (
        await db.execute(scope.scoped(select(Seat), Seat).where(Seat.user_id == user_id, Seat.released_at.is_(None)))
    ).scalars().all()
    for seat in seats:
        await release_seat(db, clock, seat, reason, actor=scope.actor, client_addr=scope.client_addr)
