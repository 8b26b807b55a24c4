"""One line that says what the screen is doing, or what went wrong and what to do next.

Messages are plain text: they may quote what the server sent back.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

_KINDS = ("info", "busy", "ok", "error")


class StatusLine(Static):
    DEFAULT_CSS = """
    StatusLine {
        height: auto;
        min-height: 1;
        padding: 0 1;
        color: $text-muted;
    }
    StatusLine.-busy { color: $text-accent; }
    StatusLine.-ok { color: $text-success; }
    StatusLine.-error { color: $text-error; text-style: bold; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)
        self.kind = "info"
        self.message = ""

    def show(self, message: str, kind: str = "info") -> None:
        assert kind in _KINDS, kind
        self.kind, self.message = kind, message
        for name in _KINDS:
            self.set_class(name == kind, f"-{name}")
        self.update(Text(message))

    def clear(self) -> None:
        self.show("")
