"""A seeded world for the console tests: `server seed-demo` data (small: 3 tenants x 10
users x 2000 sessions) made once per test module with the frozen clock, copied into each
test's data dir (SQLite file and keys), plus hostile names: Textual markup, very long
strings, emoji and right-to-left text. Sign-in goes through the real AccountSession."""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sqlite3
from pathlib import Path

import pytest

from server.clock import FrozenClock
from server.commands.seed import DEMO_PASSWORD, DEMO_TOTP_SECRET, SUPPORT_EMAIL
from tests.conftest import EPOCH
from tests.screens.conftest import app_config
from tests.screens.driving import settle, totp

MARKUP_NAME = "[bold red]Mallory[/] [link=https://x.example]click[/link]"
HOSTILE_DEVICE = "[red]evil[/red] 🚀 مرحبا بالعالم " + "w" * 300
HOSTILE_EMAIL_LOCAL = "mallory"


def seed(data_dir: Path) -> dict:
    """Seed-demo into data_dir/embedded.db -> names the tests need."""
    from server.commands.seed import seed_demo
    from server.config import Settings

    settings = Settings(data_dir=data_dir, clock=FrozenClock(EPOCH), argon2_time_cost=1, argon2_memory_kib=8192)
    args = argparse.Namespace(tenants=3, users_per_tenant=10, sessions=2000, force=False)
    assert asyncio.run(seed_demo(settings, args)) == 0
    db = sqlite3.connect(data_dir / "embedded.db")
    try:
        (tenant_id, admin_email), = db.execute(
            "SELECT tenant_id, email FROM users WHERE email LIKE 'admin@%' AND role = 'owner'")
        # A member with hostile text: name, email and every one of their devices.
        member_id, member_email = db.execute(
            "SELECT u.id, u.email FROM users u WHERE u.tenant_id = ? AND u.role = 'member' AND NOT u.disabled "
            "AND u.email_verified_at IS NOT NULL AND EXISTS (SELECT 1 FROM login_sessions s WHERE s.user_id = u.id "
            "AND s.revoked_at IS NULL) ORDER BY u.email LIMIT 1", (tenant_id,)).fetchone()
        domain = member_email.split("@", 1)[1]
        member_email = f"{HOSTILE_EMAIL_LOCAL}@{domain}"
        db.execute("UPDATE users SET full_name = ?, email = ? WHERE id = ?", (MARKUP_NAME, member_email, member_id))
        db.execute("UPDATE login_sessions SET device_name = ? WHERE user_id = ?", (HOSTILE_DEVICE, member_id))
        db.execute("UPDATE seats SET device_name = ? WHERE user_id = ?", (HOSTILE_DEVICE, member_id))
        # A member who signs in with the demo authenticator (same sealed secret as the owner's)
        # and one without any second factor (signs in with the password alone).
        sealed, enrolled = db.execute("SELECT totp_secret_enc, totp_enrolled_at FROM users WHERE email = ?",
                                      (admin_email,)).fetchone()
        rows = db.execute(
            "SELECT id, email, totp_enrolled_at FROM users WHERE tenant_id = ? AND role = 'member' AND NOT disabled "
            "AND email_verified_at IS NOT NULL AND id != ? ORDER BY email", (tenant_id, member_id)).fetchall()
        totp_member = next(r for r in rows if r[2] is not None)
        plain_member = next(r for r in rows if r[2] is None)
        db.execute("UPDATE users SET totp_secret_enc = ?, totp_enrolled_at = ? WHERE id = ?",
                   (sealed, enrolled, totp_member[0]))
        # Fixed license keys: snapshots show them.
        for number, (lic_id, tier) in enumerate(db.execute(
                "SELECT l.id, l.tier FROM licenses l JOIN tenants t ON t.id = l.tenant_id "
                "ORDER BY t.name, l.tier").fetchall()):
            db.execute("UPDATE licenses SET key = ? WHERE id = ?",
                       (f"CODITECT-{tier.upper()}-TEST-{number:04d}-FIXD-KEYS", lic_id))
        other_tenant, = db.execute("SELECT id FROM tenants WHERE id != ? AND NOT is_staff LIMIT 1",
                                   (tenant_id,)).fetchone()
        tenant_name, = db.execute("SELECT name FROM tenants WHERE id = ?", (tenant_id,)).fetchone()
        db.commit()
    finally:
        db.close()
    return {"tenant_id": tenant_id, "tenant_name": tenant_name, "admin": admin_email, "member_id": member_id,
            "member": member_email, "other_tenant": other_tenant, "support": SUPPORT_EMAIL,
            "totp_member": totp_member[1], "plain_member": plain_member[1], "plain_member_id": plain_member[0]}


@pytest.fixture(scope="module")
def seeded(tmp_path_factory) -> dict:
    data = tmp_path_factory.mktemp("seeded") / "data"
    names = seed(data)
    names["dir"] = data
    return names


@pytest.fixture
def world(seeded, tmp_path) -> dict:
    """A fresh copy of the seeded data dir for this test (every test may change it)."""
    data = tmp_path / "data"
    shutil.copytree(seeded["dir"], data)
    return {**seeded, "data": data}


def console_app(world, clock, make_app, start: str | None = "admin", data: Path | None = None, config_dir=None):
    config = app_config(data or world["data"], config_dir or (world["data"].parent / "config"), clock)
    app = make_app(config)
    app.start_target = start
    return app


async def sign_in(pilot, clock, email: str) -> None:
    """Password then authenticator code, through the session (as the sign-in screens do);
    then the app decides where to go."""
    app = pilot.app
    await settle(pilot)
    assert (await app.session.sign_in.login(email, DEMO_PASSWORD)).needs_second_factor
    await app.session.sign_in.second_factor(code=totp(DEMO_TOTP_SECRET, clock))
    clock.advance(30)
    app.advance()
    await settle(pilot)


async def other_client(app, email: str):
    """Someone else signing in on the same server (password only: an account without a
    second factor) -> their ApiClient."""
    from tui.api import ApiClient

    client = ApiClient(app.config.base_url, app.session.transport)
    result = await client.login(email, DEMO_PASSWORD, "their laptop")
    assert not result.mfa_required
    return client


def db_rows(world, sql: str, *params) -> list[tuple]:
    db = sqlite3.connect(world["data"] / "embedded.db")
    try:
        return db.execute(sql, params).fetchall()
    finally:
        db.close()
