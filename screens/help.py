"""f1: the keys, and how onboarding goes."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from tui.onboarding import Step

FLOW = ("Create an account → verify your email (6-digit code) → set up an authenticator app "
        "(scan the QR code) → save your recovery codes → activate a license and take a seat for "
        "this machine → choose how to install CODITECT. If you stop anywhere, the next start "
        "resumes at the same step.")

KEYS = [
    ("ctrl+q", "Quit"),
    ("f1", "This help"),
    ("ctrl+p", "Command palette: every action, searchable"),
    ("escape", "Back (where going back is safe) / close a dialog"),
    ("tab, shift+tab", "Next / previous field or button"),
    ("enter", "Next field; on the last field, submit"),
    ("ctrl+r", "Try again after a failure"),
]

SCREEN_KEYS = {
    Step.ACCEPT_INVITATION: [("ctrl+s", "Check the code, then accept and sign in"),
                             ("ctrl+o", "Read the latest email (embedded)")],
    Step.VERIFY_EMAIL: [("ctrl+n", "Send a new code (after 60 s)"), ("ctrl+o", "Read the latest email (embedded)")],
    Step.ENROLL_MFA: [("ctrl+y", "Copy the key (OSC 52)"), ("ctrl+f", "Switch the QR code to full blocks and back")],
    Step.RECOVERY_CODES: [("ctrl+y", "Copy the codes"), ("ctrl+s", "Save them to a file (0600)"),
                          ("space", "Tick “I have saved them”"), ("ctrl+n", "Continue")],
    Step.MFA_CHALLENGE: [("ctrl+t", "Use a recovery code instead of the app (and back)")],
    Step.LICENSE: [("ctrl+s", "Take a seat with your organization's best license"), ("ctrl+n", "Continue")],
    Step.HOME: [("d", "Revoke the highlighted session"), ("g", "New recovery codes"), ("s", "Take a seat again"),
                ("i", "Change the install choice"), ("l", "Sign out"), ("r", "Refresh")],
}


def keys_table(rows: list[tuple[str, str]]) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    for key, what in rows:
        table.add_row(Text(key), Text(what))
    return table


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
    }
    HelpScreen > Vertical {
        width: 76;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        border: thick $primary;
        background: $surface;
        padding: 0 1;
    }
    HelpScreen VerticalScroll {
        height: auto;
    }
    HelpScreen .section {
        text-style: bold;
        margin-top: 1;
    }
    """
    BINDINGS = [Binding("escape,f1,q", "close", "Close", id="close-help")]

    def __init__(self, step: Step | None) -> None:
        super().__init__()
        self.step = step

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "Help"
            with VerticalScroll():
                yield Static(FLOW)
                yield Static("Keys everywhere", classes="section")
                yield Static(keys_table(KEYS))
                if self.step in SCREEN_KEYS:
                    yield Static("On this screen", classes="section")
                    yield Static(keys_table(SCREEN_KEYS[self.step]))
        yield Footer()

    def action_close(self) -> None:
        self.dismiss(None)
