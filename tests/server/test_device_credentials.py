"""Lockout by a stranger: a console that signed in before keeps a device credential, and
failures made elsewhere do not lock it out (OWASP device cookies); unknown devices keep
the usual limits; a device credential's own failures count against it only."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from server.models import DeviceCredential
from server.security import token_hash
from tests.conftest import client_for
from tests.server.flows import API, DEFAULT_PASSWORD, enroll_mfa, login, register_and_verify, totp_code
from tests.server.test_auth_throttle import WRONG, attempt


async def stranger_locks(client, email: str) -> None:
    for _ in range(10):
        assert (await attempt(client, email)).status_code == 401
    assert (await attempt(client, email, DEFAULT_PASSWORD)).status_code == 429


def elsewhere(app) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=("198.51.100.66", 5000))
    return httpx.AsyncClient(transport=transport, base_url="http://elsewhere")


async def test_a_sign_in_hands_out_a_device_credential_stored_hashed(app, client, settings):
    account = await register_and_verify(client, settings, sign_in=False)
    device = (await login(client, account["email"]))["device_token"]
    assert len(device) >= 32
    async with app.state.runtime.sessionmaker() as db:
        [row] = (await db.execute(select(DeviceCredential))).scalars().all()
    assert row.token_hash == token_hash(device) and device not in row.token_hash
    # Signing in with it replaces it: the old one is no credential any more.
    renewed = (await login(client, account["email"], device_token=device))["device_token"]
    assert renewed != device
    async with app.state.runtime.sessionmaker() as db:
        assert (await db.execute(select(DeviceCredential.token_hash))).scalars().all() == [token_hash(renewed)]


async def test_a_stranger_locking_the_account_does_not_lock_a_known_device(app, client, settings):
    account = await register_and_verify(client, settings, sign_in=False)
    device = (await login(client, account["email"]))["device_token"]
    async with elsewhere(app) as stranger:
        await stranger_locks(stranger, account["email"])
        # The stranger stays locked out, even with the right password...
        assert (await attempt(stranger, account["email"], DEFAULT_PASSWORD)).status_code == 429
    # ...while the owner's console signs in, from the stranger's address as well.
    device = (await login(client, account["email"], device_token=device))["device_token"]
    async with elsewhere(app) as same_network:
        r = await same_network.post(f"{API}/login", json={"email": account["email"], "password": DEFAULT_PASSWORD,
                                                          "device_token": device})
        assert r.status_code == 200, r.text


async def test_unknown_invalid_and_other_accounts_credentials_keep_todays_limits(app, client, settings):
    account = await register_and_verify(client, settings, sign_in=False)
    other = await register_and_verify(client, settings, sign_in=False)
    others_device = (await login(client, other["email"]))["device_token"]
    await stranger_locks(client, account["email"])
    for token in (None, "x" * 43, others_device):
        r = await attempt(client, account["email"], DEFAULT_PASSWORD) if token is None else await client.post(
            f"{API}/login", json={"email": account["email"], "password": DEFAULT_PASSWORD, "device_token": token})
        assert r.status_code == 429, token


async def test_failures_with_a_device_credential_count_against_it_only(app, client, settings, clock):
    account = await register_and_verify(client, settings, sign_in=False)
    device = (await login(client, account["email"]))["device_token"]
    for _ in range(10):
        r = await client.post(f"{API}/login", json={"email": account["email"], "password": WRONG,
                                                    "device_token": device})
        assert r.status_code == 401
    # A stolen credential gets no more guesses than the device it came from...
    r = await client.post(f"{API}/login", json={"email": account["email"], "password": DEFAULT_PASSWORD,
                                                "device_token": device})
    assert r.status_code == 429
    # ...and its failures did not count against the account: other devices are not locked.
    assert (await attempt(client, account["email"], DEFAULT_PASSWORD)).status_code == 200


async def test_second_factor_failures_elsewhere_do_not_lock_a_known_device(app, client, settings, clock):
    account = await register_and_verify(client, settings)
    secret, _ = await enroll_mfa(client, account["access_token"], clock)
    first = await login(client, account["email"])
    r = await client.post(f"{API}/mfa/challenge", json={"mfa_token": first["mfa_token"],
                                                        "code": totp_code(secret, clock)})
    device = r.json()["device_token"]
    clock.advance(30)
    # Someone who knows the password burns the account's second-factor limit elsewhere.
    async with elsewhere(app) as stranger:
        for _ in range(2):
            token = (await login(stranger, account["email"]))["mfa_token"]
            for _ in range(5):
                await stranger.post(f"{API}/mfa/challenge", json={"mfa_token": token, "code": "000000"})
        assert (await attempt(stranger, account["email"], DEFAULT_PASSWORD)).status_code == 429
    first = await login(client, account["email"], device_token=device)
    r = await client.post(f"{API}/mfa/challenge", json={"mfa_token": first["mfa_token"], "device_token": device,
                                                        "code": totp_code(secret, clock)})
    assert r.status_code == 200 and r.json()["device_token"] not in (None, device)


async def test_a_refresh_hands_out_no_device_credential(client, settings):
    account = await register_and_verify(client, settings)
    r = await client.post(f"{API}/refresh", json={"refresh_token": account["refresh_token"]})
    assert r.status_code == 200 and "device_token" not in r.json()


async def test_an_account_keeps_its_newest_twenty_devices(app, client, settings, clock):
    account = await register_and_verify(client, settings, sign_in=False)
    first = (await login(client, account["email"]))["device_token"]
    for _ in range(20):
        clock.advance(1)
        await login(client, account["email"])
    async with app.state.runtime.sessionmaker() as db:
        hashes = (await db.execute(select(DeviceCredential.token_hash))).scalars().all()
    assert len(hashes) == 20 and token_hash(first) not in hashes


async def test_a_device_unused_for_180_days_is_unknown_again(app, client, settings, clock):
    account = await register_and_verify(client, settings, sign_in=False)
    device = (await login(client, account["email"]))["device_token"]
    clock.advance(180 * 86400)
    await stranger_locks(client, account["email"])
    r = await client.post(f"{API}/login", json={"email": account["email"], "password": DEFAULT_PASSWORD,
                                                "device_token": device})
    assert r.status_code == 429
