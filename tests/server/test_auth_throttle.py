"""Throttling in the database: 10 failures per account and 50 per address in 15 minutes."""

from __future__ import annotations

import httpx

from server.app import create_app
from tests.server.flows import API, DEFAULT_PASSWORD, login, mfa_owner, register_and_verify, totp_code

WRONG = "certainly not the password"


async def attempt(client, email, password=WRONG):
    return await client.post(f"{API}/login", json={"email": email, "password": password})


async def test_ten_failures_lock_the_account_even_for_the_right_password(client, clock, settings):
    account = await register_and_verify(client, settings, sign_in=False)
    for _ in range(10):
        assert (await attempt(client, account["email"])).status_code == 401
        clock.advance(6)
    r = await attempt(client, account["email"], DEFAULT_PASSWORD)
    assert r.status_code == 429 and r.json()["code"] == "rate_limited"
    # The oldest failure leaves the 15-minute window 900 - 60 seconds from now.
    assert r.json()["retry_after"] == 840 and r.headers["Retry-After"] == "840"
    clock.advance(839)
    assert (await attempt(client, account["email"], DEFAULT_PASSWORD)).status_code == 429
    clock.advance(1)
    assert (await attempt(client, account["email"], DEFAULT_PASSWORD)).status_code == 200


async def test_a_burst_still_being_checked_says_retry_in_seconds_not_minutes(client, clock, settings):
    """Attempts younger than throttle.IN_FLIGHT may still be in flight (and given back if
    right): Retry-After is a few seconds; once they are settled failures, the window's."""
    account = await register_and_verify(client, settings, sign_in=False)
    for _ in range(10):
        assert (await attempt(client, account["email"])).status_code == 401
    r = await attempt(client, account["email"], DEFAULT_PASSWORD)
    assert r.status_code == 429 and r.json()["retry_after"] == 5
    clock.advance(5)
    r = await attempt(client, account["email"], DEFAULT_PASSWORD)
    assert r.status_code == 429 and r.json()["retry_after"] == 895


async def test_nine_failures_do_not_lock(client, settings):
    account = await register_and_verify(client, settings, sign_in=False)
    for _ in range(9):
        await attempt(client, account["email"])
    assert (await attempt(client, account["email"], DEFAULT_PASSWORD)).status_code == 200


async def test_unknown_accounts_are_throttled_alike(client):
    for _ in range(10):
        assert (await attempt(client, "nobody@example.com")).status_code == 401
    assert (await attempt(client, "nobody@example.com")).status_code == 429


async def test_successful_logins_are_not_counted(client, settings):
    account = await register_and_verify(client, settings, sign_in=False)
    for _ in range(12):
        await login(client, account["email"])


async def test_the_lock_is_in_the_database_so_every_api_process_sees_it(client, settings):
    account = await register_and_verify(client, settings, sign_in=False)
    for _ in range(10):
        await attempt(client, account["email"])
    other_process = create_app(settings)
    transport = httpx.ASGITransport(app=other_process, client=("198.51.100.9", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://other") as other:
        r = await attempt(other, account["email"], DEFAULT_PASSWORD)
    await other_process.state.runtime.close()
    assert r.status_code == 429


async def test_fifty_failures_from_one_address_block_it_across_accounts(app, client, settings):
    account = await register_and_verify(client, settings, sign_in=False)
    for i in range(50):
        assert (await attempt(client, f"guess{i}@example.com")).status_code == 401
    assert (await attempt(client, account["email"], DEFAULT_PASSWORD)).status_code == 429
    transport = httpx.ASGITransport(app=app, client=("198.51.100.9", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://other") as elsewhere:
        assert (await attempt(elsewhere, account["email"], DEFAULT_PASSWORD)).status_code == 200


async def test_failed_mfa_codes_count_towards_the_account_limit(client, clock, settings):
    owner = await mfa_owner(client, settings, clock)
    tokens = [(await login(client, owner["email"]))["mfa_token"] for _ in range(3)]
    right = totp_code(owner["secret"], clock)
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    for mfa_token in tokens[:2]:
        for _ in range(5):
            r = await client.post(f"{API}/mfa/challenge", json={"mfa_token": mfa_token, "code": wrong})
            assert r.status_code == 401
    assert (await attempt(client, owner["email"], DEFAULT_PASSWORD)).status_code == 429
    # A second step that was already under way is held back too.
    r = await client.post(f"{API}/mfa/challenge", json={"mfa_token": tokens[2], "code": right})
    assert r.status_code == 429


async def test_wrong_email_codes_count_towards_the_address_limit(client):
    for i in range(50):
        r = await client.post(f"{API}/verify-email", json={"email": f"nobody{i}@example.com", "code": "000000",
                                                                "registration": "r" * 32})
        assert r.status_code == 400
    r = await client.post(f"{API}/verify-email", json={"email": "somebody@example.com", "code": "000000",
                                                       "registration": "r" * 32})
    assert r.status_code == 429
