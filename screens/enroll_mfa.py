"""Set up the authenticator app: the QR code beside the instructions, the secret as
text (copyable), and a 6-digit code to confirm.

The QR code takes 41x21 cells (version 5, half blocks), so at 80x24 there is no room for
the step indicator and the status line sits in the right-hand column.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Footer, Header, Input, Static

from screens.base import BaseScreen
from tui.config import load_preferences, save_preferences
from widgets.form_field import FormField
from widgets.qr_code import QRCode
from widgets.status_line import StatusLine
from widgets.validators import SixDigitCode


def grouped(secret: str) -> str:
    """ABCD EFGH IJKL …, four groups a line: easier to type than 32 characters in a row."""
    groups = [secret[i:i + 4] for i in range(0, len(secret), 4)]
    return "\n".join(" ".join(groups[i:i + 4]) for i in range(0, len(groups), 4))


class EnrollMfaScreen(BaseScreen):
    STAGE = "Authenticator"
    ERROR_FIELDS = {"invalid_code": "code", "code_reused": "code"}
    BINDINGS = [
        Binding("ctrl+y", "copy_secret", "Copy key", id="copy-secret"),
        Binding("ctrl+f", "toggle_blocks", "QR style", id="toggle-qr"),
    ]

    secret: str | None = None
    uri: str | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="enroll"):
            with VerticalScroll(id="qr-box"):
                yield Static("Preparing your code…", id="qr-placeholder")
            with Vertical(id="enroll-steps"):
                yield Static("Step 3 of 5 · Authenticator", classes="hint")
                yield Static("Secure your account", classes="screen-title")
                yield Static("1. In your authenticator app (Google Authenticator, 1Password, Authy…) "
                             "add an account and scan the code.", classes="instruction")
                yield Static("2. Or type this key:", classes="instruction")
                yield Static("", id="secret")
                yield Static("3. Enter the 6-digit code it shows:", classes="instruction")
                yield FormField("Code", Input(placeholder="123 456", validators=[SixDigitCode()], compact=True,
                                              max_length=7), id="code")
                yield Button("Confirm", id="confirm", variant="primary", compact=True)
                yield StatusLine(id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#code", FormField).input.focus()
        self.start_enrollment()

    def start_enrollment(self) -> None:
        self.call("Preparing your authenticator code…", self.app.session.enroll, self.show_enrollment)

    async def show_enrollment(self, enrollment: tuple[str, str]) -> None:
        """Draw the QR code for the otpauth URI and print the key."""
        self.secret, self.uri = enrollment
        mode = load_preferences(self.app.config).get("qr_mode", "half")
        box = self.query_one("#qr-box")
        await box.remove_children()
        await box.mount(QRCode(self.uri, mode=mode if mode in ("half", "full") else "half", id="qr"))
        self.query_one("#secret", Static).update(Text(grouped(self.secret), style="bold"))
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("copy_secret", "toggle_blocks"):
            return True if self.secret else None
        return super().check_action(action, parameters)

    def action_copy_secret(self) -> None:
        if self.secret:
            self.app.copy_to_clipboard(self.secret)
            self.status.show("Key copied to the clipboard (if your terminal allows it: OSC 52).", "ok")

    def action_toggle_blocks(self) -> None:
        """Full blocks (2 columns a module) for terminals where half blocks don't scan."""
        qr = self.query("#qr").results(QRCode)
        for code in qr:
            mode = "full" if code.mode == "half" else "half"
            code.set_mode(mode)
            save_preferences(self.app.config, qr_mode=mode)
            self.status.show("Full-block QR code: scroll to see all of it if the window is small."
                             if mode == "full" else "Compact QR code.", "info")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.submit()

    def submit(self) -> None:
        if not self.secret:
            self.start_enrollment()
            return
        if not self.form_ok():
            return
        code = self.query_one("#code", FormField).value.replace(" ", "")
        self.call("Checking the code…", lambda: self.app.session.confirm_enroll(code), lambda _: self.app.advance())
