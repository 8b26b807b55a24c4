"""Working without the server: a served API (uvicorn on 127.0.0.1) stops while the app is on
Home and starts again (same port, same database), and the app recovers without a restart; a
start with the server down and a valid lease opens Home offline, from the cached copy."""

from __future__ import annotations

import pyotp
import pytest

from tests.screens.driving import press, screen_name, settle
from tests.server.flows import read_verification_mail, unique_email
from console.app import CoditectApp
from tui import home_view
from tui.config import AppConfig
from tui.session import AccountSession

PASSWORD = "tangerine-volcano-harbour-42"


@pytest.fixture
def served(live_server, tmp_path):
    """(server, config): a live API and a console configured to use it."""
    server = live_server()
    config = AppConfig(api_url=server.url, data_dir=tmp_path / "data", config_dir=tmp_path / "config")
    return server, config


async def onboarded(config: AppConfig, outbox) -> str:
    """A whole onboarding through the session, ending on Home (seat, install choice, cached
    copy); the session is closed after it, as when the app quits. -> the email."""
    session = AccountSession(config)
    await session.start()
    try:
        email = unique_email("offline")
        await session.sign_in.register(email, PASSWORD, "Ada Lovelace", "Analytical Engines")
        code, _ = read_verification_mail(outbox, to=email)
        await session.sign_in.verify(code)
        secret, _ = await session.mfa.enroll()
        await session.mfa.confirm_enroll(pyotp.TOTP(secret).now())
        session.mfa.acknowledge_recovery_codes()
        await session.seat.acquire()
        session.choose_install("later")
        await home_view.load(session)  # what Home does: keeps its non-secret copy
        return email
    finally:
        await session.close()


def lease_rows(app) -> dict[str, str]:
    return dict(app.screen.query_one("#lease").rows)


async def test_home_goes_offline_when_the_server_stops_and_recovers_when_it_is_back(served, tmp_path):
    server, config = served
    await onboarded(config, tmp_path / "live" / "outbox")
    app = CoditectApp(config)
    async with app.run_test() as pilot:
        await settle(pilot)
        assert screen_name(app) == "HomeScreen" and app.session.license.status().state == "online"

        server.stop()
        app.heartbeat()  # the timer's next beat
        await settle(pilot)
        status = app.session.license.status()
        assert status.state == "offline" and status.valid_until is not None  # at the first failure
        assert lease_rows(app)["Seat"] == "offline"
        assert app._heartbeat_every == 10  # tried again soon, with backoff
        await press(pilot, "r")
        assert "cannot be reached" in app.screen.status.message and screen_name(app) == "HomeScreen"

        server.restart()
        await press(pilot, "r")  # reconnects: heartbeat at once, then the rest of the page
        assert app.session.license.status().state == "online" and lease_rows(app)["Seat"] == "active"
        assert app.screen.status.message == "" and app.screen.query_one("#sessions").row_count == 1
        assert app._heartbeat_every == 300  # the server's pace again


async def test_start_with_the_server_down_and_a_valid_lease_opens_home_offline(served, tmp_path):
    server, config = served
    email = await onboarded(config, tmp_path / "live" / "outbox")
    server.stop()
    app = CoditectApp(config)
    async with app.run_test() as pilot:
        await settle(pilot)
        assert screen_name(app) == "HomeScreen" and not app.session.connected
        assert dict(app.screen.query_one("#account").rows)["Email"] == email
        status = app.session.license.status()
        assert status.state == "offline" and lease_rows(app)["Seat"] == "offline"
        assert lease_rows(app)["Lease until"] == status.valid_until.strftime("%Y-%m-%d %H:%M UTC")

        # The license screen says its list could not be loaded, never "Loading…" beside the error.
        await press(pilot, "k")
        assert screen_name(app) == "LicenseScreen" and "cannot be reached" in app.screen.status.message
        listing = str(app.screen.query_one("#licenses").render())
        assert "could not be loaded" in listing and "Loading" not in listing
        await press(pilot, "escape")
        assert screen_name(app) == "HomeScreen"

        server.restart()
        await press(pilot, "r")
        assert app.session.connected and app.session.license.status().state == "online"
        assert lease_rows(app)["Seat"] == "active" and app.screen.status.message == ""
        assert app.session.me.email == email and not isinstance(app.session.me, type(app.screen.copy.account))
