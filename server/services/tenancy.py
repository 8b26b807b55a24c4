"""Tenant scoping, in one place.

Every admin query goes through `scoped()` (adds `tenant_id = <the admin's tenant>`) or
`get_scoped()` (one row by id). A row of another tenant is answered exactly like a row
that does not exist (404), so an admin cannot even learn that an id exists elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.errors import ApiError
from server.models import User
from server.services import audit


@dataclass(frozen=True)
class TenantScope:
    tenant_id: str
    actor: User
    client_addr: str | None
    whose: str = "your organization"  # how a 404 names the tenant (support reads a customer's)

    def scoped(self, stmt: Select, model) -> Select:
        return stmt.where(model.tenant_id == self.tenant_id)

    async def get_scoped(self, db: AsyncSession, model, row_id: str, *, for_update: bool = False):
        stmt = self.scoped(select(model).where(model.id == row_id), model)
        if for_update:
            stmt = stmt.with_for_update()
        row = (await db.execute(stmt)).scalar_one_or_none()
        if row is None:
            raise ApiError(404, "not_found", f"No such {_NOUN.get(model.__name__, 'item')} in {self.whose}.")
        return row

    def require_owner(self, what: str) -> None:
        """403 `owner_required` unless the acting admin is an owner."""
        if self.actor.role != "owner":
            raise ApiError(403, "owner_required", f"Only an owner can {what}.")

    async def require_owner_to_act_on(self, db: AsyncSession, user_id: str, what: str) -> None:
        """Only owners act on owners (roles, MFA, quota, sessions, seats): an admin cannot
        starve, sign out or lock out the people who can remove them."""
        role = (await db.execute(self.scoped(select(User.role).where(User.id == user_id), User))).scalar_one_or_none()
        if role == "owner":
            self.require_owner(what)

    async def audit(self, db: AsyncSession, clock, action: str, *, target: str | None = None,
                    detail: dict | None = None) -> None:
        """Every admin write is recorded in the tenant's trail with the acting admin."""
        await audit.record(db, clock, action, tenant_id=self.tenant_id, actor=self.actor,
                           client_addr=self.client_addr, target=target, detail=detail)


_NOUN = {"User": "user", "LoginSession": "session", "Seat": "seat"}
