"""The periodic seat sweep of a served API (uvicorn).

Correctness never waits for it: seat counts already ignore seats whose heartbeat is
older than the TTL. The sweep writes that down (released, audited `seat.reclaimed`) so
that admin lists and the audit trail show it. Every API process may run one; the
conditional update inside makes concurrent sweeps harmless.
"""

from __future__ import annotations

import asyncio
import logging

from server.services.seats import reclaim_expired_seats

log = logging.getLogger("coditect.sweeper")


async def sweep_once(runtime) -> int:
    async with runtime.sessionmaker() as db:
        count = await reclaim_expired_seats(db, runtime.clock, runtime.settings.seat_ttl_s)
        await db.commit()
    return count


async def sweep_forever(runtime) -> None:
    while True:
        await asyncio.sleep(runtime.settings.seat_sweep_interval_s)
        try:
            await sweep_once(runtime)
        except Exception as error:  # a database hiccup must not end the loop
            log.warning("seat sweep failed: %s", type(error).__name__)
