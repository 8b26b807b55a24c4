"""Install the coditect command on this Mac: the release (version, size), one key installs
it with a progress bar, then where it went, whether a new terminal is needed for PATH, and
`coditect status` to try; u uninstalls (after a confirm). Every decision is in
tui/install/macos_flow.py; the download runs in a worker."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import ProgressBar, Static

from screens.actions import Action, bindings
from screens.base import BaseScreen
from screens.confirm import ConfirmScreen
from tui.install.macos import InstallError
from tui.install.macos_flow import MacInstall, human_size, this_machine, uninstall_words
from widgets.facts import Facts

LOADING = "Asking the server for the latest release…"
NOTE = ("Files go to ~/.local/share/coditect/<version>/ and the command to ~/.local/bin/coditect; "
        "a receipt lets u undo exactly what was done. Quarantine attributes are never changed.")


async def _attempt(action):
    """The result, or the InstallError (shown as words by the screen)."""
    try:
        return await action()
    except InstallError as error:
        return error


class InstallMacosScreen(BaseScreen):
    DEFAULT_CSS = """
    InstallMacosScreen #progress, InstallMacosScreen #result, InstallMacosScreen #install-note {
        margin-top: 1;
    }
    """
    ACTIONS = [
        Action("i", "install", "Install", "Install the coditect command", "Download, verify and install it"),
        Action("u", "uninstall", "Uninstall", "Uninstall the coditect command", "Undo exactly what was installed"),
        Action("escape", "leave", "Back", help="Back to your account"),
    ]
    BINDINGS = bindings(ACTIONS)

    manifest = None
    busy = False

    def compose_body(self) -> ComposeResult:
        yield Static("Install CODITECT on this Mac", classes="screen-title")
        yield Facts([("Release", "…"), ("Installed", "…")], label_width=12, id="release")
        yield ProgressBar(total=100, show_eta=False, id="progress")
        yield Static("", id="result", markup=False)
        yield Static(NOTE, classes="hint", id="install-note", markup=False)

    def on_mount(self) -> None:
        self.flow = MacInstall(self.app.session, this_machine(self.app))
        self.query_one("#progress").display = False
        self.query_one("#result").display = False
        self.call(LOADING, lambda: _attempt(self.flow.manifest), self.show_manifest, group="manifest")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "install":
            return self.manifest is not None and not self.busy
        if action == "uninstall":
            flow = getattr(self, "flow", None)
            return flow is not None and flow.installed_version() is not None and not self.busy
        return super().check_action(action, parameters)

    def show_manifest(self, answer) -> None:
        if isinstance(answer, InstallError):
            self.manifest = None
            self.status.show(answer.message, "error")
        else:
            self.manifest = answer
            self.status.show("Press i to install.", "ok")
        self.show_release()

    def show_release(self) -> None:
        installed = self.flow.installed_version() or "not installed"
        if self.manifest is None:
            release = "none available"
        else:
            arch = self.flow.machine.release_arch
            release = f"coditect {self.manifest.version} for macOS {arch}, {human_size(self.manifest.size)}"
        self.query_one("#release", Facts).set_rows([("Release", release), ("Installed", installed)])
        self.refresh_bindings()

    def action_install(self) -> None:
        if self.manifest is None or self.busy:
            return
        bar = self.query_one("#progress", ProgressBar)
        bar.update(total=max(self.manifest.size, 1), progress=0)
        bar.display = True
        self.busy = True
        self.refresh_bindings()

        def progress(done: int, total: int) -> None:
            bar.update(total=max(total, 1), progress=done)

        manifest = self.manifest
        self.call("Downloading and verifying…", lambda: _attempt(lambda: self.flow.install(manifest, progress)),
                  self.show_installed, group="install")

    def show_installed(self, answer) -> None:
        self.busy = False
        result = self.query_one("#result", Static)
        if isinstance(answer, InstallError):
            self.query_one("#progress").display = False
            self.status.show(answer.message, "error")
        else:
            result.update(Text("\n".join(answer.lines)))
            result.display = True
            self.status.show("Done.", "ok")
        self.show_release()

    def action_uninstall(self) -> None:
        if self.busy or self.flow.installed_version() is None:
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.call("Uninstalling…", lambda: _attempt(self.flow.uninstall), self.show_uninstalled,
                          group="install")

        self.app.push_screen(ConfirmScreen(
            "Uninstall coditect", "Remove the coditect command, its files and the PATH lines added for it, "
            "and sign the command out?", yes="Uninstall"), answered)

    def show_uninstalled(self, answer) -> None:
        if isinstance(answer, InstallError):
            self.status.show(answer.message, "error")
        else:
            self.query_one("#progress").display = False
            result = self.query_one("#result", Static)
            result.update(Text(uninstall_words(answer, self.flow.machine.home)))
            result.display = True
            self.status.show("Uninstalled.", "ok")
        self.show_release()

    def action_leave(self) -> None:
        if not self.busy:
            self.app.advance()
