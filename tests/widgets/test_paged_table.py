"""PagedTable on its own, over a list paged by tui.admin_sources.local_page: when a typed
filter is fetched (at once when the list is idle; a burst while a page is on its way makes
one request), the words under the table after a failure, and the table's size without
DataTable measuring every cell."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest
from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import DataTable

from tui import admin_console as ac
from tui.admin_sources import local_page
from tui.api import ApiError
from widgets.paged_table import PageTable, PagedTable

COLUMNS = [ac.Column("name", "Name", 20), ac.Column("city", "City", 12, 2)]


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    city: str


def person_row(p: Person) -> ac.Row:
    return ac.Row(p.id, {"name": ac.text(p.name), "city": ac.text(p.city)})


PEOPLE = [Person(f"p{i}", name, city) for i, (name, city) in enumerate(
    [("ada", "London"), ("abe", "Oslo"), ("bob", "Lima"), ("[b]eve[/b]", "Rome"), ("abc", "Kyiv")] * 5)]


class Source:
    """The people, a page at a time; `held` keeps every answer on its way until `release()`,
    `refuse` answers with that error once."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.held = False
        self.refuse: ApiError | None = None
        self._gate = asyncio.Event()

    def release(self) -> None:
        self.held = False
        self._gate.set()

    async def fetch(self, query: str, cursor: str | None, limit: int):
        self.asked.append(query)
        if self.held:
            await self._gate.wait()
        if self.refuse is not None:
            error, self.refuse = self.refuse, None
            raise error
        return local_page(PEOPLE, query, cursor, limit, lambda p: (p.name, p.city))


class OneList(App):
    def __init__(self, source: Source) -> None:
        super().__init__()
        self.source = source

    def compose(self) -> ComposeResult:
        yield PagedTable("People", COLUMNS, person_row, self.source.fetch, empty="Nobody yet.",
                         filter_hint="/ filter", page_size=10, id="people")


async def shown(pilot, paged: PagedTable, query: str | None = None) -> None:
    """Until the page (for `query`, if given) is shown."""
    for _ in range(200):
        await pilot.pause()
        if not paged.loading_now and (query is None or paged.paging.query == query):
            return
    raise AssertionError("the page never came")


@pytest.fixture
def patient_debounce(monkeypatch):
    """A debounce no test waits for: whatever is fetched before it ends was fetched at once."""
    monkeypatch.setattr(ac, "DEBOUNCE_S", 60.0)


def test_filter_now_only_when_the_list_is_idle():
    assert ac.filter_now(key_waiting=False, loading=False)
    assert not ac.filter_now(key_waiting=True, loading=False)  # a burst: wait for the pause
    assert not ac.filter_now(key_waiting=False, loading=True)  # a page on its way: wait too


async def test_a_key_on_an_idle_list_is_fetched_at_once_and_a_burst_makes_one_request(patient_debounce):
    source = Source()
    app = OneList(source)
    async with app.run_test() as pilot:
        paged = app.query_one(PagedTable)
        await shown(pilot, paged)
        assert source.asked == [""]
        paged.focus_filter()
        source.held = True
        await pilot.press("a")
        assert source.asked == ["", "a"] and paged.loading_now  # no debounce when idle
        await pilot.press("b", "c")  # while "a" is on its way: they wait for the pause
        assert source.asked == ["", "a"] and paged.filter_input.value == "abc"
        source.release()
        await shown(pilot, paged)
        assert source.asked == ["", "a"]  # the burst is still waiting for its pause
        await pilot.press("enter")  # ends the wait: the text as it stands, one request
        await shown(pilot, paged)
        assert source.asked == ["", "a", "abc"]
        assert [p.name for p in paged.items.values()] == ["abc"] * 5
        assert paged.paging.query == "abc"
        paged.focus_filter()
        await pilot.press("end", "backspace")  # idle again: at once (focus selected the text)
        await shown(pilot, paged)
        assert source.asked[-1] == "ab" and {p.name for p in paged.items.values()} == {"abe", "abc"}


async def test_words_after_a_failure_go_away_with_the_next_page():
    source = Source()
    source.refuse = ApiError("unavailable", 503, message="The server is busy.")
    app = OneList(source)
    async with app.run_test() as pilot:
        paged = app.query_one(PagedTable)
        await shown(pilot, paged)
        words = paged.query_one(".paged-words")
        assert words.display and words.has_class("-error") and "The server is busy." in str(words.render())
        paged.reload()
        await shown(pilot, paged)
        assert not words.display and not words.has_class("-error") and paged.table.row_count == 10
        paged.filter_input.value = "nobody-at-all"
        await shown(pilot, paged, "nobody-at-all")
        assert words.display and "Nothing matches" in str(words.render()) and not words.has_class("-error")
        assert "/nobody-at-all" in str(paged.query_one(".paged-title").render())


class TwoTables(App):
    def compose(self) -> ComposeResult:
        yield PageTable(id="ours")
        yield DataTable(id="textual")


async def test_the_table_is_as_big_as_datatable_makes_it_without_measuring_each_cell():
    app = TwoTables()
    async with app.run_test(size=(100, 30)) as pilot:
        for table in app.query(DataTable):
            for column in COLUMNS:
                table.add_column(Text(column.title), width=column.width, key=column.key)
            table.add_rows([[person_row(p).cells[c.key] for c in COLUMNS] for p in PEOPLE])
        await pilot.pause()
        ours, textual = app.query_one("#ours", DataTable), app.query_one("#textual", DataTable)
        assert ours.virtual_size == textual.virtual_size == (20 + 2 + 12 + 2, len(PEOPLE) + 1)
        assert ours.columns["name"].content_width == len("Name")  # no cell was measured
        assert textual.columns["name"].content_width == len("[b]eve[/b]")
        ours.add_column("Auto")  # a column without a width: DataTable's own measuring
        textual.add_column("Auto")
        ours.add_row(*["x", "y", "a longer value"], key="wide")
        textual.add_row(*["x", "y", "a longer value"], key="wide")
        await pilot.pause()
        assert ours.virtual_size == textual.virtual_size and ours.virtual_size.width > 36
