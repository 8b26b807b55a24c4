"""A database made by the previous version (no registration handle column, a 200-character
audit target, a unique e-mail constraint) is brought up to date when the server starts."""

from __future__ import annotations

from sqlalchemy import text

from server.runtime import Runtime
from tests.conftest import reset_database, serving
from tests.server.flows import API, LONGEST_EMAIL, register, register_and_verify


async def test_an_old_database_is_upgraded_at_start(settings):
    runtime = Runtime(settings)
    await reset_database(runtime)
    async with runtime.engine.begin() as conn:
        if runtime.engine.dialect.name == "postgresql":
            await conn.execute(text("ALTER TABLE audit_events ALTER COLUMN target TYPE VARCHAR(200)"))
            await conn.execute(text("ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email)"))
        await conn.execute(text("DROP INDEX IF EXISTS uq_users_email_verified"))
        await conn.execute(text("ALTER TABLE users DROP COLUMN registration_handle_hash"))
    await runtime.close()
    async with serving(settings) as (_app, client):
        account = await register_and_verify(client, settings, email=LONGEST_EMAIL)
        r = await client.post(f"{API}/mfa/challenge", json={"mfa_token": "x" * 32, "code": "000000"})
        assert r.status_code == 401
        assert (await register(client, "twice@example.com")).status_code == 201
        if settings.database_url.startswith("postgresql"):  # the old unique constraint is gone
            assert (await register(client, "twice@example.com")).status_code == 201
        assert account["access_token"]
