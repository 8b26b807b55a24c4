"""Verify the email address: the 6-digit code (or the pasted link), resend with a cooldown,
and in embedded mode a way to read the mail here, since none is really sent."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.widgets import Button, Input, Static

from screens.base import BaseScreen
from screens.actions import Action, bindings
from widgets.form_field import FormField
from widgets.validators import CodeOrLink

RESEND_COOLDOWN_S = 60


class VerifyEmailScreen(BaseScreen):
    STAGE = "Email"
    ERROR_FIELDS = {"invalid_code": "code", "code_expired": "code", "verification_expired": "code"}
    ACTIONS = [
        Action("escape", "app.back", "Back"),
        Action("ctrl+n", "resend", "Resend code", "Resend the code", "A new code by email (once a minute)"),
        Action("ctrl+o", "app.open_outbox", "Read the email"),
    ]
    BINDINGS = bindings(ACTIONS)

    cooldown: reactive[int] = reactive(RESEND_COOLDOWN_S, init=False)

    def compose_body(self) -> ComposeResult:
        session, config = self.app.session, self.app.config
        yield Static("Check your email", classes="screen-title")
        sent = Text("We sent a 6-digit code to ")
        sent.append(session.sign_in.pending_email or "your address", style="bold")
        sent.append(". Type the code below, or paste the whole link from the email here "
                    "(no need to open it in a browser).")
        yield Static(sent, classes="lead")
        if config.embedded:
            note = Text("Embedded server: no mail leaves this computer. The message is in\n")
            note.append(str(config.outbox_dir), style="bold")
            note.append("\nPress ctrl+o to read the latest one here.")
            yield Static(note, classes="outbox-note")
        yield FormField("Code", Input(placeholder="123 456", validators=[CodeOrLink()], compact=True,
                                      max_length=600), id="code")
        with Horizontal(classes="choices"):
            yield Button("Verify", id="verify", variant="primary", compact=True)
            yield Button("", id="resend", compact=True)

    def on_mount(self) -> None:
        self.query_one("#code", FormField).input.focus()
        self._render_cooldown()
        self.resend_timer = self.set_interval(1, self._tick)

    def _tick(self) -> None:
        if self.cooldown > 0:
            self.cooldown -= 1

    def watch_cooldown(self) -> None:
        self._render_cooldown()
        self.refresh_bindings()

    def _render_cooldown(self) -> None:
        button = self.query_one("#resend", Button)
        button.disabled = self.cooldown > 0
        button.label = f"Resend in {self.cooldown} s" if self.cooldown > 0 else "Resend code (ctrl+n)"

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "open_outbox":
            return self.app.config.embedded
        return super().check_action(action, parameters)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "verify":
            self.submit()
        else:
            self.action_resend()

    def action_resend(self) -> None:
        if self.cooldown > 0:
            self.status.show(f"You can ask for a new code in {self.cooldown} s.", "error")
            return

        def sent(_: object) -> None:
            self.cooldown = RESEND_COOLDOWN_S
            self.status.show("A new code is on its way. The previous one no longer works.", "ok")

        self.call("Sending a new code…", self.app.session.sign_in.resend, sent)

    def submit(self) -> None:
        if not self.form_ok():
            self.status.show("Fix the code marked in red first.", "error")
            return
        value = self.query_one("#code", FormField).value
        self.call("Checking the code…", lambda: self.app.session.sign_in.verify(value), self.app.advance)
