"""A QR code drawn with block characters, always dark modules on a light background.

Half-block mode packs 2 module rows into one terminal row (▀ ▄ █ and space), so the
otpauth URI of a TOTP enrolment (QR version 5, 37 modules) fits beside its instructions
at 80x24. Full-block mode draws each module as 2 columns x 1 row of █ for terminals
whose fonts break half blocks. Colours are fixed black on white, not theme variables:
on a dark theme "foreground" modules would invert the code and many scanners refuse
inverted codes.
"""

from __future__ import annotations

import textwrap

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Size
from textual.strip import Strip
from textual.widget import Widget

DARK = "#000000"
LIGHT = "#ffffff"
# Pure black on pure white, with no theme involvement and no attributes.
QR_STYLE = Style(color=DARK, bgcolor=LIGHT, bold=False, dim=False, italic=False, reverse=False)

# The ISO quiet zone is 4 modules, but a version 5 code with 4 modules each side is
# 45 modules = 23 half-block rows, which cannot fit in 24 lines with a header and a
# footer. 2 modules is the least we ever draw (phone scanners read it reliably); the
# widget grows the zone towards 4 whenever it is given the room. A code is never drawn
# cut or with less quiet zone: when the width is short (a full-block version 5 code
# needs (37 + 4) x 2 = 82 columns), the widget says how wide the window must be instead.
MIN_QUIET_ZONE = 2
ISO_QUIET_ZONE = 4

MODES = ("half", "full")


def qr_matrix(data: str, border: int = MIN_QUIET_ZONE) -> list[list[bool]]:
    """Modules of the smallest QR code (ECC L) holding `data`, quiet zone included;
    True = dark."""
    import qrcode
    from qrcode.constants import ERROR_CORRECT_L

    code = qrcode.QRCode(version=None, error_correction=ERROR_CORRECT_L, border=border)
    code.add_data(data)
    code.make(fit=True)
    return [list(row) for row in code.get_matrix()]


def _half_block(top: bool, bottom: bool) -> str:
    return {(False, False): " ", (True, False): "▀", (False, True): "▄", (True, True): "█"}[(top, bottom)]


def render_rows(matrix: list[list[bool]], mode: str = "half") -> list[str]:
    """The characters of the code, row by row (styled with QR_STYLE when drawn)."""
    if mode == "full":
        return ["".join("██" if dark else "  " for dark in row) for row in matrix]
    rows = []
    for y in range(0, len(matrix), 2):
        top = matrix[y]
        # An odd last row is completed with light modules (more quiet zone, never less).
        bottom = matrix[y + 1] if y + 1 < len(matrix) else [False] * len(top)
        rows.append("".join(_half_block(t, b) for t, b in zip(top, bottom)))
    return rows


def drawn_size(modules: int, mode: str) -> Size:
    """Terminal cells needed for a code of `modules` x `modules` (quiet zone included)."""
    return Size(modules * 2, modules) if mode == "full" else Size(modules, (modules + 1) // 2)


class QRCode(Widget):
    """QRCode(data, mode="half" | "full"). Sized to the code with the minimum quiet zone;
    when the layout gives it more room, the quiet zone grows up to the ISO 4 modules.
    Give it `max-width: 100%` so a narrow parent squeezes it rather than cutting it."""

    DEFAULT_CSS = """
    QRCode {
        width: auto;
        max-width: 100%;
        height: auto;
    }
    """

    def __init__(self, data: str, mode: str = "half", *, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        super().__init__(name=name, id=id, classes=classes)
        self.data = data
        self.mode = mode
        self._code = qr_matrix(data, border=0)
        self._rows: list[str] = []
        self._rows_for: tuple | None = None
        # The rows the code may take and still be seen whole (set by the screen from its
        # viewport): a code that must be scrolled to be seen cannot be scanned.
        self.max_rows: int | None = None

    @property
    def modules(self) -> int:
        """Modules per side of the code itself, without quiet zone."""
        return len(self._code)

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        self.mode = mode
        self.refresh(layout=True)

    def set_max_rows(self, rows: int | None) -> None:
        if rows != self.max_rows:
            self.max_rows = rows
            self.refresh(layout=True)

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return drawn_size(self.modules + 2 * MIN_QUIET_ZONE, self.mode).width

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        problem = self.does_not_fit(width)
        if problem:
            return len(problem)
        border = self.zone_for(Size(width, drawn_size(self.modules + 2 * MIN_QUIET_ZONE, self.mode).height))
        return drawn_size(self.modules + 2 * border, self.mode).height

    def zone_for(self, size: Size) -> int | None:
        """The widest quiet zone (2 to 4 modules) that fits `size` (the height only
        decides between 2 and more: a tall code scrolls); None when 2 does not fit the width."""
        for border in range(ISO_QUIET_ZONE, MIN_QUIET_ZONE - 1, -1):
            need = drawn_size(self.modules + 2 * border, self.mode)
            if need.width <= size.width and need.height <= size.height:
                return border
        if drawn_size(self.modules + 2 * MIN_QUIET_ZONE, self.mode).width <= size.width:
            return MIN_QUIET_ZONE
        return None

    def quiet_zone(self) -> int | None:
        return self.zone_for(self.content_region.size if self.is_mounted else Size(0, 0))

    def does_not_fit(self, width: int) -> list[str]:
        """Lines saying what the window lacks to show the whole code (none when it fits)."""
        need = drawn_size(self.modules + 2 * MIN_QUIET_ZONE, self.mode)
        if need.width > width:
            lack = f"{need.width} columns: widen the window"
        elif self.max_rows is not None and need.height > self.max_rows:
            lack = f"{need.height} rows: make the window taller"
        else:
            return []
        message = f"This QR code needs {lack}"
        if self.mode == "full":
            message += " or switch to the compact code (ctrl+f)"
        return textwrap.wrap(message + ", or type the key instead.", max(width, 10))

    def _current_rows(self) -> list[str]:
        problem = self.does_not_fit(self.content_region.width)
        if problem:
            return problem
        border = self.quiet_zone()
        key = (border, self.mode)
        if key != self._rows_for:
            light = [False] * (self.modules + 2 * border)
            matrix = ([light] * border
                      + [[False] * border + row + [False] * border for row in self._code]
                      + [light] * border)
            self._rows, self._rows_for = render_rows(matrix, self.mode), key
        return self._rows

    def render_line(self, y: int) -> Strip:
        rows = self._current_rows()
        width = self.content_region.width
        if y >= len(rows):
            return Strip.blank(width)
        text = rows[y]
        style = self.rich_style if self.does_not_fit(width) else QR_STYLE
        strip = Strip([Segment(text, style)], len(text))
        return strip.extend_cell_length(width).crop(0, width)
