"""tui.admin_client against the real API (in-process): every admin and support call gives
the schema models, pages and errors (in our words) the screens rely on."""

from __future__ import annotations

import httpx
import pytest

from server import schemas
from tests.conftest import CLIENT_ADDR
from tests.server.admin_world import acquire, make_org
from tests.server.flows import read_invitation_code
from tests.server.principals import make_principal
from tui.admin_client import AdminClient, Page, SupportClient
from tui.api import ApiClient, ApiError, Tokens


def api_as(app, principal: dict) -> ApiClient:
    transport = httpx.ASGITransport(app=app, client=(CLIENT_ADDR, 40000))
    api = ApiClient("http://testserver", transport)
    api.tokens = Tokens(access_token=principal["access_token"], refresh_token="unused", expires_at=0,
                        session_id=principal["session_id"])
    return api


@pytest.fixture
async def org(app):
    return await make_org(app, "alpha")


@pytest.fixture
async def admin(app, org):
    api = api_as(app, org.admin)
    yield AdminClient(api)
    await api.aclose()


async def test_sessions_page_filter_and_revoke(app, client, org, admin):
    page = await admin.list_sessions(limit=2)
    assert isinstance(page, Page) and len(page.items) == 2 and not page.last
    assert all(isinstance(s, schemas.AdminSession) for s in page.items)
    rest = await admin.list_sessions(limit=2, cursor=page.next_cursor)
    assert rest.last and len(rest.items) == 1
    [mine] = [s for s in page.items + rest.items if s.current]
    assert mine.id == org.admin["session_id"]
    [member] = (await admin.list_sessions(q="  DEV@alpha ")).items
    assert member.id == org.member["session_id"]
    assert (await admin.list_sessions(user_id=org.member["user_id"], active=False)).items == []
    await admin.revoke_session(member.id)
    [ended] = (await admin.list_sessions(user_id=org.member["user_id"], active=False)).items
    assert ended.revoked_reason == "admin_revoked"
    r = await client.get("/api/v1/auth/me", headers=org.member["headers"])
    assert r.status_code == 401 and r.json()["code"] == "session_revoked"
    # Only owners act on owners: an admin signs out a member, not an owner.
    with pytest.raises(ApiError) as refused:
        await admin.revoke_user_sessions(org.owner["user_id"])
    assert refused.value.code == "owner_required"
    assert await admin.revoke_user_sessions(org.member["user_id"]) == 0  # already signed out above


async def test_seats_users_quotas_audit(client, org, admin):
    seat_id = await acquire(client, org.member, "hw-1")
    [seat] = await admin.list_seats()
    assert isinstance(seat, schemas.AdminSeat) and seat.id == seat_id and seat.live
    await admin.release_seat(seat_id)
    assert await admin.list_seats() == []
    users = await admin.list_users()
    assert [u.email for u in users.items] == ["admin@alpha.example", "dev@alpha.example", "owner@alpha.example"]
    member = await admin.find_user("Dev@Alpha.example")
    assert member.id == org.member["user_id"]
    assert (await admin.change_role(member.id, "admin")).role == "admin"
    assert (await admin.disable_user(member.id)).disabled is True
    assert (await admin.enable_user(member.id)).disabled is False
    await admin.reset_mfa(member.id)
    assert (await admin.set_user_quota(member.id, 12)).daily_limit == 12
    assert (await admin.set_default_quota(40)).default_override == 40
    quotas = await admin.list_quotas()
    assert quotas.default_override == 40
    assert {q.email: q.effective_limit for q in quotas.users}["dev@alpha.example"] == 12
    assert (await admin.set_user_quota(member.id, None)).daily_limit is None
    trail = await admin.audit_trail(user_id=member.id, limit=3)
    assert len(trail.items) == 3 and trail.items[0].action == "quota.user_limit_set"
    assert [e.action for e in (await admin.audit_trail(action="user.mfa_reset")).items] == ["user.mfa_reset"]
    overview = await admin.overview()
    assert isinstance(overview, schemas.AdminOverview) and overview.users == 3


async def test_invite_list_and_revoke_invitations(settings, org, admin):
    answer = await admin.invite("ada@alpha.example", "member")
    assert read_invitation_code(settings, "ada@alpha.example")
    [pending] = (await admin.list_invitations()).items
    assert (pending.id, pending.email, pending.invited_by_email) == (answer.id, "ada@alpha.example",
                                                                     "admin@alpha.example")
    await admin.revoke_invitation(pending.id)
    assert (await admin.list_invitations()).items == []


async def test_refusals_come_back_in_words(app, org, admin):
    with pytest.raises(ApiError) as refused:
        await admin.change_role(org.owner["user_id"], "member")
    assert refused.value.code == "owner_required" and refused.value.message.startswith("Only an owner")
    with pytest.raises(ApiError) as bad:
        await admin.set_user_quota(org.member["user_id"], -1)
    assert bad.value.fields == {"daily_limit": bad.value.fields["daily_limit"]} and bad.value.status is None
    with pytest.raises(ApiError) as missing:
        await admin.revoke_session("not a real id/../x")
    assert missing.value.code == "not_found"
    with pytest.raises(ApiError) as unknown:
        await admin.find_user("nobody@alpha.example")
    assert unknown.value.code == "not_found"
    member_api = api_as(app, org.member)
    try:
        with pytest.raises(ApiError) as forbidden:
            await AdminClient(member_api).list_sessions()
        assert forbidden.value.status == 403 and forbidden.value.message == "Your role does not allow this."
    finally:
        await member_api.aclose()


async def test_support_search_and_open_is_recorded(app, org):
    support = await make_principal(app, role="support")
    api = api_as(app, support)
    try:
        client = SupportClient(api)
        assert not any(name.startswith(("revoke", "release", "set_", "update", "invite")) for name in dir(client))
        [found] = (await client.search_tenants("owner@alpha")).items
        assert found.id == org.tenant_id and found.owner_emails == ["owner@alpha.example"]
        detail = await client.open_tenant(found.id)
        assert isinstance(detail, schemas.SupportTenantDetail) and detail.user_count == 3
        assert detail.audit[0].action == "support.viewed"
    finally:
        await api.aclose()
