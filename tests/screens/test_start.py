"""The first usable screen never waits for the embedded server: Welcome (a new user) is drawn
from local state while the server starts behind it; a key pressed meanwhile says "starting…"
where it was pressed and goes on once the server is ready."""

from __future__ import annotations

import gc

from textual import events

from tests.screens.driving import screen_name, settle
from tui.onboarding import Step


async def test_a_new_user_gets_welcome_before_the_server_starts(config, make_app):
    app = make_app(config)
    at_ready = []

    def hook(message) -> None:
        if isinstance(message, events.Ready):
            at_ready.append((screen_name(app), app.session.started, app.session_ready))

    async with app.run_test(message_hook=hook) as pilot:
        await settle(pilot)
        assert at_ready == [("WelcomeScreen", False, False)]
        assert screen_name(app) == "WelcomeScreen" and app.session.started and app.session_ready


async def test_acting_before_the_server_is_ready_says_starting_and_goes_on(config, make_app):
    app = make_app(config)
    said = []

    def hook(message) -> None:
        if isinstance(message, events.Ready):  # before the start-up worker has run
            app.screen.action_register()
            said.append((screen_name(app), app.screen.status.message))

    async with app.run_test(message_hook=hook) as pilot:
        await settle(pilot)
        assert said == [("WelcomeScreen", "Starting the embedded server…")]
        assert screen_name(app) == "RegisterScreen" and app.step is Step.REGISTER


async def test_once_started_what_start_up_loaded_is_left_out_of_full_collections(config, make_app, monkeypatch):
    from console import long_lived

    gc.unfreeze()  # whatever an earlier test of this process froze
    monkeypatch.setattr(long_lived, "_frozen", False)
    app = make_app(config)
    try:
        async with app.run_test() as pilot:
            await settle(pilot)
            assert app.session_ready and gc.get_freeze_count() > 0
            frozen = gc.get_freeze_count()
            assert not long_lived.freeze_start_up_objects()  # once per process
            assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()
