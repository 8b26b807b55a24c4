"""This machine's seat: acquire, heartbeat, offline grace, release.

The lease (a signed JWT from the server) is cached in data_dir/lease.json (0600), so from
the first failed heartbeat the console keeps working offline for as long as the lease is valid
(7 days from the last heartbeat), and the server is tried again with backoff. The lease is
checked against the server keys pinned apart from it (tui/lease_keys.py, rules in
server/schemas/lease_trust.py), never against keys in the file, and at the trusted time (a
clock set back is refused). The app runs the timer (every `heartbeat_interval_s`) and calls
`heartbeat()`.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

from server.schemas import lease_trust
from tui.api import ApiClient, ApiError
from tui.config import AppConfig, read_json, write_private_file
from tui.credentials import CredentialStore
from tui.hardware import device_name, hardware_id
from tui.lease_keys import PinnedKeys
from tui.lease_status import LeaseStatus  # noqa: F401 (re-exported)

LEASE_FILE = "lease.json"
FAILURES_BEFORE_OFFLINE = 1  # say "offline" at the first unanswered heartbeat, not minutes later
# While offline the server is tried again with backoff: 10 s, 20 s, 40 s… up to 5 minutes.
OFFLINE_RETRY_FIRST_S = 10
OFFLINE_RETRY_MAX_S = 300
DEFAULT_HEARTBEAT_S = 300

_AGAIN = " Connect to the server and acquire a seat again."
_OFFLINE_WORDS = {
    "expired": "The offline license lease has expired." + _AGAIN,
    "issued_in_future": "The license lease is dated in the future: check this computer's clock." + _AGAIN,
    "other_hardware": "The saved license lease belongs to another machine." + _AGAIN,
    "unknown_kid": "The license lease was signed with a key this console was never given to trust." + _AGAIN,
    "not_pinned": "This console has not yet learnt the license server's keys." + _AGAIN,
    "clock_set_back": ("This computer's clock is behind a time this console has already seen: set the "
                       "clock right.") + _AGAIN,
    "bad_signature": "The saved license lease is not genuine." + _AGAIN,
    "malformed": "The saved license lease cannot be read." + _AGAIN,
}


class LicenseClient:
    def __init__(self, api: ApiClient, config: AppConfig, *, clock=time.time,
                 credentials: CredentialStore | None = None) -> None:
        self.api = api
        self.config = config
        self.path: Path = config.data_dir / LEASE_FILE
        self._clock = clock
        self.keys = PinnedKeys(credentials or CredentialStore(config), config.scope, clock=clock)
        self._failures = 0
        self._status = LeaseStatus()
        self.hardware_id = hardware_id(config.data_dir)
        self.device_name = device_name()
        self.owner: str | None = None  # "<server scope>|<user id>" the cached lease belongs to
        self._server_interval = DEFAULT_HEARTBEAT_S

    @property
    def heartbeat_interval_s(self) -> int:
        if self._status.state != "offline":
            return self._server_interval
        return min(OFFLINE_RETRY_MAX_S, OFFLINE_RETRY_FIRST_S * 2 ** max(0, self._failures - 1))

    def status(self) -> LeaseStatus:
        return self._status

    def cached_lease(self) -> dict | None:
        """This account's saved lease on this machine ({seat_id, lease_token}), or None."""
        return self._cache()

    # -- actions ------------------------------------------------------------------------

    async def pin_keys(self) -> None:
        """At the first sign-in to a server: pin its keys (kept from then on; replaced only
        by a rotation the pinned keys vouch for)."""
        if await asyncio.to_thread(self.keys.load) is not None:
            return
        jwks = (await self.api.jwks()).model_dump(mode="json")
        trust = lease_trust.first_pin(jwks, self.keys.now())
        if trust is not None:
            self.keys.remember(trust)
            await asyncio.to_thread(self.keys.save)

    async def acquire(self, license_key: str | None = None) -> LeaseStatus:
        lease = await self.api.acquire_seat(self.hardware_id, self.device_name, "desktop", license_key)
        self._failures = 0
        return await self._online(lease)

    async def heartbeat(self) -> LeaseStatus:
        """One heartbeat. Unreachable server: counts a failure (offline at once, while the
        cached lease is valid).
        Seat gone: state "lost". Other errors (e.g. signed out) are raised."""
        cached = self._cache()
        if not cached:
            self._status = LeaseStatus()
            return self._status
        await asyncio.to_thread(self.keys.load)
        try:
            lease = await self.api.heartbeat(cached["seat_id"])
        except ApiError as error:
            if error.code == "seat_gone":
                return self._lost(error.message)
            if not error.retryable:
                raise
            status = self.unanswered()
            await asyncio.to_thread(self.keys.save)
            return status
        self._failures = 0
        return await self._online(lease)

    def unanswered(self) -> LeaseStatus:
        """The server did not answer a heartbeat: count it; offline (while the lease is valid)."""
        self._failures += 1
        if self._failures >= FAILURES_BEFORE_OFFLINE or self._status.state == "offline":
            return self.check_offline()
        return self._status

    async def release(self) -> None:
        """Give the seat back (best effort: the server reclaims it after its TTL anyway)."""
        cached = self._cache()
        self.path.unlink(missing_ok=True)
        self._status = LeaseStatus()
        if cached:
            try:
                await self.api.release_seat(cached["seat_id"])
            except ApiError:
                pass

    def check_offline(self) -> LeaseStatus:
        """The cached lease verified offline against the pinned keys (no request)."""
        cached = self._cache()
        if not cached:
            self._status = LeaseStatus()
            return self._status
        check = self._verify(cached["lease_token"])
        if not check.valid:
            return self._lost(_OFFLINE_WORDS.get(check.reason, _OFFLINE_WORDS["malformed"]))
        claims = check.claims or {}
        self._status = LeaseStatus(
            state="offline", valid_until=check.expires_at, seat_id=cached["seat_id"], tier=claims.get("tier"),
            license_key=claims.get("license_key"),
            seats_used=self._status.seats_used, seats_total=self._status.seats_total,
            daily_limit=self._status.daily_limit,
            reason="The license server cannot be reached; working offline.",
        )
        return self._status

    async def restore(self) -> LeaseStatus:
        """On start: a cached lease is resumed with a heartbeat (or verified offline)."""
        if not self._cache():
            self._status = LeaseStatus()
            return self._status
        self._failures = FAILURES_BEFORE_OFFLINE - 1  # one unanswered heartbeat at start -> offline
        status = await self.heartbeat()
        if status.state != "offline":
            self._failures = 0
        return status

    # -- internals ----------------------------------------------------------------------

    async def _online(self, lease) -> LeaseStatus:
        await self.pin_keys()  # a seat held since before keys were pinned (an older console)
        check = self._verify(lease.lease_token)
        if check.reason == "unknown_kid":  # the server rotated its key since we pinned it
            await self._follow_rotation()
            check = self._verify(lease.lease_token)
        if check.valid:  # the lease's issue time is the server's time: the clock has seen it
            self.keys.remember(self.keys.trust.seen(check.claims.get("iat")))
        await asyncio.to_thread(self.keys.save)
        if not check.valid:  # a lease we could not use offline later is no lease
            return self._lost(_OFFLINE_WORDS.get(check.reason, _OFFLINE_WORDS["malformed"]))
        self._server_interval = int(lease.heartbeat_interval_s)
        write_private_file(self.path, json.dumps({
            "owner": self.owner, "seat_id": lease.seat_id, "lease_token": lease.lease_token,
        }, indent=2))
        info = await self._license_info(lease.license_key)
        self._status = LeaseStatus(
            state="online", seat_id=lease.seat_id, tier=lease.tier, license_key=lease.license_key,
            valid_until=check.expires_at,
            seats_used=info.seats_used if info else None, seats_total=info.seats_total if info else None,
            daily_limit=info.daily_limit if info else None,
        )
        return self._status

    async def _follow_rotation(self) -> None:
        """Move the pin to the server's new keys, if a pinned key vouches for them."""
        trust = self.keys.trust
        if trust is None:
            return
        try:
            statements = (await self.api.jwks_rotation()).statements
        except ApiError as error:
            if error.retryable:
                return
            raise
        rotated = lease_trust.rotate(trust, statements)
        if rotated is not None:
            self.keys.remember(rotated)

    def _verify(self, lease_token: str):
        """The lease against the pinned keys, at the trusted time; the time is remembered."""
        trust = self.keys.trust
        if trust is not None:  # the time this console has lived through counts, whatever the clock says
            trust = trust.seen(self.keys.now())
            self.keys.remember(trust)
        return lease_trust.check_offline(lease_token, trust, hardware_id=self.hardware_id, now=self._clock())

    async def _license_info(self, key: str | None):
        try:
            listing = await self.api.licenses()
        except ApiError as error:
            if error.retryable:
                return None
            raise
        return next((lic for lic in listing.licenses if lic.key == key), None)

    def _lost(self, reason: str) -> LeaseStatus:
        self.path.unlink(missing_ok=True)
        self._failures = 0
        self._status = LeaseStatus(state="lost", reason=reason)
        return self._status

    def _cache(self) -> dict | None:
        data = read_json(self.path)
        if data.get("owner") != self.owner or not all(k in data for k in ("seat_id", "lease_token")):
            return None
        return data
