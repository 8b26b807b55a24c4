"""Sign in with email and password (the second factor comes next). The email is
prefilled: the one typed on the screen that sent the user here, else the one just verified
(said so), else the account last signed in here."""

from __future__ import annotations

from textual.app import ComposeResult
from rich.text import Text
from textual.containers import Horizontal
from textual.widgets import Button, Input, Static

from screens.base import BaseScreen
from tui.sign_in import SignInResult
from screens.actions import Action, bindings
from widgets.form_field import FormField
from widgets.validators import EmailAddress


class LoginScreen(BaseScreen):
    ERROR_FIELDS = {"invalid_credentials": "password"}
    ACTIONS = [
        Action("escape", "app.back", "Back"),
        Action("ctrl+s", "submit", "Sign in", help="With the email and password entered"),
        Action("ctrl+f", "forgot", "Forgot password", "Forgot your password?",
               "Set a new password with a code mailed to you"),
    ]
    BINDINGS = bindings(ACTIONS)

    def __init__(self, email: str | None = None) -> None:
        super().__init__()
        self.email = email  # typed elsewhere (e.g. "sign in instead" on the register screen)

    def compose_body(self) -> ComposeResult:
        yield Static("Sign in to CODITECT", classes="screen-title")
        if self.app.session.sign_in.verified_email:
            yield Static(Text("Email verified — sign in to continue."), id="verified", classes="lead")
        yield FormField("Email", Input(placeholder="you@example.com", validators=[EmailAddress()], compact=True,
                                       max_length=254), id="email")
        yield FormField("Password", Input(password=True, compact=True, max_length=1024), id="password")
        with Horizontal(classes="choices"):
            yield Button("Sign in", id="sign-in", variant="primary", compact=True)
            yield Button("Forgot your password? (ctrl+f)", id="forgot", compact=True)

    def on_mount(self) -> None:
        email = self.query_one("#email", FormField)
        session = self.app.session
        verified = session.sign_in.verified_email
        account = self.email or (verified if verified and verified is not True else session.last_account)
        if account:
            email.input.value = account
            self.query_one("#password", FormField).input.focus()
        else:
            email.input.focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "forgot":
            self.action_forgot()
        else:
            self.submit()

    def action_forgot(self) -> None:
        from screens.forgot_password import ForgotPasswordScreen

        self.app.push_screen(ForgotPasswordScreen(self.query_one("#email", FormField).value.strip()))

    def action_submit(self) -> None:
        self.submit()

    def submit(self) -> None:
        if not self.form_ok():
            self.status.show("Fix the fields marked in red first.", "error")
            return
        email = self.query_one("#email", FormField).value.strip()
        password = self.query_one("#password", FormField).value
        self.call("Signing in…", lambda: self.app.session.sign_in.login(email, password), self._signed_in)

    def _signed_in(self, result: SignInResult) -> None:
        if result.message:  # e.g. verify the email first: a new code was sent
            self.app.notify(result.message, timeout=8, markup=False)
        self.app.advance(result.state)
