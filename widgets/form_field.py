"""A labelled input with its error message right under it.

Validation runs as the user types (textual.validation on the Input); the message for the
first failing validator appears under the field once there is something to judge, and the
screen can put a server-side message there too (`show_error`).
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, Static


class FormField(Vertical):
    DEFAULT_CSS = """
    FormField {
        height: auto;
        margin-bottom: 0;
    }
    FormField > Horizontal {
        height: 1;
    }
    FormField .field-label {
        width: 18;
        color: $text-muted;
    }
    FormField Input {
        width: 1fr;
    }
    FormField .field-error {
        height: auto;
        min-height: 1;
        margin-left: 18;
        color: $text-error;
    }
    """

    def __init__(self, label: str, field_input: Input, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.label = label
        self.input = field_input
        self._error = Static("", classes="field-error", markup=False)

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Label(self.label, classes="field-label")
            yield self.input
        yield self._error

    @property
    def value(self) -> str:
        return self.input.value

    def show_error(self, message: str | None) -> None:
        self._error.update(Text(message or ""))
        self.input.set_class(bool(message), "-invalid")

    def check(self) -> bool:
        """Validate now (also an empty value); show the problem. True when valid."""
        if not self.input.value.strip():
            self.show_error("Required.")
            return False
        result = self.input.validate(self.input.value)
        problem = result.failure_descriptions[0] if result and not result.is_valid else None
        self.show_error(problem)
        return problem is None

    def on_input_changed(self, event: Input.Changed) -> None:
        result = event.validation_result
        if not event.value or result is None or result.is_valid:
            self.show_error(None)
        else:
            self.show_error(result.failure_descriptions[0])
