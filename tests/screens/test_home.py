"""Home: server data shown literally, revoking another device, losing and taking back the
seat (heartbeat), new recovery codes, the admin console entry, the command palette."""

from __future__ import annotations

from textual.widgets import Button, DataTable

from tests.screens.driving import fill, onboard_to_license, prepare, press, screen_name, settle, totp
from tests.screens.peers import other_machine

ORG = "[bold]x[/]"
DEVICE = "[red]evil"


async def onboard_to_home(pilot, clock, organization: str = "Analytical Engines") -> dict:
    """A fully onboarded account on Home (the seat of the free license, Docker chosen)."""
    account = await prepare(pilot, clock, "home", organization=organization)
    assert screen_name(pilot.app) == "HomeScreen"
    return account


def cells(table: DataTable) -> list[list[str]]:
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


async def test_server_text_is_never_markup_and_other_devices_can_be_revoked(config, make_app, clock):
    app = make_app(config)
    async with app.run_test() as pilot:
        await settle(pilot)
        account = await onboard_to_home(pilot, clock, organization=ORG)
        async with other_machine(app, account, clock, device_name=DEVICE):
            pass
        await press(pilot, "r")
        facts = dict(app.screen.query_one("#account").rows)
        assert facts["Organization"] == ORG
        table = app.screen.query_one("#sessions", DataTable)
        rows = cells(table)
        assert [DEVICE, "127.0.0.1"] in [row[:2] for row in rows]
        assert sum(row[4] == "this computer" for row in rows) == 1  # Device, From, Signed in, Last seen, ""

        table.move_cursor(row=[row[0] for row in rows].index(DEVICE))
        await press(pilot, "d")
        assert screen_name(app) == "ConfirmScreen"
        assert DEVICE in str(app.screen.question)
        await press(pilot, "n")  # changed my mind
        assert len(cells(table)) == 2
        await press(pilot, "d")
        await press(pilot, "y")
        left = cells(app.screen.query_one("#sessions", DataTable))
        assert len(left) == 1 and left[0][4] == "this computer"

        # This computer's own session is ended with "sign out", not "revoke".
        app.screen.query_one("#sessions", DataTable).move_cursor(row=0)
        await press(pilot, "d")
        assert screen_name(app) == "HomeScreen" and "Sign out" in app.screen.status.message


async def test_seat_lost_then_taken_again(config, make_app, clock):
    app = make_app(config)
    async with app.run_test() as pilot:
        await settle(pilot)
        account = await onboard_to_home(pilot, clock)
        seat_id = app.session.license.status().seat_id
        assert app.session.license.status().state == "online"
        assert app._heartbeat_timer is not None and app._heartbeat_every == 300
        async with other_machine(app, account, clock) as api:
            await api.release_seat(seat_id)  # e.g. an admin freed it
        app.heartbeat()
        await settle(pilot)
        lease = dict(app.screen.query_one("#lease").rows)
        assert lease["Seat"] == "lost" and app.screen.query_one("#lease").has_class("-lost")
        assert app.screen.check_action("take_seat", ()) is True
        await press(pilot, "s")
        assert app.session.license.status().state == "online"
        assert dict(app.screen.query_one("#lease").rows)["Seat"] == "active"


async def test_new_recovery_codes_need_a_current_code(config, make_app, clock):
    app = make_app(config)
    async with app.run_test() as pilot:
        await settle(pilot)
        account = await onboard_to_home(pilot, clock)
        await press(pilot, "g")
        assert screen_name(app) == "RegenerateCodesScreen"
        await fill(pilot, "code", totp(account["secret"], clock))
        await press(pilot, "enter")
        assert screen_name(app) == "RecoveryCodesScreen"
        new_codes = app.session.mfa.pending_recovery_codes
        assert len(new_codes) == 10 and not set(new_codes) & set(account["codes"])
        await press(pilot, "ctrl+n")  # not before "I have saved them"
        assert screen_name(app) == "RecoveryCodesScreen"
        await press(pilot, "space")
        await press(pilot, "ctrl+n")
        assert screen_name(app) == "HomeScreen"


async def test_owner_opens_the_admin_console_from_home(config, make_app, clock):
    app = make_app(config)
    async with app.run_test() as pilot:
        await settle(pilot)
        await onboard_to_home(pilot, clock)
        admin = app.screen.query_one("#admin", Button)
        assert not admin.disabled and "Admin console" in str(admin.label)
        await press(pilot, "a")
        assert screen_name(app) == "AdminConsoleScreen"
        await press(pilot, "escape")
        assert screen_name(app) == "HomeScreen"


async def test_command_palette_lists_the_actions_that_make_sense(config, make_app, clock):
    app = make_app(config)
    async with app.run_test() as pilot:
        await settle(pilot)
        names = [name for name, _help, _run in app.palette_commands()]
        assert "Sign out" not in names and "Show the latest email" in names
        await onboard_to_license(pilot, clock)
        assert "Sign out" in [name for name, _help, _run in app.palette_commands()]
        await press(pilot, "ctrl+p")
        await pilot.press(*"sign out")
        await press(pilot, "enter")
        assert screen_name(app) == "ConfirmScreen"
        await press(pilot, "y")
        assert screen_name(app) == "WelcomeScreen"


async def test_help_and_escape(config, make_app, clock):
    app = make_app(config)
    async with app.run_test() as pilot:
        await settle(pilot)
        await press(pilot, "f1")
        assert screen_name(app) == "HelpScreen"
        await press(pilot, "escape")
        assert screen_name(app) == "WelcomeScreen"
        await press(pilot, "s")
        await press(pilot, "escape")
        assert screen_name(app) == "WelcomeScreen"
        await press(pilot, "c")
        await press(pilot, "escape")
        assert screen_name(app) == "WelcomeScreen"
