"""PagedTable: one server-paged list (title line, filter box, table, empty/error words).

- Rows are keyed by the item's id. A refresh that brings the same rows changes only the
  cells that differ (the cursor never moves); another page or filter redraws that one
  page (a few hundred rows at most) and puts the cursor back on its row when it is there.
- Keyset paging (tui.admin_console.Paging): `n`/`p`, or moving past the last/first row.
- The filter box sends its text to the fetch function at once when the list is idle, else
  once typing pauses (tui.admin_console.filter_now: a burst of keys makes one more request);
  a newer request cancels the older worker, and a late answer to an older one is dropped.
- A page costs one repaint: the title and the words under the table change only when
  their text does, and without a layout pass (they are one line / already laid out).
- Columns drop by priority as the widget narrows (tui.admin_console.fit_columns).
- Every cell is rich Text (DataTable would read a str as markup).

The keys live on the screen (its ACTIONS); this widget offers the methods they call.
"""

from __future__ import annotations

from functools import partial
from typing import Any, Callable, Iterable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.geometry import Size
from textual.message import Message
from textual.timer import Timer
from textual.widgets import DataTable, Input, Static
from textual.widgets.data_table import RowKey

from tui import admin_console as ac
from tui.api import ApiError
from tui.errors import UNEXPECTED, log_unexpected


class PageTable(DataTable):
    """A DataTable that asks for the next/previous page when the cursor would leave it."""

    class PastEdge(Message):
        def __init__(self, forward: bool) -> None:
            super().__init__()
            self.forward = forward

    def action_cursor_down(self) -> None:
        if self.row_count and self.cursor_row >= self.row_count - 1:
            self.post_message(self.PastEdge(True))
            return
        super().action_cursor_down()

    def action_cursor_up(self) -> None:
        if self.row_count and self.cursor_row <= 0:
            self.post_message(self.PastEdge(False))
            return
        super().action_cursor_up()

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        """DataTable measures every new cell (rich measure, some 1,400 per page) to widen
        auto-width columns: a third of the cost of showing a page. Every column here has
        its width and every row one line, so only the scrollable size is left to compute
        (as DataTable does once it has measured). Anything else: DataTable's own way."""
        keys = list(new_rows)
        rows = [self.rows[key] for key in keys if key in self.rows]
        if any(c.auto_width for c in self.columns.values()) or any(r.label is not None or r.auto_height for r in rows):
            super()._update_dimensions(keys)
            return
        width = sum(column.get_render_width(self) for column in self.columns.values())
        header = self.header_height if self.show_header else 0
        self.virtual_size = Size(width + self._row_label_column_width, self._total_row_height + header)


class PagedTable(Vertical):
    DEFAULT_CSS = """
    PagedTable {
        height: 1fr;
    }
    PagedTable > .paged-title {
        height: 1;
        padding: 0 1;
        color: $text-primary;
        text-style: bold;
    }
    PagedTable > Input {
        height: 1;
        border: none;
        padding: 0 1;
        margin: 0;
    }
    PagedTable > PageTable {
        height: 1fr;
    }
    PagedTable > .paged-words {
        height: auto;
        padding: 0 1;
        color: $text-muted;
    }
    PagedTable > .paged-words.-error {
        color: $text-error;
        text-style: bold;
    }
    """

    class Selected(Message):
        """enter on a row: the item behind it."""

        def __init__(self, table: "PagedTable", item: Any) -> None:
            super().__init__()
            self.table = table
            self.item = item

    class Failed(Message):
        """A request was refused (the screen decides about sign-in and role problems)."""

        def __init__(self, table: "PagedTable", error: ApiError) -> None:
            super().__init__()
            self.table = table
            self.error = error

    class Loaded(Message):
        def __init__(self, table: "PagedTable") -> None:
            super().__init__()
            self.table = table

    def __init__(self, title: str, columns: list[ac.Column], row_of: Callable[[Any], ac.Row],
                 fetch: Callable, *, empty: str, filter_hint: str, page_size: int = ac.PAGE_SIZE,
                 load_on_mount: bool = True, id: str | None = None) -> None:
        super().__init__(id=id)
        self.load_on_mount = load_on_mount
        self.title_text = title
        self.columns = columns
        self.row_of = row_of
        self.fetch = fetch
        self.empty = empty
        self.filter_hint = filter_hint
        self.page_size = page_size
        self.paging = ac.Paging()
        self.items: dict[str, Any] = {}  # this page only
        self._keys: list[str] = []
        self._rows: dict[str, ac.Row] = {}
        self._shown: list[ac.Column] = []
        self._debounce: Timer | None = None
        self._loading = False
        self._loaded_once = False
        self._error: str | None = None
        self._land_on_last = False
        self._shown_generation = -1
        self._title_shown: str | None = None
        self._words_shown: str | None = None  # the words under the table (None: not known, shown next time)
        self.sort_column: str | None = None

    def compose(self) -> ComposeResult:
        yield Static(Text(self.title_text), classes="paged-title")
        yield Input(placeholder=self.filter_hint, compact=True, max_length=ac.FILTER_MAX)
        yield PageTable(cursor_type="row", zebra_stripes=True)
        yield Static("", classes="paged-words", markup=False)

    @property
    def table(self) -> PageTable:
        return self.query_one(PageTable)

    @property
    def filter_input(self) -> Input:
        return self.query_one(Input)

    @property
    def loading_now(self) -> bool:
        return self._loading

    @property
    def error(self) -> str | None:
        return self._error

    def on_mount(self) -> None:
        self._set_columns(self._fit())
        if self.load_on_mount:
            self.load()

    @property
    def loaded_once(self) -> bool:
        return self._loaded_once

    def load_if_new(self) -> None:
        """Shown for the first time (a tab opened): load now, not before (hidden lists cost nothing)."""
        if not self._loaded_once and not self._loading:
            self.load()

    # -- what the keys call -----------------------------------------------------------------

    def focus_filter(self) -> None:
        self.filter_input.focus()

    def focus_table(self) -> None:
        self.table.focus()

    def reload(self) -> None:
        """The same page again (r, the timer): changed cells change in place."""
        self.load()

    def next_page(self) -> bool:
        if self.paging.forward():
            self.load()
            return True
        return False

    def previous_page(self) -> bool:
        if self.paging.back():
            self._land_on_last = True
            self.load()
            return True
        return False

    def highlighted(self) -> Any | None:
        table = self.table
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.items.get(key)

    def update_item(self, item: Any) -> None:
        """One row changed (after an action): change its cells in place."""
        row = self.row_of(item)
        if row.key in self._rows:
            self.items[row.key] = item
            self._update_cells(row)

    def sort_by_next_column(self) -> str:
        """s: sort this page by the next shown column (again: the one after) -> its title."""
        keys = [c.key for c in self._shown]
        at = keys.index(self.sort_column) + 1 if self.sort_column in keys else 0
        self.sort_column = keys[at % len(keys)]
        self._apply_sort()
        return next(c.title for c in self._shown if c.key == self.sort_column)

    # -- loading ------------------------------------------------------------------------------

    def load(self) -> None:
        request = self.paging.request()
        self._loading = True
        self._show_title()
        if not self._loaded_once:
            self.table.loading = True
        self.run_worker(partial(self._fetch, request), group=f"page-{self.id}", exclusive=True, exit_on_error=False)

    async def _fetch(self, request: ac.Request) -> None:
        try:
            page = await self.fetch(request.query, request.cursor, self.page_size)
        except ApiError as error:
            self._failed(request, error.message)
            self.post_message(self.Failed(self, error))
            return
        except Exception as error:  # never a traceback on screen
            log_unexpected(f"loading {self.title_text}", error)
            self._failed(request, UNEXPECTED)
            return
        if not self.paging.accept(request, page.next_cursor):
            return  # the list moved on (another filter or page) while this was asked
        same_view = request.generation == self._shown_generation
        self._shown_generation = request.generation
        self._loading, self._error, self._loaded_once = False, None, True
        self.table.loading = False
        self._show_page(page.items, same_view)
        self.post_message(self.Loaded(self))

    def _failed(self, request: ac.Request, message: str) -> None:
        if request.generation != self.paging.generation:
            return
        self._loading, self._error = False, message
        self.table.loading = False
        self._show_title()
        words = self.query_one(".paged-words", Static)
        words.set_class(True, "-error")
        words.update(Text(f"{message} (ctrl+r tries again; the rows shown may be out of date)"))
        words.display = True
        self._words_shown = None

    def _show_page(self, items: list, same_view: bool) -> None:
        rows = [self.row_of(item) for item in items]
        keys = [row.key for row in rows]
        self.items = {row.key: item for row, item in zip(rows, items)}
        table = self.table
        with self.app.batch_update():
            if ac.page_delta(self._keys, keys) == "update":
                for row in rows:
                    self._update_cells(row)
            else:
                old_key, old_index = self._cursor_key(), table.cursor_row
                table.clear()
                self._rows = {}
                for row in rows:
                    self._rows[row.key] = row
                    table.add_row(*[row.cells[c.key] for c in self._shown], key=row.key)
                self._keys = keys
                if self.sort_column:
                    self._apply_sort()
                if not keys:
                    pass
                elif not same_view:  # another page or filter: from its top (its end when going back)
                    table.move_cursor(row=len(keys) - 1 if self._land_on_last else 0, animate=False)
                elif old_key in self._rows:  # the same page, refreshed: the same row
                    table.move_cursor(row=table.get_row_index(old_key), animate=False)
                else:  # that row is gone: the nearest one
                    table.move_cursor(row=min(max(old_index, 0), len(keys) - 1), animate=False)
            self._land_on_last = False
            self._show_title()
            self._show_words()

    def _update_cells(self, row: ac.Row) -> None:
        old = self._rows.get(row.key)
        self._rows[row.key] = row
        for column in self._shown:
            cell = row.cells[column.key]
            if old is None or old.cells[column.key] != cell:
                self.table.update_cell(row.key, column.key, cell)

    def _cursor_key(self) -> str | None:
        table = self.table
        if not table.row_count:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    def _apply_sort(self) -> None:
        if not self.sort_column or not self._keys:
            return
        key = self._cursor_key()
        self.table.sort(self.sort_column, key=lambda cell: str(cell).casefold())
        if key is not None:
            self.table.move_cursor(row=self.table.get_row_index(key), animate=False)

    def _show_title(self) -> None:
        title = self.paging.title(self.title_text, len(self._keys))
        if self._loading:
            title += "  loading…"
        elif self._error:
            title += "  (out of date)"
        if title != self._title_shown:  # one line of fixed height: no layout pass needed
            self._title_shown = title
            self.query_one(".paged-title", Static).update(Text(title), layout=False)

    def _show_words(self) -> None:
        if self._keys:
            message = ""
        elif self.paging.query:
            message = f"Nothing matches “{self.paging.query}”: change the filter, or escape then r after clearing it."
        else:
            message = self.empty
        if message == self._words_shown:
            return  # unchanged (most pages): no update, no layout pass
        self._words_shown = message
        words = self.query_one(".paged-words", Static)
        words.set_class(False, "-error")
        words.update(Text(message))
        words.display = bool(message)

    # -- filter ---------------------------------------------------------------------------------

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        waiting = self._debounce is not None
        if waiting:
            self._debounce.stop()
        if ac.filter_now(key_waiting=waiting, loading=self._loading):
            self._apply_filter()
        else:
            self._debounce = self.set_timer(ac.DEBOUNCE_S, self._apply_filter)

    def _apply_filter(self) -> None:
        self._debounce = None
        if self.paging.set_query(self.filter_input.value):
            self.load()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self._debounce is not None:
            self._debounce.stop()
        self._apply_filter()
        self.table.focus()

    def clear_filter(self) -> bool:
        """escape in the filter box: empty it (the full list comes back) -> whether it had text."""
        if not self.filter_input.value:
            return False
        self.filter_input.value = ""
        if self._debounce is not None:
            self._debounce.stop()
        self._apply_filter()
        return True

    # -- table events ---------------------------------------------------------------------------

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        item = self.items.get(event.row_key.value)
        if item is not None:
            self.post_message(self.Selected(self, item))

    @on(PageTable.PastEdge)
    def _past_edge(self, event: PageTable.PastEdge) -> None:
        event.stop()
        if not self._loading:
            self.next_page() if event.forward else self.previous_page()

    # -- columns by width -----------------------------------------------------------------------

    def _fit(self) -> list[ac.Column]:
        width = self.size.width or self.app.size.width
        return ac.fit_columns(self.columns, width)

    def on_resize(self) -> None:
        shown = self._fit()
        if [c.key for c in shown] != [c.key for c in self._shown]:
            self._set_columns(shown)

    def _set_columns(self, shown: list[ac.Column]) -> None:
        table = self.table
        key = self._cursor_key()
        table.clear(columns=True)
        self._shown = shown
        for column in shown:
            table.add_column(Text(column.title), width=column.width, key=column.key)
        for row_key in self._keys:
            row = self._rows[row_key]
            table.add_row(*[row.cells[c.key] for c in shown], key=row_key)
        if self.sort_column and self.sort_column not in [c.key for c in shown]:
            self.sort_column = None
        self._apply_sort()
        if key in self._rows:
            table.move_cursor(row=table.get_row_index(key), animate=False)
