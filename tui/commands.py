"""The command palette (ctrl+p): the app's actions that make sense on the current screen.

The list comes from CoditectApp.palette_commands(), so the palette and the key bindings
never disagree about what can be done right now.
"""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider


class ConsoleCommands(Provider):
    def _commands(self):
        commands = getattr(self.app, "palette_commands", None)
        return commands() if callable(commands) else []

    async def discover(self) -> Hits:
        for name, help_text, callback in self._commands():
            yield DiscoveryHit(name, partial(callback), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), partial(callback), help=help_text)
