"""GET/DELETE /admin/seats and GET/PUT /admin/quotas: what admins see, and that their
changes apply at once to the people holding seats and spending quota."""

from __future__ import annotations

import pytest

from server.services.paging import encode_cursor
from tests.server.admin_world import API, acquire, audit_events, make_org


@pytest.fixture
async def org(app):
    return await make_org(app, "alpha")


async def seats(client, org) -> list[dict]:
    r = await client.get(f"{API}/admin/seats", headers=org.admin["headers"])
    assert r.status_code == 200, r.text
    return r.json()["seats"]


async def test_seat_list_shows_holder_device_and_liveness(client, settings, clock, org):
    seat_id = await acquire(client, org.member, "hw-dev-1", device_name="ubuntu-ws-07")
    [seat] = await seats(client, org)
    assert seat["id"] == seat_id and seat["holder_email"] == "dev@alpha.example"
    assert seat["holder_name"] == "Test Member" and seat["device_name"] == "ubuntu-ws-07"
    assert seat["kind"] == "desktop" and seat["license_key"].startswith("CODITECT-")
    assert seat["live"] is True
    clock.advance(settings.seat_ttl_s + 1)
    [seat] = await seats(client, org)
    assert seat["live"] is False  # listed as dead until the sweep reclaims it


async def test_force_release_takes_the_seat_back(app, client, org):
    seat_id = await acquire(client, org.member, "hw-dev-1")
    r = await client.delete(f"{API}/admin/seats/{seat_id}", headers=org.admin["headers"])
    assert r.status_code == 204
    assert await seats(client, org) == []
    r = await client.put(f"{API}/licenses/heartbeat", headers=org.member["headers"], json={"seat_id": seat_id})
    assert r.status_code == 410 and r.json()["code"] == "seat_gone"
    [event] = await audit_events(app, org.tenant_id, "seat.released")
    assert event.actor_email == "admin@alpha.example" and event.detail["reason"] == "admin_released"
    assert (await client.delete(f"{API}/admin/seats/{seat_id}", headers=org.admin["headers"])).status_code == 204
    assert len(await audit_events(app, org.tenant_id, "seat.released")) == 1
    assert (await client.delete(f"{API}/admin/seats/{'0' * 32}", headers=org.admin["headers"])).status_code == 404


async def use(client, principal, n=1):
    return await client.post(f"{API}/usage/commands", headers=principal["headers"], json={"count": n})


async def quotas(client, org) -> dict:
    r = await client.get(f"{API}/admin/quotas", headers=org.admin["headers"])
    assert r.status_code == 200, r.text
    return r.json()


async def test_quota_list_shows_limits_and_todays_use(client, org):
    assert (await use(client, org.member, 3)).status_code == 200
    page = await quotas(client, org)
    assert page["tier_limit"] == 1000 and page["default_override"] is None
    assert page["resets_at"] == "2026-11-27T00:00:00Z"
    dev = {row["email"]: row for row in page["users"]}["dev@alpha.example"]
    assert dev == {"user_id": org.member["user_id"], "email": "dev@alpha.example", "override": None,
                   "effective_limit": 1000, "used_today": 3}


async def test_user_override_applies_at_once(app, client, org):
    assert (await use(client, org.member)).status_code == 200
    r = await client.put(f"{API}/admin/quotas/{org.member['user_id']}", headers=org.admin["headers"],
                         json={"daily_limit": 2})
    assert r.status_code == 200 and r.json()["daily_limit"] == 2
    assert (await use(client, org.member)).status_code == 200
    r = await use(client, org.member)
    assert r.status_code == 429 and r.json()["code"] == "quota_exceeded"
    assert (await use(client, org.owner)).status_code == 200  # others keep the tier's limit
    r = await client.put(f"{API}/admin/quotas/{org.member['user_id']}", headers=org.admin["headers"],
                         json={"daily_limit": None})
    assert r.status_code == 200 and (await use(client, org.member)).status_code == 200
    events = await audit_events(app, org.tenant_id, "quota.user_limit_set")
    assert [e.detail["daily_limit"] for e in events] == [[None, 2], [2, None]]
    assert {e.actor_email for e in events} == {"admin@alpha.example"}


async def test_tenant_default_applies_at_once_and_user_override_wins(client, org):
    await client.put(f"{API}/admin/quotas/{org.member['user_id']}", headers=org.admin["headers"],
                     json={"daily_limit": 5})
    r = await client.put(f"{API}/admin/quotas/default", headers=org.admin["headers"], json={"daily_limit": 1})
    assert r.status_code == 200 and r.json() == {"default_override": 1}
    assert (await use(client, org.owner)).status_code == 200
    assert (await use(client, org.owner)).status_code == 429
    assert (await use(client, org.member, 5)).status_code == 200
    page = await quotas(client, org)
    assert page["default_override"] == 1
    limits = {row["email"]: row["effective_limit"] for row in page["users"]}
    assert limits == {"owner@alpha.example": 1, "admin@alpha.example": 1, "dev@alpha.example": 5}


@pytest.mark.parametrize("body", [{"daily_limit": -1}, {"daily_limit": "lots"}, {}])
async def test_bad_quota_values_are_refused(client, org, body):
    r = await client.put(f"{API}/admin/quotas/default", headers=org.admin["headers"], json=body)
    assert r.status_code == 422 and r.json()["code"] == "validation_error"


async def test_audit_trail_pages_newest_first_and_filters_by_action(client, org):
    for limit in range(1, 8):
        await client.put(f"{API}/admin/quotas/default", headers=org.admin["headers"], json={"daily_limit": limit})
    await client.patch(f"{API}/admin/users/{org.member['user_id']}", headers=org.admin["headers"], json={"role": "admin"})
    everything = (await client.get(f"{API}/admin/audit", headers=org.admin["headers"], params={"limit": 500})).json()
    ids = [e["id"] for e in everything["events"]]
    assert ids == sorted(ids, reverse=True) and everything["events"][0]["action"] == "user.updated"

    seen, cursor = [], None
    while True:
        params = {"limit": 3, "action": "quota.default_limit_set", **({"cursor": cursor} if cursor else {})}
        page = (await client.get(f"{API}/admin/audit", headers=org.admin["headers"], params=params)).json()
        seen += page["events"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert [e["detail"]["daily_limit"][1] for e in seen] == [7, 6, 5, 4, 3, 2, 1]
    assert {e["actor_email"] for e in seen} == {"admin@alpha.example"}
    assert {e["client_addr"] for e in seen} == {"203.0.113.7"}
    r = await client.get(f"{API}/admin/audit", headers=org.admin["headers"], params={"cursor": "%%%"})
    assert r.status_code == 422 and r.json()["code"] == "invalid_cursor"


@pytest.mark.parametrize("value", [2**63, 2**80, 0, -1])
async def test_audit_cursor_integers_beyond_the_database_are_a_clear_422(client, org, value):
    cursor = encode_cursor(value)
    r = await client.get(f"{API}/admin/audit", headers=org.admin["headers"], params={"cursor": cursor})
    assert r.status_code == 422 and r.json()["code"] == "invalid_cursor"
