"""Where the refresh token lives: the system keyring, or a 0600 file when there is none.

Keyring service "coditect-console", one entry per server + account. On headless Linux,
over SSH or in Docker the keyring is often missing (NoKeyringError), locked, or hangs
waiting for an unlock prompt nobody can see, so every keyring call runs in a daemon
thread with a 3 s limit; on any failure the token goes to `credentials.json` (0600, in a
0700 config dir) and `fallback_notice` tells the user once. `--no-keyring` forces the file.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

from tui import preferences
from tui.config import AppConfig, read_json, write_private_file

SERVICE = "coditect-console"
KEYRING_TIMEOUT_S = 3.0
CREDENTIALS_FILE = "credentials.json"


class KeyringUnavailable(Exception):
    """The keyring failed, hung, or is disabled."""


def sign_in_scope(config: AppConfig) -> str:
    """Which server a saved sign-in belongs to (AppConfig.scope: one definition)."""
    return config.scope


def _entry(scope: str, account: str) -> str:
    return f"{scope}|{account.strip().lower()}"


def device_entry(scope: str, account: str) -> str:
    return f"device|{_entry(scope, account)}"


def call_with_timeout(fn, *args, timeout: float = KEYRING_TIMEOUT_S):
    """Run fn(*args) in a daemon thread; KeyringUnavailable on any exception or timeout.

    A daemon thread (not an executor) so a keyring stuck on D-Bus can never keep the
    process from exiting."""
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["value"] = fn(*args)
        except BaseException as error:  # any backend failure means "no usable keyring"
            outcome["error"] = error

    thread = threading.Thread(target=run, name="keyring-call", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise KeyringUnavailable(f"the keyring did not answer within {timeout:g} s")
    if "error" in outcome:
        raise KeyringUnavailable(keyring_problem(outcome["error"]))
    return outcome.get("value")


def keyring_problem(error: BaseException) -> str:
    """What went wrong with the keyring, in words (never the exception's own text: it is a
    class name to a user, and a backend's message could quote what it was given)."""
    name = type(error).__name__
    if name == "NoKeyringError":
        return "no keyring service is running here"
    if name == "KeyringLocked":
        return "the keyring is locked"
    if name in ("InitError", "ImportError", "ModuleNotFoundError"):
        return "the keyring could not be started"
    return "the keyring refused to keep it"


class CredentialStore:
    def __init__(self, config: AppConfig, timeout: float = KEYRING_TIMEOUT_S) -> None:
        self.config = config
        self.timeout = timeout
        self.path: Path = config.config_dir / CREDENTIALS_FILE
        self._keyring_ok = not config.no_keyring
        self.fallback_notice: str | None = None
        self._notice_taken = False

    # -- public ---------------------------------------------------------------------------

    def get(self, scope: str, account: str) -> str | None:
        return self.get_secret(_entry(scope, account))

    def set(self, scope: str, account: str, secret: str) -> None:
        self.set_secret(_entry(scope, account), secret)
        self._remember(scope, account)

    def delete(self, scope: str, account: str) -> None:
        """Forget the sign-in everywhere it may be (keyring and file). The account's
        email stays remembered (a preference, not a secret) to prefill the next sign-in."""
        self.delete_secret(_entry(scope, account))

    # The console's other secrets live beside the sign-in, in the same keyring or file:
    # the device credential of each account (services/devices on the server; it outlives
    # a sign-out, since it names the device, not the session) and the pinned server keys
    # (tui/lease_keys.py).

    def get_device(self, scope: str, account: str) -> str | None:
        return self.get_secret(device_entry(scope, account))

    def set_device(self, scope: str, account: str, credential: str) -> None:
        self.set_secret(device_entry(scope, account), credential)

    def delete_device(self, scope: str, account: str) -> None:
        self.delete_secret(device_entry(scope, account))

    def get_secret(self, key: str) -> str | None:
        if self._keyring_ok:
            try:
                secret = self._keyring("get_password", SERVICE, key)
            except KeyringUnavailable as why:
                self._fall_back(why)
            else:
                if secret:
                    return secret
        return self._file_entries().get(key)

    def set_secret(self, key: str, secret: str) -> None:
        if self._keyring_ok:
            try:
                self._keyring("set_password", SERVICE, key, secret)
            except KeyringUnavailable as why:
                self._fall_back(why)
            else:
                self._file_delete(key)  # no stale copy left in a file
                return
        entries = self._file_entries()
        entries[key] = secret
        self._file_write(entries)

    def delete_secret(self, key: str) -> None:
        if self._keyring_ok:
            try:
                if self._keyring("get_password", SERVICE, key) is not None:
                    self._keyring("delete_password", SERVICE, key)
            except KeyringUnavailable as why:
                self._fall_back(why)
        self._file_delete(key)

    def last_account(self, scope: str) -> str | None:
        """The account last signed in on this server (an email: not a secret)."""
        return preferences.load(self.config).last_account.get(scope)

    @property
    def using_file(self) -> bool:
        return not self._keyring_ok

    def pop_notice(self) -> str | None:
        """The fallback notice, once: not again in this run, nor in later runs while the
        sign-in stays in the same file (remembered in the preferences)."""
        if self.fallback_notice is None or self._notice_taken:
            return None
        self._notice_taken = True
        with preferences.edit(self.config) as prefs:
            if prefs.credentials_notice_shown == str(self.path):
                return None
            prefs.credentials_notice_shown = str(self.path)
        return self.fallback_notice

    # -- internals ----------------------------------------------------------------------

    def _keyring(self, name: str, *args):
        import keyring

        return call_with_timeout(getattr(keyring, name), *args, timeout=self.timeout)

    def _fall_back(self, why: Exception) -> None:
        # After one failure the keyring is not tried again in this run: a hanging
        # backend would otherwise cost 3 s on every call.
        self._keyring_ok = False
        if self.fallback_notice is None:
            self.fallback_notice = (
                f"No usable system keyring ({why}). Your sign-in is kept in {self.path} "
                "(readable only by you). Use --no-keyring to skip the keyring."
            )

    def _remember(self, scope: str, account: str) -> None:
        with preferences.edit(self.config) as prefs:
            prefs.last_account[scope] = account

    def _file_entries(self) -> dict[str, str]:
        entries = read_json(self.path).get("entries", {})
        return {k: v for k, v in entries.items() if isinstance(k, str) and isinstance(v, str)}

    def _file_write(self, entries: dict[str, str]) -> None:
        write_private_file(self.path, json.dumps({"version": 1, "entries": entries}, indent=2))

    def _file_delete(self, key: str) -> None:
        entries = self._file_entries()
        if key in entries:
            del entries[key]
            if entries:
                self._file_write(entries)
            else:
                self.path.unlink(missing_ok=True)
