"""The second factor on a form: the authenticator code, or (ctrl+t on the screen) one
recovery code. Only one of the two fields shows at a time."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input

from widgets.form_field import FormField
from widgets.validators import RecoveryCodeFormat, SixDigitCode


class SecondFactor(Vertical):
    DEFAULT_CSS = """
    SecondFactor { height: auto; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.use_recovery = False
        self.wanted = True

    def show(self, wanted: bool) -> None:
        """Show or hide the whole thing (hidden fields are neither checked nor sent)."""
        self.wanted = self.display = wanted
        self._show()

    def compose(self) -> ComposeResult:
        yield FormField("Authenticator", Input(placeholder="123 456", validators=[SixDigitCode()], compact=True,
                                               max_length=7), id="totp_code")
        yield FormField("Recovery code", Input(placeholder="xxxx-xxxx-xxxx", validators=[RecoveryCodeFormat()],
                                               compact=True, max_length=20), id="recovery_code")

    def on_mount(self) -> None:
        self._show()

    def toggle(self) -> None:
        self.use_recovery = not self.use_recovery
        self._show()
        self.field.input.focus()

    @property
    def field(self) -> FormField:
        return self.query_one("#recovery_code" if self.use_recovery else "#totp_code", FormField)

    def _show(self) -> None:
        self.query_one("#totp_code", FormField).display = self.wanted and not self.use_recovery
        self.query_one("#recovery_code", FormField).display = self.wanted and self.use_recovery

    def values(self) -> dict[str, str | None]:
        """Keyword arguments for tui.password: `code` or `recovery_code` (None when hidden)."""
        if not self.wanted:
            return {"code": None, "recovery_code": None}
        if self.use_recovery:
            return {"code": None, "recovery_code": self.field.value.strip()}
        return {"code": self.field.value.replace(" ", ""), "recovery_code": None}
