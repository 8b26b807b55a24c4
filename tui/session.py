"""AccountSession: the signed-in account as the app sees it.

Ties the API client, the credential store and the license client together; every
action returns the new AccountState, from which tui.onboarding.next_step picks the
screen. The app creates one session and calls start() in a worker (start builds the
embedded server, which must not delay the first frame).
"""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path

from server import schemas
from server.schemas.license_key import LicenseKeyError, parse_license_key
from tui import backend
from tui.api import ApiClient, ApiError, Tokens
from tui.config import AppConfig, load_preferences, save_preferences, write_private_file
from tui.credentials import CredentialStore
from tui.hardware import device_name
from tui.install_choice import save_choice, saved_choice
from tui.license_client import LeaseStatus, LicenseClient
from tui.onboarding import ROLES_WITHOUT_SEAT, AccountState

# After one of these the saved sign-in is worthless: forget it, back to the welcome screen.
SIGNED_OUT_CODES = frozenset({"session_revoked", "refresh_reused", "refresh_invalid", "refresh_expired",
                              "token_expired", "token_invalid", "unauthorized", "account_disabled"})
_SIX_DIGITS = re.compile(r"^\s*\d{3}\s?\d{3}\s*$")
# Preferences: which license this machine held a seat of, per "<scope>|<user id>", so a
# returning user gets the seat back at sign-in (sign-out gives it back to the organization).
SEAT_HERE = "seat_here"
RECOVERY_CODE_USED = ("You signed in with a recovery code: it is used up and will not work again. "
                      "Make a new set with g (New codes) on your account screen.")


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
        self.pending_recovery_codes: list[str] | None = None  # shown once, kept in memory only
        self._account: str | None = None
        self._mfa_token: str | None = None
        self._password: str | None = None  # between register/login and verify only
        self._device_token: str | None = None  # sent at login, and again with its second factor
        self._start_lock = asyncio.Lock()
        # Words for the user that belong to no screen (shown once by the app, then dropped).
        self.notices: list[str] = []
        # Why the seat could not be taken back at sign-in (the license screen says it).
        self.seat_problem: str | None = None

    @property
    def scope(self) -> str:
        """Which server a saved sign-in belongs to (embedded servers differ by data dir)."""
        return self.config.api_url or f"embedded:{self.config.data_dir}"

    @property
    def last_account(self) -> str | None:
        """The email last signed in to this server here (kept after signing out)."""
        return self.credentials.last_account(self.scope)

    @property
    def verified_email(self) -> str | None:
        """The email verified in this or an earlier run, waiting for its first sign-in."""
        value = load_preferences(self.config).get("verified_waiting_login")
        return value if isinstance(value, str) and value else None

    @property
    def signed_in_with_recovery_code(self) -> bool:
        return bool(self.me and "recovery" in self.me.amr)

    def pop_notices(self) -> list[str]:
        notices, self.notices = self.notices, []
        return notices

    @property
    def started(self) -> bool:
        return self.api is not None

    # -- life cycle -----------------------------------------------------------------------

    async def start(self) -> AccountState:
        """Start the embedded server if needed and resume a saved sign-in.

        Raises ServerUnreachable (retry possible) when the server cannot be reached."""
        async with self._start_lock:
            if self.api is None:
                self.transport = await backend.make_transport(self.config)
                self.api = ApiClient(self.config.base_url, self.transport, server_name=self._server_name())
                self.api.on_tokens = self._tokens_changed
                self.license = LicenseClient(self.api, self.config, clock=self._clock, credentials=self.credentials)
        if self.me is not None:
            return self.state()
        account = await asyncio.to_thread(self.credentials.last_account, self.scope)
        token = account and await asyncio.to_thread(self.credentials.get, self.scope, account)
        if not token:
            return self.state()
        self._account = account
        try:
            await self.api.resume(token)
            await self._load_account()
        except ApiError as error:
            if error.retryable:
                raise
            await self._forget_sign_in()
        return self.state()

    async def close(self) -> None:
        if self.api is not None:
            await self.api.aclose()
        await backend.close_transport(self.transport)

    def state(self) -> AccountState:
        prefs = load_preferences(self.config)
        me = self.me
        return AccountState(
            signed_in=me is not None,
            email_verified=bool(me and me.email_verified) or self._verified_waiting_login(prefs),
            mfa_enrolled=bool(me and me.mfa_enrolled),
            recovery_codes_pending=bool(me and me.user_id in prefs.get("recovery_codes_unconfirmed", [])),
            has_seat=bool(self.license and self.license.status().has_seat),
            install_choice=saved_choice(self.config, self._owner()),
            role=me.role if me else None,
            pending_verification=None if me else self.pending_email,
            mfa_pending=self._mfa_token is not None,
        )

    @property
    def pending_email(self) -> str | None:
        value = load_preferences(self.config).get("pending_verification", {}).get(self.scope)
        return value if isinstance(value, str) else None

    # -- register and verify ----------------------------------------------------------------

    async def register(self, email: str, password: str, full_name: str, organization: str) -> AccountState:
        await self.api.register(email, password, full_name, organization)
        self._password = password
        self._account = _normal_email(email)
        self._set_pending(self._account)
        return self.state()

    async def verify(self, code_or_token: str) -> AccountState:
        """A 6-digit code (for the pending email) or the link token pasted from the mail.
        Signs in at once when the password is still known from this run."""
        email = self.pending_email
        if _SIX_DIGITS.match(code_or_token) and email:
            await self.api.verify_email(email, code_or_token.replace(" ", "").strip())
        else:
            await self.api.verify_email_link(code_or_token)
        self._set_pending(None)
        # The link may be verified without a known email (pasted in a later run): still "verified".
        save_preferences(self.config, verified_waiting_login=email or True)
        if self._password and email:
            password, self._password = self._password, None
            await self.login(email, password)
        return self.state()

    async def resend(self) -> None:
        email = self.pending_email
        if not email:
            raise ApiError("validation_error", fields={"email": "Enter a valid email address."})
        await self.api.resend_verification(email)

    # -- invitations ----------------------------------------------------------------------------

    async def preview_invitation(self, code: str) -> schemas.InvitationPreview:
        """Whom the pasted invitation code is for (organization, email, role)."""
        return await self.api.preview_invitation(code)

    async def accept_invitation(self, code: str, full_name: str, password: str) -> str | AccountState:
        """Create the invited account, then sign in with it (its email is verified already)."""
        account = await self.api.accept_invitation(code, full_name, password)
        # Should signing in fail now (server gone), the next start asks for the password.
        save_preferences(self.config, verified_waiting_login=account.email)
        return await self.login(account.email, password)

    # -- sign in ----------------------------------------------------------------------------

    async def login(self, email: str, password: str) -> str | AccountState:
        """-> "mfa" when the second factor is needed, else the new state."""
        email = _normal_email(email)
        hardware = self.license.hardware_id if self.license else None
        # This console's credential for the account: failures elsewhere do not lock it out.
        self._device_token = await asyncio.to_thread(self.credentials.get_device, self.scope, email)
        try:
            result = await self.api.login(email, password, device_name(), hardware, self._device_token)
        except ApiError as error:
            if error.code == "email_not_verified":
                self._password = password
                self._set_pending(email)
                await self.api.resend_verification(email)
            raise
        self._account = email
        self._password = None
        if result.mfa_required:
            self._mfa_token = result.mfa_token
            return "mfa"
        await self._after_sign_in(result.tokens)
        return self.state()

    async def mfa(self, code: str | None = None, recovery_code: str | None = None) -> AccountState:
        if self._mfa_token is None:
            raise ApiError("mfa_token_invalid")
        try:
            tokens = await self.api.mfa_challenge(self._mfa_token, code=code, recovery_code=recovery_code,
                                                  device_token=self._device_token)
        except ApiError as error:
            if error.code in ("mfa_token_invalid", "rate_limited"):
                self._mfa_token = None
            raise
        self._mfa_token = None
        await self._after_sign_in(tokens)
        if recovery_code is not None:
            self.notices.append(RECOVERY_CODE_USED)
        return self.state()

    def cancel_mfa(self) -> AccountState:
        self._mfa_token = None
        return self.state()

    # -- MFA enrolment and recovery codes ----------------------------------------------------

    async def enroll(self) -> tuple[str, str]:
        """-> (secret, otpauth URI) for the QR code."""
        answer = await self._guard(self.api.mfa_enroll())
        return answer.secret, answer.otpauth_uri

    async def confirm_enroll(self, code: str) -> list[str]:
        codes = await self._guard(self.api.mfa_enroll_confirm(code))
        # The session now counts as MFA, but only from its next access token on.
        await self._guard(self.api.refresh())
        await self._load_account()
        self._recovery_codes_issued(codes)
        return codes

    async def regenerate_recovery_codes(self, code: str | None = None, recovery_code: str | None = None) -> list[str]:
        codes = await self._guard(self.api.regenerate_recovery_codes(code, recovery_code))
        self._recovery_codes_issued(codes)
        return codes

    def acknowledge_recovery_codes(self) -> AccountState:
        """The user said "I have saved them"."""
        self.pending_recovery_codes = None
        prefs = load_preferences(self.config)
        pending = [u for u in prefs.get("recovery_codes_unconfirmed", []) if self.me and u != self.me.user_id]
        save_preferences(self.config, recovery_codes_unconfirmed=pending)
        return self.state()

    def save_recovery_codes(self, path: Path | str, codes: list[str]) -> Path:
        """Write the codes to `path`, or to the first free "<stem>-2", "-3"… beside it
        (an older set is never overwritten), readable only by the user (0600). The file
        says which account and server the codes are for. -> the path written."""
        path = free_path(Path(path).expanduser())
        whom = self.me.email if self.me else "your account"
        text = (f"CODITECT recovery codes for {whom}\nServer: {self.config.server_label}\n"
                "Each code signs you in once. A newer set replaces this one.\n\n" + "\n".join(codes) + "\n")
        write_private_file(path, text)
        return path

    # -- license and install ----------------------------------------------------------------

    async def activate_license(self, license_key: str) -> LeaseStatus:
        """Bind a key to the organization (checked locally first) and take a seat of it."""
        try:
            key, tier = parse_license_key(license_key)
        except LicenseKeyError as error:
            raise ApiError("license_key_invalid", message=str(error)) from None
        await self._guard(self.api.activate_license(key))
        previous = self.license.status().seat_id
        status = await self.acquire_seat(key)
        if previous and status.seat_id != previous:  # the seat moved to the new license
            try:
                await self.api.release_seat(previous)
            except ApiError:
                pass  # the server reclaims it after its TTL anyway
        return status

    async def acquire_seat(self, license_key: str | None = None) -> LeaseStatus:
        status = await self._guard(self.license.acquire(license_key))
        if status.has_seat:
            self.seat_problem = None
            self._remember_seat(status.license_key)
        return status

    async def heartbeat(self) -> LeaseStatus:
        return await self._guard(self.license.heartbeat())

    def choose_install(self, choice: str) -> AccountState:
        save_choice(self.config, self._owner(), choice)
        return self.state()

    # -- home ---------------------------------------------------------------------------------

    async def refresh_account(self) -> AccountState:
        await self._guard(self._load_account())
        return self.state()

    async def sessions(self) -> list[schemas.SessionInfo]:
        return await self._guard(self.api.my_sessions())

    async def revoke_session(self, session_id: str) -> None:
        await self._guard(self.api.revoke_my_session(session_id))

    async def licenses(self) -> schemas.LicensesResponse:
        return await self._guard(self.api.licenses())

    async def usage_today(self) -> schemas.CommandUsageResponse:
        """Commands used today and the daily limit (nothing is counted)."""
        return await self._guard(self.api.usage_today())

    async def logout(self) -> AccountState:
        """Give back the seat, end the session on the server, forget the saved sign-in."""
        if self.license is not None:
            await self.license.release()
        if self.api is not None:
            await self.api.logout()
        await self._forget_sign_in()
        return self.state()

    # -- internals ----------------------------------------------------------------------------

    async def _guard(self, awaitable):
        try:
            return await awaitable
        except ApiError as error:
            if error.code in SIGNED_OUT_CODES:
                await self._forget_sign_in()
            raise

    async def _after_sign_in(self, tokens: Tokens) -> None:
        save_preferences(self.config, verified_waiting_login=None)
        await self._save_refresh_token(tokens)
        if tokens.device_token and self._account:
            await asyncio.to_thread(self.credentials.set_device, self.scope, self._account, tokens.device_token)
        await self._pin_server_keys()
        await self._load_account()
        await self._take_seat_back()

    async def _pin_server_keys(self) -> None:
        """The first sign-in to a server pins its lease-signing keys (tui/lease_keys.py);
        if they cannot be fetched now, the first seat pins them."""
        try:
            await self.license.pin_keys()
        except ApiError as error:
            if error.code in SIGNED_OUT_CODES:
                raise

    async def _take_seat_back(self) -> None:
        """A user who held a seat on this machine before gets it back (the license
        screen shows only when that fails, saying why)."""
        self.seat_problem = None
        if self.license.status().has_seat or self.me.role in ROLES_WITHOUT_SEAT or not self.me.email_verified:
            return
        held = load_preferences(self.config).get(SEAT_HERE, {})
        if not isinstance(held, dict) or self._owner() not in held:
            return
        try:
            await self.acquire_seat(held[self._owner()] or None)
        except ApiError as error:
            if error.code in SIGNED_OUT_CODES:
                raise
            self.seat_problem = f"Your seat could not be taken back: {error.message}"

    def _remember_seat(self, license_key: str | None) -> None:
        held = load_preferences(self.config).get(SEAT_HERE, {})
        held = dict(held) if isinstance(held, dict) else {}
        if held.get(self._owner()) != license_key:
            held[self._owner()] = license_key
            save_preferences(self.config, **{SEAT_HERE: held})

    async def _load_account(self) -> None:
        self.me = await self.api.me()
        self._account = self.me.email
        if self.license.owner != self._owner():
            self.license.owner = self._owner()
            status = await self.license.restore()
            if status.has_seat:
                self._remember_seat(status.license_key)

    def _owner(self) -> str | None:
        return f"{self.scope}|{self.me.user_id}" if self.me else None

    async def _tokens_changed(self, tokens: Tokens | None) -> None:
        if tokens is not None and self._account:
            await self._save_refresh_token(tokens)

    async def _save_refresh_token(self, tokens: Tokens) -> None:
        if self._account:
            await asyncio.to_thread(self.credentials.set, self.scope, self._account, tokens.refresh_token)

    async def _forget_sign_in(self) -> None:
        if self._account:
            await asyncio.to_thread(self.credentials.delete, self.scope, self._account)
        if self.api is not None:
            self.api.tokens = None
        if self.license is not None:
            self.license.owner = None
        self.me = None
        self._mfa_token = None
        self.pending_recovery_codes = None

    def _set_pending(self, email: str | None) -> None:
        pending = dict(load_preferences(self.config).get("pending_verification", {}))
        if email:
            pending[self.scope] = email
        else:
            pending.pop(self.scope, None)
        save_preferences(self.config, pending_verification=pending)

    def _verified_waiting_login(self, prefs: dict) -> bool:
        return self.me is None and bool(prefs.get("verified_waiting_login"))

    def _recovery_codes_issued(self, codes: list[str]) -> None:
        self.pending_recovery_codes = list(codes)
        prefs = load_preferences(self.config)
        pending = set(prefs.get("recovery_codes_unconfirmed", []))
        pending.add(self.me.user_id)
        save_preferences(self.config, recovery_codes_unconfirmed=sorted(pending))


    def _server_name(self) -> str:
        if self.config.embedded:
            return "The embedded server"
        return f"The server {self.config.server_label}"


def _normal_email(email: str) -> str:
    return email.strip().lower()


def free_path(path: Path) -> Path:
    """`path` when nothing is there, else the first free "<stem>-2<suffix>", "-3"…"""
    candidate, number = path, 1
    while candidate.exists():
        number += 1
        candidate = path.with_name(f"{path.stem}-{number}{path.suffix}")
    return candidate
