"""The latest message in the embedded server's outbox, for users without real mail."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from tui.outbox import OutboxMessage


class OutboxViewerScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    OutboxViewerScreen {
        align: center middle;
    }
    OutboxViewerScreen > Vertical {
        width: 76;
        max-width: 100%;
        height: auto;
        max-height: 20;
        border: thick $primary;
        background: $surface;
        padding: 0 1;
    }
    OutboxViewerScreen .meta {
        color: $text-muted;
        margin-bottom: 1;
    }
    OutboxViewerScreen VerticalScroll {
        height: auto;
        max-height: 12;
    }
    """
    BINDINGS = [Binding("escape,q", "close", "Close", id="close")]

    def __init__(self, message: OutboxMessage | None, outbox_dir) -> None:
        super().__init__()
        self.message = message
        self.outbox_dir = outbox_dir

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "Latest email in the outbox"
            if self.message is None:
                yield Static(Text(f"No message yet in {self.outbox_dir}."))
            else:
                meta = Text()
                meta.append(f"To: {self.message.to}\nSubject: {self.message.subject}\nFolder: {self.message.path.parent}")
                yield Static(meta, classes="meta")
                with VerticalScroll():
                    yield Static(Text(self.message.body.strip()), id="mail-body")
        yield Footer()

    def action_close(self) -> None:
        self.dismiss(None)
