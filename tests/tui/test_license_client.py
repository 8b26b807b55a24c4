"""The seat lease: heartbeat, offline grace verified against the pinned keys, loss."""

from datetime import timedelta

import pytest

from tests.conftest import free_port
from tests.tui.test_session_flow import onboard
from tui.api import ApiClient
from tui.license_client import LicenseClient


@pytest.fixture
async def seated(session, tui_config, clock):
    await onboard(session, tui_config, clock)
    await session.seat.acquire()
    return session


async def offline_client(session, tui_config, clock, *, skew_s: float = 0):
    """The same machine and cached lease, but the server cannot be reached."""
    api = ApiClient(f"http://127.0.0.1:{free_port()}")
    api.tokens = session.api.tokens
    client = LicenseClient(api, tui_config, clock=lambda: clock.now().timestamp() + skew_s)
    client.owner = session.license.owner
    return client, api


async def test_heartbeat_renews_the_lease(seated, clock):
    first = seated.license.status()
    clock.advance(300)
    renewed = await seated.seat.heartbeat()
    assert renewed.state == "online" and renewed.valid_until == first.valid_until + timedelta(seconds=300)
    assert seated.license.heartbeat_interval_s == 300


async def test_the_first_failed_heartbeat_goes_offline_with_backoff_until_the_lease_expires(seated, tui_config, clock):
    valid_until = seated.license.status().valid_until
    client, api = await offline_client(seated, tui_config, clock)
    try:
        client._status = seated.license.status()  # as in the running app
        offline = await client.heartbeat()
        assert offline.state == "offline" and offline.valid_until == valid_until
        # The expiry is shown once, on its own line ("Lease valid until"): not in these words.
        assert "offline" in offline.describe() and f"{valid_until:%Y-%m-%d}" not in offline.describe()
        # Retried with backoff while offline: 10 s, 20 s, 40 s… up to 5 minutes.
        assert client.heartbeat_interval_s == 10
        assert (await client.heartbeat()).state == "offline" and client.heartbeat_interval_s == 20
        for _ in range(8):
            await client.heartbeat()
        assert client.heartbeat_interval_s == 300
        clock.advance(timedelta(days=7).total_seconds())
        lost = await client.heartbeat()
        assert lost.state == "lost" and "expired" in lost.reason and not client.path.exists()
    finally:
        await api.aclose()


async def test_a_clock_turned_back_is_refused_offline(seated, tui_config, clock):
    client, api = await offline_client(seated, tui_config, clock, skew_s=-3600)
    try:
        status = client.check_offline()
        assert status.state == "lost" and "clock" in status.reason
    finally:
        await api.aclose()


async def test_a_lease_from_another_machine_is_refused(seated, tui_config, clock):
    client, api = await offline_client(seated, tui_config, clock)
    try:
        client.hardware_id = "f" * 64
        status = client.check_offline()
        assert status.state == "lost" and "another machine" in status.reason
    finally:
        await api.aclose()


async def test_a_start_without_the_server_goes_offline_at_once(seated, tui_config, clock):
    client, api = await offline_client(seated, tui_config, clock)
    try:
        status = await client.restore()
        assert status.state == "offline" and status.valid_until == seated.license.status().valid_until
    finally:
        await api.aclose()


async def test_release_gives_the_seat_back(seated):
    await seated.license.release()
    assert seated.license.status().state == "none" and not seated.license.path.exists()
    listing = await seated.licenses()
    assert listing.licenses[0].seats_used == 0


# -- a lease the user cannot forge: keys pinned apart from lease.json, time only forward ----------

def _write_lease_file(client, token: str, jwks: dict) -> None:
    """What someone editing lease.json by hand would write (keys included)."""
    import json

    from tui.config import write_private_file

    write_private_file(client.path, json.dumps({"owner": client.owner, "seat_id": "forged-seat",
                                                "lease_token": token, "jwks": jwks}))


async def test_a_forged_lease_with_its_own_key_list_is_refused(seated, tui_config, clock):
    from server.keys import SigningKey

    forger = SigningKey.generate()
    forged = forger.sign({
        "seat_id": "forged-seat", "license_key": "CODITECT-ENTERPRISE-XXXX-XXXX-XXXX-XXXX", "tier": "enterprise",
        "tid": "t", "sub": "u", "hardware_id": seated.license.hardware_id,
        "iat": int(clock.now().timestamp()), "exp": 4070908800,  # 2099-01-01
    }, typ="lease")
    _write_lease_file(seated.license, forged, forger.jwks())
    client, api = await offline_client(seated, tui_config, clock)
    try:
        status = client.check_offline()
        assert status.state == "lost" and "never given to trust" in status.reason
        assert status.tier is None and not client.path.exists()
    finally:
        await api.aclose()


async def test_a_genuine_lease_ignores_keys_written_into_the_lease_file(seated, tui_config, clock):
    """A key list in lease.json counts for nothing, either way."""
    import json

    from server.keys import SigningKey

    data = json.loads(seated.license.path.read_text())
    _write_lease_file(seated.license, data["lease_token"], SigningKey.generate().jwks())
    client, api = await offline_client(seated, tui_config, clock)
    try:
        assert client.check_offline().state == "offline"
    finally:
        await api.aclose()


async def test_a_tampered_pinned_key_record_is_no_trust(seated, tui_config, clock, memory_keyring):
    from tui.lease_keys import keys_entry

    memory_keyring.entries[("coditect-console", keys_entry(tui_config.scope))] = '{"version": 1, "jwks": 7}'
    client, api = await offline_client(seated, tui_config, clock)
    try:
        status = client.check_offline()
        assert status.state == "lost" and "not yet learnt" in status.reason
    finally:
        await api.aclose()


async def test_the_keys_are_pinned_in_the_keyring_apart_from_the_lease(seated, tui_config, memory_keyring):
    import json

    from tui.lease_keys import keys_entry

    pinned = json.loads(memory_keyring.entries[("coditect-console", keys_entry(tui_config.scope))])
    served = (await seated.api.jwks()).model_dump(mode="json")
    assert pinned["jwks"]["keys"][0]["kid"] == served["keys"][0]["kid"]
    assert "jwks" not in json.loads(seated.license.path.read_text())


async def test_a_clock_set_back_after_the_console_saw_a_later_time_is_refused(seated, tui_config, clock):
    """The lease (issued now, 7 days) would still look valid at day 1; but this console
    has already seen day 6."""
    later, api = await offline_client(seated, tui_config, clock, skew_s=6 * 86400)
    try:
        assert later.check_offline().state == "offline"
        later.keys.save()
    finally:
        await api.aclose()
    back, api = await offline_client(seated, tui_config, clock, skew_s=86400)
    try:
        status = back.check_offline()
        assert status.state == "lost" and "clock" in status.reason
    finally:
        await api.aclose()


def _rotate_server_key(session, *, vouched: bool):
    """The embedded server's signing key replaced, as `server rotate-signing-key` and a
    restart do (vouched), or swapped for a key nobody vouches for."""
    from server.keys import SigningKey, retired_signing_keys, rotate_signing_key

    runtime = session.transport.app.state.runtime
    if vouched:
        runtime.signing_key = rotate_signing_key(runtime.settings.keys_dir)
        runtime.retired_signing_keys = retired_signing_keys(runtime.settings.keys_dir)
    else:
        runtime.signing_key = SigningKey.generate()
    return runtime.signing_key


async def test_a_key_rotation_the_pinned_key_vouches_for_is_followed(seated, clock):
    new = _rotate_server_key(seated, vouched=True)
    await seated.api.refresh()  # the old access token was signed with the old key
    clock.advance(300)
    status = await seated.seat.heartbeat()
    assert status.state == "online"
    assert seated.license.keys.trust.jwks == new.jwks()
    assert seated.license.check_offline().state == "offline"  # the new lease verifies offline


async def test_a_new_key_nobody_vouches_for_is_not_trusted(seated, clock):
    pinned = seated.license.keys.trust.jwks
    _rotate_server_key(seated, vouched=False)
    await seated.api.refresh()
    status = await seated.seat.heartbeat()
    assert status.state == "lost" and "never given to trust" in status.reason
    assert seated.license.keys.trust.jwks == pinned


async def test_the_keys_are_pinned_at_the_first_sign_in(session, tui_config, clock, memory_keyring):
    from tui.lease_keys import keys_entry

    entry = ("coditect-console", keys_entry(tui_config.scope))
    assert entry not in memory_keyring.entries
    await onboard(session, tui_config, clock)  # registering signs in: no seat yet
    assert entry in memory_keyring.entries and not session.license.path.exists()
