"""Change password (from Home): the current password, the new one twice, and the
authenticator code when the account has one. The other devices are signed out."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Button, Input, Static

from screens.actions import Action, bindings
from screens.base import BaseScreen
from tui.password import change_password, needs_second_factor
from widgets.form_field import FormField
from widgets.new_password import NewPassword
from widgets.second_factor import SecondFactor


class ChangePasswordScreen(BaseScreen):
    ERROR_FIELDS = {"wrong_password": "current_password", "weak_password": "password",
                    "invalid_code": "totp_code", "code_reused": "totp_code", "mfa_required": "totp_code"}
    ACTIONS = [
        Action("escape", "close", "Back", help="Back to your account, password unchanged"),
        Action("ctrl+s", "submit", "Change password", help="With the passwords entered"),
        Action("ctrl+t", "toggle_factor", "Recovery code", "Use a recovery code or the app",
               "Switch between the authenticator code and a recovery code"),
    ]
    BINDINGS = bindings(ACTIONS)

    def compose_body(self) -> ComposeResult:
        yield Static("Change your password", classes="screen-title")
        yield Static("Your other devices will be signed out; this one stays signed in.", classes="lead")
        yield FormField("Current password", Input(password=True, compact=True, max_length=1024),
                        id="current_password")
        yield NewPassword("New password")
        yield SecondFactor(id="factor")
        yield Button("Change password", id="change", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.query_one("#factor", SecondFactor).show(needs_second_factor(self.app.session))
        self.query_one("#current_password", FormField).input.focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "toggle_factor":
            return needs_second_factor(self.app.session)
        return super().check_action(action, parameters)

    def action_close(self) -> None:
        self.dismiss(None)

    def action_toggle_factor(self) -> None:
        self.query_one("#factor", SecondFactor).toggle()

    def action_submit(self) -> None:
        self.submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.submit()

    def submit(self) -> None:
        if not self.form_ok():
            self.status.show("Fix the fields marked in red first.", "error")
            return
        current = self.query_one("#current_password", FormField).value
        confirm = self.query_one(NewPassword).repeated
        factor = self.query_one("#factor", SecondFactor).values()
        self.call("Changing your password…",
                  lambda: change_password(self.app.session, current, self.query_one(NewPassword).password, confirm, **factor),
                  # Not from inside this screen's own worker: dismissing ends its workers.
                  lambda words: self.app.call_later(self.dismiss, words))
