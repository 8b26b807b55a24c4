"""The server keys this console checks offline leases with, pinned apart from the lease.

lease.json is a file the user can edit, so keys stored in it would prove nothing. The
keys are pinned at the first sign-in to a server (trust on first use) and kept with the
sign-in, in the system keyring or else the 0600 credentials file (tui/credentials.py's
machinery, entry "lease-keys|<server>"), together with the highest time this console has
seen. The rules are the pure server/schemas/lease_trust.py: a new key set replaces the pin
only through a rotation statement signed by a pinned key; a clock set back is refused.
"""

from __future__ import annotations

import json
import time

from server.schemas.lease_trust import Trust
from tui.credentials import CredentialStore

SAVE_EVERY_S = 60  # highest_seen is written when it grew by at least this much


def keys_entry(scope: str) -> str:
    return f"lease-keys|{scope}"


class PinnedKeys:
    """The pinned trust record of one server, cached in memory once read.

    `now()` is the trusted time: the later of the wall clock and the highest time seen at
    start plus the time this process has run (a monotonic clock), so a clock held still
    does not stop the grace period from running out."""

    def __init__(self, credentials: CredentialStore, scope: str, *, clock=time.time, monotonic=None) -> None:
        self.credentials = credentials
        self.scope = scope
        self._clock = clock
        # With an injected wall clock (tests), its own progress is the run time.
        self._monotonic = monotonic or (time.monotonic if clock is time.time else clock)
        self._trust: Trust | None = None
        self._loaded = False
        self._saved_seen = 0
        self._saved_jwks: dict | None = None
        self._base = 0.0
        self._base_mono = 0.0

    def load(self) -> Trust | None:
        """Blocking (keyring): call it in a thread from async code."""
        if not self._loaded:
            raw = self.credentials.get_secret(keys_entry(self.scope))
            try:
                self._trust = Trust.from_json(json.loads(raw)) if raw else None
            except ValueError:
                self._trust = None
            self._saved_seen = self._trust.highest_seen if self._trust else 0
            self._saved_jwks = self._trust.jwks if self._trust else None
            self._base, self._base_mono = float(self._saved_seen), self._monotonic()
            self._loaded = True
        return self._trust

    @property
    def trust(self) -> Trust | None:
        return self.load()

    def now(self) -> float:
        wall = self._clock()
        if self.trust is None:
            return wall
        return max(wall, self._base + (self._monotonic() - self._base_mono))

    def remember(self, trust: Trust) -> None:
        """Keep `trust` in memory (written by `save`)."""
        self.load()
        self._trust = trust

    def save(self) -> None:
        """Blocking (keyring). Writes the record when its keys changed or its time grew
        enough to matter."""
        trust = self._trust
        if trust is None or (trust.jwks == self._saved_jwks and trust.highest_seen - self._saved_seen < SAVE_EVERY_S):
            return
        self.credentials.set_secret(keys_entry(self.scope), json.dumps(trust.to_json()))
        self._saved_seen, self._saved_jwks = trust.highest_seen, trust.jwks
