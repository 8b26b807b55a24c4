"""What the Home screen shows, decided here: the account rows, the sign-in method, who may
administer. No I/O; the screen only draws these."""

from __future__ import annotations

from typing import Protocol

from tui.install_choice import TITLES as INSTALL_TITLES

# Roles that see the (coming) admin console.
ADMIN_ROLES = frozenset({"owner", "admin"})


class Account(Protocol):
    email: str
    full_name: str
    tenant_name: str
    role: str
    amr: list[str]
    mfa_enrolled: bool


def can_administer(account: Account | None) -> bool:
    return bool(account and account.role in ADMIN_ROLES)


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
