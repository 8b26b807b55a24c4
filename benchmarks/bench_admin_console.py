"""The admin console's sessions screen on the 100k-session demo database, against a naive
DataTable that holds the whole tenant, in the same run.

Seeds `server seed-demo` into a scratch data dir, opens the real app (headless, 120x40)
on that database served by uvicorn on 127.0.0.1, signs in as the demo owner (password + the documented
demo TOTP secret) and measures:

- time to first page: pressing 2 (the sessions tab) -> its first page drawn;
- keystroke -> page drawn, p50/p99, for filter keystrokes (server-side `q`; the list is idle
  when each key comes, so it is fetched at once), and the longest time the event loop was
  blocked meanwhile (typing never waits on the server);
- a burst (a key every 40 ms, faster than the debounce): last key -> page drawn, and how
  many requests each word made;
- "drawn" is when the screen has painted the page (Screen.call_after_refresh). The figures
  in parentheses are the older measure, which also counted pilot's wait until the app looks
  idle (it samples CPU time in 20 ms steps, twice per key);
- RSS before and after paging through 50 pages;
- baseline: every session of the tenant fetched (pages of 500) into one DataTable: time
  to its first frame and its RSS growth.

    .venv/bin/python benchmarks/bench_admin_console.py                  # 100k sessions
    .venv/bin/python benchmarks/bench_admin_console.py --sessions 20000 # quicker
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import pyotp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_admin_search import seed  # noqa: E402
from harness import percentile, start_server, stop_server  # noqa: E402
from server.commands.seed import DEMO_PASSWORD, DEMO_TOTP_SECRET  # noqa: E402

WORDS = ["maya", "build", "dell", "emma.s", "ubuntu", "mac", "zhang", "ws-1"]


def rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


async def until(predicate, timeout: float = 120.0) -> None:
    deadline = time.perf_counter() + timeout
    while not predicate():
        if time.perf_counter() > deadline:
            raise TimeoutError("the console did not get there")
        await asyncio.sleep(0.001)


async def drawn(screen) -> None:
    """Until the screen has painted what changed (Textual runs after-refresh callbacks then)."""
    done = asyncio.Event()
    screen.call_after_refresh(done.set)
    await done.wait()


async def burst_figures(pilot, sessions) -> dict:
    """Words typed faster than the debounce (a key every 40 ms): the last key -> its page
    drawn, and how many requests each word made."""
    from textual import events

    requests, fetch = [], sessions.fetch

    async def counted(query, cursor, limit):
        requests.append(query)
        return await fetch(query, cursor, limit)

    sessions.fetch = counted
    waits = []
    try:
        for word in WORDS:
            sessions.filter_input.value = ""
            await until(lambda: sessions.paging.query == "" and not sessions.loading_now)
            await pilot.pause()
            requests.clear()
            for char in word[:-1]:
                pilot.app.post_message(events.Key(char, char))  # as the terminal driver sends it
                await asyncio.sleep(0.04)
            t0 = time.perf_counter()
            pilot.app.post_message(events.Key(word[-1], word[-1]))
            await until(lambda: sessions.paging.query == word and not sessions.loading_now)
            await drawn(sessions.screen)
            waits.append((time.perf_counter() - t0, len(requests)))
    finally:
        sessions.fetch = fetch
    times = sorted(w for w, _ in waits)
    return {"burst: last key->page p50 s": percentile(times, 50),
            "burst: requests per word": sum(n for _, n in waits) / len(waits)}


class LoopStalls:
    """The longest gap between 2 ms ticks of the event loop: how long a key would wait."""

    def __init__(self) -> None:
        self.worst = 0.0
        self._task = None

    async def _run(self) -> None:
        while True:
            t0 = time.perf_counter()
            await asyncio.sleep(0.002)
            self.worst = max(self.worst, time.perf_counter() - t0 - 0.002)

    def __enter__(self):
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    def __exit__(self, *exc):
        self._task.cancel()


async def console_figures(data_dir: Path, admin: str, api_url: str) -> tuple[dict, object]:
    from console.app import CoditectApp
    from tui.config import AppConfig

    config = AppConfig(api_url=api_url, data_dir=data_dir.parent / "client", config_dir=data_dir.parent / "config",
                       no_keyring=True)
    app = CoditectApp(config, start="admin")
    figures: dict = {}
    async with app.run_test(size=(120, 40)) as pilot:
        await until(lambda: app.session is not None and app.session.started, 60)
        assert (await app.session.sign_in.login(admin, DEMO_PASSWORD)).needs_second_factor
        await app.session.sign_in.second_factor(code=pyotp.TOTP(DEMO_TOTP_SECRET).now())
        app.advance()
        try:
            await until(lambda: type(app.screen).__name__ == "AdminConsoleScreen", 60)
        except TimeoutError:
            raise SystemExit(f"the admin console did not open (on {type(app.screen).__name__}: "
                             f"{getattr(getattr(app.screen, 'status', None), 'message', '')})")
        await pilot.pause()
        screen = app.screen
        sessions = screen.query_one("#list-sessions")

        t0, c0 = time.perf_counter(), time.process_time()
        pressing = asyncio.create_task(pilot.press("2"))
        await until(lambda: sessions.loaded_once and sessions.table.row_count)
        await drawn(screen)
        figures["first page s"] = time.perf_counter() - t0
        await pressing
        await pilot.pause()
        figures["(until pilot.pause) s"] = time.perf_counter() - t0
        figures["first page CPU s (console)"] = time.process_time() - c0
        figures["rows per page"] = sessions.table.row_count

        await pilot.press("slash")
        latencies: list[float] = []
        returned: list[float] = []
        c0 = time.process_time()
        with LoopStalls() as stalls:
            for word in WORDS:
                sessions.filter_input.value = ""
                await until(lambda: sessions.paging.query == "" and not sessions.loading_now)
                await pilot.pause()
                for end in range(1, len(word) + 1):
                    prefix = word[:end]
                    t0 = time.perf_counter()
                    # pilot.press returns once the app looks idle (20 ms CPU samples, twice per
                    # key): not part of what a user waits for, so it runs beside the measure.
                    pressing = asyncio.create_task(pilot.press(word[end - 1]))
                    await until(lambda: sessions.paging.query == prefix and not sessions.loading_now)
                    await drawn(screen)
                    latencies.append(time.perf_counter() - t0)
                    await pressing
                    returned.append(time.perf_counter() - t0)
        cpu = time.process_time() - c0
        latencies.sort()
        returned.sort()
        figures["keystroke->page p50 s"] = percentile(latencies, 50)
        figures["keystroke->page p99 s"] = percentile(latencies, 99)
        figures["(until pilot.press) p50 s"] = percentile(returned, 50)
        figures["keystrokes"] = len(latencies)
        figures["CPU per keystroke s"] = cpu / len(latencies)
        figures["longest loop stall s"] = stalls.worst

        figures.update(await burst_figures(pilot, sessions))

        sessions.filter_input.value = ""
        await until(lambda: sessions.paging.query == "" and not sessions.loading_now)
        sessions.focus_table()
        gc.collect()
        figures["RSS before paging MiB"] = rss_mib()
        for _ in range(50):
            generation = sessions.paging.generation
            if not sessions.next_page():
                break
            await until(lambda: sessions.paging.generation > generation and not sessions.loading_now)
        await pilot.pause()
        gc.collect()
        figures["RSS after 50 pages MiB"] = rss_mib()
        figures["pages"] = sessions.paging.page_no
        figures["rows held"] = len(sessions.items)
        api = app.session.api
        return figures, (app, api)


async def naive_figures(app, api) -> dict:
    """Every session of the tenant in one DataTable (what the console avoids)."""
    from rich.text import Text
    from textual.app import App, ComposeResult
    from textual.widgets import DataTable

    from tui import admin_console as ac
    from tui.admin_client import AdminClient

    gc.collect()
    before = rss_mib()
    client = AdminClient(api)
    t0, c0 = time.perf_counter(), time.process_time()
    rows, cursor = [], None
    while True:
        page = await client.list_sessions(cursor=cursor, limit=500)
        rows.extend(ac.session_row(s) for s in page.items)
        if page.last:
            break
        cursor = page.next_cursor
    fetched = time.perf_counter() - t0

    class Naive(App):
        def compose(self) -> ComposeResult:
            table = DataTable(cursor_type="row")
            for column in ac.SESSION_COLUMNS:
                table.add_column(Text(column.title), width=column.width, key=column.key)
            yield table

    naive = Naive()
    async with naive.run_test(size=(120, 40)) as pilot:
        table = naive.query_one(DataTable)
        t1 = time.perf_counter()
        table.add_rows([[row.cells[c.key] for c in ac.SESSION_COLUMNS] for row in rows])
        await drawn(naive.screen)
        shown = time.perf_counter() - t1
        cpu = time.process_time() - c0
        gc.collect()
        after = rss_mib()
    return {"rows": len(rows), "fetch all s": fetched, "add + first frame s": shown,
            "first page s": fetched + shown, "first page CPU s (console)": cpu, "RSS growth MiB": after - before}


async def main(args) -> None:
    scratch = Path(tempfile.mkdtemp(prefix="bench-admin-console-"))
    data_dir = scratch / "data"
    print(f"Seeding {args.sessions} sessions into {data_dir} …")
    admin = seed(data_dir, None, args.sessions)
    # The API as a server of its own (uvicorn on 127.0.0.1), as a team runs it: its work
    # does not share the console's event loop (the embedded server would).
    proc, api_url = start_server(data_dir, None)
    try:
        await measure(scratch, data_dir, admin, api_url)
    finally:
        stop_server(proc)
        shutil.rmtree(scratch, ignore_errors=True)  # ~100 MB of demo data per run


async def measure(scratch: Path, data_dir: Path, admin: str, api_url: str) -> None:
    figures, (app, api) = await console_figures(data_dir, admin, api_url)
    print("\nConsole (PagedTable, keyset pages of 200, server-side filter):")
    for name, value in figures.items():
        print(f"  {name:28} {value:.3f}" if isinstance(value, float) else f"  {name:28} {value}")
    # A second app on the same data for the naive table (the first one's client is closed).
    from console.app import CoditectApp
    from tui.config import AppConfig

    config = AppConfig(api_url=api_url, data_dir=scratch / "client2", config_dir=scratch / "config2",
                       no_keyring=True)
    other = CoditectApp(config)
    async with other.run_test(size=(120, 40)):
        await until(lambda: other.session is not None and other.session.started, 60)
        assert (await other.session.sign_in.login(admin, DEMO_PASSWORD)).needs_second_factor
        await asyncio.sleep(30 - time.time() % 30 + 0.5)  # a fresh TOTP step (codes are single use)
        await other.session.sign_in.second_factor(code=pyotp.TOTP(DEMO_TOTP_SECRET).now())
        naive = await naive_figures(other, other.session.api)
    print("\nNaive DataTable of the whole tenant:")
    for name, value in naive.items():
        print(f"  {name:28} {value:.3f}" if isinstance(value, float) else f"  {name:28} {value}")
    print("\nRatios (naive / console):")
    print(f"  time to first page          {naive['first page s'] / figures['first page s']:.1f}x")
    print(f"  console CPU to first page   {naive['first page CPU s (console)'] / figures['first page CPU s (console)']:.1f}x")
    print(f"  load average during the run {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    growth = figures["RSS after 50 pages MiB"] - figures["RSS before paging MiB"]
    print(f"  memory: console grew {growth:+.1f} MiB over 50 pages; the naive table grew "
          f"{naive['RSS growth MiB']:+.1f} MiB for {naive['rows']} rows")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=100_000)
    asyncio.run(main(parser.parse_args()))
