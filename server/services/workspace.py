"""Deployment credentials and container sessions (the Docker workspace's session gate).

A deployment credential is minted by a signed-in user for one workspace deployment. Its one
power: open a *container session* for that same user, for an SSH key the user registered.
A container session is an ordinary login session (amr "ssh container": listed, revocable by
the user and by admins, ended when the user is disabled) plus a `container_session` seat,
opened in one transaction: a refusal leaves neither behind, only an audit event.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.errors import ApiError
from server.models import ContainerSessionLink, DeploymentCredential, LoginSession, SshKey, User
from server.schemas.workspace import CONTAINER_AMR
from server.security import new_opaque_token, token_hash
from server.services import audit, seats
from server.services.callers import Principal
from server.services.sessions import revoke_session
from server.services.tokens import IssuedTokens, open_session

CREDENTIAL_PREFIX = "cdw_"
MAX_LIVE_CREDENTIALS_PER_USER = 20


async def own_credentials(db: AsyncSession, user_id: str) -> list[DeploymentCredential]:
    return list((await db.execute(
        select(DeploymentCredential).where(DeploymentCredential.user_id == user_id)
        .order_by(DeploymentCredential.created_at.desc(), DeploymentCredential.id)
    )).scalars())


async def mint_credential(db: AsyncSession, clock, user, *, name: str, client_addr=None
                          ) -> tuple[DeploymentCredential, str]:
    """-> (row, the secret). The secret is returned once and stored only hashed."""
    live = await db.scalar(select(func.count()).select_from(DeploymentCredential).where(
        DeploymentCredential.user_id == user.id, DeploymentCredential.revoked_at.is_(None)))
    if live >= MAX_LIVE_CREDENTIALS_PER_USER:
        raise ApiError(409, "credential_limit", f"You have {live} workspace credentials, the most allowed.",
                       "Revoke one you no longer use (remove its workspace) first.")
    secret = CREDENTIAL_PREFIX + new_opaque_token(32)
    row = DeploymentCredential(user_id=user.id, tenant_id=user.tenant_id, name=name, token_hash=token_hash(secret),
                               created_at=clock.now())
    db.add(row)
    await db.flush()
    await audit.record(db, clock, "workspace.credential_created", tenant_id=user.tenant_id, actor=user,
                       client_addr=client_addr, target=f"credential:{row.id}", detail={"name": name})
    return row, secret


async def revoke_credential(db: AsyncSession, clock, user, credential_id: str, *, client_addr=None) -> None:
    """Revoke one of the user's credentials (idempotent); its open SSH sessions end."""
    row = await db.get(DeploymentCredential, credential_id)
    if row is None or row.user_id != user.id:
        raise ApiError(404, "credential_not_found", "No workspace credential of yours has this id.")
    if row.revoked_at is not None:
        return
    row.revoked_at = clock.now()
    sessions = (await db.execute(
        select(LoginSession).join(ContainerSessionLink, ContainerSessionLink.session_id == LoginSession.id)
        .where(ContainerSessionLink.credential_id == row.id, LoginSession.revoked_at.is_(None))
    )).scalars().all()
    for session in sessions:
        await revoke_session(db, clock, session, reason="credential_revoked", actor=user, client_addr=client_addr)
    await audit.record(db, clock, "workspace.credential_revoked", tenant_id=user.tenant_id, actor=user,
                       client_addr=client_addr, target=f"credential:{row.id}", detail={"sessions": len(sessions)})


@dataclass
class ContainerSessionOpened:
    tokens: IssuedTokens
    user: User
    lease: seats.Lease


def _credential_invalid() -> ApiError:
    return ApiError(401, "credential_invalid", "This workspace's credential is not valid (revoked or unknown).",
                    "Deploy the workspace again from CODITECT Console.", headers={"WWW-Authenticate": "Bearer"})


async def _credential(db: AsyncSession, secret: str) -> DeploymentCredential:
    if not secret.startswith(CREDENTIAL_PREFIX):
        raise _credential_invalid()
    row = await db.scalar(select(DeploymentCredential).where(DeploymentCredential.token_hash == token_hash(secret)))
    if row is None or row.revoked_at is not None:
        raise _credential_invalid()
    return row


async def _refuse(db: AsyncSession, clock, cred: DeploymentCredential, user: User, error: ApiError, *,
                  fingerprint: str, client_addr) -> ApiError:
    """Roll back whatever was opened, keep an audit event of the refusal, return the error."""
    actor = SimpleNamespace(id=user.id, email=user.email)  # plain values: rollback expires the rows
    tenant_id, target = cred.tenant_id, f"credential:{cred.id}"
    await db.rollback()
    await audit.record(db, clock, "workspace.session_refused", tenant_id=tenant_id, actor=actor,
                       client_addr=client_addr, target=target, detail={"reason": error.code, "fingerprint": fingerprint})
    await db.commit()
    return error


async def open_container_session(db: AsyncSession, runtime, secret: str, *, fingerprint: str, hardware_id: str,
                                 device_name: str, client_addr=None) -> ContainerSessionOpened:
    clock = runtime.clock
    cred = await _credential(db, secret)
    user = await db.get(User, cred.user_id)
    cred_id, tenant_id = cred.id, cred.tenant_id
    if user.disabled:
        raise await _refuse(db, clock, cred, user, ApiError(
            403, "account_disabled", f"The account {user.email} is disabled.", "Ask your administrator."),
            fingerprint=fingerprint, client_addr=client_addr)
    key = await db.scalar(select(SshKey).where(SshKey.user_id == user.id, SshKey.fingerprint == fingerprint))
    if key is None:
        raise await _refuse(db, clock, cred, user, ApiError(
            403, "key_not_registered", f"This SSH key ({fingerprint}) is not registered to {user.email}.",
            "Register it in CODITECT Console (Docker workspace), then connect again."),
            fingerprint=fingerprint, client_addr=client_addr)
    name = (device_name or "Docker workspace")[:180] + " (SSH)"
    tokens = await open_session(db, runtime, user, amr=CONTAINER_AMR, device_name=name, hardware_id=hardware_id,
                                client_addr=client_addr)
    session = await db.get(LoginSession, tokens.session_id)
    try:
        lease = await seats.acquire_seat(db, runtime, Principal(user=user, session=session, claims={}), hardware_id=hardware_id,
                                         device_name=name, kind="container_session", license_key=None,
                                         client_addr=client_addr)
    except ApiError as exc:
        raise await _refuse(db, clock, cred, user, exc, fingerprint=fingerprint, client_addr=client_addr)
    now = clock.now()
    key.last_used_at = cred.last_used_at = now
    db.add(ContainerSessionLink(session_id=session.id, credential_id=cred_id, ssh_key_id=key.id,
                                fingerprint=fingerprint, created_at=now))
    await audit.record(db, clock, "workspace.session_opened", tenant_id=tenant_id, actor=user, client_addr=client_addr,
                       target=f"session:{session.id}",
                       detail={"credential_id": cred_id, "fingerprint": fingerprint, "seat_id": lease.seat.id})
    return ContainerSessionOpened(tokens=tokens, user=user, lease=lease)
