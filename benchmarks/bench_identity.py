"""Identity API under load: GET /auth/me and POST /auth/refresh next to GET /healthz.

Starts the real server (`coditect-console server`, uvicorn) on 127.0.0.1 over a scratch
database, creates and verifies an account through the API, then sends a fixed number of
requests per endpoint from N concurrent clients and prints throughput and p50/p99
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

from harness import fast_event_loop_run, machine_line, print_ratios, run_phase, served

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


async def bench(url: str, outbox: Path, concurrency: int, requests: int, logins: int) -> dict:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=120) as client:
        # Several accounts: simultaneous attempts on one account count against its limit of
        # 10 while in flight, and this measures argon2, not the throttle. (8 stays under the
        # 10 sign-ups an hour allowed per client address.)
        accounts = [await create_account(client, outbox) for _ in range(min(8, concurrency))]
        states = [{"index": i, "email": accounts[i % len(accounts)]} for i in range(concurrency)]

        async def login(client, state):
            r = await client.post(f"{API}/login", json={"email": state["email"], "password": PASSWORD,
                                                        "device_name": "bench"})
            if r.status_code == 200:
                state["session"] = r.json()
            return r

        async def healthz(client, _state):
            return await client.get("/healthz")

        async def me(client, state):
            return await client.get(f"{API}/me", headers={"Authorization": f"Bearer {state['session']['access_token']}"})

        async def refresh(client, state):
            r = await client.post(f"{API}/refresh", json={"refresh_token": state["session"]["refresh_token"]})
            if r.status_code == 200:
                state["session"] = r.json()
            return r

        results = {"POST /auth/login (argon2id)": await run_phase(client, states, max(logins, concurrency), login, 200)}
        await run_phase(client, states, 2 * concurrency, healthz, 200)  # warm-up: open every connection
        results["GET /healthz"] = await run_phase(client, states, requests, healthz, 200)
        results["GET /auth/me"] = await run_phase(client, states, requests, me, 200)
        results["POST /auth/refresh"] = await run_phase(client, states, requests, refresh, 200)
        return results


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="postgresql://... (a scratch database is created beside it); "
                        "default: a scratch SQLite file")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes (default 1)")
    parser.add_argument("--concurrency", type=int, default=16, help="concurrent clients (default 16)")
    parser.add_argument("--requests", type=int, default=3000, help="requests per endpoint (default 3000)")
    parser.add_argument("--logins", type=int, default=64, help="logins to time (default 64)")
    args = parser.parse_args()
    async with served(args.database_url, args.workers, "identity") as server:
        results = await bench(server.url, server.data_dir / "outbox", args.concurrency, args.requests, args.logins)
        print(machine_line(database=server.database.kind, uvicorn_workers=args.workers, clients=args.concurrency,
                           requests_per_phase=args.requests))
        print_ratios(results)


if __name__ == "__main__":
    fast_event_loop_run(main())
