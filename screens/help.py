"""f1: the keys that work right now, and how onboarding goes.

The list is made from the real bindings, never typed twice: the screen underneath's own
bindings that its check_action allows at this moment (name, then the binding's tooltip
as the longer explanation), then the app's. Only the keys no binding describes (tab,
enter, scrolling) are written here. The dialog scrolls: pageup/pagedown/home/end.
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Static

from tui.onboarding import Step

FLOW = ("Create an account → verify your email (6-digit code) → set up an authenticator app "
        "(scan the QR code) → save your recovery codes → activate a license and take a seat for "
        "this machine → choose how to install CODITECT. If you stop anywhere, the next start "
        "resumes at the same step.")

MOVING = [
    ("tab, shift+tab", "Next / previous field or button"),
    ("enter", "Next field; on the last field, submit"),
    ("pageup, pagedown", "Scroll the page (home, end: top, bottom)"),
]
# Textual's own screen keys (focus moves, copy): described by MOVING, or not ours to explain.
TEXTUAL_SCREEN_ACTIONS = {binding.action for binding in Screen.BINDINGS}


def keys_table(sections: list[tuple[str, list[tuple[str, str]]]]) -> Table:
    """One grid for every section, so all the descriptions start in the same column."""
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    for number, (title, rows) in enumerate(sections):
        if number:
            table.add_row("", "")
        table.add_row(Text(title, style="bold underline"), "")
        for key, what in rows:
            table.add_row(Text(key), Text(what))
    return table


def active_keys(screen: Screen, owner: type) -> list[tuple[str, str]]:
    """(key, words) for the bindings of `screen` defined on an `owner` (the screen itself or
    the App) that are usable now; scrolling keys are described once, in MOVING."""
    rows: dict[str, list[str]] = {}
    for key, active in screen.active_bindings.items():
        binding = active.binding
        if (not isinstance(active.node, owner) or not active.enabled or binding.action.startswith("scroll_")
                or binding.action in TEXTUAL_SCREEN_ACTIONS):
            continue
        words = binding.description or binding.action
        if binding.tooltip:
            words = f"{words}: {binding.tooltip}"
        rows.setdefault(words, []).append(binding.key_display or key)
    return [(", ".join(keys), words) for words, keys in rows.items()]


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
    }
    HelpScreen > Vertical {
        width: 76;
        max-width: 100%;
        height: auto;
        border: thick $primary;
        background: $surface;
        padding: 0 1;
    }
    HelpScreen VerticalScroll {
        height: auto;
        max-height: 80vh;
    }
    HelpScreen .flow {
        margin-bottom: 1;
    }
    """
    BINDINGS = [Binding("escape,f1,q", "close", "Close", id="close-help")]

    def __init__(self, step: Step | None) -> None:
        """`step`: where the user is (the onboarding steps get the overview too)."""
        super().__init__()
        self.step = step

    def compose(self) -> ComposeResult:
        below = next(screen for screen in reversed(self.app.screen_stack) if screen is not self)
        with Vertical() as box:
            box.border_title = "Help"
            with VerticalScroll(id="help-text"):
                if self.step is not Step.HOME:
                    yield Static(FLOW, classes="flow")
                on_screen = active_keys(below, type(below))
                sections = [("On this screen", on_screen)] if on_screen else []
                sections.append(("Everywhere", active_keys(below, App) + MOVING))
                yield Static(keys_table(sections), id="keys")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#help-text").focus()

    def action_close(self) -> None:
        self.dismiss(None)
