"""N+k simultaneous acquires for N free seats give exactly N, with several API processes
(PostgreSQL) or concurrent requests in one (SQLite)."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import func, select

from server.models import Seat
from tests.server.principals import app_beside, make_license, make_principal

SEATS, EXTRA = 10, 20


async def start_live(live_server, database_url):
    """Several uvicorn workers on PostgreSQL (3); one on SQLite, which refuses more (its
    requests still run concurrently in that process). The fixture runs its own event
    loop, hence the thread."""
    workers = 1 if database_url.startswith("sqlite") else 3
    return await asyncio.to_thread(live_server, workers=workers)


async def test_simultaneous_acquires_never_oversell(live_server, database_url, tmp_path):
    server = await start_live(live_server, database_url)
    app = app_beside(tmp_path / "live", database_url)
    try:
        owner = await make_principal(app)
        key = await make_license(app, "team", tenant_id=owner["tenant_id"], seats=SEATS)
        users = [owner] + [await make_principal(app, role="member", tenant_id=owner["tenant_id"], mfa=False)
                           for _ in range(SEATS + EXTRA - 1)]
        limits = httpx.Limits(max_connections=SEATS + EXTRA)
        async with httpx.AsyncClient(base_url=server.url, limits=limits, timeout=60) as client:
            answers = await asyncio.gather(*[
                client.post("/api/v1/licenses/acquire", headers=u["headers"],
                            json={"hardware_id": f"hw-{i}", "license_key": key})
                for i, u in enumerate(users)
            ])
        statuses = sorted(r.status_code for r in answers)
        assert statuses == [201] * SEATS + [409] * EXTRA, [r.text for r in answers if r.status_code not in (201, 409)]
        assert {r.json()["code"] for r in answers if r.status_code == 409} == {"no_seats_available"}
        async with app.state.runtime.sessionmaker() as db:
            assert await db.scalar(select(func.count()).select_from(Seat)) == SEATS
    finally:
        await app.state.runtime.close()


async def test_simultaneous_reacquires_on_one_machine_give_one_seat(live_server, database_url, tmp_path):
    server = await start_live(live_server, database_url)
    app = app_beside(tmp_path / "live", database_url)
    try:
        owner = await make_principal(app)
        key = await make_license(app, "team", tenant_id=owner["tenant_id"], seats=SEATS)
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
            answers = await asyncio.gather(*[
                client.post("/api/v1/licenses/acquire", headers=owner["headers"],
                            json={"hardware_id": "hw-same", "license_key": key})
                for _ in range(8)
            ])
        assert sorted(r.status_code for r in answers) == [200] * 7 + [201]
        assert len({r.json()["seat_id"] for r in answers}) == 1
    finally:
        await app.state.runtime.close()
