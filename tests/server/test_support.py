"""The support API: find any customer tenant, open it read-only, and leave a trace in
that tenant's audit log every time."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from server.models import License, Tenant
from tests.server.admin_world import API, acquire, audit_events, make_org
from tests.server.principals import make_principal


@pytest.fixture
async def world(app, client):
    alpha, beta = await make_org(app, "alpha"), await make_org(app, "beta")
    support = await make_principal(app, role="support", email="help@coditect.example")
    async with app.state.runtime.sessionmaker() as db:
        for org, name in ((alpha, "Alpha Robotics"), (beta, "Beta Foods")):
            (await db.get(Tenant, org.tenant_id)).name = name
        await db.commit()
    return alpha, beta, support


async def search(client, support, **params) -> dict:
    r = await client.get(f"{API}/support/tenants", headers=support["headers"], params=params)
    assert r.status_code == 200, r.text
    return r.json()


def names(page) -> list[str]:
    return [t["name"] for t in page["tenants"]]


async def test_search_lists_customers_only(client, world):
    _, _, support = world
    page = await search(client, support)
    assert names(page) == ["Alpha Robotics", "Beta Foods"]  # the staff tenant is never listed
    assert page["tenants"][1]["owner_emails"] == ["owner@beta.example"]
    assert page["tenants"][1]["tier"] == "pro"


async def test_search_by_name_owner_email_or_license_key(app, client, world):
    _, beta, support = world
    assert names(await search(client, support, q="bETA f")) == ["Beta Foods"]
    assert names(await search(client, support, q="OWNER@ALPHA")) == ["Alpha Robotics"]
    assert names(await search(client, support, q="dev@alpha")) == []  # members are not owners
    async with app.state.runtime.sessionmaker() as db:
        key = (await db.execute(select(License.key).where(License.tenant_id == beta.tenant_id,
                                                          License.tier == "pro"))).scalar_one()
    assert names(await search(client, support, q=key.lower())) == ["Beta Foods"]
    assert names(await search(client, support, q=key[-9:])) == ["Beta Foods"]
    assert names(await search(client, support, q="Staff")) == []


async def test_search_pages(client, world):
    _, _, support = world
    first = await search(client, support, limit=1)
    second = await search(client, support, limit=1, cursor=first["next_cursor"])
    assert names(first) + names(second) == ["Alpha Robotics", "Beta Foods"] and second["next_cursor"] is None


async def test_opening_a_tenant_shows_everything_and_is_audited_there(app, client, world):
    alpha, beta, support = world
    await acquire(client, beta.member, "hw-beta-1")
    await client.post(f"{API}/usage/commands", headers=beta.member["headers"], json={"count": 4})
    r = await client.get(f"{API}/support/tenants/{beta.tenant_id}", headers=support["headers"])
    assert r.status_code == 200, r.text
    detail = r.json()
    assert detail["name"] == "Beta Foods" and detail["tier"] == "pro"
    assert sorted(lic["tier"] for lic in detail["licenses"]) == ["free", "pro"]
    assert (detail["seats_live"], detail["seats_total"]) == (1, 6)
    assert detail["user_count"] == 3 and {u["role"] for u in detail["users"]} == {"owner", "admin", "member"}
    assert (detail["sessions_active"], detail["sessions_total"]) == (3, 3)
    assert detail["commands_today"] == 4
    newest = detail["audit"][0]
    assert newest["action"] == "support.viewed" and newest["actor_email"] == "help@coditect.example"

    [viewed] = await audit_events(app, beta.tenant_id, "support.viewed")
    assert viewed.actor_user_id == support["user_id"] and viewed.client_addr == "203.0.113.7"
    assert await audit_events(app, alpha.tenant_id, "support.viewed") == []
    # The customer's admins see who looked.
    trail = (await client.get(f"{API}/admin/audit", headers=beta.owner["headers"],
                              params={"action": "support.viewed"})).json()["events"]
    assert [e["actor_email"] for e in trail] == ["help@coditect.example"]


async def test_staff_and_unknown_tenants_are_not_found(client, world):
    _, _, support = world
    for tenant_id in (support["tenant_id"], "0" * 32):
        r = await client.get(f"{API}/support/tenants/{tenant_id}", headers=support["headers"])
        assert r.status_code == 404 and r.json()["code"] == "not_found"


@pytest.mark.parametrize("path", ["/support/tenants", "/support/tenants/{tenant_id}"])
@pytest.mark.parametrize("who", ["owner", "admin", "member"])
async def test_customers_cannot_use_support(client, world, path, who):
    alpha, beta, _ = world
    principal = getattr(alpha, who)
    r = await client.get(API + path.format(tenant_id=beta.tenant_id), headers=principal["headers"])
    assert r.status_code == 403 and r.json()["code"] == "forbidden"


async def test_support_needs_mfa(app, client, world):
    _, beta, _ = world
    no_mfa = await make_principal(app, role="support", mfa=False)
    r = await client.get(f"{API}/support/tenants/{beta.tenant_id}", headers=no_mfa["headers"])
    assert r.status_code == 403 and r.json()["code"] == "mfa_required"
    assert await audit_events(app, beta.tenant_id, "support.viewed") == []


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
async def test_support_api_has_no_writes(client, world, method):
    _, beta, support = world
    for path in ("/support/tenants", f"/support/tenants/{beta.tenant_id}"):
        r = await client.request(method, API + path, headers=support["headers"], json={})
        assert r.status_code == 405
