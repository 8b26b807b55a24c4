"""Set up the authenticator app: the QR code, the secret as text (copyable), and a
6-digit code to confirm.

The QR code (41x21 cells in half blocks, about 80x41 in full blocks) sits beside the
instructions when the window is wide enough for both, above them otherwise. The whole page
scrolls (pageup/pagedown/home/end, and to whatever gets the focus), so nothing is out of
reach; the code itself is never cut: where it cannot be seen whole (too narrow, or taller
than the page, e.g. 60x20, or full blocks below 45 rows) it says what the window lacks and
the key is there to type (widgets/qr_code.py).
The status line sits under the Confirm button, next to what it talks about.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container, Vertical, VerticalScroll
from textual.widgets import Button, Footer, Header, Input, Static

from screens.base import BaseScreen
from tui import preferences
from widgets.form_field import FormField
from widgets.qr_code import MIN_QUIET_ZONE, QRCode, drawn_size
from widgets.status_line import StatusLine
from widgets.step_indicator import StepIndicator
from widgets.validators import SixDigitCode

# An otpauth URI for a usual email address makes a version 5 code (37 modules).
TOTP_QR_MODULES = 37
# The instructions need about this many columns beside the code to stay readable.
STEPS_MIN_WIDTH = 34


def grouped(secret: str) -> str:
    """ABCD EFGH IJKL …, four groups a line: easier to type than 32 characters in a row."""
    groups = [secret[i:i + 4] for i in range(0, len(secret), 4)]
    return "\n".join(" ".join(groups[i:i + 4]) for i in range(0, len(groups), 4))


class EnrollMfaScreen(BaseScreen):
    STAGE = "Authenticator"
    ERROR_FIELDS = {"invalid_code": "code", "code_reused": "code"}
    BINDINGS = [
        Binding("ctrl+y", "copy_secret", "Copy key", id="copy-secret", tooltip="to the clipboard (OSC 52)"),
        Binding("ctrl+f", "toggle_blocks", "QR style", id="toggle-qr",
                tooltip="full blocks (for fonts that break half blocks) and back"),
    ]

    secret: str | None = None
    uri: str | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield StepIndicator(self.STAGE)
        with VerticalScroll(id="body"):
            with Container(id="enroll"):
                with Vertical(id="qr-box"):
                    yield Static("Preparing your code…", id="qr-placeholder")
                with Vertical(id="enroll-steps"):
                    yield Static("Secure your account", classes="screen-title")
                    yield Static("1. In your authenticator app (Google Authenticator, 1Password, Authy…) "
                                 "add an account and scan the code.", classes="instruction")
                    yield Static("2. Or type this key:", classes="instruction")
                    yield Static("", id="secret")
                    yield Static("3. Enter the 6-digit code it shows:", classes="instruction")
                    yield FormField("Code", Input(placeholder="123 456", validators=[SixDigitCode()], compact=True,
                                                  max_length=7), id="code")
                    yield Button("Confirm", id="confirm", variant="primary", compact=True)
                    yield Static("", id="notice", markup=False)
                    yield StatusLine(id="status")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#body").focus()
        self.fit_layout()
        self.start_enrollment()

    def on_resize(self) -> None:
        self.fit_layout()

    def fit_layout(self) -> None:
        """Side by side when the code and readable instructions both fit, else stacked."""
        code = next(iter(self.query("#qr").results(QRCode)), None)
        modules, mode = (code.modules, code.mode) if code else (TOTP_QR_MODULES, "half")
        code_width = drawn_size(modules + 2 * MIN_QUIET_ZONE, mode).width + 2  # + the box's padding
        self.query_one("#enroll").set_class(self.size.width < code_width + STEPS_MIN_WIDTH, "-stacked")
        if code:  # a code taller than the page cannot be scanned: it says so instead
            code.set_max_rows(self.query_one("#body").size.height or None)
            # The page may have become short enough to show the code field: focus it then.
            self.call_after_refresh(self.focus_code_if_in_view)

    def start_enrollment(self) -> None:
        self.call("Preparing your authenticator code…", self.app.session.mfa.enroll, self.show_enrollment)

    async def show_enrollment(self, enrollment: tuple[str, str]) -> None:
        """Draw the QR code for the otpauth URI and print the key."""
        self.secret, self.uri = enrollment
        mode = preferences.load(self.app.config).qr_mode
        box = self.query_one("#qr-box")
        await box.remove_children()
        await box.mount(QRCode(self.uri, mode=mode, id="qr"))
        self.query_one("#secret", Static).update(Text(grouped(self.secret), style="bold"))
        self.fit_layout()
        self.refresh_bindings()
        self.call_after_refresh(self.focus_code_if_in_view)

    def focus_code_if_in_view(self) -> None:
        """Focus the code field when it is on screen, so the code can be typed at once;
        otherwise keep the page focused (arrows and pageup/pagedown scroll it, tab reaches
        the field) so the QR code is seen first and nobody types blind."""
        body = self.query_one("#body", VerticalScroll)
        code = self.query_one("#code", FormField).input
        if self.focused is body and body.region.contains_region(code.region):
            code.focus(scroll_visible=False)

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
        for code in self.query("#qr").results(QRCode):
            mode = "full" if code.mode == "half" else "half"
            code.set_mode(mode)
            with preferences.edit(self.app.config) as prefs:
                prefs.qr_mode = mode
            self.fit_layout()
            body = self.query_one("#body", VerticalScroll)
            body.scroll_home(animate=False)
            body.focus()  # the code field may now be out of view: never type blind
            self.call_after_refresh(self.focus_code_if_in_view)
            self.status.show("Full-block QR code (for fonts that break half blocks)."
                             if mode == "full" else "Compact QR code.", "info")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.submit()

    def submit(self) -> None:
        if not self.secret:
            self.start_enrollment()
            return
        if not self.form_ok():
            return
        code = self.query_one("#code", FormField).value
        self.call("Checking the code…", lambda: self.app.session.mfa.confirm_enroll(code), lambda _: self.app.advance())
