"""The first frame: shown at once while the server starts (or is reached) in a worker."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Middle
from textual.screen import Screen
from textual.widgets import Footer, Header, Static


class StartingScreen(Screen):
    BINDINGS = [Binding("r,ctrl+r", "retry", "Retry", id="retry")]

    def __init__(self) -> None:
        super().__init__()
        self._failed = False

    def _waiting(self) -> Text:
        config = self.app.config
        return Text("Starting the embedded server…" if config.embedded else f"Connecting to {config.server_label}…")

    def compose(self) -> ComposeResult:
        yield Header()
        with Middle():
            with Center():
                yield Static(self._waiting(), id="starting-message")
        yield Footer()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self._failed if action == "retry" else True

    def failed(self, message: str) -> None:
        self._failed = True
        self.query_one("#starting-message", Static).update(Text(f"{message}\n\nPress r to try again, ctrl+q to quit."))
        self.query_one("#starting-message").add_class("-error")
        self.refresh_bindings()

    def action_retry(self) -> None:
        self._failed = False
        self.query_one("#starting-message").remove_class("-error")
        self.query_one("#starting-message", Static).update(self._waiting())
        self.refresh_bindings()
        self.app.start_session()
