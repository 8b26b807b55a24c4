"""Asks for a current authenticator code before making a new set of recovery codes."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from widgets.form_field import FormField
from widgets.validators import SixDigitCode


class RegenerateCodesScreen(ModalScreen[str | None]):
    """Dismissed with the 6-digit code, or None when cancelled."""

    DEFAULT_CSS = """
    RegenerateCodesScreen {
        align: center middle;
    }
    RegenerateCodesScreen > Vertical {
        width: 64;
        max-width: 100%;
        height: auto;
        padding: 1 2;
        border: thick $primary;
        background: $surface;
    }
    RegenerateCodesScreen FormField .field-label { width: 8; }
    RegenerateCodesScreen FormField .field-error { margin-left: 8; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="cancel")]

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "New recovery codes"
            yield Static("Enter the current code from your authenticator app. Your old recovery codes "
                         "stop working and 10 new ones are shown once.")
            yield FormField("Code", Input(placeholder="123 456", validators=[SixDigitCode()], compact=True,
                                          max_length=7), id="code")
            yield Static("enter: make new codes · escape: cancel", classes="hint")

    def on_mount(self) -> None:
        self.query_one("#code Input").focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        field = self.query_one("#code", FormField)
        if field.check():
            self.dismiss(field.value.replace(" ", ""))

    def action_cancel(self) -> None:
        self.dismiss(None)
