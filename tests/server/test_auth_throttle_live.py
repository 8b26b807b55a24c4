"""The per-account limit holds under simultaneous attempts, across uvicorn worker processes.

Each attempt is counted before its password is checked, under a lock per key, so a burst
cannot slip past the limit while the first answers are still being computed.
"""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
import pytest

from server.services.throttle import ACCOUNT_LIMIT
from tests.server.flows import API, DEFAULT_PASSWORD, register_and_verify

WRONG = "certainly not the password"
BURST = 40


@pytest.fixture
def server(live_server, database_url):
    # Sync fixture: the factory runs asyncio.run itself.
    return live_server(workers=1 if database_url.startswith("sqlite") else 3)  # SQLite: one worker only


def attempt(client, email, password=WRONG):
    return client.post(f"{API}/login", json={"email": email, "password": password})


async def test_simultaneous_wrong_passwords_get_at_most_the_limit(server, tmp_path):
    limits = httpx.Limits(max_connections=BURST)
    async with httpx.AsyncClient(base_url=server.url, timeout=60, limits=limits) as client:
        account = await register_and_verify(client, tmp_path / "live" / "outbox", sign_in=False)
        answers = await asyncio.gather(*[attempt(client, account["email"]) for _ in range(BURST)])
        statuses = Counter(r.status_code for r in answers)
        assert statuses == {401: ACCOUNT_LIMIT, 429: BURST - ACCOUNT_LIMIT}, statuses
        assert all(r.json()["code"] == "rate_limited" for r in answers if r.status_code == 429)
        r = await attempt(client, account["email"], DEFAULT_PASSWORD)
        assert r.status_code == 429 and "access_token" not in r.text


async def test_a_right_password_inside_a_burst_gets_no_tokens_once_the_limit_is_reached(server, tmp_path):
    right_every = 8
    limits = httpx.Limits(max_connections=BURST)
    async with httpx.AsyncClient(base_url=server.url, timeout=60, limits=limits) as client:
        account = await register_and_verify(client, tmp_path / "live" / "outbox", sign_in=False)
        passwords = [DEFAULT_PASSWORD if i % right_every == 0 else WRONG for i in range(BURST)]
        answers = await asyncio.gather(*[attempt(client, account["email"], p) for p in passwords])
        wrong = Counter(r.status_code for p, r in zip(passwords, answers) if p == WRONG)
        right = Counter(r.status_code for p, r in zip(passwords, answers) if p != WRONG)
        # Only attempts counted within the limit looked at a password: a right one among them
        # signs in (and gives its place back); all others are refused without tokens.
        assert set(wrong) <= {401, 429} and set(right) <= {200, 429}, (wrong, right)
        assert wrong[401] <= ACCOUNT_LIMIT, wrong
        assert all("access_token" not in r.text for r in answers if r.status_code != 200)
        # The burst's failures are all on the ledger: exactly the rest of the limit is left.
        more = 0
        while (await attempt(client, account["email"])).status_code == 401:
            more += 1
        assert wrong[401] + more == ACCOUNT_LIMIT
        r = await attempt(client, account["email"], DEFAULT_PASSWORD)
        assert r.status_code == 429 and "access_token" not in r.text
