"""First screen for someone not signed in: create an account, accept an invitation, or sign in."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Button, Static

from screens.base import BaseScreen
from tui.onboarding import Step

INTRO = ("CODITECT runs AI agents on your own machine. In a few minutes this console creates "
         "your account, secures it with an authenticator app, activates your license and "
         "prepares the install.")


class WelcomeScreen(BaseScreen):
    BINDINGS = [
        Binding("c", "register", "Create account", id="register"),
        Binding("i", "invitation", "Invitation", id="invitation"),
        Binding("s", "login", "Sign in", id="login"),
    ]
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
        self.query_one("#register", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.app.go(self.CHOICES[event.button.id])

    def action_register(self) -> None:
        self.app.go(Step.REGISTER)

    def action_invitation(self) -> None:
        self.app.go(Step.ACCEPT_INVITATION)

    def action_login(self) -> None:
        self.app.go(Step.LOGIN)
