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


def drawn_text(qr: QRCode) -> str:
    return " ".join(" ".join(qr.render_line(y).text for y in range(qr.size.height)).split())


async def test_at_60x20_the_qr_says_it_needs_more_rows_and_the_key_is_there_to_type(config, make_app):
    """A code that only fits by scrolling cannot be scanned: 21 rows of half blocks do not
    fit a 17-row page, so the widget says what is missing instead of being cut."""
    app = make_app(config)
    async with app.run_test(size=(60, 20)) as pilot:
        await to_enroll(pilot)
        screen = app.screen
        body, qr = screen.query_one("#body"), screen.query_one("#qr", QRCode)
        assert screen.query_one("#enroll").has_class("-stacked")
        assert qr.does_not_fit(qr.content_region.width)
        assert "needs 21 rows: make the window taller" in drawn_text(qr)
        assert screen.query_one("#secret").render().plain.strip()  # the key to type instead
        code = screen.query_one("#code Input")
        if not in_view(code, body):
            await press(pilot, "tab")
        assert screen.focused is code and in_view(code, body)
        await press(pilot, "shift+tab", "home")
        assert body.scroll_y == 0


async def test_at_80x24_the_half_block_code_fits_whole(config, make_app):
    app = make_app(config)
    async with app.run_test(size=(80, 24)) as pilot:
        await to_enroll(pilot)
        qr = app.screen.query_one("#qr", QRCode)
        assert not qr.does_not_fit(qr.content_region.width) and qr.quiet_zone() >= 2
        assert in_view(qr, app.screen.query_one("#body"))


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
        assert "needs 82 columns" in drawn_text(qr)
        code = screen.query_one("#code Input")  # the short page fits: the code field has the focus
        assert screen.focused is code and in_view(code, body)


async def test_full_blocks_need_45_rows_too_and_show_the_whole_code_when_they_have_them(config, make_app):
    app = make_app(config)
    async with app.run_test(size=(120, 40)) as pilot:
        await to_enroll(pilot)
        await press(pilot, "ctrl+f")
        qr = app.screen.query_one("#qr", QRCode)
        assert qr.mode == "full" and "needs 41 rows: make the window taller" in drawn_text(qr)
        await pilot.resize_terminal(120, 46)
        await settle(pilot)
        assert not qr.does_not_fit(qr.content_region.width) and qr.quiet_zone() >= 2
        assert in_view(qr, app.screen.query_one("#body"))
        assert qr.content_region.width >= 2 * (qr.modules + 4)
        code = app.screen.query_one("#code Input")
        if app.screen.focused is not code:
            await press(pilot, "tab")
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
