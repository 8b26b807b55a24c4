"""Seat acquire and heartbeat under 200 concurrent clients, next to GET /healthz.

    .venv/bin/python benchmarks/bench_seats.py                       # SQLite (a scratch file)
    .venv/bin/python benchmarks/bench_seats.py --database-url postgresql://postgres@127.0.0.1:5432/test

Starts the real server (uvicorn, `coditect-console server`) on 127.0.0.1 over a scratch
database (for PostgreSQL: a new database on the given server, dropped at the end), makes one
tenant with one license and one signed-in user per client, then runs three phases in the
same run, each a bounded number of requests spread over the clients:
GET /healthz (the trivial baseline), POST /licenses/acquire (every request a new seat, so
each one locks the license row and counts its live seats), PUT /licenses/heartbeat.
Prints throughput and p50/p99 latency per phase and their ratios to /healthz.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import free_port  # noqa: E402
from tests.server.principals import app_beside, make_license, make_principal  # noqa: E402


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--database-url", help="postgresql://USER@HOST:PORT/DB (a scratch database is created "
                   "beside it); default: a scratch SQLite file")
    p.add_argument("--clients", type=int, default=200, help="concurrent clients (default 200)")
    p.add_argument("--requests", type=int, default=4000, help="requests per phase (default 4000)")
    p.add_argument("--workers", type=int, default=2, help="uvicorn worker processes (default 2)")
    return p.parse_args()


class ScratchDatabase:
    """A database nobody else uses: a temp SQLite file, or a new PostgreSQL database."""

    def __init__(self, base_url: str | None, tmp: Path) -> None:
        from server.config import normalize_database_url

        self.pg_name = None
        if base_url is None:
            self.url = normalize_database_url(f"sqlite:///{tmp / 'bench.db'}")
            return
        base = normalize_database_url(base_url)
        self.server_url, _, self.admin_db = base.rpartition("/")
        self.pg_name = f"coditect_bench_{secrets.token_hex(4)}"
        self.url = f"{self.server_url}/{self.pg_name}"

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


def start_server(database_url: str, data_dir: Path, workers: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui.cli", "server", "--port", str(port), "--workers", str(workers),
         "--database-url", database_url, "--data-dir", str(data_dir)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("the server exited during start-up")
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.terminate()
    raise SystemExit("the server did not start within 60 s")


async def run_phase(client: httpx.AsyncClient, clients: list[dict], total: int, request, expect: int) -> dict:
    """`total` requests spread over len(clients) concurrent loops; latencies in ms."""
    latencies: list[float] = []
    failures: dict[int, int] = {}
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
    await asyncio.gather(*(loop(state) for state in clients))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "rps": total / elapsed,
        "p50": statistics.median(latencies),
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        "failures": failures,
    }


async def healthz(client, _state):
    return await client.get("/healthz")


async def acquire(client, state):
    state["n"] = state.get("n", 0) + 1
    r = await client.post("/api/v1/licenses/acquire", headers=state["headers"],
                          json={"hardware_id": f"hw-{state['user_id']}-{state['n']}", "kind": "desktop",
                                "license_key": state["license_key"]})
    if r.status_code == 201:
        state["seat_id"] = r.json()["seat_id"]
    return r


async def heartbeat(client, state):
    return await client.put("/api/v1/licenses/heartbeat", json={"seat_id": state["seat_id"]},
                            headers=state["headers"])


async def main() -> None:
    args = parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="coditect-bench-"))
    scratch = ScratchDatabase(args.database_url, tmp)
    await scratch.create()
    proc = None
    try:
        proc, url = await asyncio.to_thread(start_server, scratch.url, tmp / "data", args.workers)
        app = app_beside(tmp / "data", scratch.url)
        owner = await make_principal(app)
        key = await make_license(app, "enterprise", tenant_id=owner["tenant_id"], seats=args.requests + args.clients)
        clients = [owner] + [await make_principal(app, role="member", tenant_id=owner["tenant_id"], mfa=False)
                             for _ in range(args.clients - 1)]
        for state in clients:
            state["license_key"] = key
        await app.state.runtime.close()

        limits = httpx.Limits(max_connections=args.clients, max_keepalive_connections=args.clients)
        async with httpx.AsyncClient(base_url=url, limits=limits, timeout=120) as client:
            # Open every connection first, so no phase pays for connection set-up.
            await run_phase(client, clients, 2 * args.clients, healthz, 200)
            results = {}
            results["GET /healthz"] = await run_phase(client, clients, args.requests, healthz, 200)
            results["POST /licenses/acquire"] = await run_phase(client, clients, args.requests, acquire, 201)
            results["PUT /licenses/heartbeat"] = await run_phase(client, clients, args.requests, heartbeat, 200)
        report(args, scratch.url, results)
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(20)
        await scratch.drop()


def report(args, database_url: str, results: dict) -> None:
    base = results["GET /healthz"]
    print(f"database: {database_url.split('+', 1)[0]}, uvicorn workers: {args.workers}, "
          f"clients: {args.clients}, requests per phase: {args.requests}, CPUs: {os.cpu_count()}")
    print(f"{'phase':26} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}   {'vs /healthz: req/s':>18} {'p50':>6} {'p99':>6}")
    for name, r in results.items():
        print(f"{name:26} {r['rps']:8.0f} {r['p50']:8.1f} {r['p99']:8.1f}   "
              f"{r['rps'] / base['rps']:18.2f} {r['p50'] / base['p50']:6.1f} {r['p99'] / base['p99']:6.1f}"
              + (f"   unexpected statuses: {r['failures']}" if r["failures"] else ""))


if __name__ == "__main__":
    try:  # the load generator shares the CPUs with the server: give it the faster loop
        import uvloop
    except ImportError:
        uvloop = None
    (uvloop.run if uvloop else asyncio.run)(main())
