"""`coditect-console server create-license`: one unbound key on stdout, errors on stderr."""

from __future__ import annotations

import argparse
import subprocess
import sys
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from server.commands.licenses import create_license
from server.models import AuditEvent, License
from server.schemas.license_key import license_key_problem


def _args(**overrides) -> argparse.Namespace:
    values = {"tier": "pro", "seats": None, "daily_limit": None, "expires": None}
    values.update(overrides)
    return argparse.Namespace(**values)


async def _license(app, key) -> License:
    async with app.state.runtime.sessionmaker() as db:
        return await db.scalar(select(License).where(License.key == key))


async def test_the_real_command_prints_only_a_valid_unbound_key(app, settings, tmp_path):
    def run():
        return subprocess.run(
            [sys.executable, "-m", "console.cli", "server", "create-license", "--tier", "team", "--seats", "12",
             "--database-url", settings.database_url, "--data-dir", str(settings.data_dir)],
            capture_output=True, text=True, timeout=60,
        )

    import asyncio

    done = await asyncio.to_thread(run)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("CODITECT-TEAM-") and license_key_problem(lines[0]) is None
    lic = await _license(app, lines[0])
    assert (lic.tier, lic.seats, lic.daily_limit, lic.tenant_id, lic.expires_at) == ("team", 12, 5000, None, None)


async def test_tier_defaults_daily_limit_and_expiry_through_the_given_day(app, settings, capsys):
    assert await create_license(settings, _args(daily_limit=250, expires="2027-03-31")) == 0
    key = capsys.readouterr().out.strip()
    lic = await _license(app, key)
    assert lic.seats == 5 and lic.daily_limit == 250
    assert lic.expires_at == datetime(2027, 4, 1, tzinfo=timezone.utc)
    async with app.state.runtime.sessionmaker() as db:
        event = await db.scalar(select(AuditEvent).where(AuditEvent.action == "license.created"))
    assert event.target == f"license:{lic.id}" and key not in str(event.detail)


@pytest.mark.parametrize("overrides, message", [
    ({"seats": 0}, "--seats must be between"),
    ({"daily_limit": -1}, "--daily-limit cannot be negative"),
    ({"expires": "31/12/2027"}, "is not a date like"),
    ({"expires": "2026-11-25"}, "is in the past"),  # the clock fixture says 2026-11-26
])
async def test_bad_options_are_one_sentence_and_exit_1(app, settings, capsys, overrides, message):
    assert await create_license(settings, _args(**overrides)) == 1
    out = capsys.readouterr()
    assert out.out == "" and message in out.err and "Traceback" not in out.err
    async with app.state.runtime.sessionmaker() as db:
        assert await db.scalar(select(License).where(License.tenant_id.is_(None))) is None


async def test_an_expiry_of_today_is_still_valid_today(app, settings, capsys):
    assert await create_license(settings, _args(expires="2026-11-26")) == 0
    lic = await _license(app, capsys.readouterr().out.strip())
    assert lic.expires_at == datetime(2026, 11, 27, tzinfo=timezone.utc)
