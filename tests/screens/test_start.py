"""The first frame never waits for the embedded server."""

from __future__ import annotations

from textual import events

from tests.screens.driving import screen_name, settle


async def test_first_frame_is_drawn_before_the_server_starts(config, make_app):
    app = make_app(config)
    at_ready = []

    def hook(message) -> None:
        if isinstance(message, events.Ready):
            at_ready.append((screen_name(app), str(app.screen.query_one("#starting-message").render()),
                             app.session.started))

    async with app.run_test(message_hook=hook) as pilot:
        await settle(pilot)
        assert at_ready == [("StartingScreen", "Starting the embedded server…", False)]
        assert screen_name(app) == "WelcomeScreen" and app.session.started
