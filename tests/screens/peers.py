"""Another device of the same user, talking to the same embedded server through the real
API client (for "no seats left", a session to revoke, a seat released elsewhere)."""

from __future__ import annotations

from contextlib import asynccontextmanager

from tests.screens.driving import PASSWORD, totp
from tui.api import ApiClient


@asynccontextmanager
async def other_machine(app, account: dict, clock, device_name: str = "laptop"):
    clock.advance(30)  # a fresh TOTP step
    api = ApiClient(app.config.base_url, app.session.transport)
    try:
        login = await api.login(account["email"], PASSWORD, device_name, "another-machine-id")
        await api.mfa_challenge(login.mfa_token, code=totp(account["secret"], clock))
        clock.advance(30)
        yield api
    finally:
        await api.aclose()
