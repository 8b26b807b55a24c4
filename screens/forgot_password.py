"""Forgot your password? Email → the code (or the pasted link) → the new password twice →
the authenticator code when the account has one → signed in."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Static

from screens.actions import Action, bindings
from screens.base import BaseScreen
from tui.password import PasswordReset
from widgets.form_field import FormField
from widgets.new_password import NewPassword
from widgets.second_factor import SecondFactor
from widgets.validators import CodeOrLink, EmailAddress


class ForgotPasswordScreen(BaseScreen):
    ERROR_FIELDS = {"invalid_code": "code", "invalid_token": "code", "weak_password": "password"}
    ACTIONS = [
        Action("escape", "close", "Back", help="Back to signing in"),
        Action("ctrl+s", "submit", "Continue", help="Send the code, or set the new password"),
        Action("ctrl+n", "send_again", "New code", "Send a new code", "Mail a new code (once a minute)"),
        Action("ctrl+t", "toggle_factor", "Recovery code", "Use a recovery code or the app",
               "Switch between the authenticator code and a recovery code"),
        Action("ctrl+o", "app.open_outbox", "Read the email"),
    ]
    BINDINGS = bindings(ACTIONS)

    def __init__(self, email: str = "") -> None:
        super().__init__()
        self.email = email

    def compose_body(self) -> ComposeResult:
        yield Static("Reset your password", classes="screen-title")
        yield Static("Type your email address: we mail you a code to set a new password.", id="lead",
                     classes="lead", markup=False)
        yield FormField("Email", Input(placeholder="you@example.com", validators=[EmailAddress()], compact=True,
                                       max_length=254, value=self.email), id="email")
        with Vertical(id="reset-step"):
            yield FormField("Code", Input(placeholder="123 456 or the link", validators=[CodeOrLink()],
                                          compact=True, max_length=600), id="code")
            yield NewPassword("New password")
            yield SecondFactor(id="factor")
        with Horizontal(classes="choices"):
            yield Button("Send code", id="continue", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.flow = PasswordReset(self.app.session)
        self._reset_step(False)
        self.query_one("#email", FormField).input.focus()

    def _reset_step(self, shown: bool) -> None:
        # The fields themselves are hidden (not just their box): hidden fields are neither
        # checked nor visited by enter.
        for name in ("code", "password", "confirm"):
            self.query_one(f"#{name}", FormField).display = shown
        self.query_one("#factor", SecondFactor).show(shown and self.flow.needs_second_factor)

    @property
    def code_sent(self) -> bool:
        return self.flow.email is not None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "send_again":
            return self.code_sent
        if action == "toggle_factor":
            return self.flow.needs_second_factor
        if action == "open_outbox":
            return self.app.config.embedded
        return super().check_action(action, parameters)

    def action_close(self) -> None:
        self.dismiss()

    def action_submit(self) -> None:
        self.submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.submit()

    def action_toggle_factor(self) -> None:
        self.query_one("#factor", SecondFactor).toggle()

    def action_send_again(self) -> None:
        self._send(self.flow.email or "")

    def submit(self) -> None:
        if not self.code_sent:
            email = self.query_one("#email", FormField)
            if not email.check():
                email.input.focus()
                return
            self._send(email.value.strip())
            return
        if not self.form_ok():
            self.status.show("Fix the fields marked in red first.", "error")
            return
        code = self.query_one("#code", FormField).value
        factor = self.query_one("#factor", SecondFactor).values()
        self.call("Setting the new password…",
                  lambda: self.flow.reset(code, self.query_one(NewPassword).password, self.query_one(NewPassword).repeated,
                                          **factor),
                  self._signed_in)

    def _send(self, email: str) -> None:
        self.call("Sending the code…", lambda: self.flow.send_code(email), lambda _: self._show_reset_step())

    def _show_reset_step(self) -> None:
        self.query_one("#email", FormField).input.disabled = True
        lead = Text("If an account has this address, we sent it a 6-digit code. Type it (or paste the link "
                    "from the mail), then choose a new password. Signed-in devices will be signed out.")
        self.query_one("#lead", Static).update(lead)
        self._reset_step(True)
        self.query_one("#continue", Button).label = "Set password"
        self.query_one("#code", FormField).input.focus()
        self.status.show("Code sent. It works once, for 15 minutes.", "info")
        self.refresh_bindings()

    def show_api_error(self, error) -> None:
        if error.code == "mfa_required":
            factor = self.query_one("#factor", SecondFactor)
            factor.show(True)
            self.refresh_bindings()
            self.status.show("This account has an authenticator app: type its code too (ctrl+t for a "
                             "recovery code).", "info")
            factor.field.input.focus()
            return
        if error.status == 401 and error.code in ("invalid_code", "code_reused"):  # the authenticator's
            factor = self.query_one("#factor", SecondFactor)
            factor.field.show_error(error.message)
            factor.field.input.focus()
            self.status.clear()
            return
        super().show_api_error(error)

    def _signed_in(self, state) -> None:
        self.app.notify("Password changed. Every other device was signed out.", timeout=8)
        self.app.advance(state)
