"""The seat lease cycle over HTTP: acquire, heartbeat, release, reclaim by time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from server.models import AuditEvent, LoginSession, Seat
from server.services.sessions import revoke_session
from tests.server.principals import make_license, make_principal

ACQUIRE, HEARTBEAT, RELEASE = "/api/v1/licenses/acquire", "/api/v1/licenses/heartbeat", "/api/v1/licenses/release"


async def acquire(client, who, hardware_id="hw-1", **extra):
    return await client.post(ACQUIRE, json={"hardware_id": hardware_id, "device_name": "Ada's laptop", **extra},
                             headers=who["headers"])


async def heartbeat(client, who, seat_id):
    return await client.put(HEARTBEAT, json={"seat_id": seat_id}, headers=who["headers"])


async def release(client, who, seat_id):
    return await client.request("DELETE", RELEASE, json={"seat_id": seat_id}, headers=who["headers"])


async def _seat(app, seat_id) -> Seat:
    async with app.state.runtime.sessionmaker() as db:
        return await db.get(Seat, seat_id)


async def _actions(app) -> list[str]:
    async with app.state.runtime.sessionmaker() as db:
        return list((await db.execute(select(AuditEvent.action).order_by(AuditEvent.id))).scalars())


async def test_acquire_returns_a_lease_and_records_who_holds_the_seat(app, client, clock):
    owner = await make_principal(app)
    r = await acquire(client, owner, kind="container_session")
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["heartbeat_interval_s"] == 300 and body["ttl_s"] == 900 and body["tier"] == "free"
    assert body["license_key"].startswith("CODITECT-FREE-")
    seat = await _seat(app, body["seat_id"])
    assert (seat.user_id, seat.session_id, seat.hardware_id, seat.kind, seat.device_name) == (
        owner["user_id"], owner["session_id"], "hw-1", "container_session", "Ada's laptop")
    assert await _actions(app) == ["seat.acquired"]


async def test_same_user_and_hardware_get_the_same_seat_with_200(app, client):
    owner = await make_principal(app)
    first = await acquire(client, owner)
    again = await acquire(client, owner)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["seat_id"] == first.json()["seat_id"]


async def test_a_second_sign_in_on_the_same_machine_takes_over_the_seat(app, client):
    owner = await make_principal(app)
    first = (await acquire(client, owner)).json()
    colleague = await make_principal(app, role="member", tenant_id=owner["tenant_id"])
    # Another user on the same hardware is another seat holder: the one free seat is taken.
    assert (await acquire(client, colleague)).json()["code"] == "no_seats_available"
    async with app.state.runtime.sessionmaker() as db:
        from server.models import User
        from server.services.tokens import open_session

        user = await db.get(User, owner["user_id"])
        tokens = await open_session(db, app.state.runtime, user, amr=["pwd", "otp"])
        await db.commit()
    second_session = {"headers": {"Authorization": f"Bearer {tokens.access_token}"}}
    r = await acquire(client, second_session)
    assert r.status_code == 200 and r.json()["seat_id"] == first["seat_id"]
    assert (await _seat(app, first["seat_id"])).session_id == tokens.session_id


async def test_no_free_seat_is_409(app, client):
    owner = await make_principal(app)
    member = await make_principal(app, role="member", tenant_id=owner["tenant_id"], mfa=False)
    assert (await acquire(client, owner)).status_code == 201
    r = await acquire(client, member, hardware_id="hw-2")
    assert r.status_code == 409 and r.json()["code"] == "no_seats_available"
    assert r.json()["seats_total"] == 1


async def test_members_acquire_without_mfa_but_support_cannot(app, client):
    member = await make_principal(app, role="member", mfa=False)
    assert (await acquire(client, member)).status_code == 201
    support = await make_principal(app, role="support")
    assert (await acquire(client, support)).json()["code"] == "forbidden"


async def test_the_given_license_key_chooses_the_license(app, client):
    owner = await make_principal(app)
    key = await make_license(app, "team", tenant_id=owner["tenant_id"])
    r = await acquire(client, owner, license_key=key.lower())
    assert r.status_code == 201 and r.json()["license_key"] == key and r.json()["tier"] == "team"


async def test_by_default_the_primary_license_is_used(app, client):
    owner = await make_principal(app)
    await make_license(app, "pro", tenant_id=owner["tenant_id"])
    assert (await acquire(client, owner)).json()["tier"] == "pro"


async def test_another_tenants_key_is_not_found(app, client):
    owner, other = await make_principal(app), await make_principal(app)
    key = await make_license(app, "pro", tenant_id=other["tenant_id"])
    r = await acquire(client, owner, license_key=key)
    assert r.status_code == 404 and r.json()["code"] == "license_not_found"
    r = await acquire(client, owner, license_key="CODITECT-PRO-0000")
    assert r.status_code == 422 and r.json()["code"] == "license_key_invalid"


async def test_an_expired_license_is_403(app, client, clock):
    owner = await make_principal(app)
    key = await make_license(app, "pro", tenant_id=owner["tenant_id"], expires_at=clock.now() + timedelta(minutes=30))
    assert (await acquire(client, owner, license_key=key)).status_code == 201
    clock.advance(minutes=30)
    r = await acquire(client, owner, hardware_id="hw-2", license_key=key)
    assert r.status_code == 403 and r.json()["code"] == "license_expired"


@pytest.mark.parametrize("body", [{"hardware_id": ""}, {"hardware_id": "has space"}, {"hardware_id": "x" * 129},
                                  {"hardware_id": "hw", "kind": "server"}])
async def test_bad_acquire_bodies_are_validation_errors(app, client, body):
    owner = await make_principal(app)
    r = await client.post(ACQUIRE, json=body, headers=owner["headers"])
    assert r.status_code == 422 and r.json()["code"] == "validation_error"


async def test_heartbeat_keeps_the_seat_past_the_ttl(app, client, clock):
    owner = await make_principal(app)
    member = await make_principal(app, role="member", tenant_id=owner["tenant_id"])
    seat_id = (await acquire(client, owner)).json()["seat_id"]
    for _ in range(5):
        clock.advance(600)
        r = await heartbeat(client, owner, seat_id)
        assert r.status_code == 200 and r.json()["seat_id"] == seat_id
    assert (await acquire(client, member, hardware_id="hw-2")).status_code == 409


async def test_a_seat_without_heartbeat_is_reclaimed_after_its_ttl(app, client, clock):
    owner = await make_principal(app)
    member = await make_principal(app, role="member", tenant_id=owner["tenant_id"])
    seat_id = (await acquire(client, owner)).json()["seat_id"]
    clock.advance(899)
    assert (await acquire(client, member, hardware_id="hw-2")).status_code == 409
    clock.advance(1)
    r = await acquire(client, member, hardware_id="hw-2")
    assert r.status_code == 201
    seat = await _seat(app, seat_id)
    assert seat.released_reason == "expired"
    r = await heartbeat(client, owner, seat_id)
    assert r.status_code == 410 and r.json()["code"] == "seat_gone" and r.json()["reason"] == "expired"
    assert (await _actions(app)).count("seat.reclaimed") == 1


async def test_a_dead_seat_cannot_be_revived_by_a_late_heartbeat(app, client, clock):
    owner = await make_principal(app)
    seat_id = (await acquire(client, owner)).json()["seat_id"]
    clock.advance(900)  # nobody has swept yet; the heartbeat itself finds the seat dead
    r = await heartbeat(client, owner, seat_id)
    assert r.status_code == 410 and r.json()["reason"] == "expired"
    seat = await _seat(app, seat_id)
    assert seat.released_reason == "expired"
    assert await _actions(app) == ["seat.acquired", "seat.reclaimed"]


async def test_release_frees_the_seat_and_is_idempotent(app, client):
    owner = await make_principal(app)
    member = await make_principal(app, role="member", tenant_id=owner["tenant_id"])
    seat_id = (await acquire(client, owner)).json()["seat_id"]
    for _ in range(2):
        r = await release(client, owner, seat_id)
        assert r.status_code == 204 and r.content == b""
    assert (await acquire(client, member, hardware_id="hw-2")).status_code == 201
    r = await heartbeat(client, owner, seat_id)
    assert r.status_code == 410 and r.json()["reason"] == "released"
    assert (await _actions(app)).count("seat.released") == 1


async def test_revoking_the_session_ends_the_seat(app, client):
    owner = await make_principal(app)
    seat_id = (await acquire(client, owner)).json()["seat_id"]
    other_session = await make_principal(app, tenant_id=owner["tenant_id"], role="member")
    async with app.state.runtime.sessionmaker() as db:
        session = await db.get(LoginSession, owner["session_id"])
        await revoke_session(db, app.state.runtime.clock, session, reason="admin")
        await db.commit()
    assert (await _seat(app, seat_id)).released_reason == "session_revoked"
    assert (await acquire(client, other_session, hardware_id="hw-9")).status_code == 201


async def test_someone_elses_seat_is_not_found(app, client):
    owner = await make_principal(app)
    colleague = await make_principal(app, role="member", tenant_id=owner["tenant_id"])
    stranger = await make_principal(app)
    seat_id = (await acquire(client, owner)).json()["seat_id"]
    for who in (colleague, stranger):
        for call in (heartbeat, release):
            r = await call(client, who, seat_id)
            assert r.status_code == 404 and r.json()["code"] == "seat_not_found"
    assert (await _seat(app, seat_id)).released_at is None


async def test_heartbeat_after_the_license_expired_is_403_and_frees_the_seat(app, client, clock):
    owner = await make_principal(app)
    key = await make_license(app, "pro", tenant_id=owner["tenant_id"], expires_at=clock.now() + timedelta(minutes=10))
    seat_id = (await acquire(client, owner, license_key=key)).json()["seat_id"]
    clock.advance(600)
    r = await heartbeat(client, owner, seat_id)
    assert r.status_code == 403 and r.json()["code"] == "license_expired"
    assert (await _seat(app, seat_id)).released_reason == "license_expired"
