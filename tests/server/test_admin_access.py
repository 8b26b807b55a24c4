"""Who may call the admin API: owner/admin of the tenant with MFA, nobody else; and an
admin never reaches another tenant's rows (404, exactly like an id that does not exist)."""

from __future__ import annotations

import pytest

from tests.server.admin_world import API, acquire, make_org
from tests.server.principals import make_principal

# Every admin route, with ids filled in from the target org. The coverage test below
# fails when a route is added to the router without being added here.
ROUTES = [
    ("GET", "/admin/seats", None),
    ("DELETE", "/admin/seats/{seat_id}", None),
    ("GET", "/admin/sessions", None),
    ("DELETE", "/admin/sessions/{session_id}", None),
    ("POST", "/admin/users/{user_id}/revoke-sessions", None),
    ("GET", "/admin/users", None),
    ("PATCH", "/admin/users/{user_id}", {"disabled": True}),
    ("POST", "/admin/users/{user_id}/reset-mfa", None),
    ("POST", "/admin/invitations", {"email": "new.hire@example.com", "role": "member"}),
    ("GET", "/admin/quotas", None),
    ("PUT", "/admin/quotas/default", {"daily_limit": 1}),
    ("PUT", "/admin/quotas/{user_id}", {"daily_limit": 1}),
    ("GET", "/admin/invitations", None),
    ("DELETE", "/admin/invitations/{invitation_id}", None),
    ("GET", "/admin/audit", None),
    ("GET", "/admin/overview", None),
]
ID_ROUTES = [r for r in ROUTES if "{" in r[1]] + [("GET", "/admin/sessions?user_id={user_id}", None),
                                                  ("GET", "/admin/audit?user_id={user_id}", None)]


def test_every_admin_route_is_in_the_matrix(app):
    served = {
        (method.upper(), path.removeprefix(API))
        for path, operations in app.openapi()["paths"].items() if path.startswith(f"{API}/admin")
        for method in operations
    }
    assert served == {(method, path) for method, path, _ in ROUTES}


@pytest.fixture
async def orgs(app, client):
    a, b = await make_org(app, "alpha"), await make_org(app, "beta")
    b.seat_id = await acquire(client, b.member, "hw-beta-1")
    r = await client.post(f"{API}/admin/invitations", headers=b.admin["headers"],
                          json={"email": "hire@beta.example", "role": "member"})
    assert r.status_code == 201, r.text
    b.invitation_id = r.json()["id"]
    return a, b


async def call(client, method, template, body, headers, org):
    path = API + template.format(seat_id=getattr(org, "seat_id", "0" * 32), session_id=org.member["session_id"],
                                 user_id=org.member["user_id"], invitation_id=getattr(org, "invitation_id", "0" * 32))
    return await client.request(method, path, headers=headers, json=body)


async def answers_other_than(client, org, headers, routes, status: int, code: str | None) -> list[str]:
    """Every route called in turn with these headers (each one refused, so nothing moves in
    between) -> the routes that did not answer `status` with `code`, and what they said."""
    wrong = []
    for method, template, body in routes:
        r = await call(client, method, template, body, headers, org)
        if r.status_code != status or (code is not None and r.json().get("code") != code):
            wrong.append(f"{method} {template} -> {r.status_code} {r.text[:120]}")
    return wrong


async def test_member_is_forbidden(client, orgs):
    a, _ = orgs
    assert await answers_other_than(client, a, a.member["headers"], ROUTES, 403, "forbidden") == []


async def test_support_is_forbidden_even_to_read(app, client, orgs):
    a, _ = orgs
    support = await make_principal(app, role="support")
    assert await answers_other_than(client, a, support["headers"], ROUTES, 403, "forbidden") == []


async def test_admin_without_mfa_is_refused(app, client, orgs):
    a, _ = orgs
    no_mfa = await make_principal(app, role="owner", tenant_id=a.tenant_id, mfa=False)
    assert await answers_other_than(client, a, no_mfa["headers"], ROUTES, 403, "mfa_required") == []


async def test_anonymous_is_unauthorized(client, orgs):
    a, _ = orgs
    assert await answers_other_than(client, a, {}, ROUTES, 401, None) == []


@pytest.mark.parametrize("role", ["owner", "admin"])
async def test_other_tenants_ids_are_not_found(client, orgs, role):
    a, b = orgs
    actor = a.owner if role == "owner" else a.admin
    for method, template, body in ID_ROUTES:
        route = f"{method} {template}"
        r = await call(client, method, template, body, actor["headers"], b)
        assert (r.status_code, r.json()["code"]) == (404, "not_found"), route
        # Nothing of tenant B moved: its member is still signed in and still holds the seat.
        r = await client.get(f"{API}/admin/seats", headers=b.owner["headers"])
        assert [(s["id"], s["live"]) for s in r.json()["seats"]] == [(b.seat_id, True)], route
        r = await client.get(f"{API}/admin/users", headers=b.owner["headers"])
        assert {u["email"]: u["disabled"] for u in r.json()["users"]}["dev@beta.example"] is False, route
        r = await client.put(f"{API}/licenses/heartbeat", headers=b.member["headers"], json={"seat_id": b.seat_id})
        assert r.status_code == 200, route
        r = await client.get(f"{API}/admin/invitations", headers=b.owner["headers"])
        assert [i["id"] for i in r.json()["invitations"]] == [b.invitation_id], route


async def test_lists_show_only_the_callers_tenant(client, orgs):
    a, b = orgs
    headers = a.admin["headers"]
    users = (await client.get(f"{API}/admin/users", headers=headers)).json()["users"]
    assert {u["email"] for u in users} == {"owner@alpha.example", "admin@alpha.example", "dev@alpha.example"}
    sessions = (await client.get(f"{API}/admin/sessions", headers=headers)).json()["sessions"]
    assert {s["user_email"].split("@")[1] for s in sessions} == {"alpha.example"}
    assert (await client.get(f"{API}/admin/seats", headers=headers)).json()["seats"] == []
    quotas = (await client.get(f"{API}/admin/quotas", headers=headers)).json()["users"]
    assert {q["email"].split("@")[1] for q in quotas} == {"alpha.example"}
    # Tenant B's seat acquisition is in B's trail, not in A's.
    events = (await client.get(f"{API}/admin/audit", headers=headers)).json()["events"]
    assert all("beta" not in str(e) for e in events)
    b_events = (await client.get(f"{API}/admin/audit", headers=b.admin["headers"])).json()["events"]
    assert b_events, "tenant B's own trail must not be empty (the seat acquisition is audited)"
