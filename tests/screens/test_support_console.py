"""The support console and who gets which console: a support user lands in it, finds a
customer, opens it read-only (no write key exists there) and the opening is in that
customer's audit trail; a member gets no admin console, and a 403 is said in words."""

from __future__ import annotations

from tests.screens.admin_world import console_app, db_rows, seeded, sign_in, world  # noqa: F401
from tests.screens.driving import press, screen_name, settle
from tests.screens.test_admin_console import type_filter
from screens.admin_console import WRITE_ACTIONS


WRITE_KEYS = ("d", "D", "f", "o", "x", "m", "i", "c", "e", "E")  # the admin console's write keys
PANELS = ["sessions", "seats", "users", "invitations", "quotas", "audit"]


def customer_state(world) -> list:
    """Everything the admin write keys could change in the customer's organization."""
    tenant = world["tenant_id"]
    return [
        db_rows(world, "SELECT id, role, disabled, totp_enrolled_at, daily_limit FROM users WHERE tenant_id = ? "
                       "ORDER BY id", tenant),
        db_rows(world, "SELECT count(*) FROM login_sessions WHERE tenant_id = ? AND revoked_at IS NULL", tenant),
        db_rows(world, "SELECT id FROM seats WHERE tenant_id = ? AND released_at IS NULL ORDER BY id", tenant),
        db_rows(world, "SELECT default_daily_limit FROM tenants WHERE id = ?", tenant),
        db_rows(world, "SELECT count(*) FROM invitations WHERE tenant_id = ?", tenant),
    ]


def views(world) -> list[tuple]:
    return db_rows(world, "SELECT actor_email FROM audit_events WHERE tenant_id = ? AND action = 'support.viewed'",
                   world["tenant_id"])


async def open_customer(pilot, clock, world) -> None:
    app = pilot.app
    await sign_in(pilot, clock, world["support"])
    assert screen_name(app) == "SupportSearchScreen"
    await type_filter(pilot, world["admin"])  # an owner's email finds the organization
    tenants = app.screen.query_one("#tenants")
    assert [t.id for t in tenants.items.values()] == [world["tenant_id"]]
    await press(pilot, "enter", "enter")  # to the list, then open
    assert screen_name(app) == "SupportTenantScreen"


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
        bound = {b.action for bs in screen._bindings.key_to_bindings.values() for b in bs}
        assert not write & bound
        assert not write & {a.action for a in screen.ACTIONS}
        assert not write & {name for name, _help, _cb in app.palette_commands(screen)}
        assert not set(WRITE_KEYS) & set(screen._bindings.key_to_bindings)
        assert views(world) == [(world["support"],)]
        await press(pilot, "1", "r")  # r on the overview opens the customer again: another recorded view
        assert views(world) == [(world["support"],)] * 2
        await press(pilot, "escape")
        assert screen_name(app) == "SupportSearchScreen"


async def test_support_panels_list_the_customers_rows_and_no_write_key_does_anything(world, clock, make_app):
    app = console_app(world, clock, make_app, start=None)
    async with app.run_test() as pilot:
        await open_customer(pilot, clock, world)
        screen = app.screen
        tenant = world["tenant_id"]
        before = customer_state(world)
        for number, panel in enumerate(PANELS, start=2):
            await press(pilot, str(number))
            table = screen.query_one(f"#list-{panel}")
            assert screen.panel_id == panel and table.loaded_once and table.error is None
            await press(pilot, *WRITE_KEYS, "y")  # nothing opens, nothing changes
            assert screen_name(app) == "SupportTenantScreen" and screen.panel_id == panel
            assert customer_state(world) == before
            await press(pilot, "r")  # refresh: the same rows, no new event
            if panel == "invitations":  # the demo has none; the words offer no invite key
                assert not table.items and "press i" not in table.empty
                continue
            assert table.items, panel
            await press(pilot, "enter")
            assert screen_name(app) == "DetailScreen"
            await press(pilot, "escape")
            assert screen_name(app) == "SupportTenantScreen"

        users = db_rows(world, "SELECT id, email FROM users WHERE tenant_id = ? ORDER BY email", tenant)
        assert sorted(screen.table("users").items) == sorted(u for u, _ in users)
        assert sorted(screen.table("quotas").items) == sorted(u for u, _ in users)
        seats = db_rows(world, "SELECT id FROM seats WHERE tenant_id = ? AND released_at IS NULL", tenant)
        assert sorted(screen.table("seats").items) == sorted(s for s, in seats)
        audit = list(screen.table("audit").items.values())
        assert (audit[0].action, audit[0].actor_email) == ("support.viewed", world["support"])

        # Sessions: the customer's, paged by keyset, filtered on the server.
        await press(pilot, "2")
        sessions = screen.table("sessions")
        emails = {e for _, e in users}
        first_page = set(sessions.items)
        assert {s.user_email for s in sessions.items.values()} <= emails and sessions.paging.has_next
        await press(pilot, "n")
        assert sessions.paging.page_no == 2 and not first_page & set(sessions.items)
        await type_filter(pilot, world["member"])
        assert sessions.items and {s.user_email for s in sessions.items.values()} == {world["member"]}
        await press(pilot, "escape", "escape")  # clear the filter, then out of the box
        assert screen_name(app) == "SupportTenantScreen" and not sessions.paging.query

        # One opening, one event: paging, filtering and refreshing are covered by it.
        assert views(world) == [(world["support"],)]
        assert customer_state(world) == before
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
