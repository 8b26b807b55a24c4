"""licenses.open_seats, the count acquire checks the seat limit against, stays exactly the
number of unreleased seats: under concurrent acquires, releases, reclaims and revocations,
for rows written by any code, and on a database made before the column existed."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, inspect, select, text

from server.db import create_schema
from server.models import License, Seat
from server.services.seats import reclaim_expired_seats
from tests.server.principals import make_license, make_principal

ACQUIRE, HEARTBEAT, RELEASE = "/api/v1/licenses/acquire", "/api/v1/licenses/heartbeat", "/api/v1/licenses/release"


async def counts(app, key: str) -> tuple[int, int, int]:
    """-> (open_seats, unreleased seats counted by hand, the license's seat limit)."""
    async with app.state.runtime.sessionmaker() as db:
        lic = await db.scalar(select(License).where(License.key == key))
        counted = await db.scalar(select(func.count()).select_from(Seat)
                                  .where(Seat.license_id == lic.id, Seat.released_at.is_(None)))
        return lic.open_seats, counted, lic.seats


async def test_open_seats_stays_exact_under_concurrent_acquire_release_and_reclaim(app, client, clock, settings):
    owner = await make_principal(app)
    key = await make_license(app, "team", tenant_id=owner["tenant_id"], seats=6)
    users = [await make_principal(app, role="member", tenant_id=owner["tenant_id"], mfa=False) for _ in range(12)]
    # Four seats whose heartbeat will be past the TTL: the next acquires reclaim them.
    for i, u in enumerate(users[:4]):
        r = await client.post(ACQUIRE, headers=u["headers"], json={"hardware_id": f"old-{i}", "license_key": key})
        assert r.status_code == 201
    clock.advance(settings.seat_ttl_s + 1)
    kept = await client.post(ACQUIRE, headers=users[4]["headers"], json={"hardware_id": "kept", "license_key": key})
    assert kept.status_code == 201

    async def release_after_acquire(u, i):
        r = await client.post(ACQUIRE, headers=u["headers"], json={"hardware_id": f"new-{i}", "license_key": key})
        if r.status_code == 201 and i % 2:
            await client.request("DELETE", RELEASE, headers=u["headers"], json={"seat_id": r.json()["seat_id"]})
        return r.status_code

    statuses = await asyncio.gather(*(release_after_acquire(u, i) for i, u in enumerate(users)),
                                    client.put(HEARTBEAT, headers=users[4]["headers"],
                                               json={"seat_id": kept.json()["seat_id"]}))
    assert set(statuses[:-1]) <= {201, 409} and 409 in statuses[:-1] and statuses[-1].status_code == 200
    open_seats, counted, limit = await counts(app, key)
    assert open_seats == counted <= limit
    # The four dead seats were reclaimed, not counted.
    async with app.state.runtime.sessionmaker() as db:
        assert await db.scalar(select(func.count()).select_from(Seat).where(Seat.released_reason == "expired")) == 4


async def test_open_seats_follows_the_sweep_revocation_and_direct_writes(app, client, clock, settings):
    owner = await make_principal(app)
    key = await make_license(app, "team", tenant_id=owner["tenant_id"], seats=10)
    for i in range(3):
        assert (await client.post(ACQUIRE, headers=owner["headers"],
                                  json={"hardware_id": f"hw-{i}", "license_key": key})).status_code == 201
    assert (await counts(app, key))[:2] == (3, 3)
    # Rows written straight into the table (an admin's SQL, the demo seeder) count too.
    async with app.state.runtime.sessionmaker() as db:
        lic = await db.scalar(select(License).where(License.key == key))
        db.add(Seat(license_id=lic.id, tenant_id=lic.tenant_id, user_id=owner["user_id"], hardware_id="direct",
                    kind="desktop", started_at=clock.now(), last_heartbeat_at=clock.now()))
        await db.commit()
    assert (await counts(app, key))[:2] == (4, 4)
    clock.advance(settings.seat_ttl_s + 1)
    async with app.state.runtime.sessionmaker() as db:
        assert await reclaim_expired_seats(db, clock, settings.seat_ttl_s) == 4
        await db.commit()
    assert (await counts(app, key))[:2] == (0, 0)
    assert (await client.post(ACQUIRE, headers=owner["headers"],
                              json={"hardware_id": "again", "license_key": key})).status_code == 201
    assert (await client.post("/api/v1/auth/logout", headers=owner["headers"])).status_code == 204
    assert (await counts(app, key))[:2] == (0, 0)
    async with app.state.runtime.sessionmaker() as db:
        await db.execute(text("DELETE FROM seats"))
        await db.commit()
    assert (await counts(app, key))[:2] == (0, 0)


async def test_a_database_made_before_the_counter_gets_it_counted_on_start(app, client, clock):
    owner = await make_principal(app)
    key = await make_license(app, "team", tenant_id=owner["tenant_id"], seats=10)
    for i in range(2):
        assert (await client.post(ACQUIRE, headers=owner["headers"],
                                  json={"hardware_id": f"hw-{i}", "license_key": key})).status_code == 201
    engine = app.state.runtime.engine
    # Back to the old schema: no triggers, no column.
    async with engine.begin() as conn:
        for name in ("insert", "update", "delete"):
            on = " ON seats" if engine.dialect.name == "postgresql" else ""
            await conn.execute(text(f"DROP TRIGGER seats_open_count_{name}{on}"))
        await conn.execute(text("ALTER TABLE licenses DROP COLUMN open_seats"))
        columns = await conn.run_sync(lambda c: {col["name"] for col in inspect(c).get_columns("licenses")})
        assert "open_seats" not in columns
    await create_schema(engine)
    await create_schema(engine)  # and again: idempotent
    assert (await counts(app, key))[:2] == (2, 2)
    assert (await client.post(ACQUIRE, headers=owner["headers"],
                              json={"hardware_id": "hw-3", "license_key": key})).status_code == 201
    assert (await counts(app, key))[:2] == (3, 3)
