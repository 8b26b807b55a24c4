"""The macOS install as the console runs it: what the install screen calls, one method per key.

Builds on tui/install/macos.py (files) and tui/install/agent.py (the command's own sign-in):
the download goes through the session's API client (the embedded server too), the agent
session is minted only when the console talks to a server the command can reach.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from tui.install import agent
from tui.install.macos import (
    InstallResult, Machine, Manifest, UninstallResult, fetch_manifest, install, read_receipt, uninstall,
)


def human_size(size: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return str(size)


def tilde(path: Path, home: Path) -> str:
    try:
        return "~/" + str(Path(path).relative_to(home))
    except ValueError:
        return str(path)


@dataclass
class Outcome:
    """What the screen shows after an install: lines of plain words."""

    lines: list[str]


class MacInstall:
    def __init__(self, session, machine: Machine | None = None) -> None:
        self.session = session
        self.machine = machine or Machine.this()

    @property
    def on_mac(self) -> bool:
        return self.machine.platform == "darwin"

    def installed_version(self) -> str | None:
        receipt = read_receipt(self.machine)
        return receipt.get("version") if receipt else None

    async def manifest(self) -> Manifest:
        return await fetch_manifest(self.session.api.http, self.machine)

    async def install(self, manifest: Manifest, progress: Callable[[int, int], None]) -> Outcome:
        state_path = None
        if not self.session.config.embedded:
            me, lic = self.session.me, self.session.license
            state_path = await agent.sign_in_agent(
                self.session.api, self.session.config, hardware_id=lic.hardware_id, device_name=lic.device_name,
                user_email=me.email if me else "", lease=lic.cached_lease())
        result = await install(self.session.api.http, self.machine, manifest, progress=progress,
                               agent_state=state_path)
        return Outcome(self._words(result, signed_in=state_path is not None))

    async def uninstall(self) -> UninstallResult:
        result = uninstall(self.machine)
        await agent.sign_out_agent(self.session.api, self.session.config)
        return result

    def _words(self, result: InstallResult, *, signed_in: bool) -> list[str]:
        home = self.machine.home
        if result.unchanged:
            head = f"coditect {result.version} is already installed: nothing to do."
        elif result.upgraded_from:
            head = f"Upgraded coditect from {result.upgraded_from} to {result.version}."
        else:
            head = f"Installed coditect {result.version}."
        lines = [head, f"Command: {tilde(result.command_path, home)} → {tilde(result.target, home)}"]
        if result.new_shell_needed:
            names = ", ".join(tilde(p, home) for p in result.profiles_changed)
            lines.append(f"PATH: added ~/.local/bin in {names}; open a new terminal window to use it.")
        else:
            lines.append("PATH: ~/.local/bin is already on your PATH; no profile was changed.")
        if signed_in:
            lines.append("Signed in: the command has its own session on this Mac (see your sessions list).")
        else:
            lines.append(agent.EMBEDDED_WORDS)
        lines.append("Try it: coditect status")
        return lines


def uninstall_words(result: UninstallResult, home: Path) -> str:
    parts = [f"Removed {len(result.removed)} item(s)"]
    if result.restored:
        parts.append("restored " + ", ".join(tilde(p, home) for p in result.restored))
    if result.kept_edits:
        parts.append("took our PATH block out of " + ", ".join(tilde(p, home) for p in result.kept_edits)
                     + " (your later edits kept)")
    return "Uninstalled coditect: " + "; ".join(parts) + "."


def this_machine(app) -> Machine:
    """The machine the console installs on; tests set `app.install_machine`."""
    injected = getattr(app, "install_machine", None)
    return injected if injected is not None else Machine.this()


__all__ = ["MacInstall", "Outcome", "human_size", "tilde", "uninstall_words", "this_machine"]
