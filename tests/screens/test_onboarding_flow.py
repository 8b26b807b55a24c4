"""The whole onboarding through the UI, against the real embedded server."""

from __future__ import annotations

import stat

from tests.screens.driving import (create_license_key, enroll, fill, press, register, save_codes_and_continue,
                                   screen_name, settle, verify_from_outbox)


async def test_register_verify_enroll_license_install(config, make_app, clock, home_dir):
    app = make_app(config)
    async with app.run_test() as pilot:
        await settle(pilot)
        assert screen_name(app) == "WelcomeScreen"
        assert app.sub_title == "embedded server (this computer)"

        await register(pilot)
        assert screen_name(app) == "VerifyEmailScreen"
        await verify_from_outbox(pilot)
        assert screen_name(app) == "EnrollMfaScreen"
        assert app.screen.query_one("#qr").data.startswith("otpauth://totp/")

        await enroll(pilot, clock)
        assert screen_name(app) == "RecoveryCodesScreen"
        codes = await save_codes_and_continue(pilot)
        saved = home_dir / "coditect-recovery-codes.txt"
        assert stat.S_IMODE(saved.stat().st_mode) == 0o600
        assert all(code in saved.read_text() for code in codes) and len(codes) == 10
        assert screen_name(app) == "LicenseScreen"

        key = create_license_key(config.data_dir, "pro")
        await fill(pilot, "license_key", key)
        await press(pilot, "enter")
        status = app.session.license.status()
        assert (status.state, status.tier, status.seats_used, status.seats_total) == ("online", "pro", 1, 5)
        lease = dict(app.screen.query_one("#lease").rows)
        assert lease["License"] == f"PRO  {key}" and lease["Seats in use"] == "1 of 5"
        assert lease["Lease valid until"] == "2026-12-03 10:00 UTC"
        await press(pilot, "ctrl+n")
        assert screen_name(app) == "InstallChoiceScreen"

        await press(pilot, "enter")  # picked, not stored yet
        assert app.screen.chosen == "docker" and app.session.state().install_choice is None
        await press(pilot, "ctrl+n")
        assert screen_name(app) == "DeployWorkspaceScreen" and app.session.state().install_choice == "docker"
        await press(pilot, "escape")  # deploy later, from home (key i)
        assert screen_name(app) == "HomeScreen"
