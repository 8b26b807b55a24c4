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

import httpx

from harness import fast_event_loop_run, machine_line, print_ratios, run_phase, served
from tests.server.principals import app_beside, make_license, make_principal


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--database-url", help="postgresql://USER@HOST:PORT/DB (a scratch database is created "
                   "beside it); default: a scratch SQLite file")
    p.add_argument("--clients", type=int, default=200, help="concurrent clients (default 200)")
    p.add_argument("--requests", type=int, default=4000, help="requests per phase (default 4000)")
    p.add_argument("--workers", type=int, default=2, help="uvicorn worker processes (default 2)")
    return p.parse_args()


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
    async with served(args.database_url, args.workers, "seats") as server:
        app = app_beside(server.data_dir, server.database.url)
        owner = await make_principal(app)
        key = await make_license(app, "enterprise", tenant_id=owner["tenant_id"], seats=args.requests + args.clients)
        clients = [owner] + [await make_principal(app, role="member", tenant_id=owner["tenant_id"], mfa=False)
                             for _ in range(args.clients - 1)]
        for state in clients:
            state["license_key"] = key
        await app.state.runtime.close()

        limits = httpx.Limits(max_connections=args.clients, max_keepalive_connections=args.clients)
        async with httpx.AsyncClient(base_url=server.url, limits=limits, timeout=120) as client:
            # Open every connection first, so no phase pays for connection set-up.
            await run_phase(client, clients, 2 * args.clients, healthz, 200)
            results = {}
            results["GET /healthz"] = await run_phase(client, clients, args.requests, healthz, 200)
            results["POST /licenses/acquire"] = await run_phase(client, clients, args.requests, acquire, 201)
            results["PUT /licenses/heartbeat"] = await run_phase(client, clients, args.requests, heartbeat, 200)
        print(machine_line(database=server.database.kind, uvicorn_workers=args.workers, clients=args.clients,
                           requests_per_phase=args.requests))
        print_ratios(results)


if __name__ == "__main__":
    fast_event_loop_run(main())
