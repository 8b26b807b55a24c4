"""POST /licenses/activate and GET /licenses."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from server.models import AuditEvent
from tests.server.principals import make_license, make_principal

ACTIVATE = "/api/v1/licenses/activate"


def _flip_check_char(key: str) -> str:
    last = key[-1]
    return key[:-1] + ("1" if last != "1" else "2")


async def test_owner_activates_an_unbound_key_and_sees_it_listed(app, client, clock):
    owner = await make_principal(app)
    key = await make_license(app, "pro", seats=7, daily_limit=300)
    r = await client.post(ACTIVATE, json={"license_key": key.lower()}, headers=owner["headers"])
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["key"] == key and body["tier"] == "pro" and body["seats_total"] == 7
    assert body["seats_used"] == 0 and body["daily_limit"] == 300 and body["activated_at"] is not None

    listed = (await client.get("/api/v1/licenses", headers=owner["headers"])).json()["licenses"]
    assert sorted(lic["tier"] for lic in listed) == ["free", "pro"]
    events = (await _events(app, "license.activated"))
    assert len(events) == 1 and events[0].actor_user_id == owner["user_id"]
    assert events[0].tenant_id == owner["tenant_id"]


async def test_activating_again_is_idempotent_and_audited_once(app, client):
    owner = await make_principal(app)
    key = await make_license(app, "team")
    for _ in range(2):
        r = await client.post(ACTIVATE, json={"license_key": key}, headers=owner["headers"])
        assert r.status_code == 200
    assert len(await _events(app, "license.activated")) == 1


async def test_a_key_bound_to_another_tenant_is_in_use(app, client):
    first, second = await make_principal(app), await make_principal(app)
    key = await make_license(app, "pro")
    assert (await client.post(ACTIVATE, json={"license_key": key}, headers=first["headers"])).status_code == 200
    r = await client.post(ACTIVATE, json={"license_key": key}, headers=second["headers"])
    assert r.status_code == 409 and r.json()["code"] == "license_in_use"
    theirs = (await client.get("/api/v1/licenses", headers=second["headers"])).json()["licenses"]
    assert [lic["tier"] for lic in theirs] == ["free"]


async def test_unknown_key_is_404(app, client):
    from server.schemas.license_key import generate_license_key

    owner = await make_principal(app)
    r = await client.post(ACTIVATE, json={"license_key": generate_license_key("pro")}, headers=owner["headers"])
    assert r.status_code == 404 and r.json()["code"] == "license_not_found"


@pytest.mark.parametrize("mangle", [lambda k: "not a key", lambda k: k[:-5], _flip_check_char])
async def test_malformed_key_or_typo_is_422_without_echoing_it(app, client, mangle):
    owner = await make_principal(app)
    bad = mangle(await make_license(app, "pro"))
    r = await client.post(ACTIVATE, json={"license_key": bad}, headers=owner["headers"])
    assert r.status_code == 422 and r.json()["code"] == "license_key_invalid"
    assert bad not in r.text


async def test_an_expired_key_cannot_be_activated(app, client, clock):
    owner = await make_principal(app)
    key = await make_license(app, "pro", expires_at=clock.now() - timedelta(days=1))
    r = await client.post(ACTIVATE, json={"license_key": key}, headers=owner["headers"])
    assert r.status_code == 403 and r.json()["code"] == "license_expired"


@pytest.mark.parametrize("role, mfa, code", [("member", True, "forbidden"), ("admin", False, "mfa_required"),
                                             ("support", True, "forbidden")])
async def test_only_owners_and_admins_with_mfa_activate(app, client, role, mfa, code):
    caller = await make_principal(app, role=role, mfa=mfa)
    key = await make_license(app, "pro")
    r = await client.post(ACTIVATE, json={"license_key": key}, headers=caller["headers"])
    assert r.status_code == 403 and r.json()["code"] == code


async def test_admin_with_mfa_may_activate(app, client):
    owner = await make_principal(app)
    admin = await make_principal(app, role="admin", tenant_id=owner["tenant_id"])
    key = await make_license(app, "pro")
    assert (await client.post(ACTIVATE, json={"license_key": key}, headers=admin["headers"])).status_code == 200


async def test_listing_needs_a_sign_in(client):
    r = await client.get("/api/v1/licenses")
    assert r.status_code == 401


async def test_listing_counts_live_seats_only(app, client, clock):
    owner = await make_principal(app)
    r = await client.post("/api/v1/licenses/acquire", json={"hardware_id": "hw-1"}, headers=owner["headers"])
    assert r.status_code == 201
    listed = (await client.get("/api/v1/licenses", headers=owner["headers"])).json()["licenses"]
    assert listed[0]["seats_used"] == 1 and listed[0]["seats_total"] == 1
    clock.advance(app.state.runtime.settings.seat_ttl_s)
    listed = (await client.get("/api/v1/licenses", headers=owner["headers"])).json()["licenses"]
    assert listed[0]["seats_used"] == 0


async def _events(app, action):
    async with app.state.runtime.sessionmaker() as db:
        return (await db.execute(select(AuditEvent).where(AuditEvent.action == action))).scalars().all()
