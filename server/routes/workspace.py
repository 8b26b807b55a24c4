"""/api/v1/workspace: SSH keys, deployment credentials, and container sessions (the gate)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status

from server.deps import DB, ClientAddr, Principal, RuntimeDep, require_role
from server.errors import ApiError
from server.schemas import (
    ContainerSession, ContainerSessionRequest, DeploymentCredentialCreated, DeploymentCredentialInfo,
    DeploymentCredentialRequest, SeatLease, SshKeyAddRequest, SshKeyInfo,
)
from server.services import ssh_keys, workspace

router = APIRouter()

# Any tenant user may run a workspace for themselves (like holding a seat).
WorkspaceUser = Annotated[Principal, Depends(require_role("owner", "admin", "member", mfa=False))]


def _key_info(key) -> SshKeyInfo:
    return SshKeyInfo(id=key.id, name=key.name, key_type=key.key_type, fingerprint=key.fingerprint,
                      public_key=key.public_key, created_at=key.created_at, last_used_at=key.last_used_at)


def _credential_info(row) -> DeploymentCredentialInfo:
    return DeploymentCredentialInfo(id=row.id, name=row.name, created_at=row.created_at,
                                    last_used_at=row.last_used_at, revoked_at=row.revoked_at)


@router.get("/ssh-keys", response_model=list[SshKeyInfo])
async def list_ssh_keys(principal: WorkspaceUser, db: DB) -> list[SshKeyInfo]:
    return [_key_info(k) for k in await ssh_keys.own_keys(db, principal.user.id)]


@router.post("/ssh-keys", response_model=SshKeyInfo, status_code=status.HTTP_201_CREATED,
             responses={200: {"model": SshKeyInfo, "description": "This key was already registered"}})
async def add_ssh_key(body: SshKeyAddRequest, principal: WorkspaceUser, db: DB, runtime: RuntimeDep,
                      addr: ClientAddr, response: Response) -> SshKeyInfo:
    key, created = await ssh_keys.add_key(db, runtime.clock, principal.user, public_key=body.public_key,
                                          name=body.name, client_addr=addr)
    if not created:
        response.status_code = status.HTTP_200_OK
    return _key_info(key)


@router.delete("/ssh-keys/{key_id}", status_code=204, response_class=Response)
async def delete_ssh_key(key_id: str, principal: WorkspaceUser, db: DB, runtime: RuntimeDep,
                         addr: ClientAddr) -> Response:
    await ssh_keys.delete_key(db, runtime.clock, principal.user, key_id, client_addr=addr)
    return Response(status_code=204)


@router.get("/credentials", response_model=list[DeploymentCredentialInfo])
async def list_credentials(principal: WorkspaceUser, db: DB) -> list[DeploymentCredentialInfo]:
    return [_credential_info(r) for r in await workspace.own_credentials(db, principal.user.id)]


@router.post("/credentials", response_model=DeploymentCredentialCreated, status_code=status.HTTP_201_CREATED)
async def create_credential(body: DeploymentCredentialRequest, principal: WorkspaceUser, db: DB,
                            runtime: RuntimeDep, addr: ClientAddr) -> DeploymentCredentialCreated:
    row, secret = await workspace.mint_credential(db, runtime.clock, principal.user, name=body.name,
                                                  client_addr=addr)
    return DeploymentCredentialCreated(**_credential_info(row).model_dump(), credential=secret)


@router.delete("/credentials/{credential_id}", status_code=204, response_class=Response)
async def revoke_credential(credential_id: str, principal: WorkspaceUser, db: DB, runtime: RuntimeDep,
                            addr: ClientAddr) -> Response:
    await workspace.revoke_credential(db, runtime.clock, principal.user, credential_id, client_addr=addr)
    return Response(status_code=204)


def _bearer(request: Request) -> str:
    scheme, _, secret = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise ApiError(401, "credential_invalid", "A workspace credential is required.",
                       headers={"WWW-Authenticate": "Bearer"})
    return secret.strip()


@router.post("/sessions", response_model=ContainerSession, status_code=status.HTTP_201_CREATED)
async def open_container_session(body: ContainerSessionRequest, request: Request, db: DB, runtime: RuntimeDep,
                                 addr: ClientAddr) -> ContainerSession:
    """Called by the workspace's session gate with the deployment credential (Bearer)."""
    opened = await workspace.open_container_session(
        db, runtime, _bearer(request), fingerprint=body.fingerprint, hardware_id=body.hardware_id,
        device_name=body.device_name, client_addr=addr,
    )
    lease, settings = opened.lease, runtime.settings
    seat = SeatLease(seat_id=lease.seat.id, lease_token=lease.token,
                     heartbeat_interval_s=settings.seat_heartbeat_interval_s, ttl_s=settings.seat_ttl_s,
                     expires_at=lease.expires_at, license_key=lease.license.key, tier=lease.license.tier)
    tokens = opened.tokens
    return ContainerSession(access_token=tokens.access_token, refresh_token=tokens.refresh_token,
                            expires_in=tokens.expires_in, session_id=tokens.session_id,
                            user_email=opened.user.email, seat=seat)
