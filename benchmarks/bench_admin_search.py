"""Admin session search on the 100k-session demo database: p50/p99 of
GET /admin/sessions?q=... next to GET /healthz, measured in the same run.

Seeds the demo data (`server seed-demo`, or reuses a data dir / database that has it),
starts the real server (uvicorn) on 127.0.0.1, signs in as the demo owner with the
password and the documented demo TOTP secret, and times sequential requests (one
client, keep-alive) for rare and common substrings, first pages and a deep cursor page.
The demo owner's tenant is the largest one (Zipf-sized tenants), ~19% of all sessions.

    .venv/bin/python benchmarks/bench_admin_search.py                       # SQLite, fresh temp dir
    .venv/bin/python benchmarks/bench_admin_search.py \\
        --database-url postgresql://postgres@127.0.0.1:5432/bench_search    # PostgreSQL (created if missing)
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pyotp

from harness import percentile, start_server, stop_server
from server.commands.seed import DEMO_PASSWORD, DEMO_TOTP_SECRET

ADMIN = "/api/v1/admin/sessions"


def seed(data_dir: Path, database_url: str | None, sessions: int) -> str | None:
    """Run seed-demo; -> the demo owner's e-mail, or None when the database already had data."""
    cmd = [sys.executable, "-m", "console.cli", "server", "--data-dir", str(data_dir), "seed-demo",
           "--sessions", str(sessions)]
    if database_url:
        cmd[4:4] = ["--database-url", database_url]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        if "--force" in result.stderr:
            return None
        sys.exit(result.stderr)
    print(result.stdout.strip())
    return next(line.split(": ")[-1].strip() for line in result.stdout.splitlines() if "owner of" in line)


async def ensure_pg_database(url: str) -> None:
    import asyncpg
    from urllib.parse import urlparse

    parsed = urlparse(url.replace("+asyncpg", ""))
    name = parsed.path.lstrip("/")
    conn = await asyncpg.connect(host=parsed.hostname, port=parsed.port or 5432, user=parsed.username,
                                 database="postgres")
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def demo_owner_email(data_dir: Path, database_url: str | None) -> str:
    """For a reused database: the owner whose address starts with admin@ (the demo owner)."""
    from sqlalchemy import select

    from server.config import Settings
    from server.models import User
    from server.runtime import Runtime

    runtime = Runtime(Settings(data_dir=data_dir, database_url=database_url))
    try:
        async with runtime.sessionmaker() as db:
            return (await db.execute(select(User.email).where(User.email.like("admin@%"), User.role == "owner")
                                     .limit(1))).scalar_one()
    finally:
        await runtime.close()


async def sign_in(client: httpx.AsyncClient, email: str) -> dict:
    r = await client.post("/api/v1/auth/login", json={"email": email, "password": DEMO_PASSWORD,
                                                      "device_name": "bench_admin_search"})
    r.raise_for_status()
    first = r.json()
    for _ in range(3):  # a code is accepted once per 30 s step: wait for the next step if needed
        r = await client.post("/api/v1/auth/mfa/challenge",
                              json={"mfa_token": first["mfa_token"], "code": pyotp.TOTP(DEMO_TOTP_SECRET).now()})
        if r.status_code == 200:
            return {"Authorization": f"Bearer {r.json()['access_token']}"}
        if r.json().get("code") != "code_reused":
            break
        await asyncio.sleep(30 - time.time() % 30 + 1)
    sys.exit(f"sign-in failed: {r.status_code} {r.text}")


async def timed(client, path, params, headers, n) -> list[float]:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        r = await client.get(path, params=params, headers=headers)
        times.append(time.perf_counter() - t0)
        assert r.status_code == 200, r.text
    return times


async def deep_cursor(client, headers, params, pages: int) -> tuple[str | None, int]:
    cursor, depth = None, 0
    for _ in range(pages):
        r = await client.get(ADMIN, params={**params, "limit": 50, **({"cursor": cursor} if cursor else {})},
                             headers=headers)
        page = r.json()
        depth += len(page["sessions"])
        if not page["next_cursor"]:
            break
        cursor = page["next_cursor"]
    return cursor, depth


async def measure(url: str, email: str, n: int) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        headers = await sign_in(client, email)
        first = (await client.get(ADMIN, params={"limit": 500}, headers=headers)).json()["sessions"]
        someone = first[len(first) // 2]["user_email"].split("@")[0]
        deep, depth = await deep_cursor(client, headers, {}, 100)
        deep_q, depth_q = await deep_cursor(client, headers, {"q": "macbook"}, 20)
        cases = [
            ("GET /healthz", "/healthz", {}),
            ("sessions, first page (no q)", ADMIN, {}),
            ("q=macbook (common device)", ADMIN, {"q": "macbook"}),
            (f"q={someone} (one user's e-mail)", ADMIN, {"q": someone}),
            ("q=ubuntu-ws-07 (rare device)", ADMIN, {"q": "ubuntu-ws-07"}),
            ("q=zz-no-such-thing (no match: full scan)", ADMIN, {"q": "zz-no-such-thing"}),
            ("q=macbook&active=true", ADMIN, {"q": "macbook", "active": "true"}),
            (f"deep page (after {depth} rows, no q)", ADMIN, {"cursor": deep}),
            (f"deep page (after {depth_q} rows, q=macbook)", ADMIN, {"q": "macbook", "cursor": deep_q}),
        ]
        await timed(client, "/healthz", {}, headers, 50)  # warm-up
        rows = []
        for label, path, params in cases:
            params = {k: v for k, v in params.items() if v is not None}
            times = await timed(client, path, params, headers, n)
            ordered = sorted(t * 1000 for t in times)
            rows.append((label, percentile(ordered, 50), percentile(ordered, 99)))
        base = rows[0][1]
        print(f"{'request':<52}{'p50 ms':>9}{'p99 ms':>9}{'p50/healthz':>13}")
        for label, p50, p99 in rows:
            print(f"{label:<52}{p50:>9.2f}{p99:>9.2f}{p50 / base:>12.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: SQLite in the data dir")
    parser.add_argument("--data-dir", type=Path, help="reuse this data dir (keys + SQLite); default: a temp dir")
    parser.add_argument("--sessions", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200, help="requests per case")
    args = parser.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="bench-admin-search-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    if args.database_url and args.database_url.startswith("postgres"):
        asyncio.run(ensure_pg_database(args.database_url))
    print(f"database: {args.database_url or 'SQLite'}; data dir: {data_dir}")
    email = seed(data_dir, args.database_url, args.sessions) or asyncio.run(demo_owner_email(data_dir, args.database_url))
    proc, url = start_server(data_dir, args.database_url, 1)
    try:
        asyncio.run(measure(url, email, args.requests))
    finally:
        stop_server(proc)


if __name__ == "__main__":
    main()
