"""The admin console: overview, sessions, seats, users, invitations, quotas, audit of one
organization, for its owners and admins. Every write asks first (ConfirmScreen: the
question names what ends; focus on No; y confirms), then changes its row in place.

The session is used through a narrow seam: the ApiClient and who is signed in (`me`).
"""

from __future__ import annotations

from rich.text import Text

from screens.actions import Action, bindings
from screens.admin_frame import ConsoleFrame, read_actions
from screens.confirm import ConfirmScreen
from tui import admin_console as ac
from tui.admin_client import AdminClient
from tui.admin_sources import PANEL_IDS, AdminData

WRITE_ACTIONS = [
    Action("d", "revoke_session", "Revoke", "Revoke the highlighted session",
           "Signs that device out at once; its seats end"),
    Action("D", "revoke_user_sessions", "All of user", "Revoke all sessions of that user",
           "Every device of the highlighted session's (or user's) owner is signed out"),
    Action("f", "release_seat", "Release", "Force-release the highlighted seat",
           "The seat is free for someone else; that machine must take one again"),
    Action("o", "change_role", "Role", "Change the highlighted user's role", "member, admin or (owners only) owner"),
    Action("x", "toggle_disabled", "Disable", "Disable or enable the highlighted user",
           "Disabling ends every session and seat of theirs"),
    Action("m", "reset_mfa", "2FA", "Reset the highlighted user's second factor",
           "They set up a new authenticator at their next sign-in"),
    Action("i", "invite", "Invite", "Invite someone by email", "A code is mailed to them; it works once, 7 days"),
    Action("c", "cancel_invitation", "Cancel", "Cancel the highlighted invitation"),
    Action("e", "edit_quota", "Edit limit", "Edit the highlighted user's daily limit", "Effective at once"),
    Action("E", "edit_default_quota", "Default", "Edit the organization's default daily limit",
           "Applies to everyone without their own limit"),
]


class AdminConsoleScreen(ConsoleFrame):
    ACTIONS = [*read_actions(PANEL_IDS), *WRITE_ACTIONS,
               Action("escape", "back", "Back", "Back to your account", "escape in a filter box clears it first")]
    BINDINGS = bindings(ACTIONS)
    WRITE = {
        "revoke_session": frozenset({"sessions"}),
        "revoke_user_sessions": frozenset({"sessions", "users"}),
        "release_seat": frozenset({"seats"}),
        "change_role": frozenset({"users"}),
        "toggle_disabled": frozenset({"users"}),
        "reset_mfa": frozenset({"users"}),
        "invite": frozenset({"users", "invitations"}),
        "cancel_invitation": frozenset({"invitations"}),
        "edit_quota": frozenset({"quotas"}),
        "edit_default_quota": frozenset({"quotas"}),
    }
    FORBIDDEN = ("The server refused: the admin console is for owners and admins signed in with a second "
                 "factor, and your role does not allow this.")

    def __init__(self, api, me) -> None:
        self.me = me
        self.client = AdminClient(api)
        self.data = AdminData(self.client)
        super().__init__(self.data.panels())

    def banner(self) -> Text:
        banner = Text(f"ADMIN [RW] · {self.me.tenant_name} · you are {self.me.role} · ", no_wrap=True,
                      overflow="ellipsis")
        banner.append("auto-refresh 5 s · UTC", style="dim")
        return banner

    # -- overview -----------------------------------------------------------------------------

    async def fetch_overview(self):
        return await self.client.overview()

    def show_overview(self, overview) -> None:
        from widgets.facts import Facts

        self.query_one("#overview-facts", Facts).set_rows(ac.overview_facts(overview))
        self.query_one("#licenses", Facts).set_rows(ac.license_lines(overview.licenses))
        self.recent = list(overview.recent_audit)

    # -- writes ---------------------------------------------------------------------------------

    def _highlighted(self, panel_id: str):
        item = self.table(panel_id).highlighted()
        if item is None:
            self.status.show("Nothing is highlighted: pick a row first.", "error")
        return item

    def _confirm(self, confirmation: ac.Confirmation, then) -> None:
        def answered(yes: bool | None) -> None:
            if yes:
                then()

        self.app.push_screen(ConfirmScreen(confirmation.title, confirmation.question, yes=confirmation.yes), answered)

    def _done(self, message: str, *panels: str):
        def done(_result) -> None:
            self.status.show(message, "ok")
            for panel in panels:
                self.table(panel).reload()

        return done

    def action_revoke_session(self) -> None:
        session = self._highlighted("sessions")
        if session is None:
            return
        if not session.active:
            self.status.show("That session has already ended.", "error")
            return
        own = ac.is_own_session(session, self.me)
        self._confirm(ac.revoke_session_confirmation(session, own), lambda: self.call(
            "Revoking the session…", lambda: self.client.revoke_session(session.id),
            self._signed_out_here if own else self._done(
                f"Session of {session.user_email} on {session.device_name or 'an unnamed device'} revoked.",
                "sessions")))

    def action_revoke_user_sessions(self) -> None:
        item = self._highlighted(self.panel_id)
        if item is None:
            return
        user_id = getattr(item, "user_id", None) or item.id
        email = getattr(item, "user_email", None) or item.email
        own = user_id == self.me.user_id
        self._confirm(ac.revoke_user_confirmation(email, own), lambda: self.call(
            f"Revoking every session of {email}…", lambda: self.client.revoke_user_sessions(user_id),
            self._signed_out_here if own else lambda count: self._done(
                f"{count} session{'s' if count != 1 else ''} of {email} revoked.", "sessions")(count)))

    def action_release_seat(self) -> None:
        seat = self._highlighted("seats")
        if seat is None:
            return
        self._confirm(ac.release_seat_confirmation(seat), lambda: self.call(
            "Releasing the seat…", lambda: self.client.release_seat(seat.id),
            self._done(f"Seat of {seat.holder_email} released.", "seats")))

    def action_change_role(self) -> None:
        from screens.admin_choice import ChoiceScreen

        user = self._highlighted("users")
        if user is None:
            return
        choices = ac.role_choices(self.me.role)

        def chosen(role: str | None) -> None:
            if role and role != user.role:
                self._confirm(ac.role_confirmation(user, role), lambda: self.call(
                    "Changing the role…", lambda: self.client.change_role(user.id, role),
                    self._user_changed(f"{user.email} is now {role}.")))

        self.app.push_screen(ChoiceScreen("Change role", Text.assemble("Role of ", (user.email, "bold"), ":"),
                                          [(r, ac.ROLE_WORDS[r]) for r in choices]), chosen)

    def action_toggle_disabled(self) -> None:
        user = self._highlighted("users")
        if user is None:
            return
        enable = user.disabled
        self._confirm(ac.disable_confirmation(user), lambda: self.call(
            "Enabling…" if enable else "Disabling…",
            lambda: self.client.enable_user(user.id) if enable else self.client.disable_user(user.id),
            self._user_changed(f"{user.email} is {'enabled' if enable else 'disabled'}.")))

    def action_reset_mfa(self) -> None:
        user = self._highlighted("users")
        if user is None:
            return
        self._confirm(ac.reset_mfa_confirmation(user), lambda: self.call(
            "Resetting the second factor…", lambda: self.client.reset_mfa(user.id),
            self._done(f"The second factor of {user.email} is reset.", "users")))

    def _user_changed(self, message: str):
        def done(user) -> None:
            self.status.show(message, "ok")
            self.table("users").reload()  # the same rows: the changed cells change in place

        return done

    def action_invite(self) -> None:
        from screens.admin_choice import ChoiceScreen
        from screens.admin_prompt import PromptScreen

        def role_chosen(email: str, role: str | None) -> None:
            if role:
                self.call(f"Inviting {email}…", lambda: self.client.invite(email, role),
                          self._done(f"Invitation mailed to {email} ({role}).", "invitations"))

        def typed(email: str | None) -> None:
            if email:
                email = email.strip()
                self.app.push_screen(ChoiceScreen("Invite", Text.assemble("Role of ", (email, "bold"), ":"),
                                                  [(r, ac.ROLE_WORDS[r]) for r in ac.role_choices(self.me.role)]),
                                     lambda role: role_chosen(email, role))

        self.app.push_screen(PromptScreen("Invite someone", "Their email address (the code is mailed there):",
                                          ac.email_problem, placeholder="name@example.com"), typed)

    def action_cancel_invitation(self) -> None:
        invitation = self._highlighted("invitations")
        if invitation is None:
            return
        self._confirm(ac.cancel_invitation_confirmation(invitation), lambda: self.call(
            "Cancelling the invitation…", lambda: self.client.revoke_invitation(invitation.id),
            self._done(f"The invitation of {invitation.email} is cancelled.", "invitations")))

    def action_edit_quota(self) -> None:
        from screens.admin_prompt import PromptScreen

        row = self._highlighted("quotas")
        if row is None:
            return

        def typed(value: str | None) -> None:
            if value is not None:
                limit = ac.parse_daily_limit(value)
                self.call("Saving the limit…", lambda: self.client.set_user_quota(row.user_id, limit),
                          self._done(ac.limit_saved(row.email, limit), "quotas"))

        self.app.push_screen(PromptScreen(
            "Daily limit", Text.assemble("Commands a day for ", (row.email, "bold"),
                                         f" (now {row.effective_limit}; empty: the organization's default):"),
            ac.daily_limit_problem, value="" if row.override is None else str(row.override)), typed)

    def action_edit_default_quota(self) -> None:
        from screens.admin_prompt import PromptScreen

        current = self.data.quotas.default_override if self.data.quotas else None
        tier = self.data.quotas.tier_limit if self.data.quotas else None

        def typed(value: str | None) -> None:
            if value is not None:
                limit = ac.parse_daily_limit(value)
                self.call("Saving the default…", lambda: self.client.set_default_quota(limit),
                          self._done(ac.limit_saved(None, limit), "quotas"))

        self.app.push_screen(PromptScreen(
            "Organization default", "Commands a day for everyone without their own limit"
            + (f" (empty: the license's {tier})" if tier is not None else "") + ":",
            ac.daily_limit_problem, value="" if current is None else str(current)), typed)

    def _signed_out_here(self, _result=None) -> None:
        self.app.signed_out_elsewhere("You revoked this console's own session: you are signed out.")
