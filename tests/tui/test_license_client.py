"""The seat lease: heartbeat, offline grace verified against the cached JWKS, loss."""

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


async def test_three_failed_heartbeats_go_offline_until_the_lease_expires(seated, tui_config, clock):
    valid_until = seated.license.status().valid_until
    client, api = await offline_client(seated, tui_config, clock)
    try:
        client._status = seated.license.status()  # as in the running app
        assert (await client.heartbeat()).state == "online"
        assert (await client.heartbeat()).state == "online"
        offline = await client.heartbeat()
        assert offline.state == "offline" and offline.valid_until == valid_until
        # The expiry is shown once, on its own line ("Lease valid until"): not in these words.
        assert "offline" in offline.describe() and f"{valid_until:%Y-%m-%d}" not in offline.describe()
        assert client.heartbeat_interval_s == 3600  # retry hourly while offline
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
