"""Licenses: tiers, creation, activation, and choosing the license a seat comes from.
(Seats live in services/seats.py.)"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.errors import ApiError
from server.models import License
from server.schemas.license_key import LicenseKeyError, generate_license_key, parse_license_key
from server.services import audit
from server.services.tokens import tenant_primary_license


@dataclass(frozen=True)
class TierDefaults:
    seats: int
    daily_limit: int


TIERS: dict[str, TierDefaults] = {
    "free": TierDefaults(seats=1, daily_limit=10),
    "pro": TierDefaults(seats=5, daily_limit=1000),
    "team": TierDefaults(seats=25, daily_limit=5000),
    # Enterprise is set per license; these are only the defaults of create-license.
    "enterprise": TierDefaults(seats=100, daily_limit=20000),
}


async def create_license(
    db: AsyncSession,
    clock,
    tier: str,
    *,
    tenant_id: str | None = None,
    seats: int | None = None,
    daily_limit: int | None = None,
    expires_at: datetime | None = None,
) -> License:
    defaults = TIERS[tier]
    now = clock.now()
    lic = License(
        key=generate_license_key(tier),
        tier=tier,
        seats=seats if seats is not None else defaults.seats,
        daily_limit=daily_limit if daily_limit is not None else defaults.daily_limit,
        tenant_id=tenant_id,
        created_at=now,
        activated_at=now if tenant_id else None,
        expires_at=expires_at,
    )
    db.add(lic)
    await db.flush()
    return lic


async def create_free_license(db: AsyncSession, clock, tenant_id: str) -> License:
    """Every new tenant starts with its own free license (1 seat, 10 commands a day)."""
    return await create_license(db, clock, "free", tenant_id=tenant_id)


def license_is_expired(lic: License, now: datetime) -> bool:
    return lic.expires_at is not None and lic.expires_at <= now


def parse_key_or_422(text: str) -> str:
    """The normalized key, or 422 license_key_invalid with the same sentence the console
    shows offline (server.schemas.license_key)."""
    try:
        key, _tier = parse_license_key(text)
    except LicenseKeyError as exc:
        raise ApiError(422, "license_key_invalid", "This is not a valid license key.", str(exc))
    return key


def _not_found() -> ApiError:
    return ApiError(404, "license_not_found", "No license has this key.",
                    "Check the key against the one you received.")


def license_expired_error(lic: License) -> ApiError:
    return ApiError(403, "license_expired", "This license has expired.",
                    f"It expired on {lic.expires_at:%Y-%m-%d}. Ask your administrator to renew it.")


async def activate_license(db: AsyncSession, clock, principal, key_text: str, *, client_addr=None) -> License:
    """Bind an unbound license to the caller's tenant. Idempotent for a license the tenant
    already holds; a conditional update decides races between tenants."""
    key = parse_key_or_422(key_text)
    lic = await db.scalar(select(License).where(License.key == key))
    if lic is None:
        raise _not_found()
    tenant_id, now = principal.tenant_id, clock.now()
    if lic.tenant_id == tenant_id:
        return lic
    if lic.tenant_id is None:
        if license_is_expired(lic, now):
            raise license_expired_error(lic)
        bound = await db.execute(
            update(License).where(License.id == lic.id, License.tenant_id.is_(None))
            .values(tenant_id=tenant_id, activated_at=now).execution_options(synchronize_session=False)
        )
        await db.refresh(lic)
        if bound.rowcount == 1:
            await audit.record(db, clock, "license.activated", tenant_id=tenant_id, actor=principal.user,
                               client_addr=client_addr, target=f"license:{lic.id}",
                               detail={"key": lic.key, "tier": lic.tier, "seats": lic.seats})
            return lic
        if lic.tenant_id == tenant_id:
            return lic
    raise ApiError(409, "license_in_use", "This license is already in use by another organization.",
                   "Contact CODITECT support if you believe this is wrong.")


async def license_for_use(db: AsyncSession, tenant_id: str, key_text: str | None, now: datetime) -> License:
    """The license a seat is taken from: the given key (it must be the tenant's) or the
    tenant's primary license. Expired -> 403 license_expired."""
    if key_text is not None:
        key = parse_key_or_422(key_text)
        lic = await db.scalar(select(License).where(License.key == key, License.tenant_id == tenant_id))
        if lic is None:
            raise _not_found()
    else:
        lic = await tenant_primary_license(db, tenant_id, now)
        if lic is None:
            any_license = await db.scalar(select(License).where(License.tenant_id == tenant_id).limit(1))
            if any_license is None:
                raise ApiError(404, "license_not_found", "Your organization has no license.",
                               "Ask your administrator to activate one.")
            raise license_expired_error(any_license)
    if license_is_expired(lic, now):
        raise license_expired_error(lic)
    return lic


async def tenant_licenses(db: AsyncSession, tenant_id: str) -> list[License]:
    return list((await db.execute(
        select(License).where(License.tenant_id == tenant_id).order_by(License.created_at, License.id)
    )).scalars())
