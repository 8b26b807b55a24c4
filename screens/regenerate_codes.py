"""Asks for proof of the second factor before making a new set of recovery codes: a code
from the authenticator app, or one of the current recovery codes (for someone who lost
the phone; the server accepts either)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.validation import ValidationResult, Validator
from textual.widgets import Input, Static

from tui.codes import is_recovery_code, is_six_digits
from widgets.form_field import FormField

PROOF_HINT = "Enter the code from your authenticator app, or one of your recovery codes."


class CodeOrRecoveryCode(Validator):
    def validate(self, value: str) -> ValidationResult:
        if is_six_digits(value) or is_recovery_code(value):
            return self.success()
        return self.failure("Enter the 6 digits, or a recovery code like xxxx-xxxx-xxxx.")


def proof_field() -> FormField:
    return FormField("Code", Input(placeholder="123 456 or xxxx-xxxx-xxxx", validators=[CodeOrRecoveryCode()],
                                   compact=True, max_length=20), id="code")


class RegenerateCodesScreen(ModalScreen[str | None]):
    """Dismissed with the proof as typed (tui.codes reads it), or None when cancelled."""

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
            yield Static(PROOF_HINT + " Your old recovery codes stop working and 10 new ones are shown once.")
            yield proof_field()
            yield Static("enter: make new codes · escape: cancel", classes="hint")

    def on_mount(self) -> None:
        self.query_one("#code Input").focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        field = self.query_one("#code", FormField)
        if field.check():
            self.dismiss(field.value)

    def action_cancel(self) -> None:
        self.dismiss(None)
