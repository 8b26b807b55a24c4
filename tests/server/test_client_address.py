"""The client address (per-address limits, audit, sessions) is the connecting one unless
the operator names the reverse proxies to believe (--forwarded-allow-ips)."""

from __future__ import annotations

import asyncio

import httpx

from tests.server.flows import API, bearer, register_and_verify

SPOOFED = {"X-Forwarded-For": "198.51.100.77"}


async def session_addresses(server, outbox) -> list[str | None]:
    async with httpx.AsyncClient(base_url=server.url, timeout=30, headers=SPOOFED) as client:
        account = await register_and_verify(client, outbox)
        r = await client.get(f"{API}/sessions", headers=bearer(account["access_token"]))
        return [s["client_addr"] for s in r.json()]


def test_forwarded_headers_are_ignored_by_default(live_server, tmp_path):
    server = live_server()
    assert asyncio.run(session_addresses(server, tmp_path / "live" / "outbox")) == ["127.0.0.1"]


def test_forwarded_headers_are_believed_from_named_proxies(live_server, tmp_path):
    server = live_server(args=("--forwarded-allow-ips", "127.0.0.1"))
    assert asyncio.run(session_addresses(server, tmp_path / "live" / "outbox")) == ["198.51.100.77"]
