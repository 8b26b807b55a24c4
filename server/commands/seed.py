"""`coditect-console server seed-demo`: a database full of realistic demo data, so the
admin and support consoles have something to show and benchmarks something to chew.

Fast by construction: rows are built in memory and written with multi-row INSERTs in
batches, and every demo user shares ONE argon2 hash of the documented demo password.
Refuses a database that already holds tenants unless --force.
"""

from __future__ import annotations

import hashlib
import random
import sys
import time
from datetime import timedelta

from sqlalchemy import func, insert, select, text

from server.commands import demo_data as demo
from server.commands.users import STAFF_TENANT_NAME
from server.models import AuditEvent, CommandUsage, License, LoginSession, Seat, Tenant, User, new_id
from server.runtime import Runtime
from server.schemas.license_key import generate_license_key
from server.services.licenses import TIERS
from server.services.passwords import Passwords
from server.services.quotas import utc_day

DEMO_PASSWORD = "demo-password-2026"
# Known TOTP secret of the two demo accounts below (documented: demo data only).
DEMO_TOTP_SECRET = "DEMOCODITECTCONSOLEADMINTOTPKEY7"
SUPPORT_EMAIL = "support@coditect.example"
BATCH = 5000
SESSION_DAYS = 30  # refresh expiry of a login session (Settings.refresh_token_ttl_days)
HISTORY_DAYS = 180


def _fail(message: str) -> int:
    print(f"coditect-console server seed-demo: {message}", file=sys.stderr)
    return 1


async def seed_demo(settings, args) -> int:
    if args.tenants < 1 or args.users_per_tenant < 2 or args.sessions < 0:
        return _fail("need --tenants >= 1, --users-per-tenant >= 2 and --sessions >= 0.")
    runtime = Runtime(settings)
    started = time.perf_counter()
    try:
        await runtime.start()
        async with runtime.sessionmaker() as db:
            if await db.scalar(select(func.count()).select_from(Tenant)) and not args.force:
                return _fail("the database already holds tenants; add --force to seed demo data next to them.")
            tag = "" if not args.force else f"-{random.randrange(16**4):04x}"
            password_hash = await Passwords(settings.argon2_time_cost, settings.argon2_memory_kib).hash(DEMO_PASSWORD)
            t0 = time.perf_counter()
            rows = DemoBuilder(runtime, password_hash, tag).build(args.tenants, args.users_per_tenant, args.sessions)
            timings = {"build": time.perf_counter() - t0}
            for model, table_rows in rows.tables():
                t0 = time.perf_counter()
                columns = model.__table__.columns.keys()
                for i in range(0, len(table_rows), BATCH):
                    batch = [{c: row[c] for c in columns if c in row} for row in table_rows[i:i + BATCH]]
                    await db.execute(insert(model.__table__), batch)
                timings[model.__tablename__] = time.perf_counter() - t0
            await db.commit()
        t0 = time.perf_counter()
        # Planner statistics for the new volume (and, on PostgreSQL, the visibility map that
        # lets the session search answer from its covering index alone).
        async with runtime.engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("VACUUM ANALYZE" if conn.dialect.name == "postgresql" else "ANALYZE"))
        timings["analyze"] = time.perf_counter() - t0
    except OSError as error:
        return _fail(f"cannot reach the database ({error.strerror or error}).")
    finally:
        await runtime.close()
    _print_summary(rows, timings, time.perf_counter() - started)
    return 0


def _print_summary(rows: "DemoBuilder", timings: dict, total: float) -> None:
    counts = ", ".join(f"{len(r)} {m.__tablename__}" for m, r in rows.tables())
    print(f"Seeded {counts} in {total:.1f} s")
    print("  " + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in timings.items()))
    print(f"Demo accounts (password of every demo user: {DEMO_PASSWORD}; "
          f"authenticator secret of these two: {DEMO_TOTP_SECRET}):")
    print(f"  owner of {rows.demo_tenant_name!r}: {rows.demo_admin_email}")
    print(f"  support (staff): {rows.support_email}")


class DemoBuilder:
    """Builds every row in memory (plain dicts for Core INSERTs), consistent with the rules
    of the live system: seats within license capacity, quota use within the limit, an
    audit event for what happened."""

    def __init__(self, runtime: Runtime, password_hash: str, tag: str) -> None:
        self.rng = random.Random(2026)
        self.now = runtime.clock.now()
        self.box = runtime.secret_box
        self.password_hash = password_hash
        self.tag = tag
        self.tenants, self.licenses, self.users, self.sessions = [], [], [], []
        self.seats, self.usage, self.audit = [], [], []

    def tables(self):
        return [(Tenant, self.tenants), (License, self.licenses), (User, self.users), (LoginSession, self.sessions),
                (Seat, self.seats), (CommandUsage, self.usage), (AuditEvent, sorted(self.audit, key=lambda e: e["at"]))]

    def ago(self, **delta):
        return self.now - timedelta(**delta)

    def event(self, at, action, tenant_id, actor=None, *, target=None, addr=None, detail=None):
        self.audit.append({"at": at, "tenant_id": tenant_id, "actor_user_id": actor and actor["id"],
                           "actor_email": actor and actor["email"], "action": action, "target": target,
                           "client_addr": addr, "detail": detail or {}})

    def build(self, tenant_count: int, users_per_tenant: int, session_count: int) -> "DemoBuilder":
        names = demo.org_names(self.rng, tenant_count)
        weights = demo.tenant_weights(tenant_count)
        shares = [int(session_count * w / sum(weights)) for w in weights]
        shares[0] += session_count - sum(shares)
        for index, (name, sessions) in enumerate(zip(names, shares)):
            tenant = self._tenant(name, is_demo=index == 0)
            users = self._users(tenant, users_per_tenant, is_demo=index == 0)
            live = self._sessions(tenant, users, sessions)
            self._seats(tenant, live)
            self._usage(tenant, users)
        self._staff()
        return self

    def _tenant(self, name: str, *, is_demo: bool) -> dict:
        rng = self.rng
        tenant = {"id": new_id(), "name": name, "created_at": self.ago(days=rng.randint(HISTORY_DAYS + 70, 900)),
                  "default_daily_limit": rng.choice([None] * 8 + [200, 500]), "is_staff": False,
                  "domain": f"{demo.slug(name)}{self.tag}.example"}
        self.tenants.append(tenant)
        tiers = ["enterprise"] if is_demo else [rng.choices(["pro", "team", "enterprise", None], [40, 25, 10, 25])[0]]
        tenant["licenses"] = [self._license(tenant, "free")] + [self._license(tenant, t) for t in tiers if t]
        return tenant

    def _license(self, tenant: dict, tier: str) -> dict:
        activated = tenant["created_at"] + timedelta(days=self.rng.randint(0, 10))
        lic = {"id": new_id(), "key": generate_license_key(tier), "tier": tier, "seats": TIERS[tier].seats,
               "daily_limit": TIERS[tier].daily_limit, "tenant_id": tenant["id"], "created_at": activated,
               "activated_at": activated,
               "expires_at": None if tier == "free" else self.now + timedelta(days=self.rng.randint(30, 365))}
        self.licenses.append(lic)
        if tier != "free":
            self.event(activated, "license.activated", tenant["id"], target=f"license:{lic['id']}",
                       detail={"tier": tier})
        return lic

    def _users(self, tenant: dict, count: int, *, is_demo: bool) -> list[dict]:
        rng, users, taken = self.rng, [], set()
        for i in range(count):
            full_name, local = demo.person(rng)
            role = "owner" if i == 0 else "admin" if i == 1 or rng.random() < 0.1 else "member"
            if is_demo and i == 0:
                full_name, local = "Demo Admin", "admin"
            while local in taken:
                local += str(rng.randint(0, 9))
            taken.add(local)
            enrolled = role != "member" or rng.random() < 0.6
            secret = DEMO_TOTP_SECRET if is_demo and i == 0 else demo.totp_secret(rng)
            created = tenant["created_at"] + timedelta(days=rng.randint(0, 60))
            user = {"id": new_id(), "tenant_id": tenant["id"], "email": f"{local}@{tenant['domain']}",
                    "full_name": full_name, "password_hash": self.password_hash, "role": role, "created_at": created,
                    "email_verified_at": created if role != "member" or rng.random() < 0.97 else None,
                    "disabled": role == "member" and rng.random() < 0.03,
                    "totp_secret_enc": self.box.encrypt(secret) if enrolled else None,
                    "totp_enrolled_at": created if enrolled else None, "totp_pending_secret_enc": None,
                    "totp_last_step": None, "daily_limit": rng.choice([None] * 20 + [50, 2000])}
            users.append(user)
        self.users += users
        if is_demo:
            self.demo_admin_email, self.demo_tenant_name = users[0]["email"], tenant["name"]
        for user in users:
            user["devices"] = demo.devices_of(rng, user["full_name"].split()[0])
            user["activity"] = rng.lognormvariate(0, 1)
        return users

    def _sessions(self, tenant: dict, users: list[dict], count: int) -> list[tuple[dict, dict]]:
        """-> the sessions still live now, with their user (candidates for seats)."""
        rng, live = self.rng, []
        owner = users[0]
        active = [u for u in users if u["email_verified_at"]]
        picks = rng.choices(active, [u["activity"] for u in active], k=count)
        for user in picks:
            created = self.ago(seconds=rng.randint(60, HISTORY_DAYS * 86400))
            expires = created + timedelta(days=SESSION_DAYS)
            device = rng.choice(user["devices"])
            end = min(expires, self.now)
            session = {"id": new_id(), "user_id": user["id"], "tenant_id": tenant["id"], "device_name": device,
                       "hardware_id": "hw-" + hashlib.sha1(f"{user['id']}{device}".encode()).hexdigest()[:16],
                       "client_addr": demo.client_addr(rng),
                       "amr": ("pwd otp" if rng.random() > 0.01 else "pwd recovery") if user["totp_enrolled_at"]
                       else "pwd",
                       "created_at": created, "last_seen_at": created + (end - created) * rng.random(),
                       "expires_at": expires, "revoked_at": None, "revoked_reason": None}
            addr = session["client_addr"]
            self.event(created, "auth.login", tenant["id"], user, target=f"session:{session['id']}", addr=addr,
                       detail={"amr": session["amr"].split()})
            reason = "account_disabled" if user["disabled"] else rng.choices(
                [None, "logout", "admin_revoked", "refresh_reused"], [55, 35, 8, 2])[0]
            if reason and (expires > self.now or rng.random() < 0.2):
                session["revoked_at"] = session["last_seen_at"]
                session["revoked_reason"] = reason
                actor = user if reason in ("logout", "refresh_reused") else owner
                self.event(session["revoked_at"], "session.revoked", tenant["id"], actor,
                           target=f"session:{session['id']}", addr=addr if actor is user else None,
                           detail={"reason": reason, "user_id": user["id"]})
            elif expires > self.now:
                live.append((session, user))
            self.sessions.append(session)
        return live

    def _seats(self, tenant: dict, live: list[tuple[dict, dict]]) -> None:
        rng = self.rng
        capacity = [(lic, int(lic["seats"] * rng.uniform(0.4, 0.9))) for lic in tenant["licenses"][::-1]]
        holders, seen = iter(sorted(live, key=lambda pair: pair[0]["created_at"], reverse=True)), set()
        for lic, free in capacity:
            while free > 0:
                session, user = next(holders, (None, None))
                if session is None:
                    return
                if (user["id"], session["hardware_id"]) in seen:
                    continue
                seen.add((user["id"], session["hardware_id"]))
                dead = rng.random() < 0.05  # stopped heartbeating: listed as dead until reclaimed
                beat = self.ago(minutes=rng.randint(20, 90)) if dead else self.ago(seconds=rng.randint(0, 280))
                started = max(session["created_at"], beat - timedelta(hours=rng.uniform(0, 8)))
                session["last_seen_at"] = max(session["last_seen_at"], min(beat, self.now))
                seat = {"id": new_id(), "license_id": lic["id"], "tenant_id": tenant["id"], "user_id": user["id"],
                        "session_id": session["id"], "hardware_id": session["hardware_id"],
                        "device_name": session["device_name"],
                        "kind": "container_session" if "docker" in session["device_name"] else "desktop",
                        "started_at": started, "last_heartbeat_at": beat, "released_at": None,
                        "released_reason": None}
                self.seats.append(seat)
                self.event(started, "seat.acquired", tenant["id"], user, target=f"seat:{seat['id']}",
                           addr=session["client_addr"], detail={"license_id": lic["id"], "kind": seat["kind"]})
                free -= 1

    def _usage(self, tenant: dict, users: list[dict]) -> None:
        tier_limit = max(lic["daily_limit"] for lic in tenant["licenses"])
        for user in users:
            limit = next(v for v in (user["daily_limit"], tenant["default_daily_limit"], tier_limit) if v is not None)
            if self.rng.random() < 0.5 and limit:
                self.usage.append({"user_id": user["id"], "day": utc_day(self.now), "tenant_id": tenant["id"],
                                   "count": self.rng.randint(1, min(limit, 300))})

    def _staff(self) -> None:
        staff = {"id": new_id(), "name": STAFF_TENANT_NAME, "created_at": self.ago(days=1000),
                 "default_daily_limit": None, "is_staff": True}
        self.tenants.append(staff)
        self.support_email = SUPPORT_EMAIL.replace("@", f"{self.tag}@") if self.tag else SUPPORT_EMAIL
        self.users.append({
            "id": new_id(), "tenant_id": staff["id"], "email": self.support_email, "full_name": "Demo Support",
            "password_hash": self.password_hash, "role": "support", "created_at": staff["created_at"],
            "email_verified_at": staff["created_at"], "disabled": False,
            "totp_secret_enc": self.box.encrypt(DEMO_TOTP_SECRET), "totp_enrolled_at": staff["created_at"],
            "totp_pending_secret_enc": None, "totp_last_step": None, "daily_limit": None,
        })

