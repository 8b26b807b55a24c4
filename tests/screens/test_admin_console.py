"""The admin console on the real embedded server with seed-demo data."""

from __future__ import annotations

from textual.widgets import DataTable

from tests.screens.admin_world import console_app, seeded, sign_in, world  # noqa: F401 (fixtures)
from tests.screens.driving import press, screen_name, settle


def cells(table: DataTable) -> list[list[str]]:
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


async def test_explore(world, clock, make_app):
    app = console_app(world, clock, make_app)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, clock, world["admin"])
        await pilot.pause(0.5)
        app.save_screenshot("/tmp/hat/overview.svg")
        await press(pilot, "2")
        await pilot.pause(0.5)
        app.save_screenshot("/tmp/hat/sessions.svg")
        for k in "3456":
            await press(pilot, k)
            await pilot.pause(0.3)
            app.save_screenshot(f"/tmp/hat/p{k}.svg")
        await press(pilot, "7")
        await pilot.pause(0.3)
        app.save_screenshot(f"/tmp/hat/p7.svg")
