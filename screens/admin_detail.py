"""enter on any row of the consoles: every field of that row (also what narrow columns
dropped), as plain text. escape or enter closes."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from widgets.facts import Facts


class DetailScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    DetailScreen {
        align: center middle;
    }
    DetailScreen > Vertical {
        width: 90;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        border: thick $primary;
        background: $surface;
        padding: 0 1;
    }
    DetailScreen VerticalScroll {
        height: auto;
        max-height: 20;
    }
    DetailScreen .title {
        text-style: bold;
    }
    DetailScreen .hint {
        color: $text-muted;
    }
    """
    BINDINGS = [Binding("escape,enter", "close", "Close", id="close-detail")]

    def __init__(self, title: str, rows: list[tuple[str, str]]) -> None:
        super().__init__()
        self.title_text = title
        self.rows = rows

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.title_text, classes="title", markup=False)
            with VerticalScroll():
                yield Facts(self.rows, label_width=16, id="detail-facts")
            yield Static("escape closes", classes="hint", markup=False)

    def action_close(self) -> None:
        self.dismiss(None)
