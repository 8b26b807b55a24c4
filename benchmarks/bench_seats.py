"""The API hot paths under `wrk`: GET /auth/me, PUT /licenses/heartbeat, POST /licenses/acquire,
each as a ratio to GET /healthz of the same server in the same run, next to the same work
done by a raw app (benchmarks/raw_app.py: Starlette + raw sqlite3/asyncpg, same PyJWT), then
the seat scale curve (acquire at 1k, 10k, 100k live seats on one license) and /auth/me while
a writer acquires 5 seats a second.

    .venv/bin/python benchmarks/bench_seats.py                       # SQLite (a scratch file)
    .venv/bin/python benchmarks/bench_seats.py --database-url postgresql://postgres@127.0.0.1:5432/test

Needs `wrk` (apt-get install wrk). One uvicorn worker, 16 connections, all on 127.0.0.1; a
scratch database (PostgreSQL: a new database beside the given one, dropped at the end).
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import threading
import time
from datetime import timedelta

import httpx

from harness import Phase, machine_line, print_table, run_wrk, served, warm_up
from tests.server.principals import app_beside, make_license, make_principal

ACQUIRE_BODY = ('\'{"hardware_id": "hw-%s-\' .. tid .. \'-\' .. n .. \'", "kind": "desktop", '
                '"device_name": "bench", "license_key": "\' .. c.key .. \'"}\'')


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--database-url", help="postgresql://USER@HOST:PORT/DB (a scratch database is created "
                   "beside it); default: a scratch SQLite file")
    p.add_argument("--duration", type=float, default=5, help="seconds per phase (default 5)")
    p.add_argument("--clients", type=int, default=16, help="signed-in users the requests cycle over (default 16)")
    p.add_argument("--scale", default="1000,10000,100000", help="live seats for the scale curve ('' to skip)")
    p.add_argument("--no-raw", action="store_true", help="skip the raw reference app")
    return p.parse_args()


def acquire_phase(creds: list[dict], key: str) -> Phase:
    return Phase("POST", "/api/v1/licenses/acquire", [dict(c, key=key) for c in creds],
                 body=ACQUIRE_BODY % secrets.token_hex(3))


def hot_paths(url: str, pid: int, creds: list[dict], key: str, duration: float) -> dict[str, dict]:
    warm_up(url)
    return {
        "GET /healthz": run_wrk(url, Phase(), duration, pid=pid),
        "GET /auth/me": run_wrk(url, Phase("GET", "/api/v1/auth/me", creds), duration, pid=pid),
        "PUT /licenses/heartbeat": run_wrk(url, Phase("PUT", "/api/v1/licenses/heartbeat", creds,
                                                      body='\'{"seat_id": "\' .. c.seat .. \'"}\''), duration,
                                           pid=pid),
        "POST /licenses/acquire": run_wrk(url, acquire_phase(creds, key), duration, pid=pid),
    }


async def seed_live_seats(app, key: str, user: dict, count: int) -> None:
    """`count` live seats on the license, inserted straight into the database."""
    from sqlalchemy import insert, select, text

    from server.models import License, Seat
    from server.models.base import new_id

    runtime = app.state.runtime
    now = runtime.clock.now()
    async with runtime.sessionmaker() as db:
        lic = await db.scalar(select(License).where(License.key == key))
    # Multi-row INSERT statements (not executemany, which asyncpg runs row by row), each
    # batch its own transaction.
    for start in range(0, count, 2000):
        async with runtime.sessionmaker() as db:
            await db.execute(insert(Seat).values([
                {"id": new_id(), "license_id": lic.id, "tenant_id": lic.tenant_id, "user_id": user["user_id"],
                 "hardware_id": f"seeded-{i}", "device_name": "seeded", "kind": "desktop",
                 "started_at": now - timedelta(seconds=i % 600), "last_heartbeat_at": now - timedelta(seconds=i % 600)}
                for i in range(start, min(count, start + 2000))
            ]))
            await db.commit()
    if runtime.engine.dialect.name == "postgresql":
        # What autovacuum's ANALYZE does within a minute of such a change on a real server:
        # without statistics the planner cannot tell the partial indexes apart.
        async with runtime.engine.connect() as conn:
            await (await conn.execution_options(isolation_level="AUTOCOMMIT")).execute(text("ANALYZE seats"))


def writer(url: str, cred: dict, key: str, per_second: float, stop: threading.Event, done: list) -> None:
    """Acquire a new seat `per_second` times a second until stopped."""
    with httpx.Client(base_url=url, timeout=60) as client:
        n = 0
        while not stop.is_set():
            started = time.monotonic()
            n += 1
            r = client.post("/api/v1/licenses/acquire", headers={"Authorization": f"Bearer {cred['token']}"},
                            json={"hardware_id": f"writer-{secrets.token_hex(4)}-{n}", "kind": "desktop",
                                  "license_key": key})
            done.append(r.status_code)
            stop.wait(max(0.0, 1 / per_second - (time.monotonic() - started)))


def me_under_writer(url: str, pid: int, creds: list[dict], key: str, duration: float) -> dict[str, dict]:
    me = Phase("GET", "/api/v1/auth/me", creds)
    alone = run_wrk(url, me, duration, pid=pid)
    stop, done = threading.Event(), []
    thread = threading.Thread(target=writer, args=(url, creds[0], key, 5, stop, done))
    thread.start()
    try:
        time.sleep(0.5)
        busy = run_wrk(url, me, duration, pid=pid)
    finally:
        stop.set()
        thread.join()
    bad = [s for s in done if s != 201]
    if bad:
        busy.setdefault("failures", {})["writer"] = bad[:3]
    return {"GET /auth/me alone": alone, "GET /auth/me, writer 5 acquires/s": busy}


async def main() -> None:
    args = parse_args()
    async with served(args.database_url, 1, "seats") as server:
        app = app_beside(server.data_dir, server.database.url)
        owner = await make_principal(app)
        key = await make_license(app, "enterprise", tenant_id=owner["tenant_id"], seats=10_000_000)
        members = [await make_principal(app, role="member", tenant_id=owner["tenant_id"], mfa=False)
                   for _ in range(args.clients)]
        creds = []
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
            for m in members:
                r = await client.post("/api/v1/licenses/acquire", headers=m["headers"],
                                      json={"hardware_id": f"hb-{m['user_id']}", "kind": "desktop", "license_key": key})
                r.raise_for_status()
                creds.append({"token": m["access_token"], "seat": r.json()["seat_id"]})
        levels = [int(x) for x in args.scale.split(",") if x.strip()]
        scale_keys = {}
        for level in levels:
            scale_keys[level] = await make_license(app, "enterprise", tenant_id=owner["tenant_id"],
                                                   seats=level + 1_000_000)
            await seed_live_seats(app, scale_keys[level], owner, level)
        await app.state.runtime.close()

        project = await asyncio.to_thread(hot_paths, server.url, server.proc.pid, creds, key, args.duration)
        raw = None
        if not args.no_raw:
            await asyncio.to_thread(server.restart_as_raw)
            raw = await asyncio.to_thread(hot_paths, server.url, server.proc.pid, creds, key, args.duration)
            await asyncio.to_thread(server.restart_as_project)
        await asyncio.to_thread(warm_up, server.url)
        contention = await asyncio.to_thread(me_under_writer, server.url, server.proc.pid, creds, key, args.duration)
        curve = {}
        for level in levels:
            curve[f"acquire at {level:>7,} live seats"] = await asyncio.to_thread(
                run_wrk, server.url, acquire_phase(creds, scale_keys[level]), args.duration, pid=server.proc.pid)

        print(machine_line(database=server.database.kind, uvicorn_workers=1, connections=16,
                           seconds_per_phase=args.duration))
        print_table("Hot paths (wrk); project/raw = this server ÷ benchmarks/raw_app.py on the same database",
                    project, raw)
        alone = contention["GET /auth/me alone"]["rps"]
        busy = contention["GET /auth/me, writer 5 acquires/s"]["rps"]
        print_table("Reads next to a writer", {"GET /healthz": project["GET /healthz"], **contention})
        print(f"  /auth/me with the writer ÷ alone: req/s {busy / alone:.2f}, CPU per request "
              f"{contention['GET /auth/me alone']['cpu_us'] / contention['GET /auth/me, writer 5 acquires/s']['cpu_us']:.2f}"
              " (the writer's own requests are included in the second)")
        if curve:
            first = next(iter(curve.values()))["rps"]
            print(f"\nSeat scale curve (POST /licenses/acquire, one license)")
            first_cpu = next(iter(curve.values()))["cpu_us"]
            print(f"{'live seats':42} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'× first':>10} {'CPU µs/req':>10}"
                  f" {'× first':>8}")
            for name, r in curve.items():
                print(f"{name:42} {r['rps']:9.1f} {r['p50']:8.2f} {r['p99']:8.2f} {r['rps'] / first:10.2f}"
                      f" {r['cpu_us']:10.0f} {first_cpu / r['cpu_us']:8.2f}"
                      + (f"   unexpected: {r['failures']}" if r.get("failures") else ""))


if __name__ == "__main__":
    asyncio.run(main())
