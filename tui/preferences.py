"""Preferences: the small, non-secret choices the console remembers between runs.

One typed object, read and written in one place (config_dir/preferences.json, 0600), so
no module spells a JSON key of its own. Per-account entries are keyed by the *owner*
"<server scope>|<user id>", per-server entries by the scope (tui.session.AccountSession.scope).

What is here, and nothing else: which email last signed in to each server (to prefill the
sign-in), the email waiting for its verification code (and its registration handle), the recovery codes not yet confirmed
as saved (user ids only), the license key whose seat this machine held per account (license
keys live here: they are not secrets, a seat also needs a signed-in account on the tenant
that activated the key), the install choice per account, the QR drawing mode, and which
credentials file the user was told about. Tokens never: they are in tui.credentials.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from typing import Iterator

from tui.config import AppConfig, read_json, write_private_file

PREFERENCES_FILE = "preferences.json"
QR_MODES = ("half", "full")


@dataclass
class Preferences:
    last_account: dict[str, str] = field(default_factory=dict)  # scope -> email
    pending_verification: dict[str, str] = field(default_factory=dict)  # scope -> email
    # scope -> the handle the server gave for that pending registration (verifying needs it)
    pending_registration: dict[str, str] = field(default_factory=dict)
    # An email verified in an earlier run and not signed in since (True: verified by a link
    # pasted in a run that did not know the email).
    verified_waiting_login: str | bool | None = None
    recovery_codes_unconfirmed: list[str] = field(default_factory=list)  # user ids
    seat_here: dict[str, str | None] = field(default_factory=dict)  # owner -> license key
    install_choices: dict[str, str] = field(default_factory=dict)  # owner -> choice
    qr_mode: str = "half"
    credentials_notice_shown: str | None = None  # the credentials file the user was told about


# The type each field must have in the file; anything else (hand-edited, older) is ignored.
_KINDS = {
    "last_account": (dict, str), "pending_verification": (dict, str), "install_choices": (dict, str),
    "pending_registration": (dict, str),
    "seat_here": (dict, (str, type(None))), "recovery_codes_unconfirmed": (list, str),
}


def _clean(name: str, value):
    kind = _KINDS.get(name)
    if kind is not None:
        container, item = kind
        if not isinstance(value, container):
            return None
        if container is dict:
            return {k: v for k, v in value.items() if isinstance(k, str) and isinstance(v, item)}
        return [v for v in value if isinstance(v, item)]
    if name == "verified_waiting_login":
        return value if isinstance(value, (str, bool)) and value else None
    if name == "qr_mode":
        return value if value in QR_MODES else None
    return value if isinstance(value, str) else None


def load(config: AppConfig) -> Preferences:
    """The saved preferences (defaults for anything missing or unreadable)."""
    raw = read_json(config.config_dir / PREFERENCES_FILE)
    values = {}
    for f in fields(Preferences):
        if f.name in raw:
            value = _clean(f.name, raw[f.name])
            if value is not None:
                values[f.name] = value
    return Preferences(**values)


def save(config: AppConfig, prefs: Preferences) -> None:
    write_private_file(config.config_dir / PREFERENCES_FILE, json.dumps(asdict(prefs), indent=2, sort_keys=True))


@contextmanager
def edit(config: AppConfig) -> Iterator[Preferences]:
    """`with edit(config) as prefs: prefs.qr_mode = "full"` -> saved when the block ends."""
    prefs = load(config)
    before = asdict(prefs)
    yield prefs
    if asdict(prefs) != before:
        save(config, prefs)
