"""Forgot your password? from the sign-in screen through to signed in (with the
authenticator), and Change password on Home, against the embedded server."""

from __future__ import annotations

import re

from tests.screens.driving import EMAIL, PASSWORD, fill, onboard_to_license, press, screen_name, settle, totp
from tests.screens.peers import other_machine
from tests.screens.test_home import onboard_to_home
from tests.screens.test_sign_in_flow import sign_out
from tests.server.flows import mail_bodies
from tui.api import ApiError

NEW_PASSWORD = "marmalade-lighthouse-orbit-77"


def reset_mail(config) -> tuple[str, str]:
    body = [b for b in mail_bodies(config.outbox_dir, EMAIL) if "password reset code" in b][-1]
    code = re.search(r"reset code is: (\d{3}) (\d{3})", body)
    link = re.search(r"(\S+/reset\?token=\S+)", body).group(1)
    return code.group(1) + " " + code.group(2), link


def error_under(app, field: str) -> str:
    return str(app.screen.query_one(f"#{field} .field-error").render())


async def test_forgot_password_from_sign_in_to_signed_in_with_the_authenticator(config, make_app, clock):
    app = make_app(config)
    async with app.run_test() as pilot:
        await settle(pilot)
        account = await onboard_to_license(pilot, clock)
        await sign_out(pilot)
        await press(pilot, "s")
        assert screen_name(app) == "LoginScreen"
        await fill(pilot, "email", EMAIL)
        await press(pilot, "ctrl+f")
        assert screen_name(app) == "ForgotPasswordScreen"
        assert app.screen.query_one("#email Input").value == EMAIL  # carried over
        await press(pilot, "ctrl+s")
        assert app.screen.query_one("#code").display and not app.screen.query_one("#factor").display
        code, link = reset_mail(config)
        assert "paste this link into CODITECT Console" in mail_bodies(config.outbox_dir, EMAIL)[-1] or link
        # A wrong code is said under its field, and loses nothing typed.
        await fill(pilot, "code", "000 000" if code != "000 000" else "111 111")
        await fill(pilot, "password", NEW_PASSWORD)
        await fill(pilot, "confirm", NEW_PASSWORD)
        await press(pilot, "ctrl+s")
        assert "not right" in error_under(app, "code")
        assert app.screen.query_one("#password Input").value == NEW_PASSWORD
        # The pasted link works as well as the code; the authenticator is asked for next.
        await fill(pilot, "code", link)
        await press(pilot, "ctrl+s")
        assert screen_name(app) == "ForgotPasswordScreen"
        assert app.screen.query_one("#factor").display
        assert app.screen.focused is app.screen.query_one("#totp_code Input")
        await fill(pilot, "totp_code", totp(account["secret"], clock))
        await press(pilot, "enter")
        assert screen_name(app) == "LicenseScreen"  # signed in; onboarding resumes where it stopped
        assert app.session.me.email == EMAIL and app.session.me.amr == ["pwd", "otp"]


async def test_forgot_password_with_a_recovery_code(config, make_app, clock):
    app = make_app(config)
    async with app.run_test() as pilot:
        await settle(pilot)
        account = await onboard_to_license(pilot, clock)
        await sign_out(pilot)
        await press(pilot, "s")
        await press(pilot, "ctrl+f")
        await fill(pilot, "email", EMAIL)
        await press(pilot, "enter")
        code, _link = reset_mail(config)
        await fill(pilot, "code", code)
        await fill(pilot, "password", NEW_PASSWORD)
        await fill(pilot, "confirm", NEW_PASSWORD)
        await press(pilot, "ctrl+s")
        await press(pilot, "ctrl+t")
        await fill(pilot, "recovery_code", account["codes"][0])
        await press(pilot, "ctrl+s")
        assert screen_name(app) == "LicenseScreen"
        assert "recovery" in app.session.me.amr
        await sign_out(pilot)
        await press(pilot, "s")
        await fill(pilot, "email", EMAIL)
        await fill(pilot, "password", PASSWORD)
        await press(pilot, "enter")
        assert screen_name(app) == "LoginScreen"  # the old password no longer works
        await fill(pilot, "password", NEW_PASSWORD)
        await press(pilot, "enter")
        assert screen_name(app) == "MfaChallengeScreen"


async def test_change_password_on_home_signs_out_the_other_devices(config, make_app, clock):
    app = make_app(config)
    async with app.run_test() as pilot:
        await settle(pilot)
        account = await onboard_to_home(pilot, clock)
        async with other_machine(app, account, clock) as laptop:
            await press(pilot, "p")
            assert screen_name(app) == "ChangePasswordScreen"
            assert app.screen.query_one("#factor").display  # the account has an authenticator
            await fill(pilot, "current_password", "not-my-password-123")
            await fill(pilot, "password", NEW_PASSWORD)
            await fill(pilot, "confirm", "something-else-entirely-9")
            await press(pilot, "ctrl+s")
            assert "not the same" in error_under(app, "confirm")
            await fill(pilot, "confirm", NEW_PASSWORD)
            clock.advance(30)
            await fill(pilot, "totp_code", totp(account["secret"], clock))
            await press(pilot, "ctrl+s")
            assert "not right" in error_under(app, "current_password")
            await fill(pilot, "current_password", PASSWORD)
            clock.advance(30)
            await fill(pilot, "totp_code", totp(account["secret"], clock))
            await press(pilot, "ctrl+s")
            assert screen_name(app) == "HomeScreen"
            assert app.session.me is not None  # this device stays signed in
            try:
                await laptop.me()
                raise AssertionError("the other device is still signed in")
            except ApiError as error:
                assert error.code in ("session_revoked", "token_invalid", "unauthorized", "refresh_invalid")
        await press(pilot, "l")
        await press(pilot, "y")
        await press(pilot, "s")
        await fill(pilot, "email", EMAIL)
        await fill(pilot, "password", NEW_PASSWORD)
        await press(pilot, "enter")
        assert screen_name(app) == "MfaChallengeScreen"
