"""A non-secret copy of what Home shows, so a returning user's Home is drawn at once (and
offline), before the server has started or answered.

data_dir/home.json (0600): the account (name, email, organization, role, how it signed in),
the install choice, this machine's seat (tier, seats, lease expiry) and today's use. Never a
token, password or code. Written whenever Home has loaded fresh data; deleted at sign-out and
whenever the saved sign-in turns out to be dead. Cheap to import: no httpx, no pydantic.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime

from tui.config import AppConfig, read_json, write_private_file
from tui.lease_status import LeaseStatus

HOME_FILE = "home.json"


@dataclass(frozen=True)
class CachedAccount:
    """The fields of GET /auth/me that Home and the onboarding state need (same names)."""
    user_id: str
    email: str
    full_name: str
    tenant_name: str
    role: str
    mfa_enrolled: bool
    email_verified: bool
    amr: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, me) -> CachedAccount:
        return cls(user_id=me.user_id, email=me.email, full_name=me.full_name, tenant_name=me.tenant_name,
                   role=me.role, mfa_enrolled=me.mfa_enrolled, email_verified=me.email_verified, amr=list(me.amr))


@dataclass(frozen=True)
class HomeCopy:
    scope: str
    account: CachedAccount
    install_choice: str | None
    lease: LeaseStatus
    usage: tuple[int, int] | None = None  # (used, limit) today, when known

    @property
    def owner(self) -> str:
        return f"{self.scope}|{self.account.user_id}"


def save(config: AppConfig, copy: HomeCopy) -> None:
    lease = asdict(copy.lease)
    lease["valid_until"] = copy.lease.valid_until.isoformat() if copy.lease.valid_until else None
    lease["state"] = "online" if copy.lease.state == "offline" else copy.lease.state  # as last seen
    lease.pop("reason")
    data = {"version": 1, "scope": copy.scope, "account": asdict(copy.account), "install_choice": copy.install_choice,
            "lease": lease, "usage": list(copy.usage) if copy.usage else None}
    write_private_file(config.data_dir / HOME_FILE, json.dumps(data, indent=2))


def load(config: AppConfig) -> HomeCopy | None:
    """The copy for this server, or None (none saved, another server, unreadable)."""
    data = read_json(config.data_dir / HOME_FILE)
    if data.get("version") != 1 or data.get("scope") != config.scope:
        return None
    try:
        lease = dict(data["lease"])
        until = lease.pop("valid_until")
        status = LeaseStatus(**lease, valid_until=datetime.fromisoformat(until) if until else None)
        usage = data.get("usage")
        return HomeCopy(scope=data["scope"], account=CachedAccount(**data["account"]),
                        install_choice=data.get("install_choice"), lease=status,
                        usage=(int(usage[0]), int(usage[1])) if usage else None)
    except (KeyError, TypeError, ValueError, IndexError):
        return None


def forget(config: AppConfig) -> None:
    (config.data_dir / HOME_FILE).unlink(missing_ok=True)
