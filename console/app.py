"""CoditectApp: the frame around the screens.

The app owns three things and nothing else:
- navigation: `advance()` asks tui.onboarding.next_step which step comes next and shows
  its screen (screens never decide the flow; `show_step` is the one place mapping a Step
  to a screen, and `action_back` the one place saying where escape leads);
- start-up: the first frame is drawn from local state alone (tui.local_start): Welcome for
  a new user, Home from its cached copy for a returning one; AccountSession.start() (which
  builds the embedded server) runs in a worker behind it. Only someone mid-onboarding sees
  the "starting" screen; an action taken before the session is ready says "starting…" where
  it was taken and runs once it is (`when_ready`);
- the seat heartbeat timer, which outlives any one screen.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from textual.app import App
from textual.binding import Binding
from textual.screen import Screen
from textual.signal import Signal

from console.palette import ConsoleCommands
from tui.config import AppConfig
from tui.onboarding import AccountState, Step, next_step

if TYPE_CHECKING:
    from tui.lease_status import LeaseStatus
    from tui.session import AccountSession

log = logging.getLogger("coditect.console")

STYLES = Path(__file__).resolve().parent.parent / "styles" / "app.tcss"
# `CODITECT_EXIT_ON_READY=1` makes the app exit as soon as its first *usable* screen (one the
# user can act on: Welcome, Home…, not the "starting" screen) is on screen:
# benchmarks/bench_startup.py times process start -> that exit.
EXIT_ON_READY = "CODITECT_EXIT_ON_READY"

# Where escape leads from a step's screen (steps not listed: escape does nothing there,
# because going back would undo nothing and only confuse).
BACK: dict[Step, Step] = {
    Step.REGISTER: Step.WELCOME,
    Step.ACCEPT_INVITATION: Step.WELCOME,
    Step.LOGIN: Step.WELCOME,
    Step.VERIFY_EMAIL: Step.WELCOME,
    Step.MFA_CHALLENGE: Step.LOGIN,
}


def _screen_for(step: Step, previous: Step | None, email: str | None = None) -> Screen:
    from screens.accept_invitation import AcceptInvitationScreen
    from screens.enroll_mfa import EnrollMfaScreen
    from screens.home import HomeScreen
    from screens.install_choice import InstallChoiceScreen
    from screens.license import LicenseScreen
    from screens.login import LoginScreen
    from screens.mfa_challenge import MfaChallengeScreen
    from screens.recovery_codes import RecoveryCodesScreen
    from screens.register import RegisterScreen
    from screens.verify_email import VerifyEmailScreen
    from screens.welcome import WelcomeScreen

    screens: dict[Step, Callable[[], Screen]] = {
        Step.WELCOME: WelcomeScreen,
        Step.REGISTER: RegisterScreen,
        Step.ACCEPT_INVITATION: AcceptInvitationScreen,
        Step.VERIFY_EMAIL: VerifyEmailScreen,
        Step.LOGIN: lambda: LoginScreen(email=email),
        Step.MFA_CHALLENGE: MfaChallengeScreen,
        Step.ENROLL_MFA: EnrollMfaScreen,
        # New codes asked for on home are no onboarding step.
        Step.RECOVERY_CODES: lambda: RecoveryCodesScreen(onboarding=previous is not Step.HOME),
        Step.LICENSE: LicenseScreen,
        Step.INSTALL_CHOICE: InstallChoiceScreen,
        Step.HOME: HomeScreen,
    }
    return screens[step]()


class CoditectApp(App[None]):
    TITLE = "CODITECT Console"
    CSS_PATH = STYLES
    # One provider lists the app's own actions first, then Textual's (theme, keys, quit…).
    COMMANDS = {ConsoleCommands}
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", priority=True, id="quit"),
        Binding("f1", "help", "Help", id="help"),
    ]

    def __init__(self, config: AppConfig, session: AccountSession | None = None, *,
                 start: str | None = None) -> None:
        super().__init__()
        self.config = config
        # "admin" / "support": `coditect-console admin|support` asks for that console once
        # signed in (the admin and support screens read it); None opens Home.
        self.start_target = start
        # Built in the start-up worker when not given: importing the API client, pydantic
        # and the schemas costs ~150 ms that the first frame does not need.
        self.session: AccountSession | None = session
        self.sub_title = config.server_label
        self.step: Step | None = None
        # Published with the new LeaseStatus after every heartbeat (home and license listen).
        self.lease_changed: Signal["LeaseStatus"] = Signal(self, "lease-changed")
        self._heartbeat_timer = None
        self._heartbeat_every: float | None = None
        self._notice: str | None = None  # for the next screen's notice line
        self.session_ready = False  # True once session.start() has answered
        self._when_ready: Callable[[], object] | None = None
        self._start_failed = False
        self.hung_up = False  # the terminal went away (console/terminal.py, tui/hangup.py)

    def get_driver_class(self):
        driver_class = super().get_driver_class()
        from textual.drivers.linux_driver import LinuxDriver

        if driver_class is LinuxDriver:  # EIO on the tty becomes a hang-up, not a panic
            from console.terminal import HangupAwareDriver

            return HangupAwareDriver
        return driver_class

    # -- start-up ------------------------------------------------------------------------

    def on_mount(self) -> None:
        from tui.local_start import first_step

        if not self.is_headless and hasattr(signal, "SIGHUP"):
            asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, self.hang_up)
        step, copy = first_step(self.config)
        if step is Step.WELCOME and self.start_target:
            step = None  # `admin`/`support`: the sign-in form, once the server is there
        if step is Step.HOME:
            from screens.home import HomeScreen

            screen = HomeScreen(copy)
        elif step is Step.WELCOME:
            from screens.welcome import WelcomeScreen

            screen = WelcomeScreen()
        else:
            from screens.starting import StartingScreen

            screen = StartingScreen()
        self.step = step
        self.push_screen(screen)

    # -- the terminal went away ----------------------------------------------------------------

    def hang_up(self) -> None:
        """SIGHUP (an SSH connection dropped) or the tty failing: nobody is there any more.
        Give this process's seat back (the sign-in stays, so the next start resumes and
        takes the seat again) and exit within a few seconds, printing nothing."""
        if self.hung_up:
            return
        self.hung_up = True
        from tui import hangup

        hangup.detach_from_terminal()
        hangup.exit_anyway_after()
        if self._heartbeat_timer is not None:
            self._heartbeat_timer.stop()
        self.run_worker(self._give_back_and_exit, group="hang-up", exclusive=True, exit_on_error=False)

    async def _give_back_and_exit(self) -> None:
        from tui import hangup

        try:
            await asyncio.wait_for(self._give_back_seat(), hangup.SEAT_RELEASE_TIMEOUT_S)
        except BaseException as error:  # the server TTL reclaims the seat anyway
            from tui.errors import log_unexpected

            if not isinstance(error, (asyncio.TimeoutError, asyncio.CancelledError)):
                log_unexpected("giving the seat back on hang-up", error)
        self.exit(return_code=hangup.HANGUP_EXIT_STATUS)

    async def _give_back_seat(self) -> None:
        # A hang-up during start-up: let the start finish first, or the seat it is taking
        # back (or restoring) would stay held until the server's TTL.
        for worker in [w for w in self.workers if w.group == "start" and w.is_running]:
            try:
                await worker.wait()
            except Exception:
                pass
        if self.session is not None:
            await self.session.give_back_seat()

    def on_ready(self) -> None:
        if os.environ.get(EXIT_ON_READY) and self.step is not None:
            self.exit()  # the first screen is usable already
            return
        self.start_session()

    def starting_words(self) -> str:
        return ("Starting the embedded server…" if self.config.embedded
                else f"Connecting to {self.config.server_label}…")

    def when_ready(self, action: Callable[[], object]) -> None:
        """Run `action` once the session is ready (the latest one asked for wins); after a
        failed start (server unreachable), acting is trying again."""
        self._when_ready = action
        if self._start_failed:
            self.start_session()

    def start_session(self) -> None:
        self._start_failed = False
        self.run_worker(self._start, group="start", exclusive=True, exit_on_error=False)

    async def _start(self) -> None:
        # Imports (the API client; FastAPI + SQLAlchemy for the embedded server) run off the
        # event loop, so the first screen keeps answering keys meanwhile.
        await asyncio.to_thread(_preload, self.config.embedded)
        from tui.api import ApiError
        from tui.session import AccountSession

        try:
            if self.session is None:
                self.session = AccountSession(self.config)
            state = await self.session.start()
        except ApiError as error:
            self._starting_failed(error.message)
            return
        except Exception as error:
            from tui.errors import UNEXPECTED, log_unexpected

            log_unexpected("starting", error)
            self._starting_failed(UNEXPECTED)
            return
        self.session_ready = True
        from console.long_lived import freeze_start_up_objects

        freeze_start_up_objects()  # typing never waits ~130 ms for a full collection
        self._started(state)

    def _started(self, state: AccountState) -> None:
        """Keep the screen drawn from local state when the server agrees with it (and run
        what the user asked for meanwhile); otherwise show the right one."""
        action, self._when_ready = self._when_ready, None
        step = next_step(state)
        if step is self.step and step in (Step.WELCOME, Step.HOME) and len(self.screen_stack) >= 2:
            self.show_notices()
            self.sync_heartbeat()
            screen = self.screen_stack[1]
            if hasattr(screen, "session_ready"):
                screen.session_ready()
            if action is not None:
                action()
            elif hasattr(self.screen, "status"):
                self.screen.status.clear()
            return
        self.advance(state)

    def _starting_failed(self, message: str) -> None:
        from screens.starting import StartingScreen

        self._start_failed = True
        if isinstance(self.screen, StartingScreen):
            self.screen.failed(message)
        elif hasattr(self.screen, "start_failed"):
            self.screen.start_failed(message)

    # -- navigation ------------------------------------------------------------------------

    def advance(self, state: AccountState | None = None) -> None:
        """Show the screen for the step that comes next (the state machine decides).

        Runs in the app's own worker: the caller is usually a worker of the screen that
        is about to be replaced, and would be cancelled along with it."""
        state = state or self.session.state()
        self.show_notices()
        self.sync_heartbeat()
        from tui.admin_console import step_for_console

        self.go(step_for_console(next_step(state), self.start_target))

    def go(self, step: Step, email: str | None = None) -> None:
        """Show `step`'s screen; `email` prefills the sign-in form (e.g. "sign in instead")."""
        if not self.session_ready:  # chosen before the server is ready: go there once it is
            if hasattr(self.screen, "status"):
                self.screen.status.show(self.starting_words(), "busy")
            self.when_ready(partial(self.go, step, email))
            return
        self.run_worker(partial(self.show_step, step, email), group="navigate", exclusive=True, exit_on_error=False)

    async def show_step(self, step: Step, email: str | None = None) -> None:
        """Replace the screens on the stack with the one for `step`."""
        previous, self.step = self.step, step
        console, words = (None, None)
        if step is Step.HOME:
            from tui.admin_console import start_console

            console, words = start_console(self.start_target, self.session.me.role if self.session.me else None)
            self.start_target = None
        screen = self._support_console() if console == "support" else _screen_for(step, previous, email)
        while len(self.screen_stack) > 2:
            await self.pop_screen()
        if len(self.screen_stack) == 2:
            await self.switch_screen(screen)
        else:
            await self.push_screen(screen)
        if self._notice and hasattr(screen, "show_notice"):
            screen.show_notice(self._notice)
            self._notice = None
        if words:
            self.notify(words, severity="warning", timeout=10, markup=False)
        if console == "admin":
            self.open_admin_console()

        if os.environ.get(EXIT_ON_READY):
            self.exit()  # started on the "starting" screen: this is the first usable one

    # -- the consoles ----------------------------------------------------------------------------

    def _support_console(self) -> Screen:
        from screens.support_search import SupportSearchScreen

        return SupportSearchScreen(self.session.api, self.session.me)

    def open_admin_console(self) -> None:
        """From home (a), the palette or `coditect-console admin`: owners and admins only."""
        from screens.admin_console import AdminConsoleScreen
        from tui.admin_console import can_administer

        me = self.session.me if self.session else None
        if me is None or not can_administer(me.role):
            self.notify("The admin console is for owners and admins of an organization.", severity="warning",
                        timeout=8, markup=False)
            return
        if not isinstance(self.screen, AdminConsoleScreen):
            self.push_screen(AdminConsoleScreen(self.session.api, me))

    def signed_out_elsewhere(self, message: str) -> None:
        """The server ended this sign-in (revoked here or elsewhere, disabled): forget it and
        start over at sign-in, saying why."""
        self.run_worker(partial(self._signed_out, message), group="logout", exclusive=True, exit_on_error=False)

    async def _signed_out(self, message: str) -> None:
        try:
            await self.session.logout()
        except Exception as error:  # signing out locally always finishes
            from tui.errors import log_unexpected

            log_unexpected("signing out", error)
        self.advance(self.session.state())
        self.notify(message, severity="warning", timeout=10, markup=False)

    def action_back(self) -> None:
        target = BACK.get(self.step)
        if target is None or not self.session_ready:
            return
        if self.step is Step.MFA_CHALLENGE:
            self.session.sign_in.cancel()
        self.go(target)

    def show_notices(self) -> None:
        # On its own line on the next screen (covers nothing), once across launches.
        self._notice = self.session.credentials.pop_notice() or self._notice
        for notice in self.session.pop_notices():
            self.notify(notice, severity="warning", timeout=15, markup=False)

    # -- global actions ------------------------------------------------------------------------

    def action_help(self) -> None:
        from screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.step))

    def action_open_outbox(self) -> None:
        from screens.outbox_viewer import OutboxViewerScreen
        from tui.outbox import latest_message

        session = self.session
        to = session and (session.sign_in.pending_email or (session.me.email if session.me else None))
        self.push_screen(OutboxViewerScreen(latest_message(self.config.outbox_dir, to), self.config.outbox_dir))

    def action_logout(self) -> None:
        from screens.confirm import ConfirmScreen

        if not self.session_ready:
            self.when_ready(self.action_logout)
            if hasattr(self.screen, "status"):
                self.screen.status.show(self.starting_words(), "busy")
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.run_worker(self._logout, group="logout", exclusive=True, exit_on_error=False)

        self.push_screen(ConfirmScreen("Sign out", "Sign out of CODITECT on this computer? "
                                       "This machine's seat is given back.", yes="Sign out"), answered)

    async def _logout(self) -> None:
        try:
            state = await self.session.logout()
        except Exception as error:  # signing out locally always finishes
            from tui.errors import log_unexpected

            log_unexpected("signing out", error)
            state = self.session.state()
        self.advance(state)
        self.notify("Signed out.", timeout=4)

    def _fatal_error(self) -> None:
        """An exception that no worker caught ends the app. Textual would print a traceback
        with local variables (they may hold what the user typed); log the type and stack
        without any text instead, and leave the user one sentence."""
        import textwrap

        from rich.text import Text

        from tui.errors import log_unexpected

        if self._exception is not None:
            log_unexpected("the console", self._exception)
        self.bell()
        # The sentence wrapped at words, the log's path on a line of its own that is never
        # folded or cut (it is copied from there: the terminal soft-wraps it).
        sentence, path = crash_message(self.config).rsplit(" ", 1)
        self.error_console.soft_wrap = True
        lines = textwrap.wrap(sentence, max(20, self.error_console.width - 1)) + [path]
        self._exit_renderables.append(Text("\n".join(lines), style="bold"))
        self._close_messages_no_wait()

    async def on_unmount(self) -> None:
        if not self.is_headless and hasattr(signal, "SIGHUP"):
            asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)
        if self.session is None:
            return
        try:
            await self.session.close()
        except Exception as error:
            from tui.errors import log_unexpected

            log_unexpected("closing the session", error)

    # -- heartbeat --------------------------------------------------------------------------------

    def sync_heartbeat(self) -> None:
        """Run the heartbeat timer while this machine holds a seat, at the client's pace."""
        client = self.session.license
        every = client.heartbeat_interval_s if client and client.status().has_seat else None
        if every == self._heartbeat_every:
            return
        if self._heartbeat_timer is not None:
            self._heartbeat_timer.stop()
            self._heartbeat_timer = None
        self._heartbeat_every = every
        if every:
            self._heartbeat_timer = self.set_interval(every, self.heartbeat, name="seat-heartbeat")

    def heartbeat(self) -> None:
        self.run_worker(self._heartbeat, group="heartbeat", exclusive=True, exit_on_error=False)

    async def _heartbeat(self) -> None:
        from tui.api import ApiError

        try:
            status = await self.session.seat.heartbeat()
        except ApiError as error:
            self.notify(error.message, title="License", severity="error", timeout=10)
            if self.session.signed_out(error):
                self.advance()
            return
        except Exception as error:
            from tui.errors import log_unexpected

            log_unexpected("heartbeat", error)
            return
        self.sync_heartbeat()
        self.lease_changed.publish(status)

    # -- command palette ----------------------------------------------------------------------------

    def palette_commands(self, screen: Screen | None = None) -> list[tuple[str, str, Callable[[], object]]]:
        """(name, help, callback) for the command palette: the app's actions that make
        sense right now, then those of `screen` (the one the palette was opened on)."""
        from console.palette import screen_commands

        signed_in = self.session_ready and self.session.me is not None
        commands: list[tuple[str, str, Callable[[], object]]] = [
            ("Help", "Keys and how onboarding works", self.action_help),
        ]
        if self.config.embedded:
            commands.append(("Show the latest email", "Open the newest message in the embedded outbox",
                             self.action_open_outbox))
        if signed_in:
            from tui.admin_console import can_administer

            commands.append(("Sign out", "End this session and give back the seat", self.action_logout))
            if can_administer(self.session.me.role) and getattr(screen or self.screen, "me", None) is None:
                commands.append(("Admin console", "Sessions, seats, users, quotas and audit of your organization",
                                 self.open_admin_console))
        commands.extend(screen_commands(screen or self.screen))
        ours = {name for name, _, _ in commands}
        commands.extend((c.title, c.help, c.callback) for c in self.get_system_commands(screen or self.screen)
                        if c.title not in ours)
        return commands


def crash_message(config: AppConfig) -> str:
    return ("CODITECT Console stopped after an internal error. Nothing you entered was lost: "
            "start it again and it resumes where you were. Details (no secrets) are in "
            f"{config.data_dir / 'console.log'}")  # no full stop: the path is copied as it is


def _preload(embedded: bool) -> None:
    import tui.session  # noqa: F401

    if embedded:
        from tui.backend import preload_server

        preload_server()
