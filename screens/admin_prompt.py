"""One line to type (an email to invite, a daily limit), checked as you type by a function
from tui/ that returns the words of the problem or None. enter answers, escape cancels."""

from __future__ import annotations

from typing import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static


class PromptScreen(ModalScreen[str | None]):
    DEFAULT_CSS = """
    PromptScreen {
        align: center middle;
    }
    PromptScreen > Vertical {
        width: 64;
        max-width: 100%;
        height: auto;
        border: thick $primary;
        background: $surface;
        padding: 1 2;
    }
    PromptScreen .title {
        text-style: bold;
        margin-bottom: 1;
    }
    PromptScreen .problem {
        color: $text-error;
        height: auto;
    }
    PromptScreen .hint {
        color: $text-muted;
    }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="prompt-cancel")]

    def __init__(self, title: str, question: str | Text, check: Callable[[str], str | None], *,
                 value: str = "", placeholder: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.question = question
        self.check = check
        self.value = value
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.title_text, classes="title", markup=False)
            yield Static(self.question if isinstance(self.question, Text) else Text(self.question))
            yield Input(self.value, placeholder=self.placeholder, id="prompt-input", max_length=320)
            yield Static("", classes="problem", markup=False)
            yield Static("enter: OK · escape: cancel", classes="hint", markup=False)

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.query_one(".problem", Static).update("")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        problem = self.check(event.value)
        if problem:
            self.query_one(".problem", Static).update(Text(problem))
            return
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)
