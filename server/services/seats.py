"""Floating seats: acquire, heartbeat, release, reclaim.

A seat is live while it is not released and its last heartbeat is younger than the seat
TTL. Counting applies that rule directly (`live_seat_filter`), so a dead machine's seat
is free again the moment its TTL passes, with no background thread; the sweep only
writes down what the count already knows (released_reason 'expired', audited).

Seat limits hold under concurrency because the license row is the lock: on PostgreSQL
acquire takes `SELECT ... FOR UPDATE` on it before counting; on SQLite every writing
transaction is BEGIN IMMEDIATE (server/db.py), so writers are serialized already. A
heartbeat is a conditional UPDATE that never revives a seat the count has already given up.

Acquire costs the same at 1k or 100k live seats: under the lock it reclaims the license's
dead seats through a partial index over open seats (only the dead ones are read), after
which every open seat is live, so the limit check reads `licenses.open_seats`, a count the
database's triggers keep exact (server/db.py). Because those triggers lock the license
row when a seat is released, every release locks its license first, as acquire does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import and_, bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.errors import ApiError
from server.models import AuditEvent, License, Seat
from server.models.base import new_id
from server.services import audit
from server.services.licenses import license_expired_error, license_for_use, license_is_expired, parse_key_or_422

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


async def lock_licenses(db: AsyncSession, license_ids) -> None:
    """Lock these license rows (PostgreSQL; SQLite's writer holds the database lock
    already), in one order, before releasing seats: see the module docstring."""
    if db.bind.dialect.name != "postgresql":
        return
    for license_id in sorted(set(license_ids)):
        await db.execute(select(License.id).where(License.id == license_id).with_for_update())


async def release_seat(
    db: AsyncSession, clock, seat: Seat, reason: str, *, actor=None, client_addr: str | None = None,
) -> None:
    """Release one seat; a no-op if it is already released.

    Audited once (conditional update: of two concurrent releases only one writes):
    `seat.reclaimed` for reason 'expired', else `seat.released` with the reason.
    """
    now = clock.now()
    await lock_licenses(db, [seat.license_id])
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


async def licenses_with_dead_seats(db: AsyncSession, clock, ttl_s: int) -> list[str]:
    """Licenses that hold open seats whose heartbeat is older than ttl_s (read through the
    partial index of open seats by heartbeat: only the dead ones are visited)."""
    cutoff = clock.now() - timedelta(seconds=ttl_s)
    # No DISTINCT in SQL: with it SQLite walks the license index instead of the range.
    return sorted(set((await db.execute(
        select(Seat.license_id).where(Seat.released_at.is_(None), Seat.last_heartbeat_at <= cutoff)
    )).scalars()))


def _reclaim_statement(*where):
    seats = Seat.__table__
    return (update(seats)
            .where(seats.c.released_at.is_(None), seats.c.last_heartbeat_at <= bindparam("cutoff"), *where)
            .values(released_at=bindparam("now"), released_reason=EXPIRED)
            .returning(seats.c.id, seats.c.tenant_id, seats.c.user_id, seats.c.license_id,
                       seats.c.last_heartbeat_at))


# Built once; both walk the partial index of open seats (by license and heartbeat, or by
# heartbeat): only dead seats are read.
_RECLAIM_ALL = _reclaim_statement()
RECLAIM_LICENSE = _reclaim_statement(Seat.__table__.c.license_id == bindparam("b_license_id"))


async def reclaim_expired_seats(db: AsyncSession, clock, ttl_s: int, *, license_id: str | None = None) -> int:
    """Mark seats whose heartbeat is older than ttl_s as released ('expired'), each audited
    as `seat.reclaimed`. Returns how many. Safe to run from several processes at once.

    The caller holds the license lock when `license_id` is given (acquire); otherwise the
    licenses concerned are locked here first."""
    now = clock.now()
    params = {"cutoff": now - timedelta(seconds=ttl_s), "now": now}
    if license_id is not None:
        statement, params["b_license_id"] = RECLAIM_LICENSE, license_id
    else:
        statement = _RECLAIM_ALL
        await lock_licenses(db, await licenses_with_dead_seats(db, clock, ttl_s))
    rows = (await (await db.connection()).execute(statement, params)).all()
    for row in rows:
        await audit.record(
            db, clock, "seat.reclaimed", tenant_id=row.tenant_id, target=f"seat:{row.id}",
            detail={"reason": EXPIRED, "user_id": row.user_id, "license_id": row.license_id,
                    "last_heartbeat_at": row.last_heartbeat_at.isoformat()},
        )
    return len(rows)


@dataclass
class Lease:
    seat: Seat  # or the same fields read with Core (SeatFields, a license row)
    license: License
    token: str
    expires_at: datetime
    created: bool  # False when acquire returned a seat the caller already held


def mint_lease(runtime, seat: Seat, lic: License) -> tuple[str, datetime]:
    """The offline lease: valid lease_ttl_days after the last heartbeat, never past the
    license's own expiry."""
    expires_at = seat.last_heartbeat_at + timedelta(days=runtime.settings.lease_ttl_days)
    if lic.expires_at is not None:
        expires_at = min(expires_at, lic.expires_at)
    claims = {
        "seat_id": seat.id, "license_key": lic.key, "tier": lic.tier, "tid": seat.tenant_id,
        "sub": seat.user_id, "hardware_id": seat.hardware_id, "kind": seat.kind,
        "iat": int(runtime.clock.now().timestamp()), "exp": int(expires_at.timestamp()),
    }
    return runtime.signing_key.sign(claims, typ="lease"), datetime.fromtimestamp(claims["exp"], timezone.utc)


async def _lock_license(db: AsyncSession, license_id: str) -> License:
    # FOR UPDATE on PostgreSQL; SQLAlchemy omits it on SQLite, whose BEGIN IMMEDIATE
    # transaction already holds the database write lock.
    return await db.scalar(
        select(License).where(License.id == license_id).with_for_update().execution_options(populate_existing=True)
    )


_seats, _licenses = Seat.__table__, License.__table__
# Acquire's statements, built once (compiled form and cache key kept).
_ACQUIRE_LICENSE_COLUMNS = (_licenses.c.id, _licenses.c.key, _licenses.c.tier, _licenses.c.seats,
                            _licenses.c.tenant_id, _licenses.c.expires_at, _licenses.c.open_seats)
# FOR UPDATE: the license row is the lock (PostgreSQL; SQLite compiles it away).
_LICENSE_BY_KEY = (select(*_ACQUIRE_LICENSE_COLUMNS)
                   .where(_licenses.c.key == bindparam("key"), _licenses.c.tenant_id == bindparam("tenant_id"))
                   .with_for_update())
_LICENSE_BY_ID = select(*_ACQUIRE_LICENSE_COLUMNS).where(_licenses.c.id == bindparam("id")).with_for_update()
# The holder's open seats, through the partial index on (license, user, hardware id): a
# time range in this WHERE would let SQLite pick the heartbeat index and walk every live
# seat of the license; the liveness rule is applied to the one or two rows instead.
HELD = select(_seats.c.id, _seats.c.started_at, _seats.c.last_heartbeat_at, _seats.c.device_name).where(
    _seats.c.license_id == bindparam("license_id"), _seats.c.user_id == bindparam("user_id"),
    _seats.c.hardware_id == bindparam("hardware_id"), _seats.c.released_at.is_(None))
REUSE = update(_seats).where(_seats.c.id == bindparam("b_id")).values(
    last_heartbeat_at=bindparam("now"), session_id=bindparam("b_session_id"),
    device_name=bindparam("b_device_name"), kind=bindparam("b_kind"))
_INSERT_SEAT = insert(_seats)
_INSERT_AUDIT = insert(AuditEvent.__table__)


@dataclass
class SeatFields:
    """What a lease names of a seat (a row read or written with Core, no ORM object)."""

    id: str
    tenant_id: str
    user_id: str
    hardware_id: str
    kind: str
    last_heartbeat_at: datetime
    released_reason: str | None = None


async def _license_for_acquire(db: AsyncSession, conn, principal, license_key: str | None, now: datetime):
    """The license row, locked; every refusal (unknown key, expired) via license_for_use."""
    if license_key is not None:
        lic = (await conn.execute(_LICENSE_BY_KEY, {"key": parse_key_or_422(license_key),
                                                    "tenant_id": principal.tenant_id})).first()
        if lic is not None and not license_is_expired(lic, now):
            return lic
    found = await license_for_use(db, principal.tenant_id, license_key, now)  # raises the right error
    return (await conn.execute(_LICENSE_BY_ID, {"id": found.id})).first()


async def acquire_seat(
    db: AsyncSession, runtime, principal, *, hardware_id: str, device_name: str, kind: str,
    license_key: str | None, client_addr: str | None = None,
) -> Lease:
    """`principal`: anything with tenant_id, user_id, session_id and actor (deps.Caller,
    deps.Principal)."""
    clock, ttl_s = runtime.clock, runtime.settings.seat_ttl_s
    now = clock.now()
    conn = await db.connection()
    lic = await _license_for_acquire(db, conn, principal, license_key, now)
    held = (await conn.execute(HELD, {"license_id": lic.id, "user_id": principal.user_id,
                                       "hardware_id": hardware_id})).all()
    live = [row for row in held if row.last_heartbeat_at > now - timedelta(seconds=ttl_s)]
    created = not live
    if live:
        # The same machine asking again (a restart, a new sign-in): the same seat, now
        # owned by the current login session so that revoking that session ends it.
        mine = max(live, key=lambda row: row.started_at)
        await conn.execute(REUSE, {"b_id": mine.id, "now": now, "b_session_id": principal.session_id,
                                    "b_device_name": device_name or mine.device_name, "b_kind": kind})
        seat_id = mine.id
    else:
        # After the reclaim every open seat of the license is live: open_seats is the count.
        used = lic.open_seats - await reclaim_expired_seats(db, clock, ttl_s, license_id=lic.id)
        if used >= lic.seats:
            raise no_seats_error(lic.seats, used)
        seat_id = new_id()
        await conn.execute(_INSERT_SEAT, {
            "id": seat_id, "license_id": lic.id, "tenant_id": lic.tenant_id, "user_id": principal.user_id,
            "session_id": principal.session_id, "hardware_id": hardware_id, "device_name": device_name, "kind": kind,
            "started_at": now, "last_heartbeat_at": now, "released_at": None, "released_reason": None})
        await conn.execute(_INSERT_AUDIT, audit.event_values(
            clock, "seat.acquired", tenant_id=lic.tenant_id, actor=principal.actor, client_addr=client_addr,
            target=f"seat:{seat_id}", detail={"license_id": lic.id, "kind": kind, "device_name": device_name}))
    seat = SeatFields(id=seat_id, tenant_id=lic.tenant_id, user_id=principal.user_id, hardware_id=hardware_id,
                       kind=kind, last_heartbeat_at=now)
    token, expires_at = mint_lease(runtime, seat, lic)
    return Lease(seat=seat, license=lic, token=token, expires_at=expires_at, created=created)


def no_seats_error(total: int, used: int) -> ApiError:
    return ApiError(409, "no_seats_available", "All seats of this license are in use.",
                    "Ask your administrator to free a seat or add seats.", seats_total=total, seats_used=used)


def _gone(seat: Seat) -> ApiError:
    return ApiError(410, "seat_gone", "This seat is no longer yours.",
                    "Acquire a seat again.", reason=seat.released_reason or EXPIRED)


def _seat_not_found() -> ApiError:
    return ApiError(404, "seat_not_found", "No seat of yours has this id.")


async def callers_seat(db: AsyncSession, principal, seat_id: str) -> Seat:
    """The caller's own seat, or 404 seat_not_found (another user's seat is not revealed)."""
    seat = await db.scalar(select(Seat).where(Seat.id == seat_id, Seat.user_id == principal.user_id))
    if seat is None:
        raise _seat_not_found()
    return seat


def fresh_lease(runtime, seat_fields: dict, lic) -> Lease:
    seat = SeatFields(id=seat_fields["seat_id"], tenant_id=seat_fields["tenant_id"],
                      user_id=seat_fields["user_id"], hardware_id=seat_fields["hardware_id"],
                      kind=seat_fields["kind"], last_heartbeat_at=seat_fields["last_heartbeat_at"])
    token, expires_at = mint_lease(runtime, seat, lic)
    return Lease(seat=seat, license=lic, token=token, expires_at=expires_at, created=False)


async def renewal_refused(db: AsyncSession, runtime, principal, seat_id: str, now, ttl_s: int) -> None:
    """Why a heartbeat's conditional renewal (services/seat_leases.py) found nothing to
    renew, raised: unknown seat (404), dead seat (reclaimed, 410), expired license (the seat
    released, 403). A reclaim or release is committed before the refusal."""
    clock = runtime.clock
    row = (await db.execute(
        select(Seat, License).join(License, License.id == Seat.license_id)
        .where(Seat.id == seat_id, Seat.user_id == principal.user_id)
    )).first()
    if row is None:
        raise _seat_not_found()
    seat, lic = row
    if seat.released_at is None and not seat_is_live(seat, now, ttl_s):
        await release_seat(db, clock, seat, EXPIRED)
        await db.commit()  # keep the reclaim: the 410 below rolls the request back
    if seat.released_at is not None:
        raise _gone(seat)
    if license_is_expired(lic, now):
        await release_seat(db, clock, seat, "license_expired")
        await db.commit()
        raise license_expired_error(lic)
    # Live and licensed now, yet the conditional renewal above found it dead: it died in
    # between (and may already count as free), so it stays dead.
    raise _gone(seat)


async def release_own_seat(db: AsyncSession, clock, principal, seat_id: str, *, client_addr=None) -> None:
    seat = await callers_seat(db, principal, seat_id)
    await release_seat(db, clock, seat, "released", actor=principal.actor, client_addr=client_addr)
