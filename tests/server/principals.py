"""Signed-in users for API tests, made with the real code (rows + services.tokens.open_session).

`make_principal(app, role=..., tenant_id=...)` creates a verified user (and, unless a tenant is
given, a new tenant with its free license, as registration does; support users get a staff
tenant) and opens a real login session for it, so the tokens pass the real deps checks.
"""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher

from server.models import Tenant, User
from server.services.licenses import create_free_license
from server.services.tokens import open_session

# Nobody signs in with these users' passwords; a cheap hash keeps the column realistic.
_HASHER = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)


async def make_principal(
    app,
    *,
    role: str = "owner",
    tenant_id: str | None = None,
    email: str | None = None,
    mfa: bool = True,
    device_name: str = "test device",
) -> dict:
    """-> {user_id, tenant_id, access_token, session_id, headers}."""
    runtime = app.state.runtime
    await runtime.start()
    now = runtime.clock.now()
    async with runtime.sessionmaker() as db:
        if tenant_id is None:
            staff = role == "support"
            tenant = Tenant(name="CODITECT Staff" if staff else f"Org {secrets.token_hex(3)}",
                            created_at=now, is_staff=staff)
            db.add(tenant)
            await db.flush()
            tenant_id = tenant.id
            if not staff:
                await create_free_license(db, runtime.clock, tenant_id)
        user = User(
            tenant_id=tenant_id,
            email=email or f"{role}-{secrets.token_hex(4)}@example.com",
            full_name=f"Test {role.title()}",
            password_hash=_HASHER.hash(secrets.token_urlsafe(16)),
            role=role,
            created_at=now,
            email_verified_at=now,
        )
        db.add(user)
        await db.flush()
        tokens = await open_session(
            db, runtime, user, amr=["pwd", "otp"] if mfa else ["pwd"], device_name=device_name,
            client_addr="203.0.113.7",
        )
        await db.commit()
    return {
        "user_id": user.id,
        "tenant_id": tenant_id,
        "access_token": tokens.access_token,
        "session_id": tokens.session_id,
        "headers": {"Authorization": f"Bearer {tokens.access_token}"},
    }


async def make_license(app, tier: str = "pro", *, tenant_id: str | None = None, **fields) -> str:
    """Create a license with the real service (unbound unless tenant_id) and return its key."""
    from server.services.licenses import create_license

    runtime = app.state.runtime
    await runtime.start()
    async with runtime.sessionmaker() as db:
        lic = await create_license(db, runtime.clock, tier, tenant_id=tenant_id, **fields)
        await db.commit()
        return lic.key


async def take_seat(client, who: dict, key: str, hardware_id: str = "hw-1"):
    """POST /licenses/acquire on `key` for this machine -> the response (any status)."""
    return await client.post("/api/v1/licenses/acquire", headers=who["headers"],
                             json={"hardware_id": hardware_id, "license_key": key})


async def license_with_dead_seats(app, client, clock, settings, *, seats: int, dead: int, asking: int):
    """An owner's license of `seats` seats, `dead` of them held by machines whose heartbeat
    is now older than the seat TTL (still open), and `asking` members who want one.
    -> (owner, key, members)."""
    owner = await make_principal(app)
    key = await make_license(app, "team", tenant_id=owner["tenant_id"], seats=seats)
    members = [await make_principal(app, role="member", tenant_id=owner["tenant_id"], mfa=False)
               for _ in range(asking)]
    for i in range(dead):
        assert (await take_seat(client, owner, key, f"old-{i}")).status_code == 201
    clock.advance(settings.seat_ttl_s + 1)
    return owner, key, members


def app_beside(live_server_data_dir, database_url):
    """An app object over a live server's database and keys (real clock), to make principals
    and licenses for tests that talk to that server over HTTP."""
    from server.app import create_app
    from server.config import Settings

    return create_app(Settings(data_dir=live_server_data_dir, database_url=database_url,
                               argon2_time_cost=1, argon2_memory_kib=8192))
