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
        assert not memory_keyring.entries  # logout deletes it
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
