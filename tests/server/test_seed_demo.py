"""`coditect-console server seed-demo` on SQLite and PostgreSQL: consistent data that the
real API serves, demo accounts that really sign in, and no accidental double seeding."""

from __future__ import annotations

import ipaddress
import subprocess
import sys

from sqlalchemy import func, select

from server.commands.seed import DEMO_PASSWORD, DEMO_TOTP_SECRET, SUPPORT_EMAIL
from server.models import CommandUsage, License, LoginSession, Seat, Tenant, User
from tests.server.flows import bearer, login_with_mfa

API = "/api/v1"
DOC_NETS = [ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")]


def seed(settings, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "console.cli", "server", "--database-url", settings.database_url,
         "--data-dir", str(settings.data_dir), "seed-demo", "--tenants", "3", "--users-per-tenant", "6",
         "--sessions", "400", *extra],
        capture_output=True, text=True, timeout=300,
    )


def demo_admin_email(output: str) -> str:
    return next(line.split(": ")[-1].strip() for line in output.splitlines() if "owner of" in line)


async def test_seeded_data_is_consistent(app, settings):
    result = seed(settings)
    assert result.returncode == 0, result.stderr
    assert DEMO_PASSWORD in result.stdout and "400 login_sessions" in result.stdout
    runtime = app.state.runtime
    await runtime.start()
    now = runtime.clock.now()
    async with runtime.sessionmaker() as db:
        tenants = (await db.execute(select(Tenant))).scalars().all()
        assert sum(not t.is_staff for t in tenants) == 3 and sum(t.is_staff for t in tenants) == 1
        users = (await db.execute(select(User))).scalars().all()
        assert len(users) == 3 * 6 + 1
        assert len({u.password_hash for u in users}) == 1  # one hash for everyone: fast
        assert all(u.totp_secret_enc for u in users if u.role != "member")  # MFA where the role needs it
        sessions = (await db.execute(select(LoginSession))).scalars().all()
        assert len(sessions) == 400
        assert all(any(ipaddress.ip_address(s.client_addr) in net for net in DOC_NETS) for s in sessions)
        assert len({s.device_name for s in sessions}) > 10
        assert all(s.created_at <= s.last_seen_at <= max(s.expires_at, now) for s in sessions)
        for lic in (await db.execute(select(License))).scalars():
            held = await db.scalar(select(func.count()).select_from(Seat).where(
                Seat.license_id == lic.id, Seat.released_at.is_(None)))
            assert held <= lic.seats
        limits = {u.id: u.daily_limit for u in users}
        for usage in (await db.execute(select(CommandUsage))).scalars():
            assert usage.count >= 1 and (limits[usage.user_id] is None or usage.count <= limits[usage.user_id])
        assert await db.scalar(select(func.count()).select_from(Seat)) > 0


async def test_demo_accounts_sign_in_and_see_their_data(app, client, settings, clock):
    result = seed(settings)
    assert result.returncode == 0, result.stderr
    admin_email = demo_admin_email(result.stdout)
    tokens = await login_with_mfa(client, admin_email, DEMO_PASSWORD, DEMO_TOTP_SECRET, clock)
    page = (await client.get(f"{API}/admin/sessions", headers=bearer(tokens["access_token"]),
                             params={"limit": 500})).json()
    domain = admin_email.split("@")[1]
    assert len(page["sessions"]) > 100 and all(s["user_email"].endswith(domain) for s in page["sessions"])
    device = page["sessions"][-1]["device_name"]
    found = (await client.get(f"{API}/admin/sessions", headers=bearer(tokens["access_token"]),
                              params={"q": device.upper()})).json()["sessions"]
    assert found and all(device.lower() in s["device_name"].lower() for s in found)

    support = await login_with_mfa(client, SUPPORT_EMAIL, DEMO_PASSWORD, DEMO_TOTP_SECRET, clock)
    tenants = (await client.get(f"{API}/support/tenants", headers=bearer(support["access_token"]))).json()
    assert len(tenants["tenants"]) == 3


async def test_a_non_empty_database_needs_force(app, settings):
    await app.state.runtime.start()
    assert seed(settings).returncode == 0
    again = seed(settings)
    assert again.returncode == 1 and "--force" in again.stderr and again.stdout == ""
    async with app.state.runtime.sessionmaker() as db:
        assert await db.scalar(select(func.count()).select_from(Tenant)) == 4
    forced = seed(settings, "--force")
    assert forced.returncode == 0, forced.stderr
    async with app.state.runtime.sessionmaker() as db:
        assert await db.scalar(select(func.count()).select_from(Tenant)) == 8
        assert await db.scalar(select(func.count()).select_from(LoginSession)) == 800
