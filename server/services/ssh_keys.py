"""SSH public keys registered to a user (the keys that may open container sessions)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from coditect.sshkey import SshKeyError, parse_public_key
from server.errors import ApiError
from server.models import ContainerSessionLink, LoginSession, SshKey
from server.services import audit
from server.services.sessions import revoke_session

MAX_KEYS_PER_USER = 50


async def own_keys(db: AsyncSession, user_id: str) -> list[SshKey]:
    return list((await db.execute(
        select(SshKey).where(SshKey.user_id == user_id).order_by(SshKey.created_at, SshKey.id)
    )).scalars())


async def add_key(db: AsyncSession, clock, user, *, public_key: str, name: str, client_addr=None) -> tuple[SshKey, bool]:
    """-> (key, created). Adding a key the user already registered returns it unchanged."""
    try:
        parsed = parse_public_key(public_key)
    except SshKeyError as exc:
        raise ApiError(422, "ssh_key_invalid", str(exc)) from None
    existing = await db.scalar(select(SshKey).where(SshKey.user_id == user.id,
                                                    SshKey.fingerprint == parsed.fingerprint))
    if existing is not None:
        return existing, False
    count = await db.scalar(select(func.count()).select_from(SshKey).where(SshKey.user_id == user.id))
    if count >= MAX_KEYS_PER_USER:
        raise ApiError(409, "ssh_key_limit", f"You have {count} SSH keys registered, the most allowed.",
                       "Delete a key you no longer use first.")
    key = SshKey(user_id=user.id, tenant_id=user.tenant_id, name=name or parsed.comment[:200],
                 key_type=parsed.key_type, public_key=parsed.openssh, fingerprint=parsed.fingerprint,
                 created_at=clock.now())
    db.add(key)
    await db.flush()
    await audit.record(db, clock, "ssh_key.added", tenant_id=user.tenant_id, actor=user, client_addr=client_addr,
                       target=f"ssh_key:{key.id}", detail={"fingerprint": key.fingerprint, "name": key.name})
    return key, True


async def delete_key(db: AsyncSession, clock, user, key_id: str, *, client_addr=None) -> None:
    """Delete one of the user's keys; the container sessions it opened end with it."""
    key = await db.get(SshKey, key_id)
    if key is None or key.user_id != user.id:
        raise ApiError(404, "ssh_key_not_found", "No SSH key of yours has this id.")
    sessions = (await db.execute(
        select(LoginSession).join(ContainerSessionLink, ContainerSessionLink.session_id == LoginSession.id)
        .where(ContainerSessionLink.ssh_key_id == key.id, LoginSession.revoked_at.is_(None))
    )).scalars().all()
    for session in sessions:
        await revoke_session(db, clock, session, reason="ssh_key_deleted", actor=user, client_addr=client_addr)
    await audit.record(db, clock, "ssh_key.deleted", tenant_id=user.tenant_id, actor=user, client_addr=client_addr,
                       target=f"ssh_key:{key.id}", detail={"fingerprint": key.fingerprint, "name": key.name})
    await db.delete(key)
