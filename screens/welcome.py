"""First screen for someone not signed in: create an account, accept an invitation, or sign in."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Static

from screens.base import BaseScreen
from screens.actions import Action, bindings
from tui.local_start import last_account
from tui.onboarding import Step

INTRO = ("CODITECT runs AI agents on your own machine. In a few minutes this console creates "
         "your account, secures it with an authenticator app, activates your license and "
         "prepares the install.")


class WelcomeScreen(BaseScreen):
    ACTIONS = [
        Action("c", "register", "Create account", help="A new account and organization"),
        Action("i", "invitation", "Invitation", "I have an invitation", "Join an organization with the code you were sent"),
        Action("s", "login", "Sign in", help="With an existing account"),
    ]
    BINDINGS = bindings(ACTIONS)
    CHOICES = {"register": Step.REGISTER, "invitation": Step.ACCEPT_INVITATION, "login": Step.LOGIN}

    def compose_body(self) -> ComposeResult:
        yield Static("Welcome to CODITECT", classes="screen-title")
        yield Static(INTRO, classes="lead")
        with Horizontal(classes="choices"):
            yield Button("Create an account (c)", id="register", variant="primary", compact=True)
            yield Button("I have an invitation (i)", id="invitation", compact=True)
            yield Button("Sign in (s)", id="login", compact=True)
        config = self.app.config
        where = Text("Server: ", style="dim")
        where.append(config.server_label)
        if config.embedded:
            where.append("\nNothing leaves this computer: mail is written to ", style="dim")
            where.append(str(config.outbox_dir))
        yield Static(where, classes="server-note")

    def on_mount(self) -> None:
        # Someone who signed in here before most likely wants to sign in again.
        self.query_one("#login" if last_account(self.app.config) else "#register", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.app.go(self.CHOICES[event.button.id])

    def action_register(self) -> None:
        self.app.go(Step.REGISTER)

    def action_invitation(self) -> None:
        self.app.go(Step.ACCEPT_INVITATION)

    def action_login(self) -> None:
        self.app.go(Step.LOGIN)
