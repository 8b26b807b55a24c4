"""/api/v1/support: cross-tenant, read-only inspection for support staff (role `support`,
signed in with MFA). There are no write routes here, and support tokens are refused
by every admin route.

A customer's lists (/tenants/{id}/sessions, seats, users, invitations, quotas, audit) are
the admin API's own list handlers, called with that customer's tenant as their scope:
the same queries, keyset paging, filters and response schemas as /admin/*, and nothing
else of the admin API (no write handler is reachable from here). Reading them is covered
by the view recorded in the customer's audit trail (services/support.py `viewing_scope`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from server.deps import DB, ClientAddr, Principal, RuntimeDep, require_role
from server.routes import admin
from server.schemas.admin import (
    ADMIN_PAGE_DEFAULT, ADMIN_PAGE_MAX, AdminSeatList, AdminSessionPage, AdminUserPage, AuditEventOut, AuditPage,
    InvitationPage, QuotaList, SupportTenantDetail, SupportTenantPage,
)
from server.services import support
from server.services.tenancy import TenantScope

SupportPrincipal = Annotated[Principal, Depends(require_role("support"))]


async def customer_scope(tenant_id: str, principal: SupportPrincipal, db: DB, runtime: RuntimeDep,
                         client_addr: ClientAddr) -> TenantScope:
    return await support.viewing_scope(db, runtime.clock, tenant_id, actor=principal.user, client_addr=client_addr)


CustomerScope = Annotated[TenantScope, Depends(customer_scope)]
Limit = Annotated[int, Query(ge=1, le=ADMIN_PAGE_MAX)]
Cursor = Annotated[str | None, Query(max_length=512)]

router = APIRouter(dependencies=[Depends(require_role("support"))])


@router.get("/tenants", response_model=SupportTenantPage)
async def search_tenants(
    _principal: SupportPrincipal, db: DB, runtime: RuntimeDep,
    q: Annotated[str | None, Query(max_length=200)] = None,
    cursor: Annotated[str | None, Query(max_length=1024)] = None,
    limit: Annotated[int, Query(ge=1, le=ADMIN_PAGE_MAX)] = ADMIN_PAGE_DEFAULT,
) -> SupportTenantPage:
    tenants, next_cursor = await support.search_tenants(db, runtime.clock, q=q, cursor=cursor, limit=limit)
    return SupportTenantPage.model_validate({"tenants": tenants, "next_cursor": next_cursor})


@router.get("/tenants/{tenant_id}", response_model=SupportTenantDetail)
async def open_tenant(
    tenant_id: str, principal: SupportPrincipal, db: DB, runtime: RuntimeDep, client_addr: ClientAddr,
) -> SupportTenantDetail:
    detail = await support.open_tenant(db, runtime.clock, tenant_id, actor=principal.user,
                                       client_addr=client_addr, ttl_s=runtime.settings.seat_ttl_s)
    detail["audit"] = [AuditEventOut.model_validate(e, from_attributes=True) for e in detail["audit"]]
    return SupportTenantDetail.model_validate(detail)


# -- one customer's lists: the admin handlers, in the customer's scope ------------------------


@router.get("/tenants/{tenant_id}/sessions", response_model=AdminSessionPage)
async def list_sessions(
    scope: CustomerScope, principal: SupportPrincipal, db: DB, runtime: RuntimeDep,
    q: Annotated[str | None, Query(max_length=200)] = None,
    user_id: Annotated[str | None, Query(max_length=64)] = None,
    active: bool | None = None, cursor: Cursor = None, limit: Limit = ADMIN_PAGE_DEFAULT,
) -> AdminSessionPage:
    return await admin.list_sessions(scope=scope, principal=principal, db=db, runtime=runtime, q=q,
                                     user_id=user_id, active=active, cursor=cursor, limit=limit)


@router.get("/tenants/{tenant_id}/seats", response_model=AdminSeatList)
async def list_seats(scope: CustomerScope, db: DB, runtime: RuntimeDep) -> AdminSeatList:
    return await admin.list_seats(scope=scope, db=db, runtime=runtime)


@router.get("/tenants/{tenant_id}/users", response_model=AdminUserPage)
async def list_users(scope: CustomerScope, db: DB, cursor: Cursor = None, limit: Limit = ADMIN_PAGE_MAX) -> AdminUserPage:
    return await admin.list_users(scope=scope, db=db, cursor=cursor, limit=limit)


@router.get("/tenants/{tenant_id}/invitations", response_model=InvitationPage)
async def list_invitations(scope: CustomerScope, db: DB, runtime: RuntimeDep, cursor: Cursor = None,
                           limit: Limit = ADMIN_PAGE_DEFAULT) -> InvitationPage:
    return await admin.list_invitations(scope=scope, db=db, runtime=runtime, cursor=cursor, limit=limit)


@router.get("/tenants/{tenant_id}/quotas", response_model=QuotaList)
async def list_quotas(scope: CustomerScope, db: DB, runtime: RuntimeDep, cursor: Cursor = None,
                      limit: Limit = ADMIN_PAGE_MAX) -> QuotaList:
    return await admin.list_quotas(scope=scope, db=db, runtime=runtime, cursor=cursor, limit=limit)


@router.get("/tenants/{tenant_id}/audit", response_model=AuditPage)
async def audit_trail(
    scope: CustomerScope, db: DB, cursor: Cursor = None, limit: Limit = ADMIN_PAGE_DEFAULT,
    action: Annotated[str | None, Query(max_length=64)] = None,
    user_id: Annotated[str | None, Query(max_length=64)] = None,
) -> AuditPage:
    return await admin.audit_trail(scope=scope, db=db, cursor=cursor, limit=limit, action=action, user_id=user_id)
