"""/api/v1/support: cross-tenant, read-only inspection for support staff (role `support`,
signed in with MFA). There are no write routes here, and support tokens are refused
by every admin route."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from server.deps import DB, ClientAddr, Principal, RuntimeDep, require_role
from server.schemas.admin import (
    ADMIN_PAGE_DEFAULT, ADMIN_PAGE_MAX, AuditEventOut, SupportTenantDetail, SupportTenantPage,
)
from server.services import support

SupportPrincipal = Annotated[Principal, Depends(require_role("support"))]

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
