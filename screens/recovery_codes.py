"""The 10 recovery codes, shown once: copy, save to a 0600 file, and an explicit
"I have saved them" before going on.

After a restart the codes are gone from memory (they are never stored): the screen then
asks for a current authenticator code (or a recovery code) and makes a new set. New codes
made from home show no onboarding step bar.
"""

from __future__ import annotations

from pathlib import Path

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Checkbox, Static

from screens.base import BaseScreen
from screens.regenerate_codes import PROOF_HINT, proof_field
from screens.actions import Action, bindings
from widgets.form_field import FormField
from widgets.tick_box import TickBox

CODES_FILE = "coditect-recovery-codes.txt"


def codes_table(codes: list[str]) -> Table:
    """Two columns of five, numbered, as plain text."""
    table = Table.grid(padding=(0, 4))
    half = (len(codes) + 1) // 2
    for row in range(half):
        cells = [Text(f"{i + 1:>2}. {codes[i]}") for i in (row, row + half) if i < len(codes)]
        table.add_row(*cells)
    return table


class RecoveryCodesScreen(BaseScreen):
    STAGE = "Authenticator"
    ERROR_FIELDS = {"invalid_code": "code", "code_reused": "code"}
    ACTIONS = [
        Action("ctrl+y", "copy", "Copy", "Copy the recovery codes", "To the clipboard (OSC 52)"),
        Action("ctrl+s", "save", "Save to file", "Save the recovery codes to a file",
               "A new file in your home folder, readable only by you"),
        Action("ctrl+n", "continue", "Continue", help="Once you have ticked 'I have saved them'"),
    ]
    BINDINGS = bindings(ACTIONS)

    def __init__(self, *, onboarding: bool = True) -> None:
        super().__init__()
        if not onboarding:
            self.STAGE = None  # new codes made from home: not a step of onboarding

    def compose_body(self) -> ComposeResult:
        codes = self.app.session.mfa.pending_recovery_codes
        yield Static("Save your recovery codes", classes="screen-title")
        if codes:
            yield Static("If you lose your phone, each of these codes signs you in once. "
                         "They are shown only now.", classes="lead")
            yield Static(codes_table(codes), id="codes")
            yield Static("", id="saved-to", classes="hint")
            yield TickBox("I have saved them somewhere safe", id="saved")
            with Horizontal(classes="choices"):
                yield Button("Copy (ctrl+y)", id="copy", compact=True)
                yield Button("Save to file (ctrl+s)", id="save", compact=True)
                yield Button("Continue (ctrl+n)", id="continue", variant="primary", compact=True, disabled=True)
        else:
            yield Static("Your recovery codes were shown when you set up your authenticator, and are never "
                         "shown twice. If you did not save them, make a new set. " + PROOF_HINT +
                         " The old codes stop working.", classes="lead")
            yield proof_field()
            with Horizontal(classes="choices"):
                yield Button("Make new codes", id="regenerate", variant="primary", compact=True)
                yield Button("I saved them (ctrl+n)", id="continue", compact=True)

    @property
    def codes(self) -> list[str] | None:
        return self.app.session.mfa.pending_recovery_codes

    @property
    def default_path(self) -> Path:
        return Path.home() / CODES_FILE

    def on_mount(self) -> None:
        self._focus_first()

    def _focus_first(self) -> None:
        first = self.query("#code Input") or self.query("#saved")
        first.first().focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("copy", "save"):
            return bool(self.codes)
        return super().check_action(action, parameters)

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        self.query_one("#continue", Button).disabled = not event.value
        self.refresh_bindings()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        {"copy": self.action_copy, "save": self.action_save, "continue": self.action_continue,
         "regenerate": self.submit}[event.button.id]()

    def action_copy(self) -> None:
        if self.codes:
            self.app.copy_to_clipboard("\n".join(self.codes))
            self.status.show("Codes copied to the clipboard (if your terminal allows it: OSC 52).", "ok")

    def action_save(self) -> None:
        if not self.codes:
            return
        try:
            path = self.app.session.mfa.save_recovery_codes(self.default_path, self.codes)
        except OSError as error:
            self.status.show(f"Could not write {self.default_path}: {error.strerror or 'error'}. "
                             "Copy the codes instead.", "error")
            return
        self.query_one("#saved-to", Static).update(Text(f"Saved to {path} (readable only by you)."))
        self.status.show(f"Codes saved to {path}", "ok")

    def action_continue(self) -> None:
        if self.codes and not self.query_one("#saved", Checkbox).value:
            self.status.show("Tick 'I have saved them' first (space): these codes are not shown again.", "error")
            return
        self.app.advance(self.app.session.mfa.acknowledge_recovery_codes())

    def submit(self) -> None:
        if self.codes:
            return
        if not self.form_ok():
            self.status.show("Fix the code marked in red first.", "error")
            return
        proof = self.query_one("#code", FormField).value
        self.call("Making new recovery codes…",
                  lambda: self.app.session.mfa.regenerate_recovery_codes(proof), self.show_codes)

    async def show_codes(self, _codes: object = None) -> None:
        """Draw again for the codes the session holds now."""
        await self.recompose()
        self._focus_first()
        self.refresh_bindings()
