"""Create an account: email, name, organization, password twice."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Button, Input, Static

from screens.base import BaseScreen
from screens.actions import Action, bindings
from tui.onboarding import Step
from widgets.form_field import FormField
from widgets.new_password import NewPassword
from widgets.validators import EmailAddress, PlainLine


class RegisterScreen(BaseScreen):
    STAGE = "Account"
    ERROR_FIELDS = {"email_taken": "email", "weak_password": "password"}
    ACTIONS = [
        Action("escape", "app.back", "Back"),
        Action("ctrl+s", "submit", "Create account", help="With the details entered"),
        Action("ctrl+l", "sign_in", "Sign in", "Sign in instead", "This email already has an account",
               show=False),
    ]
    BINDINGS = bindings(ACTIONS)
    email_taken = False

    def compose_body(self) -> ComposeResult:
        yield Static("Create your CODITECT account", classes="screen-title")
        yield FormField("Email", Input(placeholder="you@example.com", validators=[EmailAddress()],
                                       compact=True, max_length=254), id="email")
        yield FormField("Full name", Input(placeholder="Ada Lovelace", compact=True, max_length=200,
                                           validators=[PlainLine()]), id="full_name")
        yield FormField("Organization", Input(placeholder="Your company or team", compact=True, max_length=200,
                                              validators=[PlainLine()]), id="organization")
        yield NewPassword("Password")
        yield Button("Create account", id="create", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.query_one("#email", FormField).input.focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.submit()

    def action_submit(self) -> None:
        self.submit()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "sign_in":
            return self.email_taken
        return super().check_action(action, parameters)

    def show_api_error(self, error) -> None:
        super().show_api_error(error)
        if error.code == "email_taken":
            self.email_taken = True
            self.status.show("This email has an account: press ctrl+l to sign in instead.", "error")
            self.refresh_bindings()

    def action_sign_in(self) -> None:
        if self.email_taken:
            self.app.go(Step.LOGIN, email=self.query_one("#email", FormField).value.strip())

    def submit(self) -> None:
        if not self.form_ok():
            self.status.show("Fix the fields marked in red first.", "error")
            return
        value = {name: self.query_one(f"#{name}", FormField).value.strip()
                 for name in ("email", "full_name", "organization")}
        password = self.query_one(NewPassword).password
        self.call("Creating your account…",
                  lambda: self.app.session.sign_in.register(value["email"], password, value["full_name"], value["organization"]),
                  self.app.advance)
