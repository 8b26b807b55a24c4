"""Typed clients for the tenant admin API (/api/v1/admin) and the support API (/api/v1/support).

Both ride on the app's ApiClient (its token handling, refresh and error words); every
answer is a server.schemas model. Lists come back as a `Page` (items + next_cursor, the
opaque keyset cursor to send back for the next page; None on the last page).

One name per concept at every layer: `revoke_session` here is DELETE /admin/sessions/{id}
(route `revoke_session`, service `admin_sessions.revoke_one`, the screen's "Revoke").
SupportClient and its CustomerReader have no method that writes: the support console
cannot even ask. Both consoles' lists are one TenantReader, under /admin or under
/support/tenants/{id}.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from server import schemas
from tui.api import ApiClient, ApiError, _path_segment, _request

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None

    @property
    def last(self) -> bool:
        return self.next_cursor is None


def _id(value: str) -> str:
    """A path segment: an id the server made (anything else cannot exist: not_found)."""
    return _path_segment(str(value).strip())


class TenantReader:
    """The read calls of one organization's console lists, under `base`: the admin API
    (/admin, the caller's own organization) or support's view of one customer
    (/support/tenants/{id}, the same answers, read-only). Writes are AdminClient's only."""

    base = "/admin"
    whose = "your organization"  # in "No user with this email in ..."

    def __init__(self, api: ApiClient) -> None:
        self.api = api

    # -- sessions ---------------------------------------------------------------------------

    async def list_sessions(self, *, q: str | None = None, user_id: str | None = None,
                            active: bool | None = None, cursor: str | None = None,
                            limit: int = schemas.ADMIN_PAGE_DEFAULT) -> Page[schemas.AdminSession]:
        """Newest first; `q` matches the user's email or the device name (case-insensitive)."""
        page = await self.api.call("GET", f"{self.base}/sessions", schemas.AdminSessionPage, params={
            "q": (q or "").strip() or None, "user_id": user_id, "active": active, "cursor": cursor,
            "limit": limit})
        return Page(page.sessions, page.next_cursor)

    # -- seats ------------------------------------------------------------------------------

    async def list_seats(self) -> list[schemas.AdminSeat]:
        return (await self.api.call("GET", f"{self.base}/seats", schemas.AdminSeatList)).seats

    # -- users ------------------------------------------------------------------------------

    async def list_users(self, *, cursor: str | None = None,
                         limit: int = schemas.ADMIN_PAGE_MAX) -> Page[schemas.AdminUser]:
        """By email."""
        page = await self.api.call("GET", f"{self.base}/users", schemas.AdminUserPage,
                                   params={"cursor": cursor, "limit": limit})
        return Page(page.users, page.next_cursor)

    async def find_user(self, email: str) -> schemas.AdminUser:
        """The user with this email (any case), else ApiError not_found."""
        wanted = email.strip().lower()
        cursor = None
        while True:
            page = await self.list_users(cursor=cursor)
            for user in page.items:
                if user.email.lower() == wanted:
                    return user
            if page.last:
                raise ApiError("not_found", 404, message=f"No user with this email in {self.whose}.")
            cursor = page.next_cursor

    # -- invitations ------------------------------------------------------------------------

    async def list_invitations(self, *, cursor: str | None = None,
                               limit: int = schemas.ADMIN_PAGE_DEFAULT) -> Page[schemas.PendingInvitation]:
        """Pending invitations, newest first."""
        page = await self.api.call("GET", f"{self.base}/invitations", schemas.InvitationPage,
                                   params={"cursor": cursor, "limit": limit})
        return Page(page.invitations, page.next_cursor)

    # -- quotas -----------------------------------------------------------------------------

    async def list_quotas(self, *, cursor: str | None = None,
                          limit: int = schemas.ADMIN_PAGE_MAX) -> schemas.QuotaList:
        """Today's use per user against their limit, plus the organization's default and the
        tier's limit (`users` is the page, `next_cursor` the next one)."""
        return await self.api.call("GET", f"{self.base}/quotas", schemas.QuotaList,
                                   params={"cursor": cursor, "limit": limit})

    # -- audit ------------------------------------------------------------------------------

    async def audit_trail(self, *, action: str | None = None, user_id: str | None = None,
                          cursor: str | None = None,
                          limit: int = schemas.ADMIN_PAGE_DEFAULT) -> Page[schemas.AuditEventOut]:
        """Newest first; `action` exact (e.g. "session.revoked"); `user_id`: events the user
        did or that were done to them."""
        page = await self.api.call("GET", f"{self.base}/audit", schemas.AuditPage, params={
            "action": (action or "").strip() or None, "user_id": user_id, "cursor": cursor, "limit": limit})
        return Page(page.events, page.next_cursor)


class AdminClient(TenantReader):
    """The admin console's calls (owner or admin, signed in with a second factor): the lists
    of TenantReader for the caller's organization, and every write."""

    # -- overview ---------------------------------------------------------------------------

    async def overview(self) -> schemas.AdminOverview:
        return await self.api.call("GET", "/admin/overview", schemas.AdminOverview)

    # -- sessions ---------------------------------------------------------------------------

    async def revoke_session(self, session_id: str) -> None:
        """End one session (and the seats it holds) at once: its tokens are refused from now on."""
        await self.api.call("DELETE", f"/admin/sessions/{_id(session_id)}")

    async def revoke_user_sessions(self, user_id: str) -> int:
        """End every session and seat of a user -> how many sessions were ended."""
        answer = await self.api.call("POST", f"/admin/users/{_id(user_id)}/revoke-sessions", schemas.RevokedCount)
        return answer.revoked_sessions

    # -- seats ------------------------------------------------------------------------------

    async def release_seat(self, seat_id: str) -> None:
        """Force-release a seat (idempotent for the holder; the seat is free for someone else)."""
        await self.api.call("DELETE", f"/admin/seats/{_id(seat_id)}")

    # -- users ------------------------------------------------------------------------------

    async def update_user(self, user_id: str, *, role: str | None = None,
                          disabled: bool | None = None) -> schemas.AdminUser:
        body = _request(schemas.UserPatch, role=role, disabled=disabled)
        return await self.api.call("PATCH", f"/admin/users/{_id(user_id)}", schemas.AdminUser, body=body)

    async def change_role(self, user_id: str, role: str) -> schemas.AdminUser:
        return await self.update_user(user_id, role=role)

    async def disable_user(self, user_id: str) -> schemas.AdminUser:
        """Disabling also ends every session and seat of the user."""
        return await self.update_user(user_id, disabled=True)

    async def enable_user(self, user_id: str) -> schemas.AdminUser:
        return await self.update_user(user_id, disabled=False)

    async def reset_mfa(self, user_id: str) -> None:
        """Clear the user's authenticator and recovery codes; their sessions end."""
        await self.api.call("POST", f"/admin/users/{_id(user_id)}/reset-mfa")

    # -- invitations ------------------------------------------------------------------------

    async def invite(self, email: str, role: str = "member") -> schemas.InvitationResponse:
        body = _request(schemas.InvitationRequest, email=email, role=role)
        return await self.api.call("POST", "/admin/invitations", schemas.InvitationResponse, body=body)

    async def revoke_invitation(self, invitation_id: str) -> None:
        """Cancel a pending invitation: its code stops working at once."""
        await self.api.call("DELETE", f"/admin/invitations/{_id(invitation_id)}")

    # -- quotas -----------------------------------------------------------------------------

    async def set_user_quota(self, user_id: str, daily_limit: int | None) -> schemas.AdminUser:
        """A user's own daily limit (None removes it); effective at once."""
        body = _request(schemas.QuotaUpdate, daily_limit=daily_limit)
        return await self.api.call("PUT", f"/admin/quotas/{_id(user_id)}", schemas.AdminUser, body=body,
                                   send_nulls=True)

    async def set_default_quota(self, daily_limit: int | None) -> schemas.DefaultQuota:
        """The organization's default daily limit per user (None: the tier's)."""
        body = _request(schemas.QuotaUpdate, daily_limit=daily_limit)
        return await self.api.call("PUT", "/admin/quotas/default", schemas.DefaultQuota, body=body,
                                   send_nulls=True)


class SupportClient:
    """The support console's calls (role support): read-only, across customer tenants."""

    def __init__(self, api: ApiClient) -> None:
        self.api = api

    async def search_tenants(self, q: str | None = None, *, cursor: str | None = None,
                             limit: int = schemas.ADMIN_PAGE_DEFAULT) -> Page[schemas.SupportTenantSummary]:
        """By name; `q` matches the name, an owner's email or a license key."""
        page = await self.api.call("GET", "/support/tenants", schemas.SupportTenantPage, params={
            "q": (q or "").strip() or None, "cursor": cursor, "limit": limit})
        return Page(page.tenants, page.next_cursor)

    async def open_tenant(self, tenant_id: str) -> schemas.SupportTenantDetail:
        """One customer's organization; the server records `support.viewed` in its audit trail."""
        return await self.api.call("GET", f"/support/tenants/{_id(tenant_id)}", schemas.SupportTenantDetail)

    def customer(self, tenant_id: str) -> "CustomerReader":
        """That customer's lists (the admin console's, read-only); reading them is covered by
        the opening the server recorded."""
        return CustomerReader(self.api, tenant_id)


class CustomerReader(TenantReader):
    """One customer's lists as support reads them: TenantReader under /support/tenants/{id}."""

    whose = "this customer's organization"

    def __init__(self, api: ApiClient, tenant_id: str) -> None:
        super().__init__(api)
        self.tenant_id = tenant_id
        self.base = f"/support/tenants/{_id(tenant_id)}"
