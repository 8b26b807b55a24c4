"""Layout at small and large sizes: the enroll page scrolls to the field that has the focus
and never cuts the QR code; an error is said once; help lists the keys that work now."""

from __future__ import annotations

from tests.screens.driving import press, register, screen_name, settle, verify_from_outbox
from tests.screens.test_home import onboard_to_home
from widgets.qr_code import QRCode
from widgets.status_line import StatusLine


def in_view(widget, scroller) -> bool:
    """The widget's whole region lies inside the scroller's visible region."""
    return scroller.region.contains_region(widget.region)


async def to_enroll(pilot) -> None:
    await settle(pilot)
    await register(pilot)
    await verify_from_outbox(pilot)
    assert screen_name(pilot.app) == "EnrollMfaScreen"


async def test_at_60x20_the_qr_comes_first_and_tab_scrolls_to_the_code(config, make_app):
    app = make_app(config)
    async with app.run_test(size=(60, 20)) as pilot:
        await to_enroll(pilot)
        screen = app.screen
        body, qr = screen.query_one("#body"), screen.query_one("#qr", QRCode)
        assert screen.query_one("#enroll").has_class("-stacked")
        assert qr.region.x >= 0 and qr.region.right <= 60 and qr.quiet_zone() is not None
        code = screen.query_one("#code Input")
        assert screen.focused is body and not in_view(code, body)  # the QR is seen first
        await press(pilot, "tab")
        assert screen.focused is code and in_view(code, body)
        await press(pilot, "shift+tab", "home")
        assert body.scroll_y == 0
        await press(pilot, "pagedown")
        assert body.scroll_y > 0


async def test_full_blocks_need_82_columns_and_never_give_up_the_quiet_zone(config, make_app):
    app = make_app(config)
    async with app.run_test(size=(80, 24)) as pilot:
        await to_enroll(pilot)
        screen = app.screen
        assert not screen.query_one("#enroll").has_class("-stacked")
        await press(pilot, "ctrl+f")
        qr, body = screen.query_one("#qr", QRCode), screen.query_one("#body")
        assert screen.query_one("#enroll").has_class("-stacked")
        assert qr.mode == "full" and qr.quiet_zone() is None  # (37 + 2 x 2) x 2 = 82 > 80
        shown = " ".join(qr.render_line(y).text for y in range(qr.size.height))
        assert "needs 82 columns" in " ".join(shown.split())
        code = screen.query_one("#code Input")  # the short page fits: the code field has the focus
        assert screen.focused is code and in_view(code, body)


async def test_full_blocks_on_a_wide_terminal_show_the_whole_code_with_its_quiet_zone(config, make_app):
    app = make_app(config)
    async with app.run_test(size=(100, 30)) as pilot:
        await to_enroll(pilot)
        await press(pilot, "ctrl+f")
        qr = app.screen.query_one("#qr", QRCode)
        assert qr.mode == "full" and qr.quiet_zone() >= 2
        assert qr.region.right <= 100 and qr.content_region.width >= 2 * (qr.modules + 4)
        await press(pilot, "tab")
        code = app.screen.query_one("#code Input")
        assert app.screen.focused is code and in_view(code, app.screen.query_one("#body"))


async def test_a_wrong_code_is_said_once_under_the_field(config, make_app):
    app = make_app(config)
    async with app.run_test(size=(80, 24)) as pilot:
        await to_enroll(pilot)
        screen = app.screen
        screen.query_one("#code Input").value = "000000"
        await press(pilot, "enter")
        under = str(screen.query_one("#code .field-error").render())
        status = screen.query_one("#status", StatusLine)
        assert under and status.message == ""
        assert screen.focused is screen.query_one("#code Input")


async def test_help_lists_the_keys_that_work_now_and_scrolls(config, make_app, clock):
    app = make_app(config)
    async with app.run_test(size=(60, 20)) as pilot:
        await settle(pilot)
        await onboard_to_home(pilot, clock)
        await press(pilot, "f1")
        table = app.screen.query_one("#keys").content
        text = " ".join(str(cell) for column in table.columns for cell in column.cells)
        assert "Sign out" in text and "ctrl+q" in text
        assert "Take seat" not in text  # the seat is held: s does nothing, so it is not listed
        scroller = app.screen.query_one("#help-text")
        assert scroller.max_scroll_y > 0
        await press(pilot, "end")
        assert scroller.scroll_y == scroller.max_scroll_y
        await press(pilot, "home")
        assert scroller.scroll_y == 0
