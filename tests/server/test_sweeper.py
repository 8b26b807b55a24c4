"""The served API's periodic sweep releases seats whose heartbeat stopped."""

from __future__ import annotations

import asyncio
import dataclasses

from sqlalchemy import select

from server.app import create_app
from server.models import AuditEvent, Seat
from tests.conftest import reset_database
from tests.server.principals import make_principal

ACQUIRE = "/api/v1/licenses/acquire"


async def _seat(app, seat_id) -> Seat:
    async with app.state.runtime.sessionmaker() as db:
        return await db.get(Seat, seat_id)


async def test_the_lifespan_sweep_reclaims_dead_seats(settings, clock):
    import httpx

    app = create_app(dataclasses.replace(settings, seat_sweep_interval_s=0.02))
    await reset_database(app.state.runtime)
    async with app.router.lifespan_context(app):
        owner = await make_principal(app)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            r = await client.post(ACQUIRE, headers=owner["headers"],
                                  json={"hardware_id": "hw-1", "device_name": "laptop", "kind": "desktop"})
            assert r.status_code == 201
        seat_id = r.json()["seat_id"]
        await asyncio.sleep(0.1)
        assert (await _seat(app, seat_id)).released_at is None  # heartbeat still young: kept
        clock.advance(settings.seat_ttl_s + 1)
        for _ in range(250):  # the loop runs every 20 ms; give it up to 5 s on a busy machine
            if (await _seat(app, seat_id)).released_at is not None:
                break
            await asyncio.sleep(0.02)
        seat = await _seat(app, seat_id)
        assert seat.released_at is not None and seat.released_reason == "expired"
        async with app.state.runtime.sessionmaker() as db:
            actions = (await db.scalars(select(AuditEvent.action).where(AuditEvent.target == f"seat:{seat_id}"))).all()
        assert actions.count("seat.reclaimed") == 1
