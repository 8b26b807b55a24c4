"""The command palette (ctrl+p): the app's own commands, then each of the current screen's
ACTIONS (screens/actions.py) whose check_action says it can run now."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider


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
