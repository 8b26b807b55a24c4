"""One list of actions per screen feeds the footer bindings, help and the command palette.

A screen declares `ACTIONS = [Action(...), ...]` and `BINDINGS = bindings(ACTIONS)`; the
palette (console/palette.py) lists each of the current screen's ACTIONS whose check_action
says it can run now. So the palette and the keys never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding


@dataclass(frozen=True)
class Action:
    key: str
    action: str  # the screen's action name ("take_seat" runs action_take_seat)
    label: str  # short, for the footer
    title: str = ""  # for the palette and help; the label when empty
    help: str = ""
    show: bool = True  # in the footer
    palette: bool = True

    @property
    def name(self) -> str:
        return self.title or self.label

    @property
    def id(self) -> str:
        return self.action.replace("_", "-").replace(".", "-")


def bindings(actions: list[Action]) -> list[Binding]:
    return [Binding(a.key, a.action, a.label, show=a.show, id=a.id, tooltip=a.help) for a in actions]
