"""The seat lease cycle's hot paths, heartbeat and acquire, as a few Core statements
straight on the database driver (server/driver.py): no Session, no unit of work.

The rules are those of services/seats.py and services/callers.py, applied to the same
columns: the caller's session is checked in the same transaction as the seat write (on
PostgreSQL a heartbeat is one statement that renews the seat only for a valid caller, so
revocation takes effect on the next request), the license row is the lock of acquire
(BEGIN IMMEDIATE on SQLite; on PostgreSQL FOR UPDATE inside the database function
take_license_seat, services/seat_take_pg.py, which does acquire's work under the lock in
one round trip), the limit check reads the trigger-kept `open_seats` after reclaiming the
license's dead seats, and every new seat, reclaim and release is audited. Anything off the
common path (no key given, an unknown or expired license, a dead, foreign or released seat)
goes to the general code in services/seats.py, which answers it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import String, and_, bindparam, case, exists, func, insert, literal, or_, select, true, update

from server.models import AuditEvent, License, Seat
from server.models.base import UTCDateTime, new_id
from server.services import audit, seats
from server.services.callers import (
    CALLER_COLUMNS, CALLER_FROM, SEAT_ROLES, TOUCH, Caller, caller_from_row, caller_is_valid, caller_statement,
    check_role, check_session, due_to_touch, invalid, touch_params,
)
from server.services.licenses import license_is_expired, parse_key_or_422

_seats, _licenses = Seat.__table__, License.__table__
_LICENSE_LIVE = or_(_licenses.c.expires_at.is_(None), _licenses.c.expires_at > bindparam("now"))
_VALID_CALLER = exists(select(literal(1)).select_from(CALLER_FROM).where(
    CALLER_FROM.left.c.id == bindparam("sid"), caller_is_valid()))
_CALLER = caller_statement()
_N = len(CALLER_COLUMNS)


def _caller(claims: dict, sid: str, row, now) -> Caller:
    """The caller of a row that starts with CALLER_COLUMNS: 401 or 403 unless it may hold
    a seat."""
    if row is None:
        raise invalid()
    check_session(claims, row[0], row[1], row[2], row[4], now)
    return check_role(caller_from_row(claims, sid, row[:_N]), SEAT_ROLES, mfa=False)


# --- heartbeat ---------------------------------------------------------------------------

_RENEW_WHERE = (_seats.c.id == bindparam("seat_id"), _seats.c.user_id == bindparam("sub"),
                _seats.c.released_at.is_(None), _seats.c.last_heartbeat_at > bindparam("cutoff"))
_LEASE_COLUMNS = (_seats.c.tenant_id, _seats.c.hardware_id, _seats.c.kind)
# SQLite: the caller (_CALLER), then the renewal of a live seat of a live license, then the
# license (SQLite's RETURNING names the updated table only).
_RENEW = (update(_seats)
          .where(*_RENEW_WHERE, exists(select(literal(1)).where(_licenses.c.id == _seats.c.license_id, _LICENSE_LIVE)))
          .values(last_heartbeat_at=bindparam("now"))
          .returning(*_LEASE_COLUMNS, _seats.c.license_id))
_LEASE_LICENSE = select(_licenses.c.key, _licenses.c.tier, _licenses.c.expires_at).where(
    _licenses.c.id == bindparam("license_id"))
# PostgreSQL: all of it in one statement, so one round trip and no transaction around it:
# the caller's row, and the renewal, which happens only for a valid caller.
_RENEWED = (update(_seats)
            .where(*_RENEW_WHERE, _licenses.c.id == _seats.c.license_id, _LICENSE_LIVE, _VALID_CALLER)
            .values(last_heartbeat_at=bindparam("now"))
            .returning(*_LEASE_COLUMNS, _licenses.c.key, _licenses.c.tier, _licenses.c.expires_at)
            .cte("renewed"))
_CALLER_CTE = _CALLER.cte("caller")
_CALLER_AND_RENEWAL = select(*_CALLER_CTE.c, *_RENEWED.c).select_from(_CALLER_CTE.outerjoin(_RENEWED, true()))


async def heartbeat(runtime, claims: dict, now: datetime, seat_id: str) -> seats.Lease:
    """Renew the caller's live seat and give a fresh offline lease; the refusals (404, 410,
    403 license_expired) come from seats.renewal_refused."""
    ttl_s, sid = runtime.settings.seat_ttl_s, str(claims.get("sid", ""))
    params = {"sid": sid, "sub": claims.get("sub"), "seat_id": seat_id, "now": now,
              "cutoff": now - timedelta(seconds=ttl_s)}
    driver = runtime.driver
    if driver.dialect_name == "postgresql":
        async with driver.autocommit() as conn:
            row = await conn.first(_CALLER_AND_RENEWAL, params)
            caller = _caller(claims, sid, row, now)
            if due_to_touch(row[3], now):
                await conn.run(TOUCH, touch_params(sid, now))
        renewed = None if row[_N] is None else row[_N:]  # tenant, hardware, kind, key, tier, expiry
        lic = renewed and renewed[3:]
    else:
        async with driver.write() as tx:
            row = await tx.first(_CALLER, params)
            caller = _caller(claims, sid, row, now)
            if due_to_touch(row[3], now):
                await tx.run(TOUCH, touch_params(sid, now))
            renewed = await tx.first(_RENEW, params)
            lic = renewed and await tx.first(_LEASE_LICENSE, {"license_id": renewed.license_id})
    if renewed is None:
        async with runtime.sessionmaker() as db:
            await seats.renewal_refused(db, runtime, caller, seat_id, now, ttl_s)  # raises
    lease_lic = _LeaseLicense(*lic)
    return seats.fresh_lease(runtime, {"seat_id": seat_id, "tenant_id": renewed[0], "user_id": caller.user_id,
                                       "hardware_id": renewed[1], "kind": renewed[2], "last_heartbeat_at": now},
                             lease_lic)


class _LeaseLicense:
    """What a lease names of its license."""

    __slots__ = ("key", "tier", "expires_at")

    def __init__(self, key, tier, expires_at) -> None:
        self.key, self.tier, self.expires_at = key, tier, expires_at


# --- acquire -----------------------------------------------------------------------------

_LICENSE_COLUMNS = (_licenses.c.id, _licenses.c.key, _licenses.c.tier, _licenses.c.seats, _licenses.c.tenant_id,
                    _licenses.c.expires_at, _licenses.c.open_seats)
# SQLite: the caller (_CALLER), then the license (the writer's BEGIN IMMEDIATE is the lock).
_LICENSE = select(*_LICENSE_COLUMNS).where(_licenses.c.key == bindparam("key"),
                                           _licenses.c.tenant_id == bindparam("tenant_id"))
# PostgreSQL: one statement in autocommit: the caller, its tenant's license, and, only for
# a valid caller (the same rule as _caller) and a known, unexpired license, the seat taken by
# take_license_seat (services/seat_take_pg.py), which holds the license lock inside the
# database for that one round trip. CASE evaluates the volatile function only when its
# condition holds, so a refused caller writes nothing.
_sessions = CALLER_FROM.left
_TAKE = func.take_license_seat(
    _licenses.c.id, _sessions.c.user_id, bindparam("sid"), bindparam("hardware_id", type_=String),
    bindparam("device_name", type_=String), bindparam("kind", type_=String), bindparam("seat_id", type_=String),
    bindparam("now", type_=UTCDateTime()), bindparam("cutoff", type_=UTCDateTime()),
    bindparam("at", type_=UTCDateTime()), CALLER_FROM.right.c.email, bindparam("client_addr", type_=String))
_CALLER_LICENSE_AND_SEAT = (
    select(*CALLER_COLUMNS, *_LICENSE_COLUMNS,
           case((and_(_licenses.c.id.is_not(None), caller_is_valid(), _LICENSE_LIVE), _TAKE)).label("taken"))
    .select_from(CALLER_FROM.outerjoin(_licenses, and_(_licenses.c.key == bindparam("key"),
                                                       _licenses.c.tenant_id == CALLER_FROM.right.c.tenant_id)))
    .where(_sessions.c.id == bindparam("sid"))
)
_SEAT_KEYS = ["id", "license_id", "tenant_id", "user_id", "session_id", "hardware_id", "device_name", "kind",
              "started_at", "last_heartbeat_at", "released_at", "released_reason"]
_AUDIT_KEYS = ["at", "tenant_id", "actor_user_id", "actor_email", "action", "target", "client_addr", "detail"]
_INSERT_SEAT = insert(_seats)
_INSERT_AUDIT = insert(AuditEvent.__table__)


async def acquire(runtime, claims: dict, now: datetime, *, hardware_id: str, device_name: str, kind: str,
                  license_key: str | None, client_addr: str | None = None) -> seats.Lease:
    """A seat on the given license (or the tenant's primary one) for this machine: the one
    it holds if still live, else a new one if the license has a free seat (409 if not)."""
    sid = str(claims.get("sid", ""))
    key = None if license_key is None else parse_key_or_422(license_key)
    taking = {"hardware_id": hardware_id, "device_name": device_name, "kind": kind, "client_addr": client_addr}
    if runtime.driver.postgres:
        caller, lic, taken = await _acquire_pg(runtime, claims, sid, key, now, taking)
    else:
        caller, lic, taken = await _acquire_sqlite(runtime, claims, sid, key, now, taking)
    if taken is None:
        # No key, an unknown key or an expired license: the general code finds the license
        # or the right refusal.
        async with runtime.sessionmaker() as db:
            lease = await seats.acquire_seat(db, runtime, caller, license_key=license_key, **taking)
            await db.commit()
            return lease
    seat_id, created = taken
    seat = seats.SeatFields(id=seat_id, tenant_id=lic.tenant_id, user_id=caller.user_id, hardware_id=hardware_id,
                            kind=kind, last_heartbeat_at=now)
    token, expires_at = seats.mint_lease(runtime, seat, lic)
    return seats.Lease(seat=seat, license=lic, token=token, expires_at=expires_at, created=created)


async def _acquire_pg(runtime, claims: dict, sid: str, key: str | None, now: datetime, taking: dict):
    """-> (caller, license row, (seat id, created) or None for the general code)."""
    params = {"sid": sid, "sub": claims.get("sub"), "key": key, "now": now,
              "cutoff": now - timedelta(seconds=runtime.settings.seat_ttl_s), "at": runtime.clock.now(),
              "seat_id": new_id(), **taking}
    async with runtime.driver.autocommit() as conn:
        row = await conn.first(_CALLER_LICENSE_AND_SEAT if key is not None else _CALLER, params)
        caller = _caller(claims, sid, row, now)  # 401, 403: the statement took nothing for them
        if due_to_touch(row[3], now):
            await conn.run(TOUCH, touch_params(sid, now))
    if key is None or row[_N] is None:
        return caller, None, None
    lic, taken = _LicenseRow(row[_N:-1]), row[-1]
    if taken is None and not license_is_expired(lic, now):
        raise invalid()  # the statement's caller rule refused what _caller let through
    outcome, seat_id, used, total = taken or ("expired", None, None, None)
    if outcome == "full":
        raise seats.no_seats_error(int(total), int(used))
    if outcome in ("taken", "reused"):
        return caller, lic, (seat_id, outcome == "taken")
    return caller, lic, None  # expired (or gone) meanwhile: the general code answers


async def _acquire_sqlite(runtime, claims: dict, sid: str, key: str | None, now: datetime, taking: dict):
    """-> (caller, license row, (seat id, created) or None for the general code)."""
    async with runtime.driver.write() as tx:  # BEGIN IMMEDIATE: the database's write lock
        row = await tx.first(_CALLER, {"sid": sid})
        caller = _caller(claims, sid, row, now)
        found = await tx.first(_LICENSE, {"key": key, "tenant_id": caller.tenant_id}) if key else None
        lic = None if found is None else _LicenseRow(found)
        if due_to_touch(row[3], now):
            await tx.run(TOUCH, touch_params(sid, now))
        if lic is None or license_is_expired(lic, now):
            return caller, lic, None
        return caller, lic, await _take_seat(tx, runtime, caller, lic, now, **taking)


class _LicenseRow:
    __slots__ = ("id", "key", "tier", "seats", "tenant_id", "expires_at", "open_seats")

    def __init__(self, values) -> None:
        (self.id, self.key, self.tier, self.seats, self.tenant_id, self.expires_at, self.open_seats) = values


async def _take_seat(tx, runtime, caller: Caller, lic: _LicenseRow, now: datetime, *, hardware_id: str,
                     device_name: str, kind: str, client_addr: str | None) -> tuple[str, bool]:
    """Under the license lock: -> (seat id, created)."""
    clock, ttl_s = runtime.clock, runtime.settings.seat_ttl_s
    cutoff = now - timedelta(seconds=ttl_s)
    held = await tx.all(seats.HELD, {"license_id": lic.id, "user_id": caller.user_id, "hardware_id": hardware_id})
    live = [row for row in held if row.last_heartbeat_at > cutoff]
    if live:
        # The same machine asking again: the same seat, now owned by the current session.
        mine = max(live, key=lambda row: row.started_at)
        await tx.run(seats.REUSE, {"b_id": mine.id, "now": now, "b_session_id": caller.session_id,
                                   "b_device_name": device_name or mine.device_name, "b_kind": kind})
        return mine.id, False
    reclaimed = await tx.all(seats.RECLAIM_LICENSE, {"cutoff": cutoff, "now": now, "b_license_id": lic.id})
    await _audit_reclaimed(tx, clock, reclaimed)
    # After the reclaim every open seat of the license is live: open_seats is the count.
    used = lic.open_seats - len(reclaimed)
    if used >= lic.seats:
        raise seats.no_seats_error(lic.seats, used)
    seat_id = new_id()
    await tx.run(_INSERT_SEAT, {
        "id": seat_id, "license_id": lic.id, "tenant_id": lic.tenant_id, "user_id": caller.user_id,
        "session_id": caller.session_id, "hardware_id": hardware_id, "device_name": device_name, "kind": kind,
        "started_at": now, "last_heartbeat_at": now, "released_at": None, "released_reason": None}, _SEAT_KEYS)
    await tx.run(_INSERT_AUDIT, _acquired_event(clock, caller, lic, seat_id, kind, device_name, client_addr),
                 _AUDIT_KEYS)
    return seat_id, True


def _acquired_event(clock, caller: Caller, lic, seat_id: str, kind: str, device_name: str, client_addr) -> dict:
    return audit.event_values(
        clock, "seat.acquired", tenant_id=lic.tenant_id, actor=caller.actor, client_addr=client_addr,
        target=f"seat:{seat_id}", detail={"license_id": lic.id, "kind": kind, "device_name": device_name})


async def _audit_reclaimed(tx, clock, reclaimed) -> None:
    for row in reclaimed:
        await tx.run(_INSERT_AUDIT, audit.event_values(
            clock, "seat.reclaimed", tenant_id=row.tenant_id, target=f"seat:{row.id}",
            detail={"reason": seats.EXPIRED, "user_id": row.user_id, "license_id": row.license_id,
                    "last_heartbeat_at": row.last_heartbeat_at.isoformat()}), _AUDIT_KEYS)
