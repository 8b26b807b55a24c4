"""What every onboarding/home screen shares: the frame (header, step indicator, status
line, footer) and one way to run a user action.

`self.call(...)` runs one call into tui/ in an exclusive worker (a newer action cancels an
older one, so a stale answer never lands), shows "busy" words meanwhile, hands the result
to a callback, and turns every failure into plain words, shown once: a message that
belongs to a field goes under that field, anything else in the status line; anything
unexpected as a generic sentence plus a log line that carries no exception text (it could
quote what the user typed). Retryable failures enable ctrl+r.

The frame fits 80x24 and stays readable at 60x20: the body scrolls (pageup/pagedown/
home/end, and to whatever gets the focus), and on wide terminals the content is a
centred column of bounded width instead of hugging the left edge.
"""

from __future__ import annotations

# widgets.form_field (Textual's Input) and the step indicator are imported where used: the
# first screen (Welcome, Home) has neither, and start-up time counts (benchmarks/bench_startup.py).

import inspect
from functools import partial, wraps
from typing import Any, Awaitable, Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from tui.errors import UNEXPECTED, ApiError, log_unexpected
from widgets.status_line import StatusLine


def needs_session(method):
    """For an action that calls into the session: before the app has finished starting (the
    embedded server is still loading), say "starting…" where the user acted, and run the
    action as soon as the session is ready. Never a blocking screen."""

    @wraps(method)
    def run(self, *args, **kwargs):
        if self.app.session_ready:
            return method(self, *args, **kwargs)
        self.status.show(self.app.starting_words(), "busy")
        self.app.when_ready(lambda: method(self, *args, **kwargs))

    return run


class BaseScreen(Screen):
    STAGE: str | None = None  # the StepIndicator stage, for onboarding screens
    # API error codes whose message belongs under a field (code -> FormField id).
    ERROR_FIELDS: dict[str, str] = {}
    # Below 80 columns the screens switch to their narrow layouts (styles/app.tcss).
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (80, "-normal"), (110, "-wide")]
    BINDINGS = [
        Binding("ctrl+r", "retry", "Retry", id="retry"),
        # Inputs keep home/end for the cursor; these reach the page from anywhere else.
        Binding("pageup", "scroll_body('page_up')", "Page up", show=False, id="page-up"),
        Binding("pagedown", "scroll_body('page_down')", "Page down", show=False, id="page-down"),
        Binding("home", "scroll_body('home')", "Top", show=False, id="page-top"),
        Binding("end", "scroll_body('end')", "Bottom", show=False, id="page-bottom"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._retry: Callable[[], None] | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        if self.STAGE:
            from widgets.step_indicator import StepIndicator

            yield StepIndicator(self.STAGE)
        with VerticalScroll(id="body"):
            with Vertical(id="content"):
                yield from self.compose_body()
        yield Static("", id="notice", markup=False)
        yield StatusLine(id="status")
        yield Footer(compact=True)

    def compose_body(self) -> ComposeResult:
        yield from ()

    @property
    def status(self) -> StatusLine:
        return self.query_one("#status", StatusLine)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "retry":
            return self._retry is not None
        return True

    def action_scroll_body(self, where: str) -> None:
        body = self.query("#body").first()
        getattr(body, f"scroll_{where}")(animate=False)

    def show_notice(self, message: str) -> None:
        """A note the user must read once (e.g. where the sign-in is kept): on its own line
        above the status line, covering nothing, until the screen changes."""
        notice = self.query_one("#notice", Static)
        notice.update(Text(message))
        notice.display = bool(message)

    def start_failed(self, message: str) -> None:
        """The app could not start its session (server unreachable): words, and ctrl+r."""
        self.status.show(message, "error")
        self._set_retry(self.app.start_session)

    def action_retry(self) -> None:
        if self._retry is not None:
            retry, self._retry = self._retry, None
            retry()

    def call(self, busy: str | None, action: Callable[[], Awaitable[Any]],
             done: Callable[[Any], Any] | None = None, *, group: str = "call",
             failed: Callable[[ApiError], Any] | None = None) -> None:
        """Run `action()` in a worker; `done(result)` on success, words on failure (and
        `failed(error)` first, for a placeholder that must stop saying "loading").
        `busy` is shown meanwhile (None: a background load that leaves the status alone)."""
        self._set_retry(None)
        if busy is not None:
            self.status.show(busy, "busy")
        self.run_worker(partial(self._run, busy, action, done, group, failed), group=group, exclusive=True,
                        exit_on_error=False)

    async def _run(self, busy: str, action, done, group: str, failed=None) -> None:
        def again() -> None:
            self.call(busy, action, done, group=group, failed=failed)

        try:
            result = await action()
            if busy is not None:
                self.status.clear()
            if done is not None:
                outcome = done(result)
                if inspect.isawaitable(outcome):
                    await outcome
        except ApiError as error:
            if failed is not None:
                failed(error)
            if self.app.session.signed_out(error):
                # The saved sign-in is gone (revoked elsewhere, expired): start over.
                self.app.notify(error.message, severity="error", timeout=10)
                self.app.advance()
                return
            self.show_api_error(error)
            if error.retryable or error.code == "rate_limited":
                self._set_retry(again)
        except Exception as error:  # never a traceback on screen
            if getattr(self.app, "hung_up", False):
                return  # the terminal is gone and the app is exiting: nothing to report
            log_unexpected(busy or group, error)
            self.status.show(UNEXPECTED, "error")
            self._set_retry(again)

    def show_api_error(self, error: ApiError) -> None:
        """Each message once: under its field when it belongs to a field on this screen,
        otherwise in the status line."""
        fields = dict(error.fields)
        if error.code in self.ERROR_FIELDS:
            fields[self.ERROR_FIELDS[error.code]] = error.message
        from widgets.form_field import FormField

        shown: list[FormField] = []
        for name, message in fields.items():
            for field in self.query(f"FormField#{name}").results(FormField):
                if field.display:
                    field.show_error(message)
                    shown.append(field)
        if shown:
            self.status.clear()
            shown[0].input.focus()
        else:
            self.status.show(error.message, "error")

    # -- forms: enter moves to the next field, and submits from the last one --------------

    def submit(self) -> None:
        """The screen's one action for its form (screens with a form override this)."""

    def on_input_submitted(self, event) -> None:
        from widgets.form_field import FormField

        fields = [f for f in self.query(FormField).results(FormField) if f.display]
        inputs = [f.input for f in fields]
        if event.input not in inputs:
            return
        event.stop()
        index = inputs.index(event.input)
        if not fields[index].check():
            return
        following = [i for i in inputs[index + 1:] if not i.value]
        if following:
            following[0].focus()
        else:
            self.submit()

    def form_ok(self) -> bool:
        """Check every visible field; focus the first with a problem."""
        from widgets.form_field import FormField

        bad = [f for f in self.query(FormField).results(FormField) if f.display and not f.check()]
        if bad:
            bad[0].input.focus()
        return not bad

    def _set_retry(self, retry: Callable[[], None] | None) -> None:
        self._retry = retry
        self.refresh_bindings()
