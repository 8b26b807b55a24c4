"""`coditect-console admin|support` with nobody signed in: the sign-in form, not sign-up."""

from __future__ import annotations

import pytest

from console.app import CoditectApp
from tests.screens.driving import screen_name, settle
from tui.session import AccountSession


@pytest.mark.parametrize("target", ["admin", "support"])
async def test_a_console_target_opens_on_sign_in(config, clock, target):
    session = AccountSession(config, clock=lambda: clock.now().timestamp())
    app = CoditectApp(config, session=session, start=target)
    async with app.run_test() as pilot:
        await settle(pilot)
        assert screen_name(app) == "LoginScreen"


async def test_without_a_target_a_new_user_gets_welcome(config, make_app):
    app = make_app(config)
    async with app.run_test() as pilot:
        await settle(pilot)
        assert screen_name(app) == "WelcomeScreen"
