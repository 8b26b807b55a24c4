"""The identity flow against the real server: uvicorn with two worker processes."""

from __future__ import annotations

import httpx
import pytest

from tests.server.flows import API, bearer, login, register_and_verify


@pytest.fixture
def server(live_server, database_url):
    # A sync fixture: the factory resets the database with asyncio.run, outside the test's loop.
    # SQLite serves one worker only (the server refuses more).
    return live_server(workers=1 if database_url.startswith("sqlite") else 2)


async def test_revocation_holds_in_every_worker_process(server, tmp_path):
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        account = await register_and_verify(client, tmp_path / "live" / "outbox")
        other = await login(client, account["email"])
        assert (await client.post(f"{API}/logout", headers=bearer(account["access_token"]))).status_code == 204
        # Each request may land on either worker: none may still accept the revoked session.
        for _ in range(10):
            assert (await client.get(f"{API}/me", headers=bearer(account["access_token"]))).status_code == 401
            assert (await client.get(f"{API}/me", headers=bearer(other["access_token"]))).status_code == 200
