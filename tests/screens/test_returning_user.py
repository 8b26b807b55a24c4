"""A returning user: signing in again gets the seat back, the email is remembered, a
recovery-code sign-in is said and shown, new codes with a recovery code, home's actions in
the palette (activate a key, install choice), the install choice per account."""

from __future__ import annotations

from datetime import datetime, timezone

from textual.widgets import OptionList

from tests.screens.driving import (EMAIL, PASSWORD, create_license_key, enroll, fill, press, register,
                                   save_codes_and_continue, screen_name, settle, totp, verify_from_outbox)
from tests.screens.test_home import onboard_to_home
from tui.lease_status import LeaseStatus
from widgets.lease_panel import lease_rows
from widgets.step_indicator import StepIndicator


def palette(app) -> list[str]:
    return [name for name, _help, _run in app.palette_commands(app.screen)]


async def sign_out(pilot) -> None:
    pilot.app.action_logout()
    await settle(pilot)
    await press(pilot, "y")
    assert screen_name(pilot.app) == "WelcomeScreen"


async def test_sign_in_again_takes_the_seat_back_and_lands_home(config, make_app, clock):
    app = make_app(config)
    async with app.run_test() as pilot:
        await settle(pilot)
        assert app.screen.focused.id == "register"  # nobody signed in here yet
        assert {"Create account", "Sign in", "I have an invitation"} <= set(palette(app))
        account = await onboard_to_home(pilot, clock)
        await sign_out(pilot)
        assert not app.session.license.status().has_seat  # given back at sign-out
        assert app.screen.focused.id == "login"  # a returning user
        await press(pilot, "enter")
        assert screen_name(app) == "LoginScreen"
        assert app.screen.query_one("#email Input").value == EMAIL
        await fill(pilot, "password", PASSWORD)
        await press(pilot, "enter")
        clock.advance(30)
        await fill(pilot, "code", totp(account["secret"], clock))
        await press(pilot, "enter")
        assert screen_name(app) == "HomeScreen"  # no license step again
        assert app.session.license.status().state == "online"


async def test_recovery_code_sign_in_is_said_and_new_codes_take_a_recovery_code(config, make_app, clock, home_dir):
    app = make_app(config)
    async with app.run_test() as pilot:
        await settle(pilot)
        account = await onboard_to_home(pilot, clock)
        await sign_out(pilot)
        await press(pilot, "s")
        await fill(pilot, "password", PASSWORD)
        await press(pilot, "enter")
        await press(pilot, "ctrl+t")
        await fill(pilot, "recovery_code", account["codes"][0])
        await press(pilot, "enter")
        assert screen_name(app) == "HomeScreen"
        assert any("used up" in n.message and "New codes" in n.message for n in app._notifications)
        assert dict(app.screen.query_one("#account").rows)["Sign-in"] == "password + recovery code"

        await press(pilot, "g")  # lost the phone: a recovery code proves it is me
        await fill(pilot, "code", account["codes"][1])
        await press(pilot, "enter")
        assert screen_name(app) == "RecoveryCodesScreen"
        assert not app.screen.query(StepIndicator)  # not an onboarding step
        await press(pilot, "ctrl+n")
        assert app.screen.status.message.startswith("Tick 'I have saved them' first")
        first = home_dir / "coditect-recovery-codes.txt"  # saved during onboarding
        first.write_text("\n".join(account["codes"]) + "\n")
        await press(pilot, "ctrl+s")
        second = home_dir / "coditect-recovery-codes-2.txt"
        assert app.screen.status.message == f"Codes saved to {second}"
        assert app.session.mfa.pending_recovery_codes[0] in second.read_text()
        assert account["codes"][0] in first.read_text()  # the older file is left alone
        assert EMAIL in second.read_text() and config.server_label in second.read_text()


async def test_home_palette_activates_a_key_and_comes_back(config, make_app, clock):
    app = make_app(config)
    async with app.run_test() as pilot:
        await settle(pilot)
        await onboard_to_home(pilot, clock)
        names = palette(app)
        for action in ("Activate a license key", "Revoke the highlighted session", "Make new recovery codes",
                       "Change the install choice", "Sign out"):
            assert action in names
        assert "Take the seat again" not in names  # the seat is live
        assert len(names) == len(set(names))
        free_seat = app.session.license.status().seat_id

        await press(pilot, "k")
        assert screen_name(app) == "LicenseScreen"
        await press(pilot, "escape")  # back without changing anything
        assert screen_name(app) == "HomeScreen"

        key = create_license_key(config.data_dir, "pro")
        await press(pilot, "ctrl+p")
        await pilot.press(*"activate a license")
        await press(pilot, "enter")
        assert screen_name(app) == "LicenseScreen"
        await fill(pilot, "license_key", key)
        await press(pilot, "enter")
        status = app.session.license.status()
        assert status.license_key == key and status.seat_id != free_seat
        listing = await app.session.licenses()
        assert {lic.tier: lic.seats_used for lic in listing.licenses} == {"free": 0, "pro": 1}  # moved
        await press(pilot, "ctrl+n")
        assert screen_name(app) == "HomeScreen"


async def test_docker_down_cannot_be_chosen(config, make_app, clock, docker_daemon):
    app = make_app(config)
    async with app.run_test() as pilot:
        await settle(pilot)
        await onboard_to_home(pilot, clock)
        assert app.session.state().install_choice == "docker"
        docker_daemon.write_text("#!/bin/sh\necho 'Cannot connect to the Docker daemon' >&2\nexit 1\n")
        await press(pilot, "i")
        assert screen_name(app) == "InstallChoiceScreen"
        options = app.screen.query_one(OptionList)
        assert all(options.get_option_at_index(i).disabled for i in (0, 1))  # macOS (Linux here), Docker down
        text = str(options.get_option_at_index(1).prompt)
        assert "Docker is installed but not running" in text and "`" not in text
        assert options.highlighted == 2  # only "Decide later" can be picked on this machine
        await press(pilot, "ctrl+n")
        assert app.screen.status.message.startswith("Pick an option with enter first")
        await press(pilot, "escape")
        assert screen_name(app) == "HomeScreen" and app.session.state().install_choice == "docker"
        # A machine that can run neither never blocks: "Decide later" finishes the step.
        await press(pilot, "i")
        await press(pilot, "enter")
        await press(pilot, "ctrl+n")
        assert screen_name(app) == "HomeScreen" and app.session.state().install_choice == "later"
        assert ("Install", "Decide later") in app.screen.query_one("#account").rows


async def test_install_choice_is_per_account(config, make_app, clock):
    app = make_app(config)
    async with app.run_test() as pilot:
        await settle(pilot)
        await onboard_to_home(pilot, clock)
        await sign_out(pilot)
        await register(pilot, "grace@example.com", organization="Navy")
        await verify_from_outbox(pilot, "grace@example.com")
        await enroll(pilot, clock)
        await save_codes_and_continue(pilot)
        await press(pilot, "ctrl+s")
        await press(pilot, "ctrl+n")
        assert screen_name(app) == "InstallChoiceScreen"  # Ada's choice is hers


def test_offline_lease_says_its_expiry_once():
    until = datetime(2026, 12, 3, 10, 0, tzinfo=timezone.utc)
    rows = lease_rows(LeaseStatus(state="offline", valid_until=until, tier="pro"), with_key=False)
    assert sum("2026-12-03" in value for _label, value in rows) == 1
