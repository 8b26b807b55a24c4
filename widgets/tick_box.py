"""A checkbox whose state is a shape, not only a colour: ticked shows ✓, unticked a blank,
so it reads the same with NO_COLOR or on a monochrome terminal."""

from __future__ import annotations

from textual.widgets import Checkbox


class TickBox(Checkbox):
    @property
    def BUTTON_INNER(self) -> str:  # noqa: N802 (Textual's class attribute, per value here)
        return "✓" if self.value else " "
