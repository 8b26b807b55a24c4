"""One customer's lists for support staff: /support/tenants/{id}/sessions, seats, users,
invitations, quotas, audit. They answer exactly what the customer's own admins get from
/admin/* (same handlers, scoped to that customer), only to role `support`, never write,
and reading them is covered by one recorded view, not one event per page."""

from __future__ import annotations

from datetime import timedelta

import pytest

from server.services.support import VIEW_COVERS
from tests.server.admin_world import API, acquire, audit_events, make_org
from tests.server.principals import make_principal

PANELS = ["sessions", "seats", "users", "invitations", "quotas", "audit"]
ROUTES = {("GET", "/support/tenants"), ("GET", "/support/tenants/{tenant_id}"),
          *(("GET", f"/support/tenants/{{tenant_id}}/{panel}") for panel in PANELS)}


@pytest.fixture
async def world(app, client):
    alpha, beta = await make_org(app, "alpha"), await make_org(app, "beta")
    beta.seat_id = await acquire(client, beta.member, "hw-beta-1", "beta-build-box")
    r = await client.post(f"{API}/admin/invitations", headers=beta.admin["headers"],
                          json={"email": "hire@beta.example", "role": "member"})
    assert r.status_code == 201, r.text
    support = await make_principal(app, role="support", email="help@coditect.example")
    return alpha, beta, support


async def get(client, who: dict, path: str, **params) -> dict:
    r = await client.get(API + path, headers=who["headers"], params=params)
    assert r.status_code == 200, r.text
    return r.json()


def panel(tenant_id: str, name: str) -> str:
    return f"/support/tenants/{tenant_id}/{name}"


def test_support_routes_are_exactly_these_and_all_read(app):
    served = {(method.upper(), path.removeprefix(API))
              for path, operations in app.openapi()["paths"].items() if path.startswith(f"{API}/support")
              for method in operations}
    assert served == ROUTES


@pytest.mark.parametrize("name", PANELS)
async def test_support_sees_what_the_customers_admins_see(client, world, name):
    _, beta, support = world
    seen_by_support = await get(client, support, panel(beta.tenant_id, name))
    seen_by_owner = await get(client, beta.owner, f"/admin/{name}")
    if name == "sessions":  # "current" is the caller's own session: never one of the customer's for support
        assert any(s["current"] for s in seen_by_owner["sessions"])
        assert not any(s["current"] for s in seen_by_support["sessions"])
        for s in seen_by_owner["sessions"]:
            s["current"] = False
    if name == "audit":  # the owner reads after support's view was recorded
        assert seen_by_owner["events"][0]["action"] == "support.viewed"
    assert seen_by_support == seen_by_owner
    assert seen_by_support[{"quotas": "users", "audit": "events"}.get(name, name)]  # never an empty comparison


async def test_only_the_chosen_customers_rows(client, world):
    alpha, beta, support = world
    sessions = (await get(client, support, panel(beta.tenant_id, "sessions")))["sessions"]
    assert {s["user_email"] for s in sessions} == {"owner@beta.example", "admin@beta.example", "dev@beta.example"}
    users = (await get(client, support, panel(alpha.tenant_id, "users")))["users"]
    assert {u["email"] for u in users} == {"owner@alpha.example", "admin@alpha.example", "dev@alpha.example"}
    assert (await get(client, support, panel(alpha.tenant_id, "seats")))["seats"] == []
    [seat] = (await get(client, support, panel(beta.tenant_id, "seats")))["seats"]
    assert seat["id"] == beta.seat_id and seat["holder_email"] == "dev@beta.example"
    # An id of another customer is not found in this one (as for admins).
    r = await client.get(API + panel(alpha.tenant_id, "sessions"), headers=support["headers"],
                         params={"user_id": beta.member["user_id"]})
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    assert r.json()["title"] == "No such user in this customer's organization."


async def test_sessions_filter_on_the_server_and_page_by_keyset(client, world):
    _, beta, support = world
    found = await get(client, support, panel(beta.tenant_id, "sessions"), q="UBUNTU-ws")
    assert [s["user_email"] for s in found["sessions"]] == ["dev@beta.example"]
    found = await get(client, support, panel(beta.tenant_id, "sessions"), q="owner@beta")
    assert [s["user_email"] for s in found["sessions"]] == ["owner@beta.example"]
    seen, cursor = [], None
    while True:
        page = await get(client, support, panel(beta.tenant_id, "sessions"), limit=1,
                         **({"cursor": cursor} if cursor else {}))
        seen += [s["id"] for s in page["sessions"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    everything = await get(client, support, panel(beta.tenant_id, "sessions"))
    assert seen == [s["id"] for s in everything["sessions"]] and len(seen) == 3


async def test_audit_filters_by_action_and_user(client, world):
    _, beta, support = world
    invited = await get(client, support, panel(beta.tenant_id, "audit"), action="user.invited")
    assert [e["actor_email"] for e in invited["events"]] == ["admin@beta.example"]
    by_member = await get(client, support, panel(beta.tenant_id, "audit"), user_id=beta.member["user_id"])
    assert "seat.acquired" in {e["action"] for e in by_member["events"]}
    assert {e["actor_email"] for e in by_member["events"]} == {"dev@beta.example"}


async def test_one_recorded_view_covers_paging_and_refreshing(app, client, clock, world):
    alpha, beta, support = world
    await get(client, support, f"/support/tenants/{beta.tenant_id}")  # the console opens the customer
    for name in PANELS:
        await get(client, support, panel(beta.tenant_id, name))
        await get(client, support, panel(beta.tenant_id, name), limit=1)
    [viewed] = await audit_events(app, beta.tenant_id, "support.viewed")
    assert viewed.actor_user_id == support["user_id"] and viewed.client_addr == "203.0.113.7"

    # A list read with no recent view (a script; a console left open) records one first.
    assert await audit_events(app, alpha.tenant_id, "support.viewed") == []
    await get(client, support, panel(alpha.tenant_id, "users"))
    assert len(await audit_events(app, alpha.tenant_id, "support.viewed")) == 1
    clock.advance((VIEW_COVERS - timedelta(seconds=1)).total_seconds())
    await get(client, support, panel(alpha.tenant_id, "audit"))
    assert len(await audit_events(app, alpha.tenant_id, "support.viewed")) == 1
    clock.advance(2)
    await get(client, support, panel(alpha.tenant_id, "audit"))
    assert len(await audit_events(app, alpha.tenant_id, "support.viewed")) == 2

    # Every support person's view is their own.
    colleague = await make_principal(app, role="support", email="second@coditect.example",
                                     tenant_id=support["tenant_id"])
    await get(client, colleague, panel(beta.tenant_id, "seats"))
    assert [e.actor_email for e in await audit_events(app, beta.tenant_id, "support.viewed")] == [
        "help@coditect.example", "second@coditect.example"]


@pytest.mark.parametrize("who", ["owner", "admin", "member"])
async def test_customers_cannot_read_support_panels(app, client, world, who):
    alpha, beta, _ = world
    for name in PANELS:
        for target in (alpha, beta):  # not even their own organization, through /support
            r = await client.get(API + panel(target.tenant_id, name), headers=getattr(alpha, who)["headers"])
            assert (r.status_code, r.json()["code"]) == (403, "forbidden"), name
    assert await audit_events(app, beta.tenant_id, "support.viewed") == []


async def test_support_panels_need_mfa_and_a_customer(app, client, world):
    _, beta, support = world
    no_mfa = await make_principal(app, role="support", mfa=False)
    for name in PANELS:
        r = await client.get(API + panel(beta.tenant_id, name), headers=no_mfa["headers"])
        assert (r.status_code, r.json()["code"]) == (403, "mfa_required"), name
        for tenant_id in (support["tenant_id"], "0" * 32):  # staff and unknown tenants do not exist here
            r = await client.get(API + panel(tenant_id, name), headers=support["headers"])
            assert (r.status_code, r.json()["code"]) == (404, "not_found"), (name, tenant_id)
    assert await audit_events(app, beta.tenant_id, "support.viewed") == []
    assert await audit_events(app, support["tenant_id"], "support.viewed") == []


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
async def test_no_write_under_support(client, world, method):
    _, beta, support = world
    writes = [f"/support/tenants/{beta.tenant_id}/{name}" for name in PANELS] + [
        f"/support/tenants/{beta.tenant_id}/sessions/{beta.member['session_id']}",
        f"/support/tenants/{beta.tenant_id}/seats/{beta.seat_id}",
        f"/support/tenants/{beta.tenant_id}/users/{beta.member['user_id']}",
        f"/support/tenants/{beta.tenant_id}/quotas/default",
    ]
    for path in writes:
        r = await client.request(method, API + path, headers=support["headers"], json={"daily_limit": 1})
        assert r.status_code in (404, 405), (path, r.status_code)
    live = (await get(client, support, panel(beta.tenant_id, "sessions"), active="true"))["sessions"]
    assert len(live) == 3  # nothing was revoked
    assert [s["id"] for s in (await get(client, support, panel(beta.tenant_id, "seats")))["seats"]] == [beta.seat_id]
