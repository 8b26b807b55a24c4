"""Identity API under load: GET /auth/me and POST /auth/refresh next to GET /healthz.

Starts the real server (`coditect-console server`, uvicorn) on 127.0.0.1 over a scratch
database, creates and verifies an account through the API, then sends a fixed number of
requests with `wrk` (16 connections, one uvicorn worker) and prints throughput and p50/p99
latency, each with its ratio to the trivial /healthz measured in the same run.
GET /auth/me checks the session on every request; refresh rotates a token chain per
client. Login is bounded by argon2id on purpose: its rate is printed too.

    .venv/bin/python benchmarks/bench_identity.py                       # SQLite
    .venv/bin/python benchmarks/bench_identity.py --database-url postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import asyncio
import email
import email.policy
import re
import secrets
import time
from pathlib import Path

import httpx

from harness import CONNECTIONS, WRK_THREADS, Phase, machine_line, print_table, run_wrk, served, warm_up

API = "/api/v1/auth"
PASSWORD = "benchmark-tangerine-volcano-42"


def verification_code(outbox: Path, to: str) -> str:
    deadline = time.monotonic() + 10  # the server sends the mail just after answering
    while time.monotonic() < deadline:
        for path in sorted(outbox.glob("*.eml"), reverse=True):
            msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if msg["To"] == to:
                found = re.search(r"verification code is: (\d{3}) (\d{3})", msg.get_body(("plain",)).get_content())
                return found.group(1) + found.group(2)
        time.sleep(0.05)
    raise SystemExit(f"no verification mail for {to} in {outbox}")


async def create_account(client: httpx.AsyncClient, outbox: Path) -> str:
    address = f"bench.{secrets.token_hex(4)}@example.com"
    r = await client.post(f"{API}/register", json={"email": address, "password": PASSWORD,
                                                   "full_name": "Bench Mark", "organization": "Benchmarks"})
    r.raise_for_status()
    code = await asyncio.to_thread(verification_code, outbox, address)
    (await client.post(f"{API}/verify-email", json={"email": address, "code": code,
                                                    "registration": r.json()["registration"]})).raise_for_status()
    return address


async def bench(url: str, pid: int, outbox: Path, concurrency: int, duration: float) -> dict:
    async with httpx.AsyncClient(base_url=url, timeout=120) as client:
        # Several accounts: simultaneous attempts on one account count against its limit of
        # 10 while in flight, and this measures argon2, not the throttle. (8 stays under the
        # 10 sign-ups an hour allowed per client address.)
        accounts = [await create_account(client, outbox) for _ in range(8)]
        creds = []
        for i in range(concurrency + WRK_THREADS):  # a session per connection: its own refresh chain
            r = await client.post(f"{API}/login", json={"email": accounts[i % len(accounts)], "password": PASSWORD,
                                                        "device_name": "bench"})
            r.raise_for_status()
            creds.append({"token": r.json()["access_token"], "refresh": r.json()["refresh_token"],
                          "email": accounts[i % len(accounts)]})
    return await asyncio.to_thread(_phases, url, pid, creds, duration)


def _phases(url: str, pid: int, creds: list[dict], duration: float) -> dict:
    warm_up(url)
    return {
        "GET /healthz": run_wrk(url, Phase(), duration, pid=pid),
        "GET /auth/me": run_wrk(url, Phase("GET", f"{API}/me", creds), duration, pid=pid),
        "POST /auth/refresh": run_wrk(url, Phase("POST", f"{API}/refresh", creds, refresh_chain=True,
                                                 body="'{\"refresh_token\": \"' .. refresh .. '\"}'"), duration, pid=pid),
        "POST /auth/login (argon2id)": run_wrk(url, Phase("POST", f"{API}/login", creds, body=(
            "'{\"email\": \"' .. c.email .. '\", \"password\": \"%s\", \"device_name\": \"bench\"}'"
            % PASSWORD)), duration, pid=pid),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="postgresql://... (a scratch database is created beside it); "
                        "default: a scratch SQLite file")
    parser.add_argument("--duration", type=float, default=5, help="seconds per phase (default 5)")
    args = parser.parse_args()
    async with served(args.database_url, 1, "identity") as server:
        results = await bench(server.url, server.proc.pid, server.data_dir / "outbox", CONNECTIONS, args.duration)
        print(machine_line(database=server.database.kind, uvicorn_workers=1, connections=CONNECTIONS,
                           seconds_per_phase=args.duration))
        print_table("Identity API (wrk)", results)


if __name__ == "__main__":
    asyncio.run(main())
