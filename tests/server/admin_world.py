"""Two customer tenants with an owner, an admin and a member each, a support user, and
seats held through the real acquire endpoint: the world every admin/support test needs."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from server.models import AuditEvent
from server.services.licenses import create_license
from tests.server.principals import make_principal

API = "/api/v1"


@dataclass
class Org:
    owner: dict
    admin: dict
    member: dict
    tenant_id: str


async def make_org(app, name: str) -> Org:
    owner = await make_principal(app, role="owner", email=f"owner@{name}.example")
    tenant_id = owner["tenant_id"]
    admin = await make_principal(app, role="admin", tenant_id=tenant_id, email=f"admin@{name}.example",
                                 device_name=f"MacBook Pro ({name} admin)")
    member = await make_principal(app, role="member", tenant_id=tenant_id, email=f"dev@{name}.example",
                                  device_name=f"ubuntu-ws-{name}")
    runtime = app.state.runtime
    async with runtime.sessionmaker() as db:
        await create_license(db, runtime.clock, "pro", tenant_id=tenant_id)
        await db.commit()
    return Org(owner=owner, admin=admin, member=member, tenant_id=tenant_id)


async def acquire(client, principal: dict, hardware_id: str, device_name: str = "workstation") -> str:
    r = await client.post(f"{API}/licenses/acquire", headers=principal["headers"],
                          json={"hardware_id": hardware_id, "device_name": device_name, "kind": "desktop"})
    assert r.status_code in (200, 201), r.text
    return r.json()["seat_id"]


async def audit_events(app, tenant_id: str, action: str | None = None) -> list[AuditEvent]:
    runtime = app.state.runtime
    async with runtime.sessionmaker() as db:
        stmt = select(AuditEvent).where(AuditEvent.tenant_id == tenant_id).order_by(AuditEvent.id)
        if action:
            stmt = stmt.where(AuditEvent.action == action)
        return list((await db.execute(stmt)).scalars())
