"""PostgreSQL's acquire holds the license lock inside the database only, in the function
take_license_seat (services/seat_take_pg.py): acquires that all arrive while another
transaction holds the license row are served one by one once it lets go, so the count is
exact, one machine gets one seat, and each dead seat is reclaimed and audited once. The
schema set-up (re)creates the function on an existing database. The audit events it
writes read as those services/seats.py writes (both backends)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import asyncpg
import pytest
from sqlalchemy import func, select, text

from server.models import AuditEvent, License, Seat
from tests.conftest import serving
from tests.server.principals import license_with_dead_seats, make_license, make_principal, take_seat



def _postgres_only(database_url: str) -> str:
    if not database_url.startswith("postgresql"):
        pytest.skip("the license lock inside the database is PostgreSQL's")
    return database_url.rsplit("/", 1)[-1]


async def _all_behind_the_lock(client, requests, database: str):
    """Run the requests while an outside transaction holds the license row, and let go only
    once every one of them waits for it inside the database."""
    outside = await asyncpg.connect(host="127.0.0.1", port=5432, user="postgres", database=database)
    try:
        tx = outside.transaction()
        await tx.start()
        await outside.execute("SELECT id FROM licenses FOR UPDATE")
        answers = asyncio.gather(*requests)
        while True:
            await outside.execute("SELECT pg_stat_clear_snapshot()")  # else frozen for the transaction
            waiting = await outside.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND query LIKE '%take_license_seat%'")
            if waiting == len(requests) or answers.done():
                break
            await asyncio.sleep(0.01)
        await tx.rollback()
        return await answers
    finally:
        await outside.close()


async def test_acquires_queued_on_the_license_give_exactly_the_limit_and_reclaim_once(
        app, client, clock, settings, database_url):
    database = _postgres_only(database_url)
    seats_total, dead, asking = 4, 2, 10
    owner, key, users = await license_with_dead_seats(app, client, clock, settings, seats=seats_total, dead=dead,
                                                      asking=asking)
    answers = await _all_behind_the_lock(
        client, [take_seat(client, u, key, f"new-{i}") for i, u in enumerate(users)], database)
    assert sorted(r.status_code for r in answers) == [201] * seats_total + [409] * (asking - seats_total)
    refusals = [r.json() for r in answers if r.status_code == 409]
    assert {(r["seats_total"], r["seats_used"]) for r in refusals} == {(seats_total, seats_total)}
    async with app.state.runtime.sessionmaker() as db:
        lic = await db.scalar(select(License).where(License.key == key))
        open_seats = await db.scalar(select(func.count()).select_from(Seat).where(
            Seat.license_id == lic.id, Seat.released_at.is_(None)))
        actions = list((await db.execute(select(AuditEvent.action, AuditEvent.target).where(
            AuditEvent.action.in_(["seat.reclaimed", "seat.acquired"])))).all())
    assert open_seats == lic.open_seats == seats_total
    reclaimed = [target for action, target in actions if action == "seat.reclaimed"]
    assert len(reclaimed) == len(set(reclaimed)) == dead
    assert sum(action == "seat.acquired" for action, _ in actions) == dead + seats_total


async def test_acquires_from_one_machine_queued_on_the_license_share_one_seat(app, client, database_url):
    database = _postgres_only(database_url)
    me = await make_principal(app)
    key = await make_license(app, "team", tenant_id=me["tenant_id"], seats=5)
    answers = await _all_behind_the_lock(client, [take_seat(client, me, key, "one-machine") for _ in range(6)], database)
    assert sorted(r.status_code for r in answers) == [200] * 5 + [201]
    assert len({r.json()["seat_id"] for r in answers}) == 1
    async with app.state.runtime.sessionmaker() as db:
        assert await db.scalar(select(func.count()).select_from(Seat)) == 1


async def test_an_existing_database_gets_the_function_at_start(settings, database_url):
    _postgres_only(database_url)
    async with serving(settings) as (app, _client):
        async with app.state.runtime.engine.begin() as conn:
            await conn.execute(text("DROP FUNCTION take_license_seat"))
    async with serving(settings) as (app, client):  # a start on the database made before
        me = await make_principal(app)
        key = await make_license(app, "team", tenant_id=me["tenant_id"])
        assert (await take_seat(client, me, key, "hw-1")).status_code == 201


@pytest.mark.parametrize("fraction_us", [0, 250_001])
async def test_a_reclaim_during_acquire_is_audited_as_the_sweep_audits_it(app, client, clock, settings, fraction_us):
    me = await make_principal(app)
    key = await make_license(app, "team", tenant_id=me["tenant_id"], seats=1)
    clock.advance(fraction_us / 1e6)
    dead = (await take_seat(client, me, key, "old")).json()["seat_id"]
    clock.advance(settings.seat_ttl_s + 1)
    assert (await take_seat(client, me, key, "new")).status_code == 201
    async with app.state.runtime.sessionmaker() as db:
        seat = await db.get(Seat, dead)
        event = await db.scalar(select(AuditEvent).where(AuditEvent.action == "seat.reclaimed"))
    assert seat.released_reason == "expired" and seat.last_heartbeat_at.microsecond == fraction_us
    assert event.target == f"seat:{dead}" and event.tenant_id == me["tenant_id"]
    assert event.at == clock.now() and event.actor_user_id is None
    assert event.detail == {"reason": "expired", "user_id": me["user_id"], "license_id": seat.license_id,
                            "last_heartbeat_at": seat.last_heartbeat_at.isoformat()}
    assert seat.last_heartbeat_at == clock.now() - timedelta(seconds=settings.seat_ttl_s + 1)
