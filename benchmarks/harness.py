"""What the server benchmarks share: the real server as a uvicorn process on 127.0.0.1,
a scratch database, a bounded concurrent load loop, and one way to print ratios.

Every figure is printed next to GET /healthz measured on the same server in the same run:
ratios, not absolute times, are what compare across machines.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.conftest import free_port  # noqa: E402


def start_server(data_dir: Path, database_url: str | None, workers: int = 1) -> tuple[subprocess.Popen, str]:
    """`coditect-console server` on a free port; -> (process, base URL) once /healthz answers."""
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    cmd = [sys.executable, "-m", "console.cli", "server", "--port", str(port), "--workers", str(workers),
           "--data-dir", str(data_dir)]
    if database_url:
        cmd += ["--database-url", database_url]
    log_path = data_dir / "server.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited during start-up:\n{log_path.read_text()}")
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.terminate()
    raise SystemExit("the server did not start within 60 s")


def stop_server(proc: subprocess.Popen | None) -> None:
    if proc is not None and proc.poll() is None:
        proc.terminate()
        proc.wait(20)


class ScratchDatabase:
    """A database nobody else uses: a SQLite file in `tmp`, or a new PostgreSQL database
    beside the one `base_url` names (dropped again by drop())."""

    def __init__(self, base_url: str | None, tmp: Path) -> None:
        from server.config import normalize_database_url

        self.pg_name = None
        if base_url is None or base_url.startswith("sqlite"):
            self.url = normalize_database_url(base_url or f"sqlite:///{tmp / 'bench.db'}")
            return
        base = normalize_database_url(base_url)
        self.server_url, _, self.admin_db = base.rpartition("/")
        self.pg_name = f"coditect_bench_{secrets.token_hex(4)}"
        self.url = f"{self.server_url}/{self.pg_name}"

    @property
    def kind(self) -> str:
        return "postgresql" if self.pg_name else "sqlite"

    async def _admin(self, sql: str) -> None:
        from sqlalchemy import text
        from sqlalchemy.ext.asyncio import create_async_engine

        engine = create_async_engine(f"{self.server_url}/{self.admin_db}", isolation_level="AUTOCOMMIT")
        async with engine.connect() as conn:
            await conn.execute(text(sql))
        await engine.dispose()

    async def create(self) -> None:
        if self.pg_name:
            await self._admin(f'CREATE DATABASE "{self.pg_name}"')

    async def drop(self) -> None:
        if self.pg_name:
            await self._admin(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')


@dataclass
class Served:
    url: str
    data_dir: Path
    database: ScratchDatabase


@asynccontextmanager
async def served(database_url: str | None, workers: int, name: str):
    """A scratch database and the real server on it, both gone afterwards."""
    tmp = Path(tempfile.mkdtemp(prefix=f"coditect-bench-{name}-"))
    scratch = ScratchDatabase(database_url, tmp)
    await scratch.create()
    proc = None
    try:
        proc, url = await asyncio.to_thread(start_server, tmp / "data", scratch.url, workers)
        yield Served(url=url, data_dir=tmp / "data", database=scratch)
    finally:
        stop_server(proc)
        await scratch.drop()


def percentile(ordered: list[float], p: float) -> float:
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]


async def run_phase(client: httpx.AsyncClient, states: list[dict], total: int, request, expect: int) -> dict:
    """`total` requests spread over len(states) concurrent loops, each with its own state
    dict; `request(client, state)` -> response. -> rps, p50/p99 in ms, unexpected statuses."""
    latencies: list[float] = []
    failures: dict = {}
    remaining = [total]

    async def loop(state: dict) -> None:
        while remaining[0] > 0:
            remaining[0] -= 1
            started = time.perf_counter()
            try:
                status = (await request(client, state)).status_code
            except httpx.TransportError as exc:  # counted, not fatal: the run must finish
                status = type(exc).__name__
            latencies.append((time.perf_counter() - started) * 1000)
            if status != expect:
                failures[status] = failures.get(status, 0) + 1

    started = time.perf_counter()
    await asyncio.gather(*(loop(state) for state in states))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {"n": total, "rps": total / elapsed, "p50": statistics.median(latencies),
            "p99": percentile(latencies, 99), "failures": failures}


def print_ratios(results: dict[str, dict], baseline: str = "GET /healthz") -> None:
    base = results[baseline]
    print(f"{'phase':34} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}   {'vs healthz: req/s':>17} {'p50':>6} {'p99':>6}")
    for name, r in results.items():
        print(f"{name:34} {r['rps']:8.1f} {r['p50']:8.1f} {r['p99']:8.1f}   "
              f"{r['rps'] / base['rps']:17.2f} {r['p50'] / base['p50']:6.1f} {r['p99'] / base['p99']:6.1f}"
              + (f"   unexpected: {r['failures']}" if r.get("failures") else ""))


def machine_line(**facts) -> str:
    return ", ".join([f"{k.replace('_', ' ')}: {v}" for k, v in facts.items()] + [f"CPUs: {os.cpu_count()}"])


def fast_event_loop_run(main) -> None:
    """The load generator shares the CPUs with the server: give it the faster loop."""
    try:
        import uvloop
    except ImportError:
        uvloop = None
    (uvloop.run if uvloop else asyncio.run)(main)
