"""/api/v1/licenses: activate, list, and the seat lease cycle (acquire, heartbeat, release)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status

from server.deps import (
    DB, Caller, ClientAddr, Principal, RuntimeDep, read_only, require_caller_role, require_role, TokenAndRuntime,
)
from server.schemas import (
    AcquireSeatRequest, ActivateLicenseRequest, LicenseInfo, LicensesResponse, SeatLease, SeatRequest,
)
from server.services import licenses, seat_leases, seats
from server.services.callers import SEAT_ROLES

router = APIRouter()

Admin = Annotated[Principal, Depends(require_role("owner", "admin"))]
# Every tenant user may hold a seat; MFA is required only where the role demands it elsewhere.
SeatUser = Annotated[Caller, Depends(require_caller_role(*SEAT_ROLES, mfa=False))]


async def _info(db, runtime, lic) -> LicenseInfo:
    now, ttl_s = runtime.clock.now(), runtime.settings.seat_ttl_s
    return LicenseInfo(
        key=lic.key, tier=lic.tier, seats_total=lic.seats, seats_used=await seats.seats_used(db, lic.id, now, ttl_s),
        daily_limit=lic.daily_limit, expires_at=lic.expires_at, activated_at=lic.activated_at,
    )


def _lease(runtime, lease: seats.Lease, status_code: int = status.HTTP_200_OK) -> Response:
    """The SeatLease body, written by the model's own serializer (the JSON FastAPI would
    give) without FastAPI validating the model it was just handed: every field is ours
    and typed. The lease cycle's hot paths, so the saved work counts."""
    body = SeatLease.model_construct(
        seat_id=lease.seat.id, lease_token=lease.token,
        heartbeat_interval_s=runtime.settings.seat_heartbeat_interval_s, ttl_s=runtime.settings.seat_ttl_s,
        expires_at=lease.expires_at, license_key=lease.license.key, tier=lease.license.tier,
    )
    return Response(_LEASE_JSON.to_json(body), status_code, media_type="application/json")


_LEASE_JSON = SeatLease.__pydantic_serializer__


@router.post("/activate", response_model=LicenseInfo)
async def activate(body: ActivateLicenseRequest, principal: Admin, db: DB, runtime: RuntimeDep,
                   addr: ClientAddr) -> LicenseInfo:
    lic = await licenses.activate_license(db, runtime.clock, principal, body.license_key, client_addr=addr)
    return await _info(db, runtime, lic)


@router.get("", response_model=LicensesResponse)
@read_only
async def list_licenses(principal: SeatUser, db: DB, runtime: RuntimeDep) -> LicensesResponse:
    rows = await licenses.tenant_licenses(db, principal.tenant_id)
    return LicensesResponse(licenses=[await _info(db, runtime, lic) for lic in rows])


@router.post("/acquire", response_model=SeatLease, status_code=status.HTTP_201_CREATED,
             responses={200: {"model": SeatLease, "description": "The caller already held this seat"}})
async def acquire(body: AcquireSeatRequest, request: Request, signed_in: TokenAndRuntime) -> Response:
    token, runtime = signed_in
    addr = request.client.host if request.client else None  # deps.client_addr
    lease = await seat_leases.acquire(
        runtime, token.claims, token.now, hardware_id=body.hardware_id, device_name=body.device_name,
        kind=body.kind, license_key=body.license_key, client_addr=addr,
    )
    return _lease(runtime, lease, status.HTTP_201_CREATED if lease.created else status.HTTP_200_OK)


@router.put("/heartbeat", response_model=SeatLease)
async def heartbeat(body: SeatRequest, signed_in: TokenAndRuntime) -> Response:
    token, runtime = signed_in
    return _lease(runtime, await seat_leases.heartbeat(runtime, token.claims, token.now, body.seat_id))


@router.delete("/release", status_code=status.HTTP_204_NO_CONTENT)
async def release(body: SeatRequest, principal: SeatUser, db: DB, runtime: RuntimeDep, addr: ClientAddr) -> Response:
    await seats.release_own_seat(db, runtime.clock, principal, body.seat_id, client_addr=addr)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
