"""Sign in with email and password (the second factor comes next)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Button, Input, Static

from screens.base import BaseScreen
from tui.api import ApiError
from widgets.form_field import FormField
from widgets.validators import EmailAddress


class LoginScreen(BaseScreen):
    STAGE = "Account"
    ERROR_FIELDS = {"invalid_credentials": "password"}
    BINDINGS = [
        Binding("escape", "app.back", "Back", id="back"),
        Binding("ctrl+s", "submit", "Sign in", id="submit"),
    ]

    def compose_body(self) -> ComposeResult:
        yield Static("Sign in to CODITECT", classes="screen-title")
        yield FormField("Email", Input(placeholder="you@example.com", validators=[EmailAddress()], compact=True,
                                       max_length=254), id="email")
        yield FormField("Password", Input(password=True, compact=True, max_length=1024), id="password")
        yield Button("Sign in", id="sign-in", variant="primary", compact=True)

    def on_mount(self) -> None:
        email = self.query_one("#email", FormField)
        account = self.app.session.credentials.last_account(self.app.session.scope)
        if account:
            email.input.value = account
            self.query_one("#password", FormField).input.focus()
        else:
            email.input.focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.submit()

    def action_submit(self) -> None:
        self.submit()

    def submit(self) -> None:
        if not self.form_ok():
            return
        email = self.query_one("#email", FormField).value.strip()
        password = self.query_one("#password", FormField).value
        session = self.app.session

        async def sign_in():
            try:
                return await session.login(email, password)
            except ApiError as error:
                if error.code == "email_not_verified":
                    # A new code was sent; the state machine now says VERIFY_EMAIL.
                    self.app.notify(error.message, timeout=8)
                    return session.state()
                raise

        self.call("Signing in…", sign_in, lambda _: self.app.advance())
