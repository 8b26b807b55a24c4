"""GET /admin/overview (the organization at a glance), GET /admin/audit?user_id= and the
'current' marker of GET /admin/sessions."""

from __future__ import annotations

import pytest

from tests.server.admin_world import API, acquire, make_org
from tests.server.test_invitations import invite


@pytest.fixture
async def org(app):
    return await make_org(app, "alpha")


async def use_commands(client, principal, count: int) -> None:
    r = await client.post(f"{API}/usage/commands", headers=principal["headers"], json={"count": count})
    assert r.status_code == 200, r.text


async def overview(client, principal) -> dict:
    r = await client.get(f"{API}/admin/overview", headers=principal["headers"])
    assert r.status_code == 200, r.text
    return r.json()


async def test_overview_counts_the_organization(client, settings, org):
    await acquire(client, org.member, "hw-1")
    await acquire(client, org.admin, "hw-2")
    await use_commands(client, org.member, 7)
    await use_commands(client, org.owner, 2)
    r = await client.put(f"{API}/admin/quotas/{org.member['user_id']}", headers=org.admin["headers"],
                         json={"daily_limit": 7})
    assert r.status_code == 200
    await invite(client, settings, org.admin, "ada@alpha.example")
    r = await client.patch(f"{API}/admin/users/{org.admin['user_id']}", headers=org.owner["headers"],
                           json={"disabled": True})  # ends the admin's session and seat too
    assert r.status_code == 200
    view = await overview(client, org.owner)
    assert view["organization"] and view["tenant_id"] == org.tenant_id
    assert view["tier"] == "pro"
    assert sorted((lic["tier"], lic["seats_used"], lic["seats_total"]) for lic in view["licenses"]) == [
        ("free", 0, 1), ("pro", 1, 5)]
    assert (view["seats_used"], view["seats_total"]) == (1, 6)
    assert (view["users"], view["users_disabled"]) == (3, 1)
    assert view["sessions_live"] == 2  # owner and member; the admin's ended when disabled
    assert view["invitations_pending"] == 0  # the disabled admin's invitation stopped working
    assert (view["commands_today"], view["daily_limit"], view["users_at_limit"]) == (9, 1000, 1)
    assert view["resets_at"] == "2026-11-27T00:00:00Z"
    actions = [e["action"] for e in view["recent_audit"]]
    assert {"user.updated", "session.revoked", "quota.user_limit_set"} <= set(actions)
    ids = [e["id"] for e in view["recent_audit"]]
    assert ids == sorted(ids, reverse=True) and len(ids) <= 10


async def test_overview_daily_limit_follows_the_default_override(client, org):
    r = await client.put(f"{API}/admin/quotas/default", headers=org.admin["headers"], json={"daily_limit": 3})
    assert r.status_code == 200
    await use_commands(client, org.member, 3)
    view = await overview(client, org.admin)
    assert (view["daily_limit"], view["users_at_limit"], view["commands_today"]) == (3, 1, 3)


async def test_overview_of_one_tenant_ignores_the_others(app, client, org):
    beta = await make_org(app, "beta")
    await acquire(client, beta.member, "hw-b")
    await use_commands(client, beta.member, 5)
    view = await overview(client, org.admin)
    assert (view["seats_used"], view["commands_today"], view["users"]) == (0, 0, 3)
    assert all("beta" not in str(e) for e in view["recent_audit"])


async def test_audit_filtered_by_user_shows_what_they_did_and_what_was_done_to_them(client, org):
    await acquire(client, org.member, "hw-1")  # done by the member
    r = await client.put(f"{API}/admin/quotas/{org.member['user_id']}", headers=org.admin["headers"],
                         json={"daily_limit": 5})  # done to the member
    assert r.status_code == 200
    await acquire(client, org.owner, "hw-2")  # someone else's
    r = await client.get(f"{API}/admin/audit", headers=org.admin["headers"],
                         params={"user_id": org.member["user_id"]})
    assert r.status_code == 200, r.text
    events = r.json()["events"]
    assert [e["action"] for e in events] == ["quota.user_limit_set", "seat.acquired"]
    assert all(e["actor_user_id"] == org.member["user_id"] or e["target"] == f"user:{org.member['user_id']}"
               for e in events)
    r = await client.get(f"{API}/admin/audit", headers=org.admin["headers"],
                         params={"user_id": org.member["user_id"], "action": "seat.acquired"})
    assert [e["action"] for e in r.json()["events"]] == ["seat.acquired"]


async def test_sessions_mark_the_callers_own_session(client, org):
    r = await client.get(f"{API}/admin/sessions", headers=org.admin["headers"])
    marked = {s["id"]: s["current"] for s in r.json()["sessions"]}
    assert marked == {org.owner["session_id"]: False, org.admin["session_id"]: True,
                      org.member["session_id"]: False}
