"""/api/v1/admin: the tenant admin API (owner or admin, signed in with MFA).

Every route runs `admin_scope` (router dependency), which checks the role and MFA and
carries the caller's tenant; services scope every query through it (services/tenancy.py).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Query, Response

from server.deps import DB, ClientAddr, Principal, RuntimeDep, require_role
from server.schemas.admin import (
    ADMIN_PAGE_DEFAULT, ADMIN_PAGE_MAX, AdminOverview, AdminSeat, AdminSeatList, AdminSession, AdminSessionPage, AdminUser,
    AdminUserPage, AuditEventOut, AuditPage, DefaultQuota, InvitationPage, InvitationRequest, InvitationResponse,
    PendingInvitation, QuotaList, QuotaUpdate, RevokedCount, UserPatch,
)
from server.services import (
    admin_audit, admin_invitations, admin_overview, admin_quotas, admin_seats, admin_sessions, admin_users,
)
from server.services.tenancy import TenantScope


_admin_principal = require_role("owner", "admin")
AdminPrincipal = Annotated[Principal, Depends(_admin_principal)]


async def admin_scope(principal: AdminPrincipal, client_addr: ClientAddr) -> TenantScope:
    return TenantScope(tenant_id=principal.tenant_id, actor=principal.user, client_addr=client_addr)


AdminScope = Annotated[TenantScope, Depends(admin_scope)]
Limit = Annotated[int, Query(ge=1, le=ADMIN_PAGE_MAX)]
Cursor = Annotated[str | None, Query(max_length=512)]

router = APIRouter(dependencies=[Depends(admin_scope)])


@router.get("/seats", response_model=AdminSeatList)
async def list_seats(scope: AdminScope, db: DB, runtime: RuntimeDep) -> AdminSeatList:
    rows = await admin_seats.list_seats(db, runtime.clock, scope, ttl_s=runtime.settings.seat_ttl_s)
    return AdminSeatList(seats=[
        AdminSeat(id=seat.id, user_id=user.id, holder_email=user.email, holder_name=user.full_name,
                  device_name=seat.device_name, hardware_id=seat.hardware_id, kind=seat.kind,
                  started_at=seat.started_at, last_heartbeat_at=seat.last_heartbeat_at,
                  license_key=lic.key, tier=lic.tier, live=live)
        for seat, user, lic, live in rows
    ])


@router.delete("/seats/{seat_id}", status_code=204)
async def release_seat(seat_id: str, scope: AdminScope, db: DB, runtime: RuntimeDep) -> Response:
    await admin_seats.force_release(db, runtime.clock, scope, seat_id)
    return Response(status_code=204)


@router.get("/sessions", response_model=AdminSessionPage)
async def list_sessions(
    scope: AdminScope, principal: AdminPrincipal, db: DB, runtime: RuntimeDep,
    q: Annotated[str | None, Query(max_length=200)] = None,
    user_id: Annotated[str | None, Query(max_length=64)] = None,
    active: bool | None = None, cursor: Cursor = None, limit: Limit = ADMIN_PAGE_DEFAULT,
) -> AdminSessionPage:
    rows, next_cursor = await admin_sessions.search_sessions(
        db, runtime.clock, scope, q=q, user_id=user_id, active=active, cursor=cursor, limit=limit,
    )
    now = runtime.clock.now()
    return AdminSessionPage(next_cursor=next_cursor, sessions=[
        AdminSession(id=s.id, user_id=s.user_id, user_email=email, device_name=s.device_name,
                     client_addr=s.client_addr, created_at=s.created_at, last_seen_at=s.last_seen_at,
                     expires_at=s.expires_at, amr=s.amr.split(), revoked_at=s.revoked_at,
                     revoked_reason=s.revoked_reason, active=s.revoked_at is None and s.expires_at > now,
                     current=s.id == principal.session.id)
        for s, email in rows
    ])


@router.delete("/sessions/{session_id}", status_code=204)
async def revoke_session(session_id: str, scope: AdminScope, db: DB, runtime: RuntimeDep) -> Response:
    await admin_sessions.revoke_one(db, runtime.clock, scope, session_id)
    return Response(status_code=204)


@router.post("/users/{user_id}/revoke-sessions", response_model=RevokedCount)
async def revoke_user_sessions(user_id: str, scope: AdminScope, db: DB, runtime: RuntimeDep) -> RevokedCount:
    count = await admin_sessions.revoke_all_of_user(db, runtime.clock, scope, user_id, reason="admin_revoked")
    return RevokedCount(revoked_sessions=count)


@router.get("/users", response_model=AdminUserPage)
async def list_users(scope: AdminScope, db: DB, cursor: Cursor = None, limit: Limit = ADMIN_PAGE_MAX) -> AdminUserPage:
    rows, next_cursor = await admin_users.list_users(db, scope, cursor=cursor, limit=limit)
    return AdminUserPage(next_cursor=next_cursor, users=[_user(user, last_login) for user, last_login in rows])


@router.patch("/users/{user_id}", response_model=AdminUser)
async def update_user(user_id: str, body: UserPatch, scope: AdminScope, db: DB, runtime: RuntimeDep) -> AdminUser:
    user = await admin_users.update_user(db, runtime.clock, scope, user_id, body)
    return _user(user, None)


@router.post("/users/{user_id}/reset-mfa", status_code=204)
async def reset_mfa(user_id: str, scope: AdminScope, db: DB, runtime: RuntimeDep) -> Response:
    await admin_users.reset_mfa(db, runtime.clock, scope, user_id)
    return Response(status_code=204)


@router.post("/invitations", response_model=InvitationResponse, status_code=201)
async def invite(body: InvitationRequest, scope: AdminScope, db: DB, runtime: RuntimeDep,
                 background: BackgroundTasks) -> InvitationResponse:
    inv, mail = await admin_users.invite(db, runtime.clock, scope, email=body.email, role=body.role)
    background.add_task(mail.send, runtime.mailer)  # runs after the commit
    return InvitationResponse(id=inv.id, email=inv.email, role=inv.role, expires_at=inv.expires_at)


@router.get("/invitations", response_model=InvitationPage)
async def list_invitations(scope: AdminScope, db: DB, runtime: RuntimeDep, cursor: Cursor = None,
                           limit: Limit = ADMIN_PAGE_DEFAULT) -> InvitationPage:
    rows, next_cursor = await admin_invitations.list_invitations(db, runtime.clock, scope, cursor=cursor, limit=limit)
    return InvitationPage(next_cursor=next_cursor, invitations=[
        PendingInvitation(id=inv.id, email=inv.email, role=inv.role, invited_by_email=inviter,
                          created_at=inv.created_at, expires_at=inv.expires_at)
        for inv, inviter in rows
    ])


@router.delete("/invitations/{invitation_id}", status_code=204)
async def revoke_invitation(invitation_id: str, scope: AdminScope, db: DB, runtime: RuntimeDep) -> Response:
    await admin_invitations.revoke_invitation(db, runtime.clock, scope, invitation_id)
    return Response(status_code=204)


@router.get("/overview", response_model=AdminOverview)
async def overview(scope: AdminScope, db: DB, runtime: RuntimeDep) -> AdminOverview:
    found = await admin_overview.overview(db, runtime.clock, scope, ttl_s=runtime.settings.seat_ttl_s)
    found["recent_audit"] = [AuditEventOut.model_validate(e, from_attributes=True) for e in found["recent_audit"]]
    return AdminOverview.model_validate(found)


@router.get("/quotas", response_model=QuotaList)
async def list_quotas(scope: AdminScope, db: DB, runtime: RuntimeDep, cursor: Cursor = None,
                      limit: Limit = ADMIN_PAGE_MAX) -> QuotaList:
    return QuotaList.model_validate(await admin_quotas.quota_page(db, runtime.clock, scope, cursor=cursor, limit=limit))


# Declared before /quotas/{user_id} so that "default" is not taken for a user id.
@router.put("/quotas/default", response_model=DefaultQuota)
async def set_default_quota(body: QuotaUpdate, scope: AdminScope, db: DB, runtime: RuntimeDep) -> DefaultQuota:
    await admin_quotas.set_default_limit(db, runtime.clock, scope, body.daily_limit)
    return DefaultQuota(default_override=body.daily_limit)


@router.put("/quotas/{user_id}", response_model=AdminUser)
async def set_user_quota(user_id: str, body: QuotaUpdate, scope: AdminScope, db: DB, runtime: RuntimeDep) -> AdminUser:
    user = await admin_quotas.set_user_limit(db, runtime.clock, scope, user_id, body.daily_limit)
    return _user(user, None)


@router.get("/audit", response_model=AuditPage)
async def audit_trail(
    scope: AdminScope, db: DB, cursor: Cursor = None, limit: Limit = ADMIN_PAGE_DEFAULT,
    action: Annotated[str | None, Query(max_length=64)] = None,
    user_id: Annotated[str | None, Query(max_length=64)] = None,
) -> AuditPage:
    events, next_cursor = await admin_audit.audit_page(db, scope, action=action, user_id=user_id, cursor=cursor,
                                                       limit=limit)
    return AuditPage(next_cursor=next_cursor, events=[AuditEventOut.model_validate(e, from_attributes=True) for e in events])


def _user(user, last_login_at) -> AdminUser:
    return AdminUser(
        id=user.id, email=user.email, full_name=user.full_name, role=user.role, disabled=user.disabled,
        mfa_enrolled=user.totp_enrolled_at is not None, email_verified=user.email_verified_at is not None,
        created_at=user.created_at, last_login_at=last_login_at, daily_limit=user.daily_limit,
    )
