"""/api/v1/usage: the daily command quota."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from server.deps import DB, ClientAddr, Principal, RuntimeDep, require_role
from server.schemas import CommandUsageRequest, CommandUsageResponse
from server.services import quotas

router = APIRouter()

TenantUser = Annotated[Principal, Depends(require_role("owner", "admin", "member", mfa=False))]


@router.post("/commands", response_model=CommandUsageResponse)
async def count_commands(body: CommandUsageRequest, principal: TenantUser, db: DB, runtime: RuntimeDep,
                         addr: ClientAddr) -> CommandUsageResponse:
    usage = await quotas.count_commands(db, runtime.clock, principal.user, body.count, client_addr=addr)
    return CommandUsageResponse(used=usage.used, limit=usage.limit, resets_at=usage.resets_at)


@router.get("/commands", response_model=CommandUsageResponse)
async def commands_today(principal: TenantUser, db: DB, runtime: RuntimeDep) -> CommandUsageResponse:
    """Today's use and limit, without counting anything (for the console's home screen)."""
    now = runtime.clock.now()
    return CommandUsageResponse(
        used=await quotas.usage_today(db, principal.user.id, now),
        limit=await quotas.effective_daily_limit(db, principal.user, now),
        resets_at=quotas.next_reset(now),
    )
