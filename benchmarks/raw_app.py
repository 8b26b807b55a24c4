"""The raw reference for the API benchmarks: the same work as the project's hot paths
(GET /healthz, GET /api/v1/auth/me, PUT /api/v1/licenses/heartbeat, POST
/api/v1/licenses/acquire) with nothing between the HTTP request and the database driver:
pure Starlette, raw sqlite3 (inline, on the event loop) or asyncpg, the same PyJWT EdDSA
verification and lease signing, the same rows read and written.

It is what "near the raw limit" is measured against (project req/s ÷ raw req/s). It is not
a server to use: no validation beyond what the benchmark sends, no error pages.
Served by harness.start_raw_server(): RAW_DATABASE_URL and RAW_KEYS_DIR name the database and
the keys of the project's server it stands in for.
"""

from __future__ import annotations

import json
import os
import sqlite3
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

DATABASE_URL = os.environ.get("RAW_DATABASE_URL", "")
KEYS_DIR = Path(os.environ.get("RAW_KEYS_DIR", "."))
ISSUER, AUDIENCE = "https://api.coditect.local", "coditect-console"
SEAT_TTL = timedelta(seconds=900)
LEASE_TTL = timedelta(days=7)
TIER_RANK = {"free": 0, "pro": 1, "team": 2, "enterprise": 3}

_private = serialization.load_pem_private_key((KEYS_DIR / "signing-ed25519.pem").read_bytes(), password=None) \
    if (KEYS_DIR / "signing-ed25519.pem").exists() else None
_public = _private.public_key() if _private else None
_kid = None
if _public is not None:
    import base64
    import hashlib

    _raw = _public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    _kid = base64.urlsafe_b64encode(hashlib.sha256(_raw).digest()[:12]).rstrip(b"=").decode()

SQLITE = DATABASE_URL.startswith("sqlite")


def _json(data, status=200) -> Response:
    return Response(json.dumps(data, default=str), status_code=status, media_type="application/json")


def _claims(request) -> dict | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    try:
        header = jwt.get_unverified_header(token)
        if header.get("alg") != "EdDSA" or header.get("kid") != _kid or header.get("typ") != "JWT":
            return None
        return jwt.decode(token, _public, algorithms=["EdDSA"], audience=AUDIENCE, issuer=ISSUER,
                          options={"require": ["exp", "iat"]})
    except jwt.InvalidTokenError:
        return None


def _lease(seat_id, lic_key, tier, tenant_id, user_id, hardware_id, kind, beat: datetime) -> tuple[str, datetime]:
    expires = beat + LEASE_TTL
    claims = {"seat_id": seat_id, "license_key": lic_key, "tier": tier, "tid": tenant_id, "sub": user_id,
              "hardware_id": hardware_id, "kind": kind, "iat": int(datetime.now(timezone.utc).timestamp()),
              "exp": int(expires.timestamp())}
    return jwt.encode(claims, _private, algorithm="EdDSA", headers={"kid": _kid, "typ": "lease"}), expires


def _lease_body(seat_id, token, expires, key, tier) -> dict:
    return {"seat_id": seat_id, "lease_token": token, "heartbeat_interval_s": 300, "ttl_s": 900,
            "expires_at": expires.isoformat(), "license_key": key, "tier": tier}


def _unauthorized() -> Response:
    return _json({"code": "unauthorized"}, 401)


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


async def healthz(_request) -> Response:
    return _json({"status": "ok", "database": "sqlite" if SQLITE else "postgresql"})


# --- SQLite: one connection, statements run inline on the event loop --------------------

if SQLITE:
    _db = sqlite3.connect(DATABASE_URL.split("///", 1)[-1], isolation_level=None, check_same_thread=False)
    _db.execute("PRAGMA journal_mode=WAL")
    _db.execute("PRAGMA synchronous=NORMAL")
    _db.execute("PRAGMA busy_timeout=30000")
    _fmt = "%Y-%m-%d %H:%M:%S.%f"

    def _ts(value: datetime) -> str:
        return value.strftime(_fmt)

    def _parse(text: str | None) -> datetime | None:
        return datetime.strptime(text, _fmt).replace(tzinfo=timezone.utc) if text else None

    def _principal(claims) -> tuple | None:
        row = _db.execute(
            "SELECT s.user_id, s.revoked_at, s.expires_at, u.disabled, u.tenant_id, u.role, u.email, u.full_name, "
            "u.totp_secret_enc IS NOT NULL, u.email_verified_at IS NOT NULL, t.name "
            "FROM login_sessions s JOIN users u ON u.id = s.user_id JOIN tenants t ON t.id = u.tenant_id "
            "WHERE s.id = ?", (claims.get("sid", ""),)).fetchone()
        if row is None or row[0] != claims.get("sub") or row[1] is not None or row[2] <= _ts(_now()) or row[3]:
            return None
        return row

    async def me(request) -> Response:
        claims = _claims(request)
        row = _principal(claims) if claims else None
        if row is None:
            return _unauthorized()
        lics = _db.execute("SELECT tier, key, seats, created_at FROM licenses WHERE tenant_id = ? AND "
                           "(expires_at IS NULL OR expires_at > ?)", (row[4], _ts(_now()))).fetchall()
        best = max(lics, key=lambda r: (TIER_RANK.get(r[0], -1), r[2], r[3])) if lics else None
        return _json({"user_id": row[0], "email": row[6], "full_name": row[7], "tenant_id": row[4],
                      "tenant_name": row[10], "role": row[5], "tier": best[0] if best else None,
                      "license_key": best[1] if best else None, "mfa_enrolled": bool(row[8]),
                      "email_verified": bool(row[9]), "session_id": claims["sid"], "amr": claims.get("amr", [])})

    async def heartbeat(request) -> Response:
        claims = _claims(request)
        if not claims or _principal(claims) is None:
            return _unauthorized()
        seat_id = json.loads(await request.body())["seat_id"]
        now = _now()
        _db.execute("BEGIN IMMEDIATE")
        try:
            row = _db.execute("SELECT s.tenant_id, s.hardware_id, s.kind, l.key, l.tier FROM seats s JOIN licenses l "
                              "ON l.id = s.license_id WHERE s.id = ? AND s.user_id = ?",
                              (seat_id, claims["sub"])).fetchone()
            kept = _db.execute("UPDATE seats SET last_heartbeat_at = ? WHERE id = ? AND released_at IS NULL AND "
                               "last_heartbeat_at > ?", (_ts(now), seat_id, _ts(now - SEAT_TTL))).rowcount
            _db.execute("COMMIT")
        except BaseException:
            _db.execute("ROLLBACK")
            raise
        if row is None or not kept:
            return _json({"code": "seat_gone"}, 410)
        token, expires = _lease(seat_id, row[3], row[4], row[0], claims["sub"], row[1], row[2],
                                now.replace(tzinfo=timezone.utc))
        return _json(_lease_body(seat_id, token, expires, row[3], row[4]))

    async def acquire(request) -> Response:
        claims = _claims(request)
        principal = _principal(claims) if claims else None
        if principal is None:
            return _unauthorized()
        body = json.loads(await request.body())
        now = _now()
        cutoff = _ts(now - SEAT_TTL)
        _db.execute("BEGIN IMMEDIATE")
        try:
            lic = _db.execute("SELECT id, key, tier, seats, tenant_id FROM licenses WHERE key = ? AND tenant_id = ?",
                              (body["license_key"], principal[4])).fetchone()
            _db.execute("UPDATE seats SET released_at = ?, released_reason = 'expired' WHERE license_id = ? AND "
                        "released_at IS NULL AND last_heartbeat_at <= ? RETURNING id", (_ts(now), lic[0], cutoff)
                        ).fetchall()
            seat = _db.execute("SELECT id FROM seats WHERE license_id = ? AND user_id = ? AND hardware_id = ? AND "
                               "released_at IS NULL AND last_heartbeat_at > ?",
                               (lic[0], claims["sub"], body["hardware_id"], cutoff)).fetchone()
            if seat is None:
                used = _db.execute("SELECT count(*) FROM seats WHERE license_id = ? AND released_at IS NULL AND "
                                   "last_heartbeat_at > ?", (lic[0], cutoff)).fetchone()[0]
                if used >= lic[3]:
                    _db.execute("ROLLBACK")
                    return _json({"code": "no_seats_available"}, 409)
                seat_id = uuid.uuid4().hex
                _db.execute("INSERT INTO seats (id, license_id, tenant_id, user_id, session_id, hardware_id, "
                            "device_name, kind, started_at, last_heartbeat_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                            (seat_id, lic[0], lic[4], claims["sub"], claims["sid"], body["hardware_id"],
                             body.get("device_name", ""), body.get("kind", "desktop"), _ts(now), _ts(now)))
                _db.execute("INSERT INTO audit_events (at, tenant_id, actor_user_id, actor_email, action, target, "
                            "client_addr, detail) VALUES (?,?,?,?,?,?,?,?)",
                            (_ts(now), lic[4], claims["sub"], principal[6], "seat.acquired", f"seat:{seat_id}",
                             request.client.host, json.dumps({"license_id": lic[0], "kind": "desktop"})))
            else:
                seat_id = seat[0]
            _db.execute("COMMIT")
        except BaseException:
            _db.execute("ROLLBACK")
            raise
        token, expires = _lease(seat_id, lic[1], lic[2], lic[4], claims["sub"], body["hardware_id"], "desktop",
                                now.replace(tzinfo=timezone.utc))
        return _json(_lease_body(seat_id, token, expires, lic[1], lic[2]), 201)

    lifespan = None

# --- PostgreSQL: an asyncpg pool ------------------------------------------------------------

else:
    import asyncpg
    from contextlib import asynccontextmanager

    _pool = None

    @asynccontextmanager
    async def lifespan(_app):
        global _pool
        _pool = await asyncpg.create_pool(DATABASE_URL.replace("postgresql+asyncpg", "postgresql"),
                                          min_size=4, max_size=10)
        yield
        await _pool.close()

    async def _principal(conn, claims):
        row = await conn.fetchrow(
            "SELECT s.user_id, s.revoked_at, s.expires_at, u.disabled, u.tenant_id, u.role, u.email, u.full_name, "
            "u.totp_secret_enc IS NOT NULL, u.email_verified_at IS NOT NULL, t.name "
            "FROM login_sessions s JOIN users u ON u.id = s.user_id JOIN tenants t ON t.id = u.tenant_id "
            "WHERE s.id = $1", claims.get("sid", ""))
        if row is None or row[0] != claims.get("sub") or row[1] is not None or row[2] <= _now() or row[3]:
            return None
        return row

    async def me(request) -> Response:
        claims = _claims(request)
        if not claims:
            return _unauthorized()
        async with _pool.acquire() as conn:
            row = await _principal(conn, claims)
            if row is None:
                return _unauthorized()
            lics = await conn.fetch("SELECT tier, key, seats, created_at FROM licenses WHERE tenant_id = $1 AND "
                                    "(expires_at IS NULL OR expires_at > $2)", row[4], _now())
        best = max(lics, key=lambda r: (TIER_RANK.get(r[0], -1), r[2], r[3])) if lics else None
        return _json({"user_id": row[0], "email": row[6], "full_name": row[7], "tenant_id": row[4],
                      "tenant_name": row[10], "role": row[5], "tier": best[0] if best else None,
                      "license_key": best[1] if best else None, "mfa_enrolled": row[8],
                      "email_verified": row[9], "session_id": claims["sid"], "amr": claims.get("amr", [])})

    async def heartbeat(request) -> Response:
        claims = _claims(request)
        if not claims:
            return _unauthorized()
        seat_id = json.loads(await request.body())["seat_id"]
        now = _now()
        async with _pool.acquire() as conn:
            if await _principal(conn, claims) is None:
                return _unauthorized()
            async with conn.transaction():
                row = await conn.fetchrow("SELECT s.tenant_id, s.hardware_id, s.kind, l.key, l.tier FROM seats s "
                                          "JOIN licenses l ON l.id = s.license_id WHERE s.id = $1 AND s.user_id = $2",
                                          seat_id, claims["sub"])
                kept = await conn.execute("UPDATE seats SET last_heartbeat_at = $1 WHERE id = $2 AND released_at IS "
                                          "NULL AND last_heartbeat_at > $3", now, seat_id, now - SEAT_TTL)
        if row is None or kept.endswith(" 0"):
            return _json({"code": "seat_gone"}, 410)
        token, expires = _lease(seat_id, row[3], row[4], row[0], claims["sub"], row[1], row[2],
                                now.replace(tzinfo=timezone.utc))
        return _json(_lease_body(seat_id, token, expires, row[3], row[4]))

    async def acquire(request) -> Response:
        claims = _claims(request)
        if not claims:
            return _unauthorized()
        body = json.loads(await request.body())
        now = _now()
        cutoff = now - SEAT_TTL
        async with _pool.acquire() as conn:
            principal = await _principal(conn, claims)
            if principal is None:
                return _unauthorized()
            async with conn.transaction():
                lic = await conn.fetchrow("SELECT id, key, tier, seats, tenant_id FROM licenses WHERE key = $1 AND "
                                          "tenant_id = $2 FOR UPDATE", body["license_key"], principal[4])
                await conn.fetch("UPDATE seats SET released_at = $1, released_reason = 'expired' WHERE license_id = $2 "
                                 "AND released_at IS NULL AND last_heartbeat_at <= $3 RETURNING id", now, lic[0], cutoff)
                seat = await conn.fetchrow("SELECT id FROM seats WHERE license_id = $1 AND user_id = $2 AND "
                                           "hardware_id = $3 AND released_at IS NULL AND last_heartbeat_at > $4",
                                           lic[0], claims["sub"], body["hardware_id"], cutoff)
                if seat is None:
                    used = await conn.fetchval("SELECT count(*) FROM seats WHERE license_id = $1 AND released_at IS "
                                               "NULL AND last_heartbeat_at > $2", lic[0], cutoff)
                    if used >= lic[3]:
                        return _json({"code": "no_seats_available"}, 409)
                    seat_id = uuid.uuid4().hex
                    await conn.execute("INSERT INTO seats (id, license_id, tenant_id, user_id, session_id, hardware_id, "
                                       "device_name, kind, started_at, last_heartbeat_at) VALUES "
                                       "($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)",
                                       seat_id, lic[0], lic[4], claims["sub"], claims["sid"], body["hardware_id"],
                                       body.get("device_name", ""), body.get("kind", "desktop"), now, now)
                    await conn.execute("INSERT INTO audit_events (at, tenant_id, actor_user_id, actor_email, action, "
                                       "target, client_addr, detail) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)",
                                       now, lic[4], claims["sub"], principal[6], "seat.acquired", f"seat:{seat_id}",
                                       request.client.host, json.dumps({"license_id": lic[0], "kind": "desktop"}))
                else:
                    seat_id = seat[0]
        token, expires = _lease(seat_id, lic[1], lic[2], lic[4], claims["sub"], body["hardware_id"], "desktop",
                                now.replace(tzinfo=timezone.utc))
        return _json(_lease_body(seat_id, token, expires, lic[1], lic[2]), 201)


app = Starlette(routes=[
    Route("/healthz", healthz),
    Route("/api/v1/auth/me", me),
    Route("/api/v1/licenses/heartbeat", heartbeat, methods=["PUT"]),
    Route("/api/v1/licenses/acquire", acquire, methods=["POST"]),
], lifespan=lifespan)
