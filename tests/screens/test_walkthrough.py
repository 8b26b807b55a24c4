"""What a new-user walkthrough at 80x24, 60x20 and 120x40 found, each checked as the user
meets it."""

from __future__ import annotations

from textual.widgets import Button

from tests.screens.driving import (EMAIL, fill, onboard_to_license, press, register, screen_name, settle,
                                   verify_from_outbox)
from tests.screens.test_home import onboard_to_home
from widgets.tick_box import TickBox


def footer_keys(app) -> set[str]:
    return {binding.key for _, binding, enabled, _ in app.screen.active_bindings.values() if enabled}


async def test_sign_in_instead_carries_the_typed_email(config, make_app, clock):
    app = make_app(config)
    async with app.run_test() as pilot:
        await settle(pilot)
        for email in (EMAIL, "grace@example.com"):  # the last account here becomes grace
            await register(pilot, email)
            await verify_from_outbox(pilot, email)
            app.action_logout()
            await settle(pilot)
            await press(pilot, "y")
        await register(pilot, EMAIL)
        assert screen_name(app) == "RegisterScreen"
        await press(pilot, "ctrl+l")
        assert screen_name(app) == "LoginScreen"
        assert app.screen.query_one("#email Input").value == EMAIL


async def test_a_tab_pasted_into_a_name_is_said_under_the_field(config, make_app):
    app = make_app(config)
    async with app.run_test() as pilot:
        await settle(pilot)
        await press(pilot, "c")
        await fill(pilot, "full_name", "Ada\tLovelace")
        error = str(app.screen.query_one("#full_name .field-error").render())
        assert "one line of plain text" in error
        await fill(pilot, "full_name", "Ada Lovelace")
        assert not str(app.screen.query_one("#full_name .field-error").render()).strip()


async def test_the_license_step_in_onboarding_has_no_back_key(config, make_app, clock):
    app = make_app(config)
    async with app.run_test() as pilot:
        await settle(pilot)
        await onboard_to_license(pilot, clock)
        await press(pilot, "ctrl+s")  # a seat: before, escape then went forward as "Back"
        assert app.session.license.status().has_seat
        assert "escape" not in footer_keys(app)
        await press(pilot, "escape")
        assert screen_name(app) == "LicenseScreen"
        await press(pilot, "ctrl+n")
        assert screen_name(app) == "InstallChoiceScreen"


async def test_after_picking_an_install_option_its_summary_and_button_are_in_view(config, make_app, clock):
    app = make_app(config)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await onboard_to_license(pilot, clock)
        await press(pilot, "ctrl+s", "ctrl+n")
        assert screen_name(app) == "InstallChoiceScreen"
        await press(pilot, "enter")
        await pilot.pause(0.2)
        body, button = app.screen.query_one("#body"), app.screen.query_one("#continue", Button)
        assert app.screen.focused is button and body.region.contains_region(button.region)
        assert body.region.contains_region(app.screen.query_one("#install-summary").region)


async def test_the_saved_codes_tick_is_a_shape_not_only_a_colour(config, make_app, clock):
    app = make_app(config)
    async with app.run_test() as pilot:
        await settle(pilot)
        await register(pilot)
        await verify_from_outbox(pilot)
        from tests.screens.driving import enroll

        await enroll(pilot, clock)
        tick = app.screen.query_one("#saved", TickBox)
        assert "✓" not in tick.render().plain
        tick.value = True
        await pilot.pause()
        assert "✓" in tick.render().plain


async def test_the_palette_lists_the_apps_actions_before_textuals(config, make_app, clock):
    app = make_app(config)
    async with app.run_test() as pilot:
        await settle(pilot)
        await onboard_to_home(pilot, clock)
        names = [name for name, _help, _run in app.palette_commands(app.screen)]
        assert names[0] == "Help" and "Sign out" in names
        textual_own = [i for i, name in enumerate(names) if name in ("Theme", "Quit the application", "Keys")]
        assert textual_own and min(textual_own) > names.index("Sign out")


async def test_the_license_table_drops_columns_at_60_columns_and_keeps_the_key(config, make_app, clock):
    app = make_app(config)
    async with app.run_test(size=(60, 20)) as pilot:
        await settle(pilot)
        await onboard_to_license(pilot, clock)
        table = app.screen.query_one("#licenses").content
        headers = [str(column.header) for column in table.columns]
        assert "Key" in headers and "Seats" in headers and "Commands/day" not in headers
        key = app.session.license.status().license_key or ""
        shown = " ".join(cell for column in table.columns for cell in map(str, column._cells))
        assert key == "" or key in shown  # never cut


async def test_a_direction_changing_character_in_a_name_is_said_under_the_field(config, make_app):
    app = make_app(config)
    async with app.run_test() as pilot:
        await settle(pilot)
        await press(pilot, "c")
        for field in ("full_name", "organization"):
            await fill(pilot, field, "Evil\u202eCorp")
            error = str(app.screen.query_one(f"#{field} .field-error").render())
            assert "no invisible or direction-changing characters" in error
            await fill(pilot, field, "Zoë Núñez")
            assert not str(app.screen.query_one(f"#{field} .field-error").render()).strip()
