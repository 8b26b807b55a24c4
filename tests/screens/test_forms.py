"""Validation while typing (key by key), and failures that never show their text."""

from __future__ import annotations

import logging

from tui.errors import log_unexpected
from server.schemas.license_key import generate_license_key
from tests.screens.driving import press, settle


def error_under(app, field: str) -> str:
    return str(app.screen.query_one(f"#{field} .field-error").render())


async def type_into(pilot, field: str, text: str) -> None:
    pilot.app.screen.query_one(f"#{field} Input").focus()
    await pilot.press(*text)


async def test_register_form_says_what_is_wrong_as_you_type(config, make_app):
    app = make_app(config)
    async with app.run_test() as pilot:
        await settle(pilot)
        await press(pilot, "c")
        await type_into(pilot, "email", "ada@example")
        assert "valid" in error_under(app, "email") or "like" in error_under(app, "email")
        await type_into(pilot, "email", ".com")
        assert error_under(app, "email") == ""
        await type_into(pilot, "password", "short")
        assert error_under(app, "password") == "Use at least 12 characters (5 so far)."
        app.screen.query_one("#password Input").value = ""
        await type_into(pilot, "password", "password1234")
        assert "too common" in error_under(app, "password")
        app.screen.query_one("#password Input").value = ""
        await type_into(pilot, "password", "tangerine-volcano")
        assert error_under(app, "password") == ""
        await type_into(pilot, "confirm", "tangerine")
        assert error_under(app, "confirm") == "The two passwords are not the same."
        await type_into(pilot, "confirm", "-volcano")
        assert error_under(app, "confirm") == ""
        # Submitting with empty fields: each says so, nothing is sent.
        await press(pilot, "ctrl+s")
        assert error_under(app, "full_name") == "Required."
        assert app.screen.status.message == "Fix the fields marked in red first."


async def test_license_key_checked_as_you_type(config, make_app, clock):
    from tests.screens.driving import onboard_to_license

    app = make_app(config)
    async with app.run_test() as pilot:
        await settle(pilot)
        await onboard_to_license(pilot, clock)
        key = generate_license_key("pro")
        typo = key[:-1] + ("0" if key[-1] != "0" else "1")
        await type_into(pilot, "license_key", typo)
        assert "typo" in error_under(app, "license_key")
        await press(pilot, "enter")  # not sent
        assert app.screen.status.message == "Fix the license key marked in red first."
        assert not app.session.license.status().has_seat
        await press(pilot, "ctrl+n")  # no seat yet: says what to do
        assert app.screen.status.message.startswith("Take a seat first (ctrl+s)")
        await press(pilot, "ctrl+s")  # the free license's seat: the typo no longer matters
        assert app.session.license.status().has_seat and error_under(app, "license_key") == ""


def test_unexpected_errors_are_logged_without_their_message(caplog):
    secret = "".join(["hun", "ter2"])  # built at run time: source lines in the stack never hold it
    try:
        raise ValueError(f"password={secret}")
    except ValueError as error:
        with caplog.at_level(logging.ERROR, logger="coditect.console"):
            log_unexpected("signing in", error)
    assert "ValueError" in caplog.text and "signing in" in caplog.text
    assert "hunter2" not in caplog.text
