"""The support console and who gets which console: a support user lands in it, finds a
customer, opens it read-only (no write key exists there) and the opening is in that
customer's audit trail; a member gets no admin console, and a 403 is said in words."""

from __future__ import annotations

from tests.screens.admin_world import console_app, db_rows, seeded, sign_in, world  # noqa: F401
from tests.screens.driving import press, screen_name, settle
from tests.screens.test_admin_console import type_filter
from screens.admin_console import WRITE_ACTIONS


async def test_support_user_opens_a_customer_read_only_and_the_view_is_audited(world, clock, make_app):
    app = console_app(world, clock, make_app, start=None)
    async with app.run_test() as pilot:
        await sign_in(pilot, clock, world["support"])
        assert screen_name(app) == "SupportSearchScreen"
        banner = str(app.screen.query_one("#console-banner").render())
        assert "READ-ONLY" in banner and "audit trail" in banner
        tenants = app.screen.query_one("#tenants")
        await type_filter(pilot, world["admin"])  # an owner's email finds the organization
        assert [t.id for t in tenants.items.values()] == [world["tenant_id"]]
        await press(pilot, "enter", "enter")  # to the list, then open
        assert screen_name(app) == "SupportTenantScreen"
        screen = app.screen
        assert "audit trail" in str(screen.query_one("#console-banner").render())
        assert dict(screen.query_one("#overview-facts").rows)["Organization"] == world["tenant_name"]

        # No write key exists here: not bound, not in the footer, help or palette.
        write = {a.action for a in WRITE_ACTIONS}
        bound = {b.action for b in screen._bindings.key_to_bindings and
                 [b for bs in screen._bindings.key_to_bindings.values() for b in bs]}
        assert not write & bound
        assert not write & {a.action for a in screen.ACTIONS}
        assert not write & {name for name, _help, _cb in app.palette_commands(screen)}
        await press(pilot, "2")  # users
        users = screen.query_one("#list-users")
        assert users.items
        before = db_rows(world, "SELECT disabled, role FROM users WHERE tenant_id = ? ORDER BY id", world["tenant_id"])
        await press(pilot, "x", "y", "d", "D", "o", "m", "e")
        assert screen_name(app) == "SupportTenantScreen"  # no dialog opened
        assert db_rows(world, "SELECT disabled, role FROM users WHERE tenant_id = ? ORDER BY id",
                       world["tenant_id"]) == before

        viewed = db_rows(world, "SELECT actor_email FROM audit_events WHERE tenant_id = ? AND action = "
                                "'support.viewed'", world["tenant_id"])
        assert viewed == [(world["support"],)]
        await press(pilot, "1", "r")  # r opens the customer again: another recorded view
        audit = screen.query_one("#list-audit")
        await press(pilot, "3")
        assert "support.viewed" in {e.action for e in audit.items.values()}
        await press(pilot, "escape")
        assert screen_name(app) == "SupportSearchScreen"


async def test_support_target_opens_the_support_console_directly(world, clock, make_app):
    app = console_app(world, clock, make_app, start="support")
    async with app.run_test() as pilot:
        await sign_in(pilot, clock, world["support"])
        assert screen_name(app) == "SupportSearchScreen"


async def test_a_member_gets_no_admin_console_and_a_403_is_said_in_words(world, clock, make_app):
    app = console_app(world, clock, make_app, start="admin")
    async with app.run_test(notifications=True) as pilot:
        await sign_in(pilot, clock, world["totp_member"])
        assert screen_name(app) == "HomeScreen"
        assert not app.screen.query("#admin")
        assert app.screen.check_action("admin_console", ()) is False
        assert "Admin console" not in {name for name, _h, _cb in app.palette_commands()}
        assert any("owners and admins" in str(n.message) for n in app._notifications)
        await press(pilot, "a")
        assert screen_name(app) == "HomeScreen"

        # Even were the screen opened, the server says no, and the screen says it in words.
        from screens.admin_console import AdminConsoleScreen

        await app.push_screen(AdminConsoleScreen(app.session.api, app.session.me))
        await settle(pilot)
        assert "owners and admins" in app.screen.status.message


async def test_an_admin_reaches_the_console_from_home_and_the_palette(world, clock, make_app):
    app = console_app(world, clock, make_app, start=None)
    async with app.run_test() as pilot:
        await sign_in(pilot, clock, world["admin"])
        assert screen_name(app) in ("HomeScreen", "LicenseScreen")
        if screen_name(app) == "LicenseScreen":  # the demo owner holds no seat on this machine
            app.go(__import__("tui.onboarding", fromlist=["Step"]).Step.HOME)
            await settle(pilot)
        assert "Admin console" in {name for name, _h, _cb in app.palette_commands()}
        await press(pilot, "a")
        assert screen_name(app) == "AdminConsoleScreen"
        await press(pilot, "escape")
        assert screen_name(app) == "HomeScreen"
        await press(pilot, "ctrl+p")
        await pilot.press(*"Admin console")
        await press(pilot, "enter")
        assert screen_name(app) == "AdminConsoleScreen"
