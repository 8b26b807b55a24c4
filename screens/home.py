"""Home, after onboarding and on every later start: the account, this machine's seat,
today's use, the user's own sessions (revoke the others), activate a license key, new
recovery codes, install choice, sign out. ACTIONS feeds the footer and the palette."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DataTable, Static

from screens.base import BaseScreen, needs_session
from screens.confirm import ConfirmScreen
from screens.regenerate_codes import RegenerateCodesScreen
from screens.actions import Action, bindings
from tui import home_view
from tui.home_cache import HomeCopy
from tui.lease_status import LeaseStatus
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
               "With an authenticator or recovery code; the old codes stop working", show=False),
        Action("s", "take_seat", "Take seat", "Take the seat again", "This machine has no live seat: take one"),
        Action("k", "activate_key", "Key", "Activate a license key",
               "Enter a key you received; this machine's seat moves to it"),
        Action("i", "install_choice", "Install", "Change the install choice", "macOS native or Docker workspace"),
        Action("p", "change_password", "Password", "Change password",
               "Current password, then the new one; other devices are signed out", show=False),
        Action("a", "admin_console", "Admin", "Open the admin console",
               "Sessions, seats, users, quotas and audit of your organization (owners and admins)",
               show=False),  # the button says "(a)"; the footer keeps room for f1
        Action("l", "app.logout", "Sign out"),
        Action("r", "reload", "Refresh", "Refresh", "Load your account, seat and sessions again", show=False),
    ]
    BINDINGS = bindings(ACTIONS)

    sessions: list = []

    def __init__(self, copy: HomeCopy | None = None) -> None:
        """`copy`: what to draw before the session is ready (a returning user's first frame)."""
        super().__init__()
        self.copy = copy

    def _view(self) -> HomeCopy:
        session = self.app.session
        if self.app.session_ready and session.me is not None:
            return home_view.copy_of(session, self.copy.usage if self.copy else None)
        return self.copy

    def compose_body(self) -> ComposeResult:
        view = self._view()
        yield Static(Text(home_view.title(view.account)), classes="screen-title")
        with Horizontal(id="home-panels"):
            yield Facts(home_view.account_rows(view.account, view.install_choice), label_width=12, id="account")
            with Vertical(id="seat-column"):
                yield LeasePanel(view.lease, compact=True, id="lease")
                # lines up with the lease panel
                yield Facts([home_view.usage_row(view.usage)], label_width=13, id="usage")
        yield Static("Your sessions (d revokes the highlighted one)", classes="section-title")
        table = DataTable(id="sessions", cursor_type="row", zebra_stripes=True)
        table.add_columns("Device", "From", "Signed in", "Last seen", "")
        yield table
        if home_view.can_administer(view.account):
            yield Button("Admin console (a)", id="admin", compact=True)
        # Not in the footer (it keeps room for f1 at 80 columns), so said here.
        yield Static("g new recovery codes · p change password · ctrl+p every action", classes="hint")

    def on_mount(self) -> None:
        self.app.lease_changed.subscribe(self, self.show_lease)
        self.query_one("#sessions", DataTable).focus()
        if self.app.session_ready:
            self.action_reload()
        else:
            self.status.show(self.app.starting_words(), "busy")

    def session_ready(self) -> None:
        """The app finished starting (drawn from the cached copy until now): the seat as the
        session knows it now (offline when the server is away), then everything fresh."""
        self._draw_lease(self.app.session.seat.status())
        self.action_reload()

    # -- loading ------------------------------------------------------------------------

    @needs_session
    def action_reload(self) -> None:
        session = self.app.session
        self.call("Loading your account…", lambda: home_view.load(session), self._show)

    def _show(self, loaded: home_view.HomeData) -> None:
        self.copy = loaded.copy
        self.query_one("#account", Facts).set_rows(home_view.account_rows(loaded.copy.account,
                                                                          loaded.copy.install_choice))
        self.query_one("#usage", Facts).set_rows([home_view.usage_row(loaded.copy.usage)])
        self._draw_lease(loaded.copy.lease)
        self.app.sync_heartbeat()  # back to the server's pace after an outage
        self.sessions = loaded.sessions
        table = self.query_one("#sessions", DataTable)
        table.clear()
        for info in self.sessions:
            # Two sessions of one device differ by when they signed in.
            table.add_row(Text(info.device_name or "unnamed device"), Text(info.client_addr or "—"),
                          Text(_when(info.created_at)), Text(_when(info.last_seen_at)),
                          Text("this computer" if info.current else ""), key=info.id)

    def show_lease(self, status: LeaseStatus) -> None:
        """After each heartbeat (the app's signal)."""
        back_online = self.query_one("#lease", LeasePanel).state == "offline" and status.state == "online"
        self._draw_lease(status)
        if back_online:  # the server answers again: the rest of the page is stale too
            self.action_reload()

    def _draw_lease(self, status: LeaseStatus) -> None:
        self.query_one("#lease", LeasePanel).show_status(status)
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "take_seat":
            return not self._view().lease.has_seat
        if action == "admin_console":
            return home_view.can_administer(self._view().account)
        return super().check_action(action, parameters)

    # -- actions ------------------------------------------------------------------------

    def _highlighted(self):
        table = self.query_one("#sessions", DataTable)
        if not self.sessions or table.cursor_row is None or table.cursor_row >= len(self.sessions):
            return None
        return self.sessions[table.cursor_row]

    @needs_session
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

    @needs_session
    def action_new_codes(self) -> None:
        def entered(proof: str | None) -> None:
            if proof:
                self.call("Making new recovery codes…",
                          lambda: self.app.session.mfa.regenerate_recovery_codes(proof),
                          lambda _: self.app.advance())

        self.app.push_screen(RegenerateCodesScreen(), entered)

    @needs_session
    def action_change_password(self) -> None:
        from screens.change_password import ChangePasswordScreen

        def changed(words: str | None) -> None:
            if words:
                self.app.notify(words, timeout=8, markup=False)
                self.action_reload()

        self.app.push_screen(ChangePasswordScreen(), changed)

    @needs_session
    def action_take_seat(self) -> None:
        def taken(status: LeaseStatus) -> None:
            self.show_lease(status)
            self.app.sync_heartbeat()
            if status.has_seat:
                self.status.show("This machine has a seat again.", "ok")
            else:
                self.status.show(status.describe(), "error")

        self.call("Taking a seat for this machine…", self.app.session.seat.acquire, taken)

    def action_admin_console(self) -> None:
        self.app.open_admin_console()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "admin":
            self.app.open_admin_console()

    def action_install_choice(self) -> None:
        self.app.go(Step.INSTALL_CHOICE)

    def action_activate_key(self) -> None:
        self.app.go(Step.LICENSE)
