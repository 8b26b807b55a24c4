"""This machine's seat for the signed-in account: activate a key, acquire, heartbeat, take back.

The lease itself (cache, offline check) is tui.license_client's; this adds what depends on
the account: which license this machine held a seat of (preferences.seat_here, per owner),
so a returning user gets the seat back by itself at sign-in and on start, and the words
for why that failed (`problem`, shown by the license screen).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from server.schemas.license_key import LicenseKeyError, parse_license_key
from tui import preferences
from tui.api import ApiError
from tui.errors import SIGNED_OUT_CODES
from tui.lease_status import LeaseStatus
from tui.onboarding import ROLES_WITHOUT_SEAT

if TYPE_CHECKING:
    from tui.license_client import LicenseClient
    from tui.session import AccountSession


class Seat:
    def __init__(self, session: AccountSession) -> None:
        self._session = session
        self.problem: str | None = None  # why the seat could not be taken back

    @property
    def client(self) -> LicenseClient:
        return self._session.license

    def status(self) -> LeaseStatus:
        return self.client.status() if self.client else LeaseStatus()

    async def activate(self, license_key: str) -> LeaseStatus:
        """Bind a key to the organization (checked locally first) and take a seat of it."""
        try:
            key, _tier = parse_license_key(license_key)
        except LicenseKeyError as error:
            raise ApiError("license_key_invalid", message=str(error)) from None
        session = self._session
        await session.guard(session.api.activate_license(key))
        previous = self.status().seat_id
        status = await self.acquire(key)
        if previous and status.seat_id != previous:  # the seat moved to the new license
            try:
                await session.api.release_seat(previous)
            except ApiError:
                pass  # the server reclaims it after its TTL anyway
        return status

    async def acquire(self, license_key: str | None = None) -> LeaseStatus:
        status = await self._session.guard(self.client.acquire(license_key))
        if status.has_seat:
            self.problem = None
            self._remember(status.license_key)
        return status

    async def heartbeat(self) -> LeaseStatus:
        """One heartbeat (the app's timer). After an outage it signs in again first; a server
        that still does not answer leaves the seat offline while the lease is valid."""
        try:
            return await self._session.guard(self.client.heartbeat())
        except ApiError as error:
            if error.retryable and not self._session.connected:
                return self.client.unanswered()
            raise

    async def restore(self) -> LeaseStatus:
        """After the account is known: resume the cached lease (online, or offline while valid)."""
        status = await self.client.restore()
        if status.has_seat:
            self._remember(status.license_key)
        return status

    async def pin_server_keys(self) -> None:
        """At the first sign-in to a server, pin its lease-signing keys (tui/lease_keys.py);
        if they cannot be fetched now, the first seat pins them."""
        try:
            await self.client.pin_keys()
        except ApiError as error:
            if error.code in SIGNED_OUT_CODES:
                raise

    async def resume(self) -> LeaseStatus:
        """Back online after an outage (or a start without the server): heartbeat at once, and
        take the seat back should the server have reclaimed it meanwhile."""
        await self.restore()
        await self.take_back()
        return self.status()

    async def take_back(self) -> None:
        """A user who held a seat on this machine before gets it back (at sign-in, and on
        start when the server reclaimed it while the app was closed). The license screen
        shows only when that fails, saying why."""
        self.problem = None
        me, owner = self._session.me, self._session.owner
        if self.status().has_seat or me is None or me.role in ROLES_WITHOUT_SEAT or not me.email_verified:
            return
        held = preferences.load(self._session.config).seat_here
        if owner not in held:
            return
        try:
            await self.acquire(held[owner] or None)
        except ApiError as error:
            if error.code in SIGNED_OUT_CODES:
                raise
            self.problem = f"Your seat could not be taken back: {error.message}"

    async def give_back(self) -> None:
        """Release the seat but remember it (preferences.seat_here stays), so that
        take_back() gets it again at the next start: used when the terminal went away."""
        if self.client is not None and self.status().has_seat:
            await self.client.release()

    def _remember(self, license_key: str | None) -> None:
        owner = self._session.owner
        with preferences.edit(self._session.config) as prefs:
            prefs.seat_here[owner] = license_key
