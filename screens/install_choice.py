"""The last onboarding step (and "Change the install choice" on home): macOS native or
Docker workspace. Options this machine cannot run are disabled, with the reason; Docker
is checked once per screen in a worker (its daemon must answer). Enter picks an option,
ctrl+n stores it and goes on; escape leaves without storing anything. The installers
open their own screens (macOS install, Docker workspace)."""

from __future__ import annotations

import asyncio

from textual.app import ComposeResult
from textual.content import Content
from textual.widgets import Button, OptionList, Static
from textual.widgets.option_list import Option

from screens.base import BaseScreen
from screens.actions import Action, bindings
from tui.install.macos_flow import this_machine
from tui.install_choice import InstallOption, docker_problem, options

CHECKING_DOCKER = "Checking whether Docker is running…"
NEXT_STEPS = {
    "macos": "Next: the coditect command is downloaded, checked and put in ~/.local/bin, with "
             "your PATH extended only if needed.",
    "docker": "Next: your SSH key is registered and an Ubuntu container is built and started; you reach "
              "it over SSH, and each SSH session holds a seat for as long as it lives.",
    "later": "Nothing is installed now: your account and license are ready.",
}


def option_text(option: InstallOption) -> Content:
    if option.id == "later":  # always possible: nothing to say about this machine
        return Content.assemble((option.title, "bold"), "\n" + option.summary)
    if option.supported:
        support = ("✓ Supported on this machine", "$text-success")
    elif option.why_not == CHECKING_DOCKER:
        support = ("… " + CHECKING_DOCKER, "$text-muted")
    else:
        support = ("✗ " + (option.why_not or "Not supported on this machine."), "$text-warning")
    return Content.assemble((option.title, "bold"), "\n" + option.summary + "\n", support)


class InstallChoiceScreen(BaseScreen):
    STAGE = "Install"
    ACTIONS = [
        Action("ctrl+n", "continue", "Continue", "Save the install choice and continue",
               "Stores the option picked with enter"),
        Action("escape", "leave", "Back", help="Back to your account without changing the choice"),
    ]
    BINDINGS = bindings(ACTIONS)

    chosen: str | None = None

    def compose_body(self) -> ComposeResult:
        yield Static("How do you want to install CODITECT?", classes="screen-title")
        yield Static("↑/↓ to move, enter to pick, ctrl+n to save it.", classes="hint")
        yield OptionList(id="install-options")
        yield Static("", id="install-summary")
        yield Button("Save and continue (ctrl+n)", id="continue", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.query_one("#continue").display = False
        self.show_options(CHECKING_DOCKER)
        self.query_one(OptionList).focus()
        self.run_worker(self._check_docker, group="docker", exclusive=True, exit_on_error=False)

    async def _check_docker(self) -> None:
        self.show_options(await asyncio.to_thread(docker_problem))

    def show_options(self, docker: str | None) -> None:
        self.options = options(docker, this_machine(self.app).platform)
        option_list = self.query_one(OptionList)
        option_list.clear_options()
        for index, option in enumerate(self.options):
            if index:
                option_list.add_option(None)
            option_list.add_option(Option(option_text(option), id=option.id, disabled=not option.supported))
        supported = [i for i, o in enumerate(self.options) if o.supported]
        if supported:
            option_list.highlighted = option_list.get_option_index(self.options[supported[0]].id)

    @property
    def had_choice(self) -> bool:
        return self.app.session.state().onboarded

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "leave":  # back home; in onboarding there is nothing to go back to
            return self.had_choice
        return super().check_action(action, parameters)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        option = next(o for o in self.options if o.id == event.option.id)
        if not option.supported:  # disabled options cannot be selected; a stale list could
            self.status.show(f"{option.title} cannot be chosen here: {option.why_not}", "error")
            return
        self.chosen = option.id
        summary = Content.assemble(
            (f"You picked {option.title}. ", "bold"), NEXT_STEPS[option.id],
            "\nPress ctrl+n to save this choice. You can change it later from your account screen (key i).")
        self.query_one("#install-summary", Static).update(summary)
        button = self.query_one("#continue", Button)
        button.display = True
        self.status.clear()
        # After the layout that shows them: the summary and the button come into view.
        self.call_after_refresh(self._show_continue, button)

    def _show_continue(self, button: Button) -> None:
        button.focus(scroll_visible=False)
        self.query_one("#body").scroll_end(animate=False)  # the summary and button end the page

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.action_continue()

    def action_leave(self) -> None:
        """Back home, nothing stored (only when a choice was stored before)."""
        if self.had_choice:
            self.app.advance()

    def action_continue(self) -> None:
        if self.chosen is None:
            self.status.show("Pick an option with enter first (only supported ones can be picked).", "error")
            return
        state = self.app.session.choose_install(self.chosen)
        if self.chosen == "macos":
            from screens.install_macos import InstallMacosScreen

            self.app.push_screen(InstallMacosScreen())
            return
        if self.chosen == "docker":
            from screens.deploy_workspace import DeployWorkspaceScreen

            self.app.push_screen(DeployWorkspaceScreen())
            return
        self.app.advance(state)
