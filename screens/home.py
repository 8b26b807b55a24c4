"""Home, after onboarding and on every later start: the account, this machine's seat,
today's use, the user's own sessions (revoke the others), activate a license key, new
recovery codes, install choice, sign out. ACTIONS feeds the footer and the palette."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DataTable, Static

from screens.base import BaseScreen
from screens.confirm import ConfirmScreen
from screens.regenerate_codes import RegenerateCodesScreen
from screens.actions import Action, bindings
from tui import home_view
from tui.license_client import LeaseStatus
from tui.onboarding import Step
from widgets.facts import Facts
from widgets.lease_panel import LeasePanel

def _when(moment) -> str:
    return moment.strftime("%b %d %H:%M") if moment else "—"


class HomeScreen(BaseScreen):
    ACTIONS = [
        Action("d", "revoke", "Revoke", "Revoke the highlighted session",
               "Sign out another device (pick it in the sessions table)"),
        Action("g", "new_codes", "New codes", "Make new recovery codes",
               "With an authenticator or recovery code; the old codes stop working"),
        Action("s", "take_seat", "Take seat", "Take the seat again", "This machine has no live seat: take one"),
        Action("k", "activate_key", "Key", "Activate a license key",
               "Enter a key you received; this machine's seat moves to it"),
        Action("i", "install_choice", "Install", "Change the install choice", "macOS native or Docker workspace"),
        Action("p", "change_password", "Password", "Change password",
               "Current password, then the new one; other devices are signed out"),
        Action("l", "app.logout", "Sign out"),
        Action("r", "reload", "Refresh", "Refresh", "Load your account, seat and sessions again", show=False),
    ]
    BINDINGS = bindings(ACTIONS)

    sessions: list = []

    def compose_body(self) -> ComposeResult:
        me = self.app.session.me
        yield Static(Text(home_view.title(me)), classes="screen-title")
        with Horizontal(id="home-panels"):
            yield Facts(self._account_rows(), label_width=12, id="account")
            with Vertical(id="seat-column"):
                yield LeasePanel(self.app.session.license.status(), compact=True, id="lease")
                yield Facts([("Used today", "…")], label_width=13, id="usage")  # lines up with the lease panel
        yield Static("Your sessions (d revokes the highlighted one)", classes="section-title")
        table = DataTable(id="sessions", cursor_type="row", zebra_stripes=True)
        table.add_columns("Device", "From", "Signed in", "Last seen", "")
        yield table
        if home_view.can_administer(me):
            yield Button("Admin console — coming in a later release", id="admin", disabled=True, compact=True)

    def _account_rows(self) -> list[tuple[str, str]]:
        session = self.app.session
        return home_view.account_rows(session.me, session.state().install_choice)

    def on_mount(self) -> None:
        self.app.lease_changed.subscribe(self, self.show_lease)
        self.query_one("#sessions", DataTable).focus()
        self.action_reload()

    # -- loading ------------------------------------------------------------------------

    def action_reload(self) -> None:
        session = self.app.session

        async def load():
            await session.refresh_account()
            return await session.sessions(), await session.usage_today()

        self.call("Loading your account…", load, self._show)

    def _show(self, loaded) -> None:
        sessions, usage = loaded
        self.query_one("#account", Facts).set_rows(self._account_rows())
        self.query_one("#usage", Facts).set_rows([("Used today", f"{usage.used} of {usage.limit} commands")])
        self.show_lease(self.app.session.license.status())
        self.sessions = [s for s in sessions if s.revoked_at is None]
        table = self.query_one("#sessions", DataTable)
        table.clear()
        for info in self.sessions:
            # Two sessions of one device differ by when they signed in.
            table.add_row(Text(info.device_name or "unnamed device"), Text(info.client_addr or "—"),
                          Text(_when(info.created_at)), Text(_when(info.last_seen_at)),
                          Text("this computer" if info.current else ""), key=info.id)

    def show_lease(self, status: LeaseStatus) -> None:
        self.query_one("#lease", LeasePanel).show_status(status)
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "take_seat":
            return not self.app.session.license.status().has_seat
        return super().check_action(action, parameters)

    # -- actions ------------------------------------------------------------------------

    def _highlighted(self):
        table = self.query_one("#sessions", DataTable)
        if not self.sessions or table.cursor_row is None or table.cursor_row >= len(self.sessions):
            return None
        return self.sessions[table.cursor_row]

    def action_revoke(self) -> None:
        info = self._highlighted()
        if info is None:
            self.status.show("No session is highlighted: pick one in the table first.", "error")
            return
        if info.current:
            self.status.show("That is this computer's session: use Sign out (l) to end it.", "error")
            return
        question = Text("End the session on ")
        question.append(info.device_name or "an unnamed device", style="bold")
        question.append("? That device is signed out at once and loses its seat.")

        def answered(yes: bool | None) -> None:
            if yes:
                self.call("Ending the session…", lambda: self.app.session.revoke_session(info.id),
                          lambda _: self.action_reload())

        self.app.push_screen(ConfirmScreen("Revoke session", question, yes="Revoke"), answered)

    def action_new_codes(self) -> None:
        def entered(proof: str | None) -> None:
            if proof:
                self.call("Making new recovery codes…",
                          lambda: self.app.session.mfa.regenerate_recovery_codes(proof),
                          lambda _: self.app.advance())

        self.app.push_screen(RegenerateCodesScreen(), entered)

    def action_change_password(self) -> None:
        from screens.change_password import ChangePasswordScreen

        def changed(words: str | None) -> None:
            if words:
                self.app.notify(words, timeout=8, markup=False)
                self.action_reload()

        self.app.push_screen(ChangePasswordScreen(), changed)

    def action_take_seat(self) -> None:
        def taken(status: LeaseStatus) -> None:
            self.show_lease(status)
            self.app.sync_heartbeat()
            if status.has_seat:
                self.status.show("This machine has a seat again.", "ok")
            else:
                self.status.show(status.describe(), "error")

        self.call("Taking a seat for this machine…", self.app.session.seat.acquire, taken)

    def action_install_choice(self) -> None:
        self.app.go(Step.INSTALL_CHOICE)

    def action_activate_key(self) -> None:
        self.app.go(Step.LICENSE)
