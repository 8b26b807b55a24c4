"""A new password typed twice (register, invitation, change and reset): the rules are
checked as it is typed, and the repeat must match — checked again whenever the first
changes. The two fields keep the ids `password` and `confirm`, where the screens' API
errors (`weak_password`) are shown."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input

from server.schemas.identity import PASSWORD_MAX_LENGTH
from widgets.form_field import FormField
from widgets.validators import PasswordRules, SameAs


class NewPassword(Vertical):
    DEFAULT_CSS = """
    NewPassword {
        height: auto;
    }
    """

    def __init__(self, label: str = "Password", *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.label = label

    def compose(self) -> ComposeResult:
        yield FormField(self.label, Input(placeholder="12 characters or more", password=True, compact=True,
                                          validators=[PasswordRules()], max_length=PASSWORD_MAX_LENGTH),
                        id="password")
        yield FormField("Repeat password", Input(password=True, compact=True, max_length=PASSWORD_MAX_LENGTH,
                                                 validators=[SameAs(lambda: self.password)]), id="confirm")

    @property
    def password(self) -> str:
        return self.query_one("#password", FormField).value

    @property
    def repeated(self) -> str:
        return self.query_one("#confirm", FormField).value

    @on(Input.Changed, "#password Input")
    def _recheck_repeat(self) -> None:
        confirm = self.query_one("#confirm", FormField)
        if confirm.value:
            confirm.check()
