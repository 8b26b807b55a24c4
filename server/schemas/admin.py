"""Contract: the tenant admin API (/api/v1/admin/*) and the support API (/api/v1/support/*).

Lists are keyset-paginated: a page carries `next_cursor` (opaque; null on the last page)
which the client sends back as `?cursor=`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from server.schemas.identity import Email

__all__ = [
    "TenantRole", "AdminSeat", "AdminSeatList", "AdminSession", "AdminSessionPage", "RevokedCount",
    "UserSummary", "AdminUser", "AdminUserPage", "UserPatch", "InvitationRequest", "InvitationResponse",
    "PendingInvitation", "InvitationPage",
    "QuotaRow", "QuotaList", "QuotaUpdate", "DefaultQuota", "AuditEventOut", "AuditPage",
    "OverviewLicense", "AdminOverview",
    "SupportTenantSummary", "SupportTenantPage", "SupportLicense", "SupportUser", "SupportTenantDetail",
    "ADMIN_PAGE_DEFAULT", "ADMIN_PAGE_MAX",
]

ADMIN_PAGE_DEFAULT = 50
ADMIN_PAGE_MAX = 500

TenantRole = Literal["owner", "admin", "member"]


class AdminSeat(BaseModel):
    id: str
    user_id: str
    holder_email: str
    holder_name: str
    device_name: str
    hardware_id: str
    kind: str
    started_at: datetime
    last_heartbeat_at: datetime
    license_key: str
    tier: str
    live: bool  # False: missed heartbeats for the seat TTL, will be reclaimed


class AdminSeatList(BaseModel):
    seats: list[AdminSeat]


class AdminSession(BaseModel):
    id: str
    user_id: str
    user_email: str
    device_name: str
    client_addr: str | None
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    amr: list[str]
    revoked_at: datetime | None
    revoked_reason: str | None
    active: bool
    current: bool = False  # the session the admin is asking with (revoking it signs them out)


class AdminSessionPage(BaseModel):
    sessions: list[AdminSession]
    next_cursor: str | None


class RevokedCount(BaseModel):
    revoked_sessions: int


class UserSummary(BaseModel):
    """What both consoles show of a person."""

    id: str
    email: str
    full_name: str
    role: str
    disabled: bool
    mfa_enrolled: bool


class AdminUser(UserSummary):
    email_verified: bool
    created_at: datetime
    last_login_at: datetime | None
    daily_limit: int | None


class AdminUserPage(BaseModel):
    users: list[AdminUser]
    next_cursor: str | None


class UserPatch(BaseModel):
    role: TenantRole | None = None
    disabled: bool | None = None


class InvitationRequest(BaseModel):
    email: Email
    role: TenantRole = "member"


class InvitationResponse(BaseModel):
    """The invitation token goes only to the invited address, never into this answer."""

    id: str
    email: str
    role: str
    expires_at: datetime


class PendingInvitation(BaseModel):
    """An invitation not yet accepted, not expired, whose inviter may still invite."""

    id: str
    email: str
    role: str
    invited_by_email: str | None
    created_at: datetime
    expires_at: datetime


class InvitationPage(BaseModel):
    invitations: list[PendingInvitation]
    next_cursor: str | None


class QuotaRow(BaseModel):
    user_id: str
    email: str
    override: int | None  # the user's own limit, if an admin set one
    effective_limit: int
    used_today: int


class QuotaList(BaseModel):
    default_override: int | None  # the tenant-wide limit, if an admin set one
    tier_limit: int  # the license's limit, used when no override applies
    resets_at: datetime
    users: list[QuotaRow]
    next_cursor: str | None


class QuotaUpdate(BaseModel):
    """null removes the override."""

    daily_limit: int | None = Field(ge=0, le=10_000_000)


class DefaultQuota(BaseModel):
    default_override: int | None


class AuditEventOut(BaseModel):
    id: int
    at: datetime
    action: str
    actor_user_id: str | None
    actor_email: str | None
    target: str | None
    client_addr: str | None
    detail: dict


class AuditPage(BaseModel):
    events: list[AuditEventOut]
    next_cursor: str | None


class OverviewLicense(BaseModel):
    key: str
    tier: str
    seats_used: int  # live seats (a heartbeat within the seat TTL)
    seats_total: int
    expires_at: datetime | None


class AdminOverview(BaseModel):
    """The admin console's first screen, in one request."""

    tenant_id: str
    organization: str
    tier: str | None  # the primary license's tier
    licenses: list[OverviewLicense]
    seats_used: int
    seats_total: int
    sessions_live: int
    users: int
    users_disabled: int
    invitations_pending: int
    commands_today: int  # the whole organization, this UTC day
    daily_limit: int  # per user, unless a user has an override: the default override or the tier's
    users_at_limit: int  # users who have used today's quota
    resets_at: datetime
    recent_audit: list[AuditEventOut]


class SupportTenantSummary(BaseModel):
    id: str
    name: str
    created_at: datetime
    tier: str | None
    owner_emails: list[str]


class SupportTenantPage(BaseModel):
    tenants: list[SupportTenantSummary]
    next_cursor: str | None


class SupportLicense(BaseModel):
    key: str
    tier: str
    seats: int
    seats_live: int
    daily_limit: int
    activated_at: datetime | None
    expires_at: datetime | None


class SupportUser(UserSummary):
    """A tenant's user as support sees it (read-only)."""


class SupportTenantDetail(BaseModel):
    id: str
    name: str
    created_at: datetime
    tier: str | None
    licenses: list[SupportLicense]
    seats_live: int
    seats_total: int
    users: list[SupportUser]
    user_count: int
    sessions_active: int
    sessions_total: int
    commands_today: int
    default_daily_limit: int | None
    audit: list[AuditEventOut]
