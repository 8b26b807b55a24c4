"""What the admin console and a support customer view share: a banner, the panels as tabs
(Overview first, then one PagedTable per list), the status line and the footer, and the
same list keys everywhere (/ filter, r refresh, n/p pages, enter details, s sort, escape
back, ctrl+r retry, 1-7 panels).

Only reading happens here. The admin console (screens/admin_console.py) adds its write
keys; the support view adds none, so in it they do not exist at all.
"""

from __future__ import annotations

from functools import partial
from typing import Any, Awaitable, Callable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Static, TabbedContent, TabPane

from screens.actions import Action
from tui import admin_console as ac
from tui.admin_client import Page
from tui.admin_sources import Panel
from tui.api import ApiError
from tui.errors import UNEXPECTED, log_unexpected
from widgets.facts import Facts
from widgets.paged_table import PagedTable
from widgets.status_line import StatusLine

LIST_ACTIONS = ("filter", "refresh", "next_page", "previous_page", "sort", "details")


def read_actions(panel_ids: list[str]) -> list[Action]:
    """The keys every console list has; 1..n open the panels."""
    actions = [
        Action("slash", "filter", "Filter", "Filter this list",
               "Type to filter (debounced); enter returns to the list, escape clears the filter"),
        Action("r", "refresh", "Refresh", "Refresh this panel", "Rows change in place; the cursor stays", show=False),
        Action("n", "next_page", "Next", "Next page", "Also: move down past the last row"),
        Action("p", "previous_page", "Prev", "Previous page", "Also: move up past the first row", show=False),
        Action("enter", "details", "Details", "Details of the highlighted row", show=False),
        Action("s", "sort", "Sort", "Sort this page by the next column", show=False),
        Action("ctrl+r", "retry", "Retry", "Try again", "After a failure to load"),
    ]
    for number, panel_id in enumerate(["overview", *panel_ids], start=1):
        actions.append(Action(str(number), f"panel('{panel_id}')", panel_id.capitalize(),
                              f"Show {panel_id}", show=False))
    return actions


class ConsoleFrame(Screen):
    DEFAULT_CSS = """
    ConsoleFrame #console-banner {
        height: 1;
        padding: 0 1;
        background: $primary-muted;
        color: $text;
    }
    ConsoleFrame #console-banner.-support {
        height: auto;  /* wraps rather than cut the audit-trail words on a narrow terminal */
        background: $warning-muted;
        text-style: bold;
    }
    ConsoleFrame TabbedContent {
        height: 1fr;
    }
    ConsoleFrame TabPane {
        padding: 0;
        height: 1fr;
    }
    ConsoleFrame ContentSwitcher {
        height: 1fr;
    }
    ConsoleFrame #overview-scroll {
        height: auto;
        max-height: 50%;
        padding: 0 1;
    }
    ConsoleFrame .section {
        color: $text-primary;
        text-style: bold;
    }
    """
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (80, "-normal"), (110, "-wide")]
    AUTO_REFRESH = True
    ACTIONS: list[Action] = []
    WRITE: dict[str, frozenset[str]] = {}  # write action -> the panels where it works

    def __init__(self, panels: list[Panel]) -> None:
        super().__init__()
        self.panels = panels
        self.recent: list = []
        self._retry: Callable[[], None] | None = None
        self._keys_shown: tuple | None = None  # which list keys the footer shows as usable
        self._bindings_due = False  # a footer rebuild is already asked for this turn

    # -- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(self.banner(), id="console-banner")
        # Pane ids are "pane-<panel>": bare ids like #sessions are styled elsewhere (home).
        with TabbedContent(id="panels", initial="pane-overview"):
            with TabPane("1 Overview", id="pane-overview"):
                with VerticalScroll(id="overview-scroll"):
                    yield Facts([], label_width=15, id="overview-facts")
                    yield Static("Licenses", classes="section")
                    yield Facts([], label_width=15, id="licenses")
                yield PagedTable("Latest events", ac.AUDIT_COLUMNS, ac.audit_row, self._recent_page,
                                 empty="No events recorded yet.", filter_hint="/ filter the latest events",
                                 id="recent")
            for number, panel in enumerate(self.panels, start=2):
                with TabPane(f"{number} {panel.title}", id=f"pane-{panel.id}"):
                    yield PagedTable(panel.title, panel.columns, panel.row_of, panel.fetch, empty=panel.empty,
                                     filter_hint=panel.filter_hint, load_on_mount=False, id=f"list-{panel.id}")
        yield StatusLine(id="status")
        yield Footer(compact=True)

    def banner(self) -> Text:
        return Text("")

    def on_mount(self) -> None:
        self.load_overview()
        if self.AUTO_REFRESH:
            self.set_interval(ac.REFRESH_S, self._tick, name="console-refresh")

    @property
    def status(self) -> StatusLine:
        return self.query_one("#status", StatusLine)

    @property
    def panel_id(self) -> str:
        return (self.query_one(TabbedContent).active or "pane-overview").removeprefix("pane-")

    @property
    def active_table(self) -> PagedTable | None:
        from textual.css.query import NoMatches

        try:
            panel = self.panel_id
            return self.query_one("#recent" if panel == "overview" else f"#list-{panel}", PagedTable)
        except NoMatches:  # not composed yet
            return None

    def table(self, panel_id: str) -> PagedTable:
        return self.query_one(f"#list-{panel_id}", PagedTable)

    # -- the overview -----------------------------------------------------------------------------

    async def fetch_overview(self) -> Any:
        """-> the object show_overview shows (subclasses)."""
        raise NotImplementedError

    def show_overview(self, overview: Any) -> None:
        raise NotImplementedError

    def load_overview(self) -> None:
        self.call(None, self.fetch_overview, self._overview_loaded, group="overview")

    def _overview_loaded(self, overview: Any) -> None:
        self.show_overview(overview)
        self.query_one("#recent", PagedTable).reload()

    async def _recent_page(self, query: str, cursor: str | None, limit: int) -> Page:
        events = [e for e in self.recent if not query or query.casefold() in
                  f"{e.action} {e.actor_email or ''} {e.target or ''}".casefold()]
        return Page(events, None)

    def _tick(self) -> None:
        """Every few seconds: the visible panel again, unless a dialog is open or it is still loading."""
        if self.app.screen is not self:
            return
        table = self.active_table
        if self.panel_id == "overview":
            if not any(w.is_running for w in self.workers if w.group == "overview"):
                self.load_overview()
        elif table is not None and not table.loading_now:
            table.reload()

    # -- keys ---------------------------------------------------------------------------------------

    def usable_keys(self) -> tuple:
        """What the footer shows of the list keys (they depend on the open list's state)."""
        return tuple(self.check_action(name, ()) for name in (*LIST_ACTIONS, "retry", *self.WRITE))

    def refresh_bindings(self) -> None:
        """Every reason of one turn (a tab opened, the focus moved, a page came) rebuilds
        the footer once: each rebuild mounts its keys again and lays out the screen."""
        if self._bindings_due:
            return
        self._bindings_due = True
        if not self.call_later(self._publish_bindings):  # not running (yet or any more)
            self._publish_bindings()

    def _publish_bindings(self) -> None:
        self._bindings_due = False
        self._keys_shown = self.usable_keys()
        super().refresh_bindings()

    def refresh_bindings_if_changed(self) -> None:
        """After a page: the footer again only when a key became usable or unusable (a
        footer recompose lays out the whole screen: most pages change nothing there)."""
        if self.usable_keys() != self._keys_shown:
            self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        name = action.split("(")[0]
        table = self.active_table
        if name in self.WRITE:
            return self.panel_id in self.WRITE[name]
        if name == "retry":
            return self._retry is not None or (table is not None and table.error is not None)
        if name == "next_page":
            return table is not None and table.paging.has_next
        if name == "previous_page":
            return table is not None and table.paging.page_no > 1
        if name in LIST_ACTIONS:
            return table is not None
        return True

    def action_panel(self, panel_id: str) -> None:
        self.query_one(TabbedContent).active = f"pane-{panel_id}"
        self.active_table.focus_table()
        self.refresh_bindings()

    @on(TabbedContent.TabActivated)
    def _tab_changed(self, event: TabbedContent.TabActivated) -> None:
        table = self.active_table
        if table is not None:
            table.load_if_new()
        self.refresh_bindings()

    def action_filter(self) -> None:
        self.active_table.focus_filter()

    def action_refresh(self) -> None:
        if self.panel_id == "overview":
            self.load_overview()
        else:
            self.active_table.reload()

    def action_next_page(self) -> None:
        self.active_table.next_page()

    def action_previous_page(self) -> None:
        self.active_table.previous_page()

    def action_sort(self) -> None:
        title = self.active_table.sort_by_next_column()
        self.status.show(f"This page is sorted by {title} (s: the next column).")

    def action_details(self) -> None:
        item = self.active_table.highlighted()
        if item is not None:
            self.show_details(item)

    def action_retry(self) -> None:
        if self._retry is not None:
            retry, self._retry = self._retry, None
            retry()
        elif self.active_table is not None and self.active_table.error:
            self.active_table.reload()
        self.refresh_bindings()

    def action_back(self) -> None:
        focused = self.focused
        if isinstance(focused, Input) and isinstance(focused.parent, PagedTable):
            if not focused.parent.clear_filter():
                focused.parent.focus_table()
            return
        self.leave()

    def leave(self) -> None:
        self.app.pop_screen()

    @on(PagedTable.Selected)
    def _row_chosen(self, event: PagedTable.Selected) -> None:
        self.show_details(event.item)

    def show_details(self, item: Any) -> None:
        from screens.admin_detail import DetailScreen

        self.app.push_screen(DetailScreen(type(item).__name__.replace("Out", "").replace("Admin", ""),
                                          ac.details(item)))

    @on(PagedTable.Loaded)
    def _loaded(self, event: PagedTable.Loaded) -> None:
        self.refresh_bindings_if_changed()

    @on(PagedTable.Failed)
    def _failed(self, event: PagedTable.Failed) -> None:
        self.refresh_bindings()
        self.api_failed(event.error)

    # -- one call at a time, failures in words ----------------------------------------------------

    def call(self, busy: str | None, action: Callable[[], Awaitable[Any]],
             done: Callable[[Any], Any] | None = None, *, group: str = "call") -> None:
        if busy is not None:
            self.status.show(busy, "busy")
        self.run_worker(partial(self._run, busy, action, done, group), group=group, exclusive=True,
                        exit_on_error=False)

    async def _run(self, busy, action, done, group) -> None:
        try:
            result = await action()
        except ApiError as error:
            self.api_failed(error)
            if error.retryable:
                self._retry = partial(self.call, busy, action, done, group=group)
                self.refresh_bindings()
            return
        except Exception as error:  # never a traceback on screen
            log_unexpected(busy or group, error)
            self.status.show(UNEXPECTED, "error")
            self._retry = partial(self.call, busy, action, done, group=group)
            self.refresh_bindings()
            return
        if busy is not None:
            self.status.clear()
        if done is not None:
            done(result)

    def api_failed(self, error: ApiError) -> None:
        from tui.errors import SIGNED_OUT_CODES

        if error.code in SIGNED_OUT_CODES:
            self.app.signed_out_elsewhere(error.message)
            return
        message = error.message
        if error.code == "forbidden":
            message = self.FORBIDDEN
        self.status.show(message, "error")

    FORBIDDEN = "The server refused: your role does not allow this."
