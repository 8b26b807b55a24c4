"""Writing the audit trail. One function, so that every event has the same shape and
no caller can slip a secret into it."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from server.models import AuditEvent

_SECRET_WORDS = ("password", "secret", "token", "code", "otp", "hash")


def _clean(detail: dict | None) -> dict:
    if not detail:
        return {}
    return {k: v for k, v in detail.items() if not any(w in k.lower() for w in _SECRET_WORDS)}


def event_values(clock, action: str, *, tenant_id: str | None, actor=None, client_addr: str | None = None,
                 target: str | None = None, detail: dict | None = None) -> dict:
    """The columns of one audit event, for a Core INSERT on a hot path (same shape and
    the same secret filter as record())."""
    return {"at": clock.now(), "tenant_id": tenant_id, "actor_user_id": getattr(actor, "id", None),
            "actor_email": getattr(actor, "email", None), "action": action, "target": target,
            "client_addr": client_addr, "detail": _clean(detail)}


async def record(
    db: AsyncSession,
    clock,
    action: str,
    *,
    tenant_id: str | None,
    actor=None,  # models.User or None
    client_addr: str | None = None,
    target: str | None = None,
    detail: dict | None = None,
) -> AuditEvent:
    event = AuditEvent(
        at=clock.now(),
        tenant_id=tenant_id,
        actor_user_id=getattr(actor, "id", None),
        actor_email=getattr(actor, "email", None),
        action=action,
        target=target,
        client_addr=client_addr,
        detail=_clean(detail),
    )
    db.add(event)
    return event
