"""Snapshots of the admin and support consoles at 80x24 (and 120x40 where more columns
show), on the seed-demo data of tests/screens/admin_world.py (its license keys fixed).
Sync tests: snap_compare runs its own event loop."""

from __future__ import annotations

import pytest

from tests.screens.admin_world import console_app, seeded, sign_in, world  # noqa: F401
from tests.screens.driving import press, settle


async def loaded(pilot) -> None:
    """Until no list of the screen is loading (a busy machine may need a moment)."""
    from widgets.paged_table import PagedTable

    for _ in range(200):
        await settle(pilot)
        if not any(t.loading_now for t in pilot.app.screen.query(PagedTable)):
            return
        await pilot.pause(0.05)
    raise AssertionError("the lists never finished loading")


@pytest.fixture
def snap_console(snap_compare, world, clock, make_app):
    def run(email_key: str, keys: tuple[str, ...] = (), size=(80, 24), start="admin") -> bool:
        app = console_app(world, clock, make_app, start=start)

        async def run_before(pilot):
            await sign_in(pilot, clock, world[email_key])
            await loaded(pilot)
            for key in keys:
                await press(pilot, key)
                await loaded(pilot)

        return snap_compare(app, run_before=run_before, terminal_size=size)

    return run


def test_admin_overview(snap_console):
    assert snap_console("admin")


def test_admin_sessions(snap_console):
    assert snap_console("admin", ("2",))


def test_admin_sessions_wide(snap_console):
    assert snap_console("admin", ("2",), size=(120, 40))


def test_admin_revoke_confirmation(snap_console):
    assert snap_console("admin", ("2", "down", "d"))


def test_admin_seats(snap_console):
    assert snap_console("admin", ("3",))


def test_admin_users(snap_console):
    assert snap_console("admin", ("4",))


def test_admin_users_wide(snap_console):
    assert snap_console("admin", ("4",), size=(120, 40))


def test_admin_invitations_empty(snap_console):
    assert snap_console("admin", ("5",))


def test_admin_quotas(snap_console):
    assert snap_console("admin", ("6",))


def test_admin_audit(snap_console):
    assert snap_console("admin", ("7",))


def test_support_search(snap_console):
    assert snap_console("support", start=None)


def test_support_customer(snap_console):
    assert snap_console("support", ("enter", "down", "enter"), start=None)


def test_support_customer_sessions(snap_console):
    """The admin console's sessions list, read-only: no Revoke key in the footer."""
    assert snap_console("support", ("enter", "down", "enter", "2"), start=None)


def test_support_customer_wide(snap_console):
    assert snap_console("support", ("enter", "down", "enter", "4"), size=(120, 40), start=None)
