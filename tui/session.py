"""AccountSession: the account as the app sees it, and the one place that builds its state.

A small facade over the parts, each in its own module:
- `sign_in` (tui.sign_in): register, verify, invitations, password, second factor;
- `mfa` (tui.mfa_setup): the authenticator app and the recovery codes;
- `seat` (tui.seat): activate a key, acquire, heartbeat, take the seat back;
- preferences (tui.preferences), credentials (tui.credentials), the lease (tui.license_client).

It keeps what they share: the API client, who is signed in (`me`), the one path that saves a
refresh token (`_tokens_changed`, keyed by the account signing in, cleared at sign-out), and
the rule "signed out → start over" (`guard`, `signed_out`). Every action returns the new
AccountState; tui.onboarding.next_step picks the screen from it. The app creates one
session and calls start() in a worker (start builds the embedded server, which must not
delay the first frame).
"""

from __future__ import annotations

import asyncio
import time

from server import schemas
from tui import backend, home_cache, preferences
from tui.api import ApiClient, ApiError, Tokens
from tui.config import AppConfig
from tui.credentials import CredentialStore
from tui.errors import SIGNED_OUT_CODES
from tui.install_choice import save_choice, saved_choice
from tui.license_client import LicenseClient
from tui.mfa_setup import MfaSetup
from tui.onboarding import AccountState
from tui.seat import Seat
from tui.sign_in import SignIn


class AccountSession:
    def __init__(self, config: AppConfig, credentials: CredentialStore | None = None, *,
                 clock=time.time) -> None:
        self.config = config
        self._clock = clock  # epoch seconds; checks the offline lease (tests pass a frozen one)
        self.credentials = credentials or CredentialStore(config)
        self.api: ApiClient | None = None
        self.license: LicenseClient | None = None
        self.me: schemas.MeResponse | None = None
        self.transport = None
        # False after a start without the server (Home drawn offline from the cached copy): the
        # next call signs in again with the saved token first (reconnect).
        self.connected = True
        self.sign_in = SignIn(self)
        self.mfa = MfaSetup(self)
        self.seat = Seat(self)
        # The account whose refresh token the API client holds (or is signing in): the one
        # key under which a token is saved. None once signed out.
        self._account: str | None = None
        self._start_lock = asyncio.Lock()
        self._reconnect_lock = asyncio.Lock()
        # Words for the user that belong to no screen (shown once by the app, then dropped).
        self.notices: list[str] = []

    @property
    def scope(self) -> str:
        """Which server a saved sign-in belongs to (embedded servers differ by data dir)."""
        return self.config.scope

    @property
    def owner(self) -> str | None:
        """"<scope>|<user id>": what per-account local state (lease, seat, install) is keyed by."""
        return f"{self.scope}|{self.me.user_id}" if self.me else None

    @property
    def last_account(self) -> str | None:
        """The email last signed in to this server here (kept after signing out)."""
        return self.credentials.last_account(self.scope)

    @property
    def started(self) -> bool:
        return self.api is not None

    def pop_notices(self) -> list[str]:
        notices, self.notices = self.notices, []
        return notices

    # -- life cycle -----------------------------------------------------------------------

    async def start(self) -> AccountState:
        """Start the embedded server if needed and resume a saved sign-in.

        Raises ServerUnreachable (retry possible) when the server cannot be reached."""
        async with self._start_lock:
            if self.api is None:
                self.transport = await backend.make_transport(self.config)
                self.api = ApiClient(self.config.base_url, self.transport, server_name=self._server_name())
                self.api.on_tokens = self._tokens_changed
                self.api.saved_refresh_token = self._saved_refresh_token
                self.license = LicenseClient(self.api, self.config, clock=self._clock, credentials=self.credentials)
        if self.me is not None:
            return self.state()
        account = await asyncio.to_thread(self.credentials.last_account, self.scope)
        token = account and await asyncio.to_thread(self.credentials.get, self.scope, account)
        if not token:
            return self.state()
        self.signing_in_as(account)
        try:
            await self.api.resume(token)
            await self._load_account()
            await self.seat.take_back()
        except ApiError as error:
            if not error.retryable:
                await self._forget_sign_in()
            elif not self._start_offline(account):
                raise
        return self.state()

    def _start_offline(self, account: str) -> bool:
        """The server cannot be reached: go on from the cached copy of Home while this
        machine's lease is valid (False: nothing usable offline)."""
        copy = home_cache.load(self.config)
        if copy is None or copy.account.email != account:
            return False
        self.me, self.license.owner = copy.account, copy.owner
        if not self.license.check_offline().has_seat:
            self.me, self.license.owner = None, None
            return False
        self.connected = False
        return True

    async def reconnect(self) -> None:
        """After a start without the server: sign in again with the saved token, load the
        account and heartbeat at once. Raises ServerUnreachable while it is still away."""
        async with self._reconnect_lock:  # the heartbeat and a screen may both ask: one refresh
            if self.connected:
                return
            try:
                await self.api.refresh()
            except ApiError as error:
                if error.code in SIGNED_OUT_CODES or not error.retryable:
                    await self._forget_sign_in()
                raise
            self.connected = True
            self.me = await self.api.me()
            await self.seat.resume()

    async def close(self) -> None:
        if self.api is not None:
            await self.api.aclose()
        await backend.close_transport(self.transport)

    def state(self) -> AccountState:
        prefs = preferences.load(self.config)
        me = self.me
        return AccountState(
            signed_in=me is not None,
            email_verified=bool(me and me.email_verified) or (me is None and bool(prefs.verified_waiting_login)),
            mfa_enrolled=bool(me and me.mfa_enrolled),
            recovery_codes_pending=self.mfa.codes_unconfirmed(prefs),
            has_seat=self.seat.status().has_seat,
            install_choice=saved_choice(self.config, self.owner),
            role=me.role if me else None,
            pending_verification=None if me else prefs.pending_verification.get(self.scope),
            mfa_pending=self.sign_in.waiting_for_second_factor,
        )

    def signed_out(self, error: BaseException) -> bool:
        """True when `error` ended the sign-in (revoked, expired…): start over at welcome."""
        return isinstance(error, ApiError) and error.code in SIGNED_OUT_CODES and self.me is None

    # -- the account ------------------------------------------------------------------------

    def choose_install(self, choice: str) -> AccountState:
        save_choice(self.config, self.owner, choice)
        return self.state()

    async def refresh_account(self) -> AccountState:
        await self.guard(self._load_account())
        return self.state()

    async def sessions(self) -> list[schemas.SessionInfo]:
        return await self.guard(self.api.my_sessions())

    async def revoke_session(self, session_id: str) -> None:
        await self.guard(self.api.revoke_my_session(session_id))

    async def licenses(self) -> schemas.LicensesResponse:
        return await self.guard(self.api.licenses())

    async def usage_today(self) -> schemas.CommandUsageResponse:
        """Commands used today and the daily limit (nothing is counted)."""
        return await self.guard(self.api.usage_today())

    async def give_back_seat(self) -> None:
        """The terminal went away (tui.hangup): release this machine's seat now and keep
        the sign-in; the next start takes the seat back by itself (Seat.take_back)."""
        await self.seat.give_back()

    async def logout(self) -> AccountState:
        """Give back the seat, end the session on the server, forget the saved sign-in."""
        if self.license is not None:
            await self.license.release()
        if self.api is not None:
            await self.api.logout()
        await self._forget_sign_in()
        return self.state()

    # -- shared by the parts --------------------------------------------------------------------

    async def guard(self, awaitable):
        """Await a call that needs the sign-in (reconnecting first after an offline start);
        forget the sign-in when it has ended."""
        try:
            if not self.connected:
                try:
                    await self.reconnect()
                except BaseException:
                    awaitable.close()  # never started
                    raise
            return await awaitable
        except ApiError as error:
            if error.code in SIGNED_OUT_CODES:
                await self._forget_sign_in()
            raise

    def signing_in_as(self, email: str | None) -> None:
        """Tokens that arrive from now on belong to `email` (None: to nobody)."""
        self._account = email

    async def signed_in(self) -> None:
        """A sign-in just succeeded (its tokens are saved already): load the account and
        take this machine's seat back."""
        with preferences.edit(self.config) as prefs:
            prefs.verified_waiting_login = None
        await self.seat.pin_server_keys()
        await self._load_account()
        await self.seat.take_back()

    async def _load_account(self) -> None:
        self.me = await self.api.me()
        if self.license.owner != self.owner:
            self.license.owner = self.owner
            await self.seat.restore()

    async def _tokens_changed(self, tokens: Tokens | None) -> None:
        """The one path that saves a refresh token: under the account signing in (or
        signed in), never under an account that signed out before."""
        if tokens is not None and self._account:
            await asyncio.to_thread(self.credentials.set, self.scope, self._account, tokens.refresh_token)
            if tokens.device_token:  # a sign-in: this device's credential for the next one
                await asyncio.to_thread(self.credentials.set_device, self.scope, self._account, tokens.device_token)

    async def _saved_refresh_token(self) -> str | None:
        """What is saved now (another process on this sign-in may have rotated it)."""
        if not self._account:
            return None
        return await asyncio.to_thread(self.credentials.get, self.scope, self._account)

    async def _forget_sign_in(self) -> None:
        if self._account:
            await asyncio.to_thread(self.credentials.delete, self.scope, self._account)
        self._account = None
        if self.api is not None:
            self.api.tokens = None
        if self.license is not None:
            self.license.owner = None
        self.me = None
        self.connected = True
        await asyncio.to_thread(home_cache.forget, self.config)
        self.sign_in.forget()
        self.mfa.pending_recovery_codes = None

    def _server_name(self) -> str:
        if self.config.embedded:
            return "The embedded server"
        return f"The server {self.config.server_label}"
