"""Failures end as plain words with a way forward, never as a traceback."""

from __future__ import annotations

import stat

import keyring
from keyring.backend import KeyringBackend
from keyring.errors import KeyringLocked

from tests.conftest import free_port
from tests.screens.conftest import app_config
from tests.screens.driving import (EMAIL, create_license_key, enroll, fill, onboard_to_license, press,
                                   register, save_codes_and_continue, screen_name, settle, totp, verify_from_outbox)
from tests.screens.peers import other_machine
from tui.credentials import CredentialStore


def notifications(app) -> list[str]:
    return [n.message for n in app._notifications]


async def test_unreachable_server_while_registering(tmp_path, make_app, clock):
    config = app_config(tmp_path / "data", tmp_path / "config", clock,
                        api_url=f"http://127.0.0.1:{free_port()}")
    app = make_app(config)
    async with app.run_test() as pilot:
        await settle(pilot)
        assert app.sub_title.startswith("127.0.0.1:")
        await register(pilot)
        assert screen_name(app) == "RegisterScreen"
        server = app.sub_title
        assert app.screen.status.message == f"The server {server} cannot be reached. Check your connection and try again."
        assert app.screen.check_action("retry", ()) is True
        await press(pilot, "ctrl+r")  # still down: same words, still a retry
        assert "cannot be reached" in app.screen.status.message and app.screen.check_action("retry", ())


async def test_unreachable_server_at_start_with_a_saved_sign_in(tmp_path, make_app, clock):
    config = app_config(tmp_path / "data", tmp_path / "config", clock,
                        api_url=f"http://127.0.0.1:{free_port()}")
    CredentialStore(config).set(config.api_url, EMAIL, "r" * 43)
    app = make_app(config)
    async with app.run_test() as pilot:
        await settle(pilot)
        # Nothing cached to work offline with: Welcome (drawn at once), saying why and how to retry.
        assert screen_name(app) == "WelcomeScreen"
        assert "cannot be reached" in app.screen.status.message and app.screen.check_action("retry", ())
        await press(pilot, "ctrl+r")
        assert screen_name(app) == "WelcomeScreen" and "cannot be reached" in app.screen.status.message
        await press(pilot, "s")  # acting is trying again too
        assert screen_name(app) == "WelcomeScreen" and "cannot be reached" in app.screen.status.message


async def test_wrong_verification_code(config, make_app, clock):
    app = make_app(config)
    async with app.run_test() as pilot:
        await settle(pilot)
        await register(pilot)
        await fill(pilot, "code", "000 000")
        await press(pilot, "enter")
        assert screen_name(app) == "VerifyEmailScreen"
        assert "not right" in str(app.screen.query_one("#code .field-error").render())
        await verify_from_outbox(pilot)  # the right one still works
        assert screen_name(app) == "EnrollMfaScreen"


async def test_wrong_totp_code_at_enrollment(config, make_app, clock):
    app = make_app(config)
    async with app.run_test() as pilot:
        await settle(pilot)
        await register(pilot)
        await verify_from_outbox(pilot)
        good = totp(app.screen.secret, clock)
        await fill(pilot, "code", "000000" if good != "000000" else "111111")
        await press(pilot, "enter")
        assert screen_name(app) == "EnrollMfaScreen"
        assert "not right" in str(app.screen.query_one("#code .field-error").render())


async def test_email_taken_is_said_under_the_email(config, make_app, clock):
    app = make_app(config)
    async with app.run_test() as pilot:
        await settle(pilot)
        await register(pilot)
        await verify_from_outbox(pilot)  # a verified account holds its address
        app.action_logout()
        await settle(pilot)
        await press(pilot, "y")
        await register(pilot)
        assert screen_name(app) == "RegisterScreen"
        assert "already exists" in str(app.screen.query_one("#email .field-error").render())
        assert "ctrl+l" in app.screen.status.message
        assert "Sign in instead" in [name for name, _help, _run in app.palette_commands()]
        await press(pilot, "ctrl+l")
        assert screen_name(app) == "LoginScreen"
        assert app.screen.query_one("#email Input").value == EMAIL


async def test_no_seats_left(config, make_app, clock):
    app = make_app(config)
    async with app.run_test() as pilot:
        await settle(pilot)
        account = await onboard_to_license(pilot, clock)
        # Another machine of the same user takes the free license's only seat.
        async with other_machine(app, account, clock) as api:
            await api.acquire_seat("another-machine-id", "laptop")
        await press(pilot, "ctrl+s")
        assert screen_name(app) == "LicenseScreen"
        assert "All seats of this license are in use" in app.screen.status.message
        assert not app.session.license.status().has_seat
        # A pro key (5 seats) solves it.
        await fill(pilot, "license_key", create_license_key(config.data_dir, "pro"))
        await press(pilot, "enter")
        assert app.session.license.status().tier == "pro"


class LockedKeyring(KeyringBackend):
    """A keyring that is there but never unlocks (as on a headless SSH session)."""

    priority = 1

    def get_password(self, service, username):
        raise KeyringLocked("locked")

    def set_password(self, service, username, password):
        raise KeyringLocked("locked")

    def delete_password(self, service, username):
        raise KeyringLocked("locked")


async def test_keyring_unavailable_falls_back_to_a_file_and_says_so(config, make_app, clock):
    keyring.set_keyring(LockedKeyring())  # the autouse fixture restores the previous one
    app = make_app(config)
    async with app.run_test(notifications=True) as pilot:
        await settle(pilot)
        await register(pilot)
        await verify_from_outbox(pilot)  # signs in: the refresh token must be stored
        assert screen_name(app) == "EnrollMfaScreen"
        notice = str(app.screen.query_one("#notice").render())  # its own line, not a toast over the QR
        path = config.config_dir / "credentials.json"
        assert "No usable system keyring" in notice and str(path) in notice
        assert stat.S_IMODE(path.stat().st_mode) == 0o600 and not notifications(app)
        await enroll(pilot, clock)
        await save_codes_and_continue(pilot)
        assert not app.screen.query_one("#notice").display  # once
    app = make_app(config)
    async with app.run_test() as pilot:
        await settle(pilot)
        assert screen_name(app) == "LicenseScreen"  # resumed from the file
        assert not app.screen.query_one("#notice").display  # not again in a later launch


async def test_sign_up_blocked_by_strangers_says_the_wait_in_words(config, make_app, clock):
    """Strangers registered the address 10 times (from 10 networks): the real person is told
    plainly why and how long to wait, at most an hour."""
    import httpx

    app = make_app(config)
    async with app.run_test() as pilot:
        await settle(pilot)
        server = app.session.transport.app
        for i in range(10):
            transport = httpx.ASGITransport(app=server, client=(f"198.51.100.{i + 1}", 4000))
            async with httpx.AsyncClient(transport=transport, base_url=config.base_url) as stranger:
                r = await stranger.post("/api/v1/auth/register", json={
                    "email": EMAIL, "password": "stranger-password-2026", "full_name": "Not Ada",
                    "organization": f"Stranger {i}"})
                assert r.status_code == 201, r.text
            clock.advance(60)
        await register(pilot)
        assert screen_name(app) == "RegisterScreen"
        message = app.screen.status.message
        assert "Too many sign-up mails went to this address" in message and "Try again in 50 minutes." in message
