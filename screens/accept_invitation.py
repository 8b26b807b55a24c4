"""Accept an invitation: paste the code, see whom it is for, choose a name and a password."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Button, Input, Static

from screens.base import BaseScreen
from server import schemas
from widgets.facts import Facts
from widgets.form_field import FormField
from widgets.new_password import NewPassword
from widgets.validators import InvitationCode, PlainLine

# Shown once the code is known to be good.
DETAILS = ("#invitation", "#full_name", "#password", "#confirm", "#accept")


class AcceptInvitationScreen(BaseScreen):
    STAGE = "Account"
    ERROR_FIELDS = {"invitation_invalid": "token", "email_taken": "token", "weak_password": "password"}
    BINDINGS = [
        Binding("escape", "app.back", "Back", id="back"),
        # One key, named for what it does now (check_action shows one of the two).
        Binding("ctrl+s", "check_code", "Continue", id="submit"),
        Binding("ctrl+s", "accept", "Accept", id="accept"),
        Binding("ctrl+o", "app.open_outbox", "Read the email", id="open-outbox"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.previewed_code: str | None = None

    def compose_body(self) -> ComposeResult:
        yield Static("Accept an invitation", classes="screen-title")
        yield Static("Paste the code from your invitation email. You will see whom it is for "
                     "before you choose a password.", id="intro", classes="lead")
        yield Facts(id="invitation", classes="lead", label_width=17)  # values in line with the inputs
        yield FormField("Invitation code", Input(placeholder="the code from the email", validators=[InvitationCode()],
                                                 compact=True, max_length=512), id="token")
        yield FormField("Full name", Input(placeholder="Grace Hopper", compact=True, max_length=200,
                                                 validators=[PlainLine()]), id="full_name")
        yield NewPassword("Password")
        yield Button("Continue", id="continue", variant="primary", compact=True)
        yield Button("Accept and sign in", id="accept", variant="primary", compact=True)

    def on_mount(self) -> None:
        self._show_details(False)
        self.query_one("#token", FormField).input.focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "open_outbox":
            return self.app.config.embedded
        if action in ("check_code", "accept"):
            return (self.previewed_code is None) == (action == "check_code")
        return super().check_action(action, parameters)

    def show_invitation(self, invitation: schemas.InvitationPreview) -> None:
        """The preview's answer: whom the code is for; then the rest of the form."""
        self.previewed_code = self._code()
        self.query_one("#invitation", Facts).set_rows([
            ("Organization", invitation.organization),
            ("Email", invitation.email),
            ("Role", invitation.role.capitalize()),
            ("Code valid until", f"{invitation.expires_at:%Y-%m-%d %H:%M} UTC"),
        ])
        self._show_details(True)
        self.query_one("#full_name", FormField).input.focus()

    def _show_details(self, shown: bool) -> None:
        for selector in DETAILS:
            self.query_one(selector).display = shown
        self.query_one("#intro").display = not shown
        self.query_one("#continue").display = not shown
        self.refresh_bindings()

    def _code(self) -> str:
        return self.query_one("#token", FormField).value.strip()

    @on(Input.Changed, "#token Input")
    def _code_changed(self) -> None:
        if self.previewed_code is not None and self._code() != self.previewed_code:
            self.previewed_code = None  # the details shown belong to the old code
            self._show_details(False)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.submit()

    def action_check_code(self) -> None:
        self.submit()

    def action_accept(self) -> None:
        self.submit()

    def submit(self) -> None:
        if not self.form_ok():
            return
        session, code = self.app.session, self._code()
        if self.previewed_code is None:
            self.call("Checking the invitation…", lambda: session.sign_in.preview_invitation(code), self.show_invitation)
            return
        full_name = self.query_one("#full_name", FormField).value.strip()
        password = self.query_one(NewPassword).password
        self.call("Creating your account…", lambda: session.sign_in.accept_invitation(code, full_name, password),
                  lambda result: self.app.advance(result.state))
