"""The QR widget scans: rebuild the module matrix from the rendered terminal cells,
make an image of it and decode it with a real QR decoder (zxing-cpp)."""

from __future__ import annotations

import numpy as np
import pyotp
import pytest
import zxingcpp
from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.widgets import Footer, Header, Static

from server.services.mfa import otpauth_uri
from widgets.qr_code import QRCode

URI = otpauth_uri(pyotp.random_base32(32), "ada.lovelace@example.com")
INSTRUCTIONS = ("Scan this code with your authenticator app (Google Authenticator, 1Password, "
                "Authy...), then type the 6-digit code it shows.")


class EnrollLikeApp(App):
    """The enrolment layout: the code beside its instructions, header and footer."""

    CSS = "Static { width: 1fr; padding: 0 1; }"

    def __init__(self, mode: str = "half") -> None:
        super().__init__()
        self.mode = mode

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal():
            yield QRCode(URI, mode=self.mode, id="qr")
            yield Static(INSTRUCTIONS)
        yield Footer()


def screen_cells(app: App) -> list[list[tuple[str, tuple, tuple]]]:
    """What the terminal shows: per cell (character, foreground RGB, background RGB)."""
    rows = []
    for strip in app.screen._compositor.render_strips():
        row = []
        for segment in strip:
            style = segment.style
            fg = tuple(style.color.get_truecolor()) if style and style.color else None
            bg = tuple(style.bgcolor.get_truecolor()) if style and style.bgcolor else None
            row.extend((ch, fg, bg) for ch in segment.text)
        rows.append(row)
    return rows


def _dark(rgb) -> bool:
    r, g, b = rgb
    return 0.299 * r + 0.587 * g + 0.114 * b < 128


def modules_from_cells(cells, region, mode: str) -> list[list[bool]]:
    """Module rows (True = dark) from the cells of the widget's region, by their colours."""
    matrix: list[list[bool]] = []
    for y in range(region.y, region.bottom):
        row = cells[y][region.x:region.right]
        if mode == "half":
            top, bottom = [], []
            for ch, fg, bg in row:
                top.append(_dark(fg if ch in "▀█" else bg))
                bottom.append(_dark(fg if ch in "▄█" else bg))
            matrix += [top, bottom]
        else:
            matrix.append([_dark(fg if ch == "█" else bg) for ch, fg, bg in row[::2]])
    return matrix


def decode(matrix: list[list[bool]]) -> list[str]:
    pixels = np.where(np.array(matrix, dtype=bool), 0, 255).astype(np.uint8)
    image = np.kron(pixels, np.ones((8, 8), dtype=np.uint8))  # 8 px per module
    image = np.pad(image, 32, constant_values=255)
    return [result.text for result in zxingcpp.read_barcodes(image)]


async def render_and_decode(mode: str, size: tuple[int, int]) -> tuple[list[str], QRCode, tuple[int, int]]:
    app = EnrollLikeApp(mode)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        qr = app.query_one(QRCode)
        cells = screen_cells(app)
        region = qr.content_region
        matrix = modules_from_cells(cells, region, mode)
        return decode(matrix), qr, (region.width, region.height)


async def test_half_blocks_scan_at_80x24_beside_the_instructions():
    texts, qr, drawn = await render_and_decode("half", (80, 24))
    assert texts == [URI]
    assert qr.modules == 37  # version 5
    assert drawn == (41, 21)  # 2-module quiet zone: fits with header, footer and instructions


async def test_full_block_fallback_scans_at_a_larger_size():
    texts, _qr, drawn = await render_and_decode("full", (120, 50))
    assert texts == [URI]
    assert drawn == (2 * (37 + 4), 37 + 4)


async def test_quiet_zone_grows_to_iso_when_there_is_room():
    class Roomy(App):
        def compose(self) -> ComposeResult:
            yield QRCode(URI, id="qr")

    app = Roomy()
    async with app.run_test(size=(100, 40)) as pilot:
        qr = app.query_one(QRCode)
        qr.styles.width, qr.styles.height = 45, 23
        await pilot.pause()
        assert qr.quiet_zone() == 4
        matrix = modules_from_cells(screen_cells(app), qr.content_region, "half")
        assert decode(matrix) == [URI]
        assert not any(any(row[:4]) for row in matrix)  # 4 light modules at the left edge


@pytest.mark.parametrize("mode", ["half", "full"])
async def test_colours_are_fixed_whatever_the_theme(mode):
    app = EnrollLikeApp(mode)
    seen = {}
    async with app.run_test(size=(120, 50)) as pilot:
        for theme in ("textual-light", "textual-dark", "nord", "solarized-light"):
            app.theme = theme
            await pilot.pause()
            region = app.query_one(QRCode).content_region
            cells = screen_cells(app)
            colours = {(fg, bg) for y in range(region.y, region.bottom)
                       for _ch, fg, bg in cells[y][region.x:region.right]}
            seen[theme] = colours
    assert all(colours == {((0, 0, 0), (255, 255, 255))} for colours in seen.values()), seen
