"""Deploy the Docker workspace: the key, the folder, the port and the API; d checks this
computer and deploys (a progress bar and the log of docker compose); success ends with the
ssh line (ctrl+y copies it); x removes the workspace (after a confirm) and revokes its
credential. Every decision is in tui/workspace/flow.py; the work runs in workers."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import ProgressBar, RichLog, Static

from screens.actions import Action, bindings
from screens.base import BaseScreen
from screens.confirm import ConfirmScreen
from tui.workspace.flow import Outcome, WorkspaceFlow, check_line, failure_text
from widgets.facts import Facts

CHECKING = "Checking Docker on this computer…"


class DeployWorkspaceScreen(BaseScreen):
    STAGE = "Install"
    DEFAULT_CSS = """
    DeployWorkspaceScreen #checks { margin-top: 1; }
    DeployWorkspaceScreen #deploy-log { height: 5; border: none; background: $surface; }
    DeployWorkspaceScreen #ssh-line { margin-top: 1; text-style: bold; color: $text-success; }
    """
    ACTIONS = [
        Action("d", "deploy", "Deploy", "Deploy the Docker workspace", "Check, build and start it (again: update)"),
        Action("p", "free_port", "Free port", "Use the free port offered", "When the chosen port is taken"),
        Action("s", "start_api", "Start API", "Start the API for the workspace",
               "Runs coditect-console server on this data folder"),
        Action("ctrl+y", "copy", "Copy ssh", "Copy the ssh command", "To the clipboard (OSC 52)"),
        Action("x", "remove", "Remove", "Remove the workspace", "Stop it, delete it and revoke its credential"),
        Action("escape", "leave", "Back", help="Back to your account"),
    ]
    BINDINGS = bindings(ACTIONS)

    busy = False
    ssh_line: str | None = None

    def compose_body(self) -> ComposeResult:
        yield Static("Docker workspace", classes="screen-title")
        yield Facts([], label_width=9, id="facts")
        yield Static("", id="checks", markup=False)
        yield ProgressBar(total=1, show_eta=False, id="progress")
        yield RichLog(id="deploy-log", wrap=True, markup=False, max_lines=500)
        yield Static("", id="ssh-line", markup=False)

    def on_mount(self) -> None:
        self.flow = WorkspaceFlow(self.app.session)
        self.query_one("#progress").display = False
        self.query_one("#deploy-log").display = False
        self.query_one("#ssh-line").display = False
        self.show_facts()
        self.call(CHECKING, self.flow.check, self.show_checks, group="check")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        flow = getattr(self, "flow", None)
        if action in ("deploy", "remove"):
            return not self.busy and (action == "deploy" or (flow is not None and flow.deployed))
        if action == "free_port":
            return flow is not None and flow.preflight is not None and flow.preflight.free_port is not None
        if action == "start_api":
            return flow is not None and flow.embedded and flow.api_url is None and not self.busy
        if action == "copy":
            return self.ssh_line is not None
        return super().check_action(action, parameters)

    def show_facts(self) -> None:
        self.query_one("#facts", Facts).set_rows(self.flow.facts())
        self.refresh_bindings()

    def show_checks(self, preflight) -> None:
        line = "   ".join(check_line(c) for c in preflight.checks)
        self.query_one("#checks", Static).update(Text(line))
        if preflight.ok:
            self.status.show("Ready: press d to deploy." if not self.flow.deployed
                             else "Deployed: press d to update it in place, x to remove it.", "ok")
        else:
            self.status.show(failure_text(preflight.failure), "error")
        self.show_facts()

    # -- deploy ---------------------------------------------------------------------------------

    def action_deploy(self) -> None:
        if self.busy:
            return
        self.busy = True
        self.ssh_line = None
        self.query_one("#ssh-line").display = False
        bar = self.query_one("#progress", ProgressBar)
        bar.update(total=None, progress=0)
        bar.display = True
        log = self.query_one("#deploy-log", RichLog)
        log.clear()
        log.display = True
        self.refresh_bindings()
        self.call("Checking Docker…", lambda: self.flow.deploy(self._step, self._event), self.show_outcome,
                  group="deploy")

    def _step(self, words: str) -> None:
        self.status.show(words, "busy")
        self.query_one("#deploy-log", RichLog).write(Text(words, style="bold"))

    def _event(self, event) -> None:
        if event.log:
            self.query_one("#deploy-log", RichLog).write(Text(event.log))
        if event.total:
            self.query_one("#progress", ProgressBar).update(total=event.total, progress=event.done)

    def show_outcome(self, outcome: Outcome) -> None:
        self.busy = False
        if self.flow.preflight is not None:
            self.show_checks(self.flow.preflight)
        if outcome.ok:
            self.ssh_line = outcome.ssh_line
            line = self.query_one("#ssh-line", Static)
            line.update(Text(f"$ {outcome.ssh_line}"))
            line.display = True
            bar = self.query_one("#progress", ProgressBar)
            bar.update(total=1, progress=1)
            self.status.show("Your workspace is running. Connect with the line above (ctrl+y copies it).", "ok")
        else:
            self.query_one("#progress").display = False
            self.status.show(failure_text(outcome.failure), "error")
        self.show_facts()

    def on_worker_state_changed(self, event) -> None:
        # An API error (shown in words by BaseScreen) ends the worker without show_outcome:
        # whatever happened, the keys work again once the worker is over.
        if event.worker.group in ("deploy", "remove") and event.worker.is_finished and self.busy:
            self.busy = False
            self.refresh_bindings()

    # -- the other keys -------------------------------------------------------------------------

    def action_free_port(self) -> None:
        preflight = self.flow.preflight
        if preflight is None or preflight.free_port is None or self.busy:
            return
        self.flow.use_port(preflight.free_port)
        self.call(CHECKING, self.flow.check, self.show_checks, group="check")

    def action_start_api(self) -> None:
        async def start():
            url = await self.flow.start_api()
            return await self.flow.check(), url

        def started(answer) -> None:
            preflight, url = answer
            self.show_checks(preflight)
            self.notify(f"The API runs at {url} (also after you quit; its log is workspace-api.log).",
                        markup=False, timeout=10)

        self.call("Starting the API for the workspace…", start, started, group="check")

    def action_copy(self) -> None:
        if self.ssh_line:
            self.app.copy_to_clipboard(self.ssh_line)
            self.status.show("Copied the ssh command.", "ok")

    def action_remove(self) -> None:
        if self.busy or not self.flow.deployed:
            return

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            self.busy = True
            self.refresh_bindings()
            log = self.query_one("#deploy-log", RichLog)
            log.clear()
            log.display = True
            self.call("Removing the workspace…", lambda: self.flow.remove(self._event), self.show_removed,
                      group="remove")

        self.app.push_screen(ConfirmScreen(
            "Remove the workspace", "Stop and delete the workspace container, its home folder and host keys, "
            "and revoke its credential?", yes="Remove"), answered)

    def show_removed(self, outcome: Outcome) -> None:
        self.busy = False
        if outcome.ok:
            self.ssh_line = None
            self.query_one("#ssh-line").display = False
            self.status.show("The workspace is removed and its credential revoked.", "ok")
        else:
            self.status.show(failure_text(outcome.failure), "error")
        self.show_facts()

    def action_leave(self) -> None:
        if not self.busy:
            self.app.advance()
