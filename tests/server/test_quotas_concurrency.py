"""Concurrent command counting: exactly `limit` requests succeed, none is lost."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import update

from server.models import User
from server.services import quotas
from tests.server.principals import app_beside, make_principal
from tests.server.test_seats_concurrency import start_live

LIMIT, EXTRA = 25, 15


async def test_exactly_the_limit_succeeds_under_concurrency(live_server, database_url, tmp_path):
    server = await start_live(live_server, database_url)
    app = app_beside(tmp_path / "live", database_url)
    try:
        member = await make_principal(app, role="member", mfa=False)
        async with app.state.runtime.sessionmaker() as db:
            await db.execute(update(User).where(User.id == member["user_id"]).values(daily_limit=LIMIT))
            await db.commit()
        async with httpx.AsyncClient(base_url=server.url, limits=httpx.Limits(max_connections=LIMIT + EXTRA),
                                     timeout=60) as client:
            answers = await asyncio.gather(*[
                client.post("/api/v1/usage/commands", json={"count": 1}, headers=member["headers"])
                for _ in range(LIMIT + EXTRA)
            ])
        assert sorted(r.status_code for r in answers) == [200] * LIMIT + [429] * EXTRA
        assert sorted(r.json()["used"] for r in answers if r.status_code == 200) == list(range(1, LIMIT + 1))
        async with app.state.runtime.sessionmaker() as db:
            now = app.state.runtime.clock.now()
            assert await quotas.usage_today(db, member["user_id"], now) == LIMIT
    finally:
        await app.state.runtime.close()
