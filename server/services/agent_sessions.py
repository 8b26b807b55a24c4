"""Agent sessions: a login session of its own for the `coditect` command on one device.

The console mints it with its own access token when it installs the command, so the
command never shares the console's refresh token (two holders of one rotating token would
trip reuse detection and end the session). It is an ordinary login session: listed in
the user's sessions, revocable one by one, its seats ended with it, and audited. It
inherits the authentication methods of the session that minted it (no new factor was shown).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from server.services import audit
from server.services.tokens import IssuedTokens, open_session

AGENT_DEVICE_SUFFIX = " (coditect command)"


async def open_agent_session(db: AsyncSession, runtime, principal, *, device_name: str, hardware_id: str | None,
                             client_addr: str | None) -> IssuedTokens:
    name = (device_name or principal.session.device_name or "this computer")[: 200 - len(AGENT_DEVICE_SUFFIX)]
    issued = await open_session(
        db, runtime, principal.user, amr=principal.session.amr.split(), device_name=name + AGENT_DEVICE_SUFFIX,
        hardware_id=hardware_id or principal.session.hardware_id, client_addr=client_addr,
    )
    await audit.record(db, runtime.clock, "session.agent_created", tenant_id=principal.tenant_id,
                       actor=principal.user, client_addr=client_addr, target=f"session:{issued.session_id}",
                       detail={"minted_by": principal.session.id, "device_name": name + AGENT_DEVICE_SUFFIX})
    return issued
