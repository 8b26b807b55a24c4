"""Quit anywhere, start again on the same data dir: the app opens where onboarding stopped."""

from __future__ import annotations

from tests.screens.driving import (EMAIL, PASSWORD, create_license_key, enroll, fill, press, register, save_codes_and_continue,
                                   screen_name, settle, totp, verify_from_outbox)


async def restart(make_app, config) -> str:
    """A new app on the same data dir: which screen does it open on?"""
    app = make_app(config)
    async with app.run_test() as pilot:
        await settle(pilot)
        return screen_name(app)


async def test_resume_at_every_step(config, make_app, clock):
    app = make_app(config)
    async with app.run_test() as pilot:
        await settle(pilot)
        await register(pilot)
    assert await restart(make_app, config) == "VerifyEmailScreen"

    app = make_app(config)
    async with app.run_test() as pilot:
        await settle(pilot)
        await verify_from_outbox(pilot)
        # The password is not kept across runs: verified, now sign in (said, email filled in).
        assert screen_name(app) == "LoginScreen"
        assert str(app.screen.query_one("#verified").render()) == "Email verified — sign in to continue."
        assert app.screen.query_one("#email Input").value == EMAIL and app.screen.focused.id != "email"
        await fill(pilot, "email", EMAIL)
        await fill(pilot, "password", PASSWORD)
        await press(pilot, "enter")
        assert screen_name(app) == "EnrollMfaScreen"
    # The saved sign-in (refresh token) resumes.
    assert await restart(make_app, config) == "EnrollMfaScreen"

    app = make_app(config)
    async with app.run_test() as pilot:
        await settle(pilot)
        secret = await enroll(pilot, clock)
        assert screen_name(app) == "RecoveryCodesScreen"
    # Codes never stored: after a restart the screen offers a new set for a current code.
    app = make_app(config)
    async with app.run_test() as pilot:
        await settle(pilot)
        assert screen_name(app) == "RecoveryCodesScreen" and app.session.mfa.pending_recovery_codes is None
        await fill(pilot, "code", totp(secret, clock))
        await press(pilot, "enter")
        clock.advance(30)
        assert len(app.session.mfa.pending_recovery_codes) == 10
        await save_codes_and_continue(pilot)
        assert screen_name(app) == "LicenseScreen"
    assert await restart(make_app, config) == "LicenseScreen"

    key = create_license_key(config.data_dir, "pro")
    app = make_app(config)
    async with app.run_test() as pilot:
        await settle(pilot)
        await fill(pilot, "license_key", key)
        await press(pilot, "enter")
        assert app.session.license.status().state == "online"
    # Quit on the license screen after taking the seat: the seat is kept, next is the install.
    assert await restart(make_app, config) == "InstallChoiceScreen"

    app = make_app(config)
    async with app.run_test() as pilot:
        await settle(pilot)
        await press(pilot, "enter")
        await press(pilot, "ctrl+n")
        assert screen_name(app) == "DeployWorkspaceScreen"  # Docker workspace: deploy now or later
        await press(pilot, "escape")
        assert screen_name(app) == "HomeScreen"
    assert await restart(make_app, config) == "HomeScreen"


async def test_quitting_at_the_second_factor_starts_again_at_welcome(config, make_app, clock):
    """An MFA token is not kept across runs (it lives 5 minutes): sign in again."""
    app = make_app(config)
    async with app.run_test() as pilot:
        await settle(pilot)
        await register(pilot)
        await verify_from_outbox(pilot)
        await enroll(pilot, clock)
        await save_codes_and_continue(pilot)
        app.action_logout()
        await settle(pilot)
        await press(pilot, "y")
        await press(pilot, "s")
        await fill(pilot, "email", EMAIL)
        await fill(pilot, "password", PASSWORD)
        await press(pilot, "enter")
        assert screen_name(app) == "MfaChallengeScreen"
    assert await restart(make_app, config) == "WelcomeScreen"
