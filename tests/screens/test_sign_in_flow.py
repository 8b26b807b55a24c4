"""Signing out and in again through the UI: TOTP, a recovery code, a reused code."""

from __future__ import annotations

from tests.screens.driving import (EMAIL, PASSWORD, fill, onboard_to_license, press, screen_name, settle, totp)


async def sign_out(pilot) -> None:
    pilot.app.action_logout()
    await settle(pilot)
    assert screen_name(pilot.app) == "ConfirmScreen"
    await press(pilot, "y")
    assert screen_name(pilot.app) == "WelcomeScreen"


async def sign_in_password(pilot) -> None:
    await press(pilot, "s")
    assert screen_name(pilot.app) == "LoginScreen"
    await fill(pilot, "email", EMAIL)
    await fill(pilot, "password", PASSWORD)
    await press(pilot, "enter")


async def test_sign_in_with_totp_then_with_a_recovery_code(config, make_app, clock, memory_keyring):
    app = make_app(config)
    async with app.run_test() as pilot:
        await settle(pilot)
        account = await onboard_to_license(pilot, clock)
        assert memory_keyring.entries  # the refresh token is in the keyring

        await sign_out(pilot)
        # Logout deletes the sign-in; this device's credential and the pinned server keys stay.
        assert {key.split("|")[0] for _service, key in memory_keyring.entries} == {"device", "lease-keys"}
        await sign_in_password(pilot)
        assert screen_name(app) == "MfaChallengeScreen"
        await fill(pilot, "code", totp(account["secret"], clock))
        await press(pilot, "enter")
        assert screen_name(app) == "LicenseScreen"  # onboarding resumes where it stopped
        assert app.session.me.amr == ["pwd", "otp"]

        await sign_out(pilot)
        await sign_in_password(pilot)
        await press(pilot, "ctrl+t")
        await fill(pilot, "recovery_code", account["codes"][0])
        await press(pilot, "enter")
        assert screen_name(app) == "LicenseScreen"

        # The same recovery code does not work twice.
        await sign_out(pilot)
        await sign_in_password(pilot)
        await press(pilot, "ctrl+t")
        await fill(pilot, "recovery_code", account["codes"][0])
        await press(pilot, "enter")
        assert screen_name(app) == "MfaChallengeScreen"
        assert "not right" in str(app.screen.query_one("#recovery_code .field-error").render())


async def test_a_totp_code_is_accepted_once(config, make_app, clock):
    app = make_app(config)
    async with app.run_test() as pilot:
        await settle(pilot)
        account = await onboard_to_license(pilot, clock)
        code = totp(account["secret"], clock)
        await sign_out(pilot)
        await sign_in_password(pilot)
        await fill(pilot, "code", code)
        await press(pilot, "enter")
        assert screen_name(app) == "LicenseScreen"

        await sign_out(pilot)  # same 30 s step: the clock has not moved
        await sign_in_password(pilot)
        await fill(pilot, "code", code)
        await press(pilot, "enter")
        assert screen_name(app) == "MfaChallengeScreen"
        assert "already used" in str(app.screen.query_one("#code .field-error").render())

        clock.advance(30)
        await fill(pilot, "code", totp(account["secret"], clock))
        await press(pilot, "enter")
        assert screen_name(app) == "LicenseScreen"


async def test_wrong_password_is_said_under_the_field(config, make_app, clock):
    app = make_app(config)
    async with app.run_test() as pilot:
        await settle(pilot)
        await onboard_to_license(pilot, clock)
        await sign_out(pilot)
        await press(pilot, "s")
        await fill(pilot, "email", EMAIL)
        await fill(pilot, "password", "not-the-password-at-all")
        await press(pilot, "enter")
        assert screen_name(app) == "LoginScreen"
        assert "not right" in str(app.screen.query_one("#password .field-error").render())


async def stranger_locks_the_account(app, clock) -> None:
    """Ten wrong passwords for EMAIL from another network: the account's limit is reached."""
    import httpx

    transport = httpx.ASGITransport(app=app.session.transport.app, client=("198.51.100.66", 4000))
    async with httpx.AsyncClient(transport=transport, base_url=app.config.base_url) as stranger:
        for _ in range(10):
            r = await stranger.post("/api/v1/auth/login", json={"email": EMAIL, "password": "not the password 1"})
            assert r.status_code == 401
        r = await stranger.post("/api/v1/auth/login", json={"email": EMAIL, "password": PASSWORD})
        assert r.status_code == 429  # the stranger is locked out, even with the right password
    clock.advance(30)  # past the attempts still "in flight"


async def test_a_stranger_cannot_lock_out_a_console_that_signed_in_before(config, make_app, clock, memory_keyring):
    from tui.credentials import device_entry

    app = make_app(config)
    async with app.run_test() as pilot:
        await settle(pilot)
        account = await onboard_to_license(pilot, clock)
        device = ("coditect-console", device_entry(app.session.scope, EMAIL))
        assert memory_keyring.entries.get(device)
        await sign_out(pilot)
        assert memory_keyring.entries.get(device)  # it names the device: it outlives the sign-in
        await stranger_locks_the_account(app, clock)
        await sign_in_password(pilot)
        assert screen_name(app) == "MfaChallengeScreen"
        await fill(pilot, "code", totp(account["secret"], clock))
        await press(pilot, "enter")
        assert screen_name(app) == "LicenseScreen"

        # A console that never signed in to the account (no device credential) keeps the
        # limit, which still holds from the stranger's attempts.
        await sign_out(pilot)
        del memory_keyring.entries[device]
        await sign_in_password(pilot)
        assert screen_name(app) == "LoginScreen"
        assert "Too many attempts. Try again in 15 minutes." in app.screen.status.message
