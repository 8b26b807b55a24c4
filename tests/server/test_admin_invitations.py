"""GET /admin/invitations and DELETE /admin/invitations/{id}: pending invitations, listed and
cancellable; an invitation whose inviter is disabled or demoted stops working."""

from __future__ import annotations

import pytest

from tests.server.admin_world import API, audit_events, make_org
from tests.server.principals import make_principal
from tests.server.test_invitations import accept, invite

INVITATIONS = f"{API}/admin/invitations"


@pytest.fixture
async def org(app):
    return await make_org(app, "alpha")


async def pending(client, principal, **params) -> dict:
    r = await client.get(INVITATIONS, headers=principal["headers"], params=params)
    assert r.status_code == 200, r.text
    return r.json()


async def test_pending_invitations_newest_first_with_who_invited(client, settings, clock, org):
    await invite(client, settings, org.admin, "ada@alpha.example")
    clock.advance(60)
    await invite(client, settings, org.owner, "bob@alpha.example", "admin")
    page = await pending(client, org.admin)
    assert [(i["email"], i["role"], i["invited_by_email"]) for i in page["invitations"]] == [
        ("bob@alpha.example", "admin", "owner@alpha.example"),
        ("ada@alpha.example", "member", "admin@alpha.example"),
    ]
    assert page["next_cursor"] is None
    assert page["invitations"][0]["expires_at"] == "2026-12-03T10:01:00Z"


async def test_accepted_and_expired_invitations_are_not_pending(app, client, settings, clock, org):
    token = await invite(client, settings, org.admin, "ada@alpha.example")
    assert (await accept(client, token)).status_code == 201
    await invite(client, settings, org.admin, "late@alpha.example")
    assert [i["email"] for i in (await pending(client, org.admin))["invitations"]] == ["late@alpha.example"]
    clock.advance(7 * 24 * 3600)
    admin_a_week_later = await make_principal(app, role="admin", tenant_id=org.tenant_id)
    assert (await pending(client, admin_a_week_later))["invitations"] == []


async def test_pages_cover_every_invitation_once(client, settings, clock, org):
    for n in range(5):
        await invite(client, settings, org.admin, f"hire{n}@alpha.example")
        clock.advance(0 if n % 2 else 1)  # some share an instant: the id breaks the tie
    seen, cursor = [], None
    while True:
        page = await pending(client, org.admin, limit=2, **({"cursor": cursor} if cursor else {}))
        seen += [i["email"] for i in page["invitations"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == [f"hire{n}@alpha.example" for n in range(5)]


async def test_revoked_invitation_is_gone_audited_and_its_code_refused(app, client, settings, org):
    token = await invite(client, settings, org.admin, "ada@alpha.example")
    [invitation] = (await pending(client, org.admin))["invitations"]
    r = await client.delete(f"{INVITATIONS}/{invitation['id']}", headers=org.owner["headers"])
    assert r.status_code == 204
    assert (await pending(client, org.admin))["invitations"] == []
    r = await accept(client, token)
    assert r.status_code == 410 and r.json()["code"] == "invitation_invalid"
    [event] = await audit_events(app, org.tenant_id, "invitation.revoked")
    assert event.target == f"invitation:{invitation['id']}"
    assert event.detail == {"email": "ada@alpha.example", "role": "member"}
    assert event.actor_email == "owner@alpha.example"
    # Twice: the second finds nothing.
    r = await client.delete(f"{INVITATIONS}/{invitation['id']}", headers=org.owner["headers"])
    assert r.status_code == 404 and r.json()["code"] == "not_found"


async def test_an_accepted_invitation_cannot_be_revoked(client, settings, org):
    token = await invite(client, settings, org.admin, "ada@alpha.example")
    [invitation] = (await pending(client, org.admin))["invitations"]
    assert (await accept(client, token)).status_code == 201
    r = await client.delete(f"{INVITATIONS}/{invitation['id']}", headers=org.admin["headers"])
    assert r.status_code == 404 and r.json()["code"] == "not_found"


@pytest.mark.parametrize("change", [{"disabled": True}, {"role": "member"}], ids=["disabled", "demoted"])
async def test_invitations_of_an_inviter_who_lost_the_right_stop_working(client, settings, org, change):
    token = await invite(client, settings, org.admin, "ada@alpha.example")
    r = await client.patch(f"{API}/admin/users/{org.admin['user_id']}", headers=org.owner["headers"], json=change)
    assert r.status_code == 200, r.text
    assert (await pending(client, org.owner))["invitations"] == []
    r = await client.post(f"{API}/auth/invitations/preview", json={"token": token})
    assert r.status_code == 410 and r.json()["code"] == "invitation_invalid"
    r = await accept(client, token)
    assert r.status_code == 410 and r.json()["code"] == "invitation_invalid"


async def test_an_owner_invitation_stops_working_when_its_inviter_is_no_longer_owner(app, client, settings, org):
    token = await invite(client, settings, org.owner, "co-owner@alpha.example", "owner")
    other_owner = await invite_and_promote(client, org)
    r = await client.patch(f"{API}/admin/users/{org.owner['user_id']}", headers=other_owner, json={"role": "admin"})
    assert r.status_code == 200, r.text
    r = await accept(client, token)
    assert r.status_code == 410 and r.json()["code"] == "invitation_invalid"
    # An admin's member invitation made before stays valid: the admin may still invite members.
    token = await invite(client, settings, org.admin, "ada@alpha.example")
    assert (await accept(client, token)).status_code == 201


async def invite_and_promote(client, org) -> dict:
    """Make the org's admin an owner too (so the first owner can be demoted) -> its headers."""
    r = await client.patch(f"{API}/admin/users/{org.admin['user_id']}", headers=org.owner["headers"],
                           json={"role": "owner"})
    assert r.status_code == 200, r.text
    return org.admin["headers"]


async def test_invitations_survive_changes_that_keep_the_right(client, settings, org):
    token = await invite(client, settings, org.admin, "ada@alpha.example")
    r = await client.patch(f"{API}/admin/users/{org.admin['user_id']}", headers=org.owner["headers"],
                           json={"role": "owner"})
    assert r.status_code == 200
    assert [i["email"] for i in (await pending(client, org.owner))["invitations"]] == ["ada@alpha.example"]
    assert (await accept(client, token)).status_code == 201
