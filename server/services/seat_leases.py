"""The seat lease cycle's hot paths, heartbeat and acquire, as a few Core statements
straight on the database driver (server/driver.py): no Session, no unit of work.

The rules are those of services/seats.py and services/callers.py, applied to the same
columns: the caller's session is checked in the same transaction as the seat write (on
PostgreSQL a heartbeat is one statement that renews the seat only for a valid caller, so
revocation takes effect on the next request), the license row is the lock of acquire
(FOR UPDATE on PostgreSQL, BEGIN IMMEDIATE on SQLite), the limit check reads the
trigger-kept `open_seats` after reclaiming the license's dead seats, and every new seat,
reclaim and release is audited. Anything off the common path (no key given, an unknown or
expired license, a dead, foreign or released seat) goes to the general code in
services/seats.py, which answers it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Integer, String, and_, bindparam, column, exists, insert, literal, or_, select, text, true, update

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
# PostgreSQL: the caller and its tenant's license in one statement, the license row locked.
_CALLER_AND_LICENSE = (
    select(*CALLER_COLUMNS, *_LICENSE_COLUMNS)
    .select_from(CALLER_FROM.join(_licenses, and_(_licenses.c.key == bindparam("key"),
                                                  _licenses.c.tenant_id == CALLER_FROM.right.c.tenant_id)))
    .where(CALLER_FROM.left.c.id == bindparam("sid"))
    .with_for_update(of=_licenses)
)
# PostgreSQL, under the license lock, in one statement (every await while the lock is held
# lengthens the queue behind it): reclaim the license's dead seats, find the machine's live
# seat and renew it, or else insert a new seat and its audit event if the count allows.
# -> a row per outcome: ('reused' | 'taken', seat id) and ('reclaimed', seat...) per reclaim.
# The same rules as _take_seat below, which SQLite runs statement by statement.
_TAKE_SEAT_PG = text("""
WITH reclaimed AS (
  UPDATE seats SET released_at = :now, released_reason = :expired
  WHERE license_id = :license_id AND released_at IS NULL AND last_heartbeat_at <= :cutoff
  RETURNING id, tenant_id, user_id, license_id, last_heartbeat_at),
held AS (
  SELECT id FROM seats
  WHERE license_id = :license_id AND user_id = :user_id AND hardware_id = :hardware_id AND released_at IS NULL
    AND last_heartbeat_at > :cutoff
  ORDER BY started_at DESC LIMIT 1),
reused AS (
  UPDATE seats SET last_heartbeat_at = :now, session_id = :session_id, kind = :kind,
                   device_name = COALESCE(NULLIF(:device_name, ''), seats.device_name)
  FROM held WHERE seats.id = held.id
  RETURNING seats.id),
taken AS (
  INSERT INTO seats (id, license_id, tenant_id, user_id, session_id, hardware_id, device_name, kind, started_at,
                     last_heartbeat_at)
  SELECT :seat_id, :license_id, :tenant_id, :user_id, :session_id, :hardware_id, :device_name, :kind, :now, :now
  WHERE NOT EXISTS (SELECT 1 FROM held) AND :open_seats - (SELECT count(*) FROM reclaimed) < :seats_total
  RETURNING id),
audited AS (
  INSERT INTO audit_events (at, tenant_id, actor_user_id, actor_email, action, target, client_addr, detail)
  SELECT :at, :tenant_id, :user_id, :actor_email, :action, :target, :client_addr, :detail FROM taken)
SELECT 'reclaimed' AS outcome, id, tenant_id, user_id, license_id, last_heartbeat_at FROM reclaimed
UNION ALL SELECT 'reused', id, NULL, NULL, NULL, NULL FROM reused
UNION ALL SELECT 'taken', id, NULL, NULL, NULL, NULL FROM taken
""").bindparams(
    *(bindparam(name, type_=String) for name in (
        "expired", "license_id", "user_id", "hardware_id", "session_id", "kind", "device_name", "seat_id",
        "tenant_id", "actor_email", "action", "target", "client_addr")),
    *(bindparam(name, type_=UTCDateTime) for name in ("now", "cutoff", "at")),
    bindparam("open_seats", type_=Integer), bindparam("seats_total", type_=Integer),
    bindparam("detail", type_=AuditEvent.__table__.c.detail.type),
).columns(column("outcome", String), column("id", String), column("tenant_id", String), column("user_id", String),
          column("license_id", String), column("last_heartbeat_at", UTCDateTime))
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
    params = {"sid": sid, "key": key}
    driver = runtime.driver
    async with driver.write() as tx:
        if driver.dialect_name == "postgresql":
            row = await tx.first(_CALLER_AND_LICENSE, params) if key is not None else None
            if row is None:  # who the caller is decides the answer (401, 403, or the license's 404)
                row = await tx.first(_CALLER, params)
                lic = None
            else:
                lic = _LicenseRow(row[_N:])
            caller = _caller(claims, sid, row, now)
        else:
            row = await tx.first(_CALLER, params)
            caller = _caller(claims, sid, row, now)
            found = await tx.first(_LICENSE, {"key": key, "tenant_id": caller.tenant_id}) if key else None
            lic = None if found is None else _LicenseRow(found)
        if due_to_touch(row[3], now):
            await tx.run(TOUCH, touch_params(sid, now))
        if lic is not None and not license_is_expired(lic, now):
            seat_id, created = await _take_seat(tx, runtime, caller, lic, now, hardware_id=hardware_id,
                                                device_name=device_name, kind=kind, client_addr=client_addr)
    if lic is None or license_is_expired(lic, now):
        # No key, an unknown key or an expired license: the general code finds the license
        # or the right refusal.
        async with runtime.sessionmaker() as db:
            lease = await seats.acquire_seat(db, runtime, caller, hardware_id=hardware_id, device_name=device_name,
                                             kind=kind, license_key=license_key, client_addr=client_addr)
            await db.commit()
            return lease
    seat = seats.SeatFields(id=seat_id, tenant_id=lic.tenant_id, user_id=caller.user_id, hardware_id=hardware_id,
                            kind=kind, last_heartbeat_at=now)
    token, expires_at = seats.mint_lease(runtime, seat, lic)
    return seats.Lease(seat=seat, license=lic, token=token, expires_at=expires_at, created=created)


class _LicenseRow:
    __slots__ = ("id", "key", "tier", "seats", "tenant_id", "expires_at", "open_seats")

    def __init__(self, values) -> None:
        (self.id, self.key, self.tier, self.seats, self.tenant_id, self.expires_at, self.open_seats) = values


async def _take_seat(tx, runtime, caller: Caller, lic: _LicenseRow, now: datetime, *, hardware_id: str,
                     device_name: str, kind: str, client_addr: str | None) -> tuple[str, bool]:
    """Under the license lock: -> (seat id, created)."""
    clock, ttl_s = runtime.clock, runtime.settings.seat_ttl_s
    cutoff = now - timedelta(seconds=ttl_s)
    if tx.dialect_name == "postgresql":
        return await _take_seat_pg(tx, clock, caller, lic, now, cutoff, hardware_id=hardware_id,
                                   device_name=device_name, kind=kind, client_addr=client_addr)
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


async def _take_seat_pg(tx, clock, caller: Caller, lic: _LicenseRow, now: datetime, cutoff: datetime, *,
                        hardware_id: str, device_name: str, kind: str, client_addr: str | None) -> tuple[str, bool]:
    seat_id = new_id()
    event = _acquired_event(clock, caller, lic, seat_id, kind, device_name, client_addr)
    rows = await tx.all(_TAKE_SEAT_PG, {
        "now": now, "cutoff": cutoff, "expired": seats.EXPIRED, "license_id": lic.id, "user_id": caller.user_id,
        "hardware_id": hardware_id, "session_id": caller.session_id, "kind": kind, "device_name": device_name,
        "seat_id": seat_id, "tenant_id": lic.tenant_id, "open_seats": lic.open_seats, "seats_total": lic.seats,
        **{name: event[name] for name in ("at", "actor_email", "action", "target", "client_addr", "detail")}})
    reclaimed = [row for row in rows if row.outcome == "reclaimed"]
    await _audit_reclaimed(tx, clock, reclaimed)
    mine = next((row for row in rows if row.outcome != "reclaimed"), None)
    if mine is None:
        raise seats.no_seats_error(lic.seats, lic.open_seats - len(reclaimed))
    return mine.id, mine.outcome == "taken"
