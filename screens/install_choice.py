"""The last onboarding step: macOS native or Docker workspace, with what this machine
supports. The choice is stored; the installers come in a later release, so the step
ends with a summary of what happens next."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.content import Content
from textual.binding import Binding
from textual.widgets import Button, OptionList, Static
from textual.widgets.option_list import Option

from screens.base import BaseScreen
from tui.install_choice import InstallOption, options

NEXT_STEPS = {
    "macos": "The native installer will put the `coditect` command in ~/.local/bin and add it to "
             "your PATH if needed. It arrives in the next release of this console.",
    "docker": "The Docker workspace will be an Ubuntu container you reach over SSH, with its seat "
              "taken and released per session. It arrives in the next release of this console.",
}


def option_text(option: InstallOption) -> Content:
    support = (("✓ Supported on this machine", "$text-success") if option.supported
               else ("✗ " + (option.why_not or "Not supported on this machine."), "$text-warning"))
    return Content.assemble((option.title, "bold"), "\n" + option.summary + "\n", support)


class InstallChoiceScreen(BaseScreen):
    STAGE = "Install"
    BINDINGS = [
        Binding("escape", "leave", "Back", id="back"),
        Binding("ctrl+n", "continue", "Continue", id="continue"),
    ]

    def compose_body(self) -> ComposeResult:
        yield Static("How do you want to install CODITECT?", classes="screen-title")
        yield Static("↑/↓ to move, enter to choose.", classes="hint")
        self.options = options()
        choices: list[Option | None] = []
        for option in self.options:
            choices += [None] if choices else []
            choices.append(Option(option_text(option), id=option.id))
        yield OptionList(*choices, id="install-options")
        yield Static("", id="install-summary")
        yield Button("Continue to your account (ctrl+n)", id="continue", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.chosen: str | None = None
        self.query_one("#continue").display = False
        options_list = self.query_one(OptionList)
        supported = [i for i, o in enumerate(self.options) if o.supported]
        options_list.highlighted = supported[0] if supported else 0
        options_list.focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "continue":
            return self.chosen is not None
        if action == "leave":
            return self.app.session.state().install_choice is not None
        return super().check_action(action, parameters)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        option = next(o for o in self.options if o.id == event.option.id)
        self.app.session.choose_install(option.id)
        self.chosen = option.id
        summary = Content.assemble(
            (f"You chose {option.title}. ", "bold"), NEXT_STEPS[option.id],
            ("\n" + option.why_not, "$text-warning") if not option.supported and option.why_not else "",
            "\nYou can change this later from your account screen (key i).")
        self.query_one("#install-summary", Static).update(summary)
        button = self.query_one("#continue", Button)
        button.display = True
        button.focus()
        self.refresh_bindings()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.action_continue()

    def action_leave(self) -> None:
        """Back home when a choice was made before (coming from home); else stay."""
        if self.app.session.state().install_choice is not None:
            self.app.advance()

    def action_continue(self) -> None:
        if self.chosen is not None:
            self.app.advance()
