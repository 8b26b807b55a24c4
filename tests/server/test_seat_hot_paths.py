"""The seat lease hot paths run straight on the driver (services/seat_leases.py): the caller
is checked in the same transaction, or on PostgreSQL the same statement, as the seat write,
so a refused caller writes nothing; the new acquire keeps exact counts and audits under
concurrency, reclaims included; and a pooled PostgreSQL connection the database dropped
while it sat idle is replaced, not handed to a request (server/db.py, idle pings)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select, update

from server.models import AuditEvent, License, LoginSession, Seat, User
from tests.server.principals import license_with_dead_seats, make_license, make_principal, take_seat

ACQUIRE, HEARTBEAT = "/api/v1/licenses/acquire", "/api/v1/licenses/heartbeat"


async def _beat_of(app, seat_id):
    async with app.state.runtime.sessionmaker() as db:
        return (await db.get(Seat, seat_id)).last_heartbeat_at


@pytest.mark.parametrize("how", ["revoked", "disabled", "support"])
async def test_a_refused_caller_renews_nothing(app, client, clock, how):
    me = await make_principal(app)
    key = await make_license(app, "team", tenant_id=me["tenant_id"])
    seat_id = (await take_seat(client, me, key)).json()["seat_id"]
    before = await _beat_of(app, seat_id)
    async with app.state.runtime.sessionmaker() as db:
        if how == "revoked":
            await db.execute(update(LoginSession).where(LoginSession.id == me["session_id"]).values(revoked_at=clock.now()))
        elif how == "disabled":
            await db.execute(update(User).where(User.id == me["user_id"]).values(disabled=True))
        else:
            await db.execute(update(User).where(User.id == me["user_id"]).values(role="support"))
        await db.commit()
    clock.advance(30)
    r = await client.put(HEARTBEAT, headers=me["headers"], json={"seat_id": seat_id})
    expected = {"revoked": (401, "session_revoked"), "disabled": (401, "account_disabled"),
                "support": (403, "forbidden")}[how]
    assert (r.status_code, r.json()["code"]) == expected
    assert await _beat_of(app, seat_id) == before


async def test_a_heartbeat_renews_and_notes_the_session_seen(app, client, clock):
    me = await make_principal(app)
    key = await make_license(app, "team", tenant_id=me["tenant_id"])
    seat_id = (await take_seat(client, me, key)).json()["seat_id"]
    clock.advance(120)
    r = await client.put(HEARTBEAT, headers=me["headers"], json={"seat_id": seat_id})
    assert r.status_code == 200 and r.json()["seat_id"] == seat_id and r.json()["license_key"] == key
    assert await _beat_of(app, seat_id) == clock.now()
    async with app.state.runtime.sessionmaker() as db:
        assert (await db.get(LoginSession, me["session_id"])).last_seen_at == clock.now()


async def test_parallel_acquires_over_dead_seats_give_exactly_the_limit_and_audit_each_reclaim_once(
        app, client, clock, settings):
    seats_total, dead, asking = 5, 3, 12
    owner, key, users = await license_with_dead_seats(app, client, clock, settings, seats=seats_total, dead=dead,
                                                      asking=asking)
    answers = await asyncio.gather(*(take_seat(client, u, key, f"new-{i}") for i, u in enumerate(users)))
    assert sorted(r.status_code for r in answers) == [201] * seats_total + [409] * (asking - seats_total)
    async with app.state.runtime.sessionmaker() as db:
        lic = await db.scalar(select(License).where(License.key == key))
        open_seats = await db.scalar(select(func.count()).select_from(Seat).where(
            Seat.license_id == lic.id, Seat.released_at.is_(None)))
        actions = list((await db.execute(select(AuditEvent.action, AuditEvent.target)
                                          .where(AuditEvent.action.in_(["seat.reclaimed", "seat.acquired"])))).all())
    assert open_seats == lic.open_seats == seats_total
    reclaimed = [target for action, target in actions if action == "seat.reclaimed"]
    assert len(reclaimed) == len(set(reclaimed)) == dead
    assert sum(action == "seat.acquired" for action, _ in actions) == dead + seats_total


async def test_parallel_acquires_from_one_machine_share_one_seat(app, client):
    me = await make_principal(app)
    key = await make_license(app, "team", tenant_id=me["tenant_id"], seats=3)
    answers = await asyncio.gather(*(take_seat(client, me, key, "same-machine") for _ in range(6)))
    assert sorted(r.status_code for r in answers) == [200] * 5 + [201]
    assert len({r.json()["seat_id"] for r in answers}) == 1


async def test_a_connection_dropped_while_idle_in_the_pool_is_replaced(app, client, database_url, monkeypatch):
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has no server to drop connections")
    import server.db

    monkeypatch.setattr(server.db, "IDLE_PING_S", 0.0)  # every checkout counts as idle
    me = await make_principal(app)
    assert (await client.get("/api/v1/auth/me", headers=me["headers"])).status_code == 200
    runtime = app.state.runtime
    pooled = [await runtime.engine.raw_connection() for _ in range(3)]  # three in the pool, all idle
    for conn in pooled:
        conn.close()
    import asyncpg

    name = database_url.rsplit("/", 1)[-1]
    outside = await asyncpg.connect(host="127.0.0.1", port=5432, user="postgres", database=name)
    try:  # the database drops every connection of the pool
        dropped = await outside.fetchval("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                         "WHERE datname = current_database() AND pid <> pg_backend_pid()")
    finally:
        await outside.close()
    assert dropped >= 3
    for _ in range(4):
        r = await client.get("/api/v1/auth/me", headers=me["headers"])
        assert r.status_code == 200, r.text


async def test_acquire_and_heartbeat_answer_the_seat_lease_schema(app, client, clock):
    from server.schemas import SeatLease

    me = await make_principal(app)
    key = await make_license(app, "team", tenant_id=me["tenant_id"])
    taken = await take_seat(client, me, key)
    again = await take_seat(client, me, key)
    clock.advance(0.5)  # a heartbeat instant with microseconds
    beat = await client.put(HEARTBEAT, headers=me["headers"], json={"seat_id": taken.json()["seat_id"]})
    assert [taken.status_code, again.status_code, beat.status_code] == [201, 200, 200]
    for r in (taken, again, beat):
        assert r.headers["content-type"] == "application/json"
        body = r.json()
        assert list(body) == list(SeatLease.model_fields)
        assert SeatLease.model_validate(body).model_dump(mode="json") == body
    settings = app.state.runtime.settings
    assert beat.json()["license_key"] == key and beat.json()["heartbeat_interval_s"] == settings.seat_heartbeat_interval_s


async def test_without_a_token_the_lease_cycle_answers_401_before_reading_the_body(client):
    for r in (await client.put(HEARTBEAT, json={}), await client.post(ACQUIRE, json={"kind": 3})):
        assert r.status_code == 401 and r.json()["code"] == "unauthorized"
