"""What the Home screen shows, decided here: the account rows, the sign-in method, who may
administer, and `load()`, the one call that fetches it all. The screen only draws these,
from the live session or, at start-up, from the cached copy (tui.home_cache)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Protocol

from tui import home_cache
from tui.home_cache import CachedAccount, HomeCopy
from tui.install_choice import TITLES as INSTALL_TITLES

class Account(Protocol):
    email: str
    full_name: str
    tenant_name: str
    role: str
    amr: list[str]
    mfa_enrolled: bool


def can_administer(account: Account | None) -> bool:
    """The role policy is the admin console's (tui/admin_console.py), said once."""
    from tui.admin_console import can_administer as role_can_administer

    return bool(account) and role_can_administer(account.role)


def sign_in_method(account: Account) -> str:
    if "recovery" in account.amr:
        return "password + recovery code"
    return "password + authenticator" if account.mfa_enrolled else "password only"


def title(account: Account | None) -> str:
    return f"{account.full_name} · {account.tenant_name}" if account else "Your account"


def account_rows(account: Account | None, install_choice: str | None) -> list[tuple[str, str]]:
    if account is None:
        return []
    return [
        ("Email", account.email),
        ("Organization", account.tenant_name),
        ("Role", account.role),
        ("Sign-in", sign_in_method(account)),
        ("Install", INSTALL_TITLES.get(install_choice, "not chosen")),
    ]


def usage_row(usage: tuple[int, int] | None) -> tuple[str, str]:
    return ("Used today", f"{usage[0]} of {usage[1]} commands" if usage else "…")


def copy_of(session, usage: tuple[int, int] | None = None) -> HomeCopy:
    """What Home shows now, from the live session (`usage` as last loaded)."""
    return HomeCopy(scope=session.scope, account=CachedAccount.of(session.me),
                    install_choice=session.state().install_choice, lease=session.seat.status(), usage=usage)


@dataclass(frozen=True)
class HomeData:
    copy: HomeCopy
    sessions: list  # schemas.SessionInfo, live ones first as the server sends them


async def load(session) -> HomeData:
    """Everything Home shows, fresh from the server (after an outage: signed in again and a
    heartbeat at once); the non-secret part is kept for the next start (tui.home_cache)."""
    await session.refresh_account()
    if session.seat.status().state == "offline":
        await session.seat.heartbeat()
    sessions = await session.sessions()
    usage = await session.usage_today()
    copy = copy_of(session, (usage.used, usage.limit))
    await asyncio.to_thread(home_cache.save, session.config, copy)
    return HomeData(copy=copy, sessions=[s for s in sessions if s.revoked_at is None])
