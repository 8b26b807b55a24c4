"""GET /admin/sessions (search, filters, keyset pages), DELETE /admin/sessions/{id},
POST /admin/users/{id}/revoke-sessions."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from server.models import User
from server.services.tokens import open_session
from tests.server.admin_world import API, acquire, audit_events, make_org


@pytest.fixture
async def org(app):
    return await make_org(app, "alpha")


async def open_sessions(app, user_id: str, devices: list[str], *, step_s: float = 60) -> list[str]:
    """Real sessions for an existing user, `step_s` apart (0: all at the same instant)."""
    runtime = app.state.runtime
    ids = []
    async with runtime.sessionmaker() as db:
        user = (await db.execute(select(User).where(User.id == user_id))).scalar_one()
        for device in devices:
            runtime.clock.advance(step_s)
            tokens = await open_session(db, runtime, user, amr=["pwd", "otp"], device_name=device,
                                        client_addr="198.51.100.23")
            ids.append(tokens.session_id)
        await db.commit()
    return ids


async def get_sessions(client, org, **params):
    r = await client.get(f"{API}/admin/sessions", headers=org.admin["headers"], params=params)
    assert r.status_code == 200, r.text
    return r.json()


async def test_a_session_shows_who_where_and_how(client, org):
    page = await get_sessions(client, org, user_id=org.member["user_id"])
    [row] = page["sessions"]
    assert row["id"] == org.member["session_id"]
    assert row["user_email"] == "dev@alpha.example"
    assert row["device_name"] == "ubuntu-ws-alpha"
    assert row["client_addr"] == "203.0.113.7"
    assert row["amr"] == ["pwd", "otp"]
    assert row["active"] is True and row["revoked_at"] is None
    assert page["next_cursor"] is None


async def test_q_matches_email_and_device_name_case_insensitively(app, client, org):
    await open_sessions(app, org.owner["user_id"], ["Dell XPS 13", "ubuntu-ws-07"])

    def who(page):
        return sorted((s["user_email"], s["device_name"]) for s in page["sessions"])

    assert who(await get_sessions(client, org, q="DEV@ALPHA")) == [("dev@alpha.example", "ubuntu-ws-alpha")]
    assert who(await get_sessions(client, org, q="xps")) == [("owner@alpha.example", "Dell XPS 13")]
    assert who(await get_sessions(client, org, q="UBUNTU-WS")) == [
        ("dev@alpha.example", "ubuntu-ws-alpha"), ("owner@alpha.example", "ubuntu-ws-07")]
    assert who(await get_sessions(client, org, q="nobody-has-this")) == []


async def test_like_wildcards_in_q_are_literal(app, client, org):
    await open_sessions(app, org.owner["user_id"], ["build_box 100%", "buildXbox 1000"])

    async def devices(q):
        return [s["device_name"] for s in (await get_sessions(client, org, q=q))["sessions"]]

    assert await devices("%") == ["build_box 100%"]
    assert await devices("d_box") == ["build_box 100%"]
    assert await devices("0%") == ["build_box 100%"]


@pytest.mark.parametrize("step_s", [60, 0], ids=["distinct-times", "same-instant"])
async def test_cursor_pages_cover_everything_once_newest_first(app, client, org, step_s):
    await open_sessions(app, org.member["user_id"], [f"laptop-{i:02d}" for i in range(23)], step_s=step_s)
    everything = (await get_sessions(client, org, limit=500))["sessions"]
    assert len(everything) == 26
    keys = [(s["created_at"], s["id"]) for s in everything]
    assert keys == sorted(keys, reverse=True)

    seen, cursor = [], None
    while True:
        page = await get_sessions(client, org, limit=7, **({"cursor": cursor} if cursor else {}))
        seen += [s["id"] for s in page["sessions"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [s["id"] for s in everything]


async def test_cursor_pages_respect_the_search(app, client, org):
    await open_sessions(app, org.member["user_id"], [f"laptop-{i:02d}" for i in range(12)] + ["desk"] * 5)
    first = await get_sessions(client, org, q="laptop", limit=5)
    second = await get_sessions(client, org, q="laptop", limit=5, cursor=first["next_cursor"])
    third = await get_sessions(client, org, q="laptop", limit=5, cursor=second["next_cursor"])
    names = [s["device_name"] for p in (first, second, third) for s in p["sessions"]]
    assert names == [f"laptop-{i:02d}" for i in reversed(range(12))]
    assert third["next_cursor"] is None


@pytest.mark.parametrize("params,code", [
    ({"cursor": "not-a-cursor"}, "invalid_cursor"),
    ({"cursor": "WyJ4Il0"}, "invalid_cursor"),  # base64 of ["x"]: wrong shape
    ({"limit": 501}, "validation_error"),
    ({"limit": 0}, "validation_error"),
    ({"q": "x" * 201}, "validation_error"),
])
async def test_bad_paging_input_is_a_clear_422(client, org, params, code):
    r = await client.get(f"{API}/admin/sessions", headers=org.admin["headers"], params=params)
    assert r.status_code == 422 and r.json()["code"] == code


async def test_revoking_a_session_signs_it_out_and_frees_its_seat(app, client, org):
    seat_id = await acquire(client, org.member, "hw-dev-1")
    r = await client.delete(f"{API}/admin/sessions/{org.member['session_id']}", headers=org.admin["headers"])
    assert r.status_code == 204
    r = await client.get(f"{API}/admin/users", headers=org.member["headers"])
    assert r.status_code == 401 and r.json()["code"] == "session_revoked"
    seats = (await client.get(f"{API}/admin/seats", headers=org.admin["headers"])).json()["seats"]
    assert seat_id not in [s["id"] for s in seats]

    [event] = await audit_events(app, org.tenant_id, "session.revoked")
    assert event.actor_email == "admin@alpha.example" and event.client_addr == "203.0.113.7"
    assert event.target == f"session:{org.member['session_id']}"
    # Filters see the change; a second revoke is a no-op.
    assert [s["id"] for s in (await get_sessions(client, org, active="false"))["sessions"]] == [org.member["session_id"]]
    assert org.member["session_id"] not in [s["id"] for s in (await get_sessions(client, org, active="true"))["sessions"]]
    r = await client.delete(f"{API}/admin/sessions/{org.member['session_id']}", headers=org.admin["headers"])
    assert r.status_code == 204
    assert len(await audit_events(app, org.tenant_id, "session.revoked")) == 1


async def test_revoke_all_sessions_of_a_user_ends_their_seats(app, client, org):
    await open_sessions(app, org.member["user_id"], ["second laptop", "third laptop"])
    seat_id = await acquire(client, org.member, "hw-dev-1")
    r = await client.post(f"{API}/admin/users/{org.member['user_id']}/revoke-sessions", headers=org.owner["headers"])
    assert r.status_code == 200 and r.json() == {"revoked_sessions": 3}
    assert (await get_sessions(client, org, user_id=org.member["user_id"], active="true"))["sessions"] == []
    r = await client.put(f"{API}/licenses/heartbeat", headers=org.member["headers"], json={"seat_id": seat_id})
    assert r.status_code == 401
    seats = (await client.get(f"{API}/admin/seats", headers=org.admin["headers"])).json()["seats"]
    assert seats == []
    # The other users are untouched.
    assert (await client.get(f"{API}/admin/users", headers=org.admin["headers"])).status_code == 200


async def test_an_admin_may_revoke_their_own_session(client, org):
    r = await client.delete(f"{API}/admin/sessions/{org.admin['session_id']}", headers=org.admin["headers"])
    assert r.status_code == 204
    assert (await client.get(f"{API}/admin/users", headers=org.admin["headers"])).status_code == 401
