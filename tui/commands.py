"""One list of actions per screen feeds both the footer bindings and the command palette.

A screen declares `ACTIONS = [Action(...), ...]` and `BINDINGS = bindings(ACTIONS)`; the
palette (ctrl+p) lists the app's own commands, then each of the current screen's ACTIONS
whose check_action says it can run now. So the palette and the keys never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider


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


def screen_commands(screen) -> list[tuple[str, str, object]]:
    """(name, help, callback) for the screen's actions that can run now."""
    commands = []
    for item in getattr(screen, "ACTIONS", ()):
        if not item.palette or item.action.startswith("app."):
            continue
        if screen.check_action(item.action, ()) is not True:
            continue
        commands.append((item.name, item.help, partial(screen.run_action, item.action)))
    return commands


class ConsoleCommands(Provider):
    def _commands(self):
        commands = getattr(self.app, "palette_commands", None)
        return commands(self.screen) if callable(commands) else []

    async def discover(self) -> Hits:
        for name, help_text, callback in self._commands():
            yield DiscoveryHit(name, partial(callback), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), partial(callback), help=help_text)
