"""`coditect-console server create-user`: staff support accounts from the command line."""

from __future__ import annotations

import subprocess
import sys

from sqlalchemy import select

from server.models import Tenant, User
from tests.server.flows import (
    API, DEFAULT_PASSWORD, bearer, enroll_mfa, login, login_with_mfa, register_and_verify,
)


def create_user(settings, *args: str, password: str = DEFAULT_PASSWORD) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "console.cli", "server", "create-user", "--database-url", settings.database_url,
         "--data-dir", str(settings.data_dir), *args, "--password-stdin"],
        input=password + "\n", capture_output=True, text=True, timeout=60,
    )


async def test_support_user_lands_in_the_staff_tenant_verified_and_must_enroll_totp(app, client, clock, settings):
    done = create_user(settings, "--email", "Help@Coditect.ai", "--role", "support", "--full-name", "Help Desk")
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("\n") == 1 and "help@coditect.ai" in done.stdout and DEFAULT_PASSWORD not in done.stdout
    second = create_user(settings, "--email", "second@coditect.ai", "--role", "support")
    assert second.returncode == 0, second.stderr
    async with app.state.runtime.sessionmaker() as db:
        staff = (await db.execute(select(Tenant).where(Tenant.is_staff.is_(True)))).scalars().all()
        users = (await db.execute(select(User).order_by(User.email))).scalars().all()
    assert [t.name for t in staff] == ["CODITECT Support"]
    assert {(u.email, u.role, u.tenant_id) for u in users} == {
        ("help@coditect.ai", "support", staff[0].id), ("second@coditect.ai", "support", staff[0].id)}
    # Signs in straight away (pre-verified), without MFA yet: the session is not an MFA one.
    tokens = await login(client, "help@coditect.ai")
    me = (await client.get(f"{API}/me", headers=bearer(tokens["access_token"]))).json()
    assert me["role"] == "support" and me["email_verified"] and not me["mfa_enrolled"] and me["amr"] == ["pwd"]
    secret, _codes = await enroll_mfa(client, tokens["access_token"], clock)
    mfa = await login_with_mfa(client, "help@coditect.ai", DEFAULT_PASSWORD, secret, clock)
    assert (await client.get(f"{API}/me", headers=bearer(mfa["access_token"]))).json()["amr"] == ["pwd", "otp"]


async def test_errors_are_one_clear_line_and_exit_code_1(app, settings):
    assert create_user(settings, "--email", "help@coditect.ai").returncode == 0
    cases = [
        (("--email", "help@coditect.ai"), DEFAULT_PASSWORD, "exists"),
        (("--email", "new@coditect.ai"), "password1234", "too common"),
        (("--email", "new@coditect.ai"), "short", "at least 12"),
        (("--email", "not-an-email"), DEFAULT_PASSWORD, "not a valid e-mail"),
        (("--email", "m@example.com", "--role", "member"), DEFAULT_PASSWORD, "--tenant"),
        (("--email", "m@example.com", "--role", "member", "--tenant", "nope"), DEFAULT_PASSWORD, "no tenant"),
        (("--email", "rlo@coditect.ai", "--full-name", "Help\u202eDesk"), DEFAULT_PASSWORD, "direction-changing"),
    ]
    for args, password, words in cases:
        done = create_user(settings, *args, password=password)
        assert done.returncode == 1, args
        assert words in done.stderr and "Traceback" not in done.stderr, done.stderr
        assert done.stderr.count("\n") == 1 and password not in done.stderr


async def test_a_tenant_member_can_be_created_in_an_existing_tenant(app, client, settings):
    owner = await register_and_verify(client, settings, sign_in=False)
    done = create_user(settings, "--email", "member@example.com", "--role", "member", "--tenant", owner["tenant_id"])
    assert done.returncode == 0, done.stderr
    tokens = await login(client, "member@example.com")
    me = (await client.get(f"{API}/me", headers=bearer(tokens["access_token"]))).json()
    assert me["tenant_id"] == owner["tenant_id"] and me["role"] == "member"
