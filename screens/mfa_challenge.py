"""The second factor at sign-in: the authenticator code, or one recovery code."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Input, Static

from screens.base import BaseScreen
from screens.actions import Action, bindings
from widgets.form_field import FormField
from widgets.validators import RecoveryCodeFormat, SixDigitCode


class MfaChallengeScreen(BaseScreen):
    ACTIONS = [
        Action("escape", "app.back", "Back"),
        Action("ctrl+t", "toggle_method", "Switch method", "Use a recovery code or the app",
               "Switch between the authenticator code and a recovery code"),
    ]
    BINDINGS = bindings(ACTIONS)

    def compose_body(self) -> ComposeResult:
        yield Static("Two-step sign-in", classes="screen-title")
        yield Static("", id="mfa-instructions", classes="lead")
        yield FormField("Code", Input(placeholder="123 456", validators=[SixDigitCode()], compact=True,
                                      max_length=7), id="code")
        yield FormField("Recovery code", Input(placeholder="xxxx-xxxx-xxxx", validators=[RecoveryCodeFormat()],
                                               compact=True, max_length=20), id="recovery_code")
        with Horizontal(classes="choices"):
            yield Button("Continue", id="continue", variant="primary", compact=True)
            yield Button("", id="toggle", compact=True)

    @property
    def ERROR_FIELDS(self) -> dict[str, str]:  # noqa: N802 (BaseScreen's name)
        field = "recovery_code" if self.use_recovery else "code"
        return {"invalid_code": field, "code_reused": field}

    use_recovery = False

    def on_mount(self) -> None:
        self._show_method()

    def _show_method(self) -> None:
        code = self.query_one("#code", FormField)
        recovery = self.query_one("#recovery_code", FormField)
        code.display, recovery.display = not self.use_recovery, self.use_recovery
        self.query_one("#mfa-instructions", Static).update(
            "Enter one of your saved recovery codes. Each one works only once."
            if self.use_recovery else
            "Enter the 6-digit code your authenticator app shows for CODITECT.")
        self.query_one("#toggle", Button).label = (
            "Use the authenticator app (ctrl+t)" if self.use_recovery else "Use a recovery code (ctrl+t)")
        (recovery if self.use_recovery else code).input.focus()

    def action_toggle_method(self) -> None:
        self.use_recovery = not self.use_recovery
        self._show_method()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "toggle":
            self.action_toggle_method()
        else:
            self.submit()

    def submit(self) -> None:
        if not self.form_ok():
            self.status.show("Fix the code marked in red first.", "error")
            return
        sign_in = self.app.session.sign_in
        if self.use_recovery:
            value = self.query_one("#recovery_code", FormField).value
            action = lambda: sign_in.second_factor(recovery_code=value)  # noqa: E731
        else:
            value = self.query_one("#code", FormField).value
            action = lambda: sign_in.second_factor(code=value)  # noqa: E731
        self.call("Checking…", action, self.app.advance)
