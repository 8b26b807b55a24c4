"""Identity API under load: GET /auth/me and POST /auth/refresh next to GET /healthz.

Starts the real server (`coditect-console server`, uvicorn) on 127.0.0.1, creates and
verifies an account through the API, then sends a fixed number of requests per endpoint
from N concurrent clients and prints throughput and p50/p99 latency, each with its ratio
to the trivial /healthz measured in the same run. Login is bounded by argon2 on purpose:
its rate is printed too.

    .venv/bin/python benchmarks/bench_identity.py                        # SQLite
    .venv/bin/python benchmarks/bench_identity.py --database-url postgresql://postgres@127.0.0.1:5432/bench
"""

from __future__ import annotations

import argparse
import asyncio
import email
import email.policy
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

API = "/api/v1/auth"
PASSWORD = "benchmark-tangerine-volcano-42"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(data_dir: Path, database_url: str | None, workers: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    cmd = [sys.executable, "-m", "tui.cli", "server", "--port", str(port), "--workers", str(workers),
           "--data-dir", str(data_dir)]
    if database_url:
        cmd += ["--database-url", database_url]
    log = open(data_dir / "server.log", "wb")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"server exited:\n{(data_dir / 'server.log').read_text()}")
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.terminate()
    sys.exit("server did not start within 60 s")


def verification_code(outbox: Path, to: str) -> str:
    deadline = time.monotonic() + 10  # the server sends the mail just after answering
    while time.monotonic() < deadline:
        for path in sorted(outbox.glob("*.eml"), reverse=True):
            msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if msg["To"] == to:
                body = msg.get_body(("plain",)).get_content()
                found = re.search(r"verification code is: (\d{3}) (\d{3})", body)
                return found.group(1) + found.group(2)
        time.sleep(0.05)
    sys.exit(f"no verification mail for {to} in {outbox}")


async def create_account(url: str, outbox: Path) -> str:
    address = f"bench.{secrets.token_hex(4)}@example.com"
    async with httpx.AsyncClient(base_url=url) as client:
        r = await client.post(f"{API}/register", json={"email": address, "password": PASSWORD,
                                                       "full_name": "Bench Mark", "organization": "Benchmarks"})
        r.raise_for_status()
        r = await client.post(f"{API}/verify-email", json={"email": address, "code": verification_code(outbox, address)})
        r.raise_for_status()
    return address


async def run_load(url: str, concurrency: int, total: int, make_request) -> tuple[float, list[float]]:
    """`total` requests split over `concurrency` clients -> (seconds, latencies).

    make_request(client, state) -> awaitable response; state is per client (refresh chains)."""
    latencies: list[float] = []
    per_client = [total // concurrency + (1 if i < total % concurrency else 0) for i in range(concurrency)]

    async def worker(index: int, count: int) -> None:
        state: dict = {"index": index}
        async with httpx.AsyncClient(base_url=url, timeout=60) as client:
            for _ in range(count):
                started = time.perf_counter()
                r = await make_request(client, state)
                latencies.append(time.perf_counter() - started)
                if r.status_code >= 400:
                    raise RuntimeError(f"{r.request.method} {r.request.url.path}: {r.status_code} {r.text[:200]}")

    started = time.perf_counter()
    await asyncio.gather(*(worker(i, n) for i, n in enumerate(per_client)))
    return time.perf_counter() - started, latencies


def summary(name: str, seconds: float, latencies: list[float]) -> dict:
    ordered = sorted(latencies)
    return {"name": name, "n": len(ordered), "rps": len(ordered) / seconds,
            "p50": statistics.median(ordered) * 1000, "p99": ordered[max(0, int(len(ordered) * 0.99) - 1)] * 1000}


async def bench(url: str, outbox: Path, concurrency: int, requests: int, logins: int) -> None:
    address = await create_account(url, outbox)
    login_body = {"email": address, "password": PASSWORD, "device_name": "bench"}

    sessions: list[dict] = []

    async def do_login(client, state):
        r = await client.post(f"{API}/login", json=login_body)
        if r.status_code == 200:
            sessions.append(r.json())
        return r

    login_secs, login_lat = await run_load(url, concurrency, max(logins, concurrency), do_login)
    access = sessions[0]["access_token"]
    headers = {"Authorization": f"Bearer {access}"}

    async def healthz(client, state):
        return await client.get("/healthz")

    async def me(client, state):
        return await client.get(f"{API}/me", headers=headers)

    async def refresh(client, state):
        if "token" not in state:
            state["token"] = sessions[state["index"]]["refresh_token"]
        r = await client.post(f"{API}/refresh", json={"refresh_token": state["token"]})
        if r.status_code == 200:
            state["token"] = r.json()["refresh_token"]
        return r

    await run_load(url, concurrency, min(requests, 200), healthz)  # warm-up: connections, caches
    results = {}
    for name, fn in (("GET /healthz", healthz), ("GET /auth/me", me), ("POST /auth/refresh", refresh)):
        results[name] = summary(name, *await run_load(url, concurrency, requests, fn))
    base = results["GET /healthz"]
    print(f"{'endpoint':<22}{'requests':>9}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}"
          f"{'rps vs healthz':>16}{'p99 vs healthz':>16}")
    for row in results.values():
        print(f"{row['name']:<22}{row['n']:>9}{row['rps']:>10.0f}{row['p50']:>9.2f}{row['p99']:>9.2f}"
              f"{row['rps'] / base['rps']:>15.2f}x{row['p99'] / base['p99']:>15.2f}x")
    logins_row = summary("POST /auth/login", login_secs, login_lat)
    print(f"{'POST /auth/login':<22}{logins_row['n']:>9}{logins_row['rps']:>10.1f}{logins_row['p50']:>9.1f}"
          f"{logins_row['p99']:>9.1f}   (argon2id-bound on purpose)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="default: SQLite in a temporary data dir")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes (default 1)")
    parser.add_argument("--concurrency", type=int, default=16, help="concurrent clients (default 16)")
    parser.add_argument("--requests", type=int, default=3000, help="requests per endpoint (default 3000)")
    parser.add_argument("--logins", type=int, default=64, help="logins to time (default 64)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-identity-") as tmp:
        data_dir = Path(tmp)
        proc, url = start_server(data_dir, args.database_url, args.workers)
        try:
            print(f"server {url}  database {(args.database_url or 'sqlite').split(':')[0]}  workers {args.workers}  "
                  f"clients {args.concurrency}")
            asyncio.run(bench(url, data_dir / "outbox", args.concurrency, args.requests, args.logins))
        finally:
            proc.terminate()
            proc.wait(10)


if __name__ == "__main__":
    main()
