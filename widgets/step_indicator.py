"""Where the user is in onboarding: Account › Email › Authenticator › License › Install.

The same bar on every onboarding screen (sign-in is not onboarding and has none). When the
names do not all fit the width, only the current step keeps its name: ✓ › ✓ › 3 Authenticator › 4 › 5.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

STAGES = ("Account", "Email", "Authenticator", "License", "Install")


class StepIndicator(Static):
    COMPONENT_CLASSES = {"step-indicator--current", "step-indicator--done"}
    DEFAULT_CSS = """
    StepIndicator {
        height: 1;
        padding: 0 1;
        color: $text-muted;
    }
    StepIndicator > .step-indicator--current {
        color: $text;
        background: $primary-muted;
        text-style: bold;
    }
    StepIndicator > .step-indicator--done {
        color: $text-success;
    }
    """

    def __init__(self, stage: str, *, id: str | None = None) -> None:
        assert stage in STAGES, stage
        super().__init__("", id=id)
        self.stage = stage

    def render(self) -> Text:
        full = self._bar(names=True)
        return full if full.cell_len <= self.content_region.width else self._bar(names=False)

    def _bar(self, *, names: bool) -> Text:
        current = STAGES.index(self.stage)
        done = self.get_component_rich_style("step-indicator--done")
        now = self.get_component_rich_style("step-indicator--current")
        text = Text(no_wrap=True, overflow="ellipsis")
        for index, name in enumerate(STAGES):
            if index:
                text.append(" › ", style="dim")
            if index < current:
                text.append(f"✓ {name}" if names else "✓", style=done)
            elif index == current:
                text.append(f" {index + 1} {name} ", style=now)
            else:
                text.append(f"{index + 1} {name}" if names else str(index + 1))
        return text
