"""Sign-up and sign-in: register, verify the email, accept an invitation, password, second factor.

Every way in ends in AccountSession.signed_in(), the one place that keeps the new sign-in.
A sign-in answers with a SignInResult (signed in / second factor needed / email not verified
yet), never a bare string; the state machine then picks the screen from result.state.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

from server import schemas
from tui import preferences
from tui.api import ApiError
from tui.codes import code_or_token, is_six_digits, six_digits
from tui.hardware import device_name
from tui.onboarding import AccountState

if TYPE_CHECKING:
    from tui.session import AccountSession

RECOVERY_CODE_USED = ("You signed in with a recovery code: it is used up and will not work again. "
                      "Make a new set with g (New codes) on your account screen.")


class SignInOutcome(Enum):
    SIGNED_IN = "signed_in"
    SECOND_FACTOR = "second_factor"  # password accepted; the authenticator code comes next
    VERIFY_EMAIL = "verify_email"  # the email is not verified yet: a new code was sent


@dataclass(frozen=True)
class SignInResult:
    outcome: SignInOutcome
    state: AccountState
    message: str | None = None  # words for the user (e.g. why verification comes first)

    @property
    def needs_second_factor(self) -> bool:
        return self.outcome is SignInOutcome.SECOND_FACTOR


def normal_email(email: str) -> str:
    return email.strip().lower()


class SignIn:
    def __init__(self, session: AccountSession) -> None:
        self._session = session
        self._mfa_token: str | None = None
        self._password: str | None = None  # between register/login and verify only, in memory
        # This console's credential for the account (server/services/devices.py), sent with
        # the password and again with the second factor: failures elsewhere do not lock it out.
        self._device_token: str | None = None

    @property
    def config(self):
        return self._session.config

    @property
    def waiting_for_second_factor(self) -> bool:
        return self._mfa_token is not None

    @property
    def pending_email(self) -> str | None:
        """The email registered (or refused as unverified) here, waiting for its code."""
        return preferences.load(self.config).pending_verification.get(self._session.scope)

    @property
    def pending_registration(self) -> str | None:
        """The handle the server gave for the pending registration: verifying needs it. Kept
        with the pending email (preferences), so it survives a restart."""
        return preferences.load(self.config).pending_registration.get(self._session.scope)

    @property
    def verified_email(self) -> str | bool | None:
        """The email verified in this or an earlier run, waiting for its first sign-in
        (True: verified by a pasted link in a run that did not know the address)."""
        return preferences.load(self.config).verified_waiting_login

    # -- register and verify ----------------------------------------------------------------

    async def register(self, email: str, password: str, full_name: str, organization: str) -> AccountState:
        answer = await self._session.api.register(email, password, full_name, organization)
        self._password = password
        self._set_pending(normal_email(email), answer.registration)
        return self._session.state()

    async def verify(self, typed: str) -> AccountState:
        """The 6-digit code (for the pending email) or the link pasted from the mail, as typed.
        Signs in at once when the password is still known from this run."""
        email, handle, api = self.pending_email, self.pending_registration, self._session.api
        if is_six_digits(typed) and email:
            if not handle:  # a pending registration saved by an older console
                raise ApiError("registration_unknown")
            await api.verify_email(email, six_digits(typed), handle)
        else:
            await api.verify_email_link(code_or_token(typed), registration=handle)
        self._set_pending(None)
        with preferences.edit(self.config) as prefs:
            # A link may be verified without a known email (pasted in a later run): still "verified".
            prefs.verified_waiting_login = email or True
        if self._password and email:
            password, self._password = self._password, None
            await self.login(email, password)
        return self._session.state()

    async def resend(self) -> None:
        email = self.pending_email
        if not email:
            raise ApiError("validation_error", fields={"email": "Enter a valid email address."})
        if not self.pending_registration:
            raise ApiError("registration_unknown")
        await self._session.api.resend_verification(email, self.pending_registration)

    # -- invitations ----------------------------------------------------------------------------

    async def preview_invitation(self, code: str) -> schemas.InvitationPreview:
        """Whom the pasted invitation code is for (organization, email, role)."""
        return await self._session.api.preview_invitation(code)

    async def accept_invitation(self, code: str, full_name: str, password: str) -> SignInResult:
        """Create the invited account, then sign in with it (its email is verified already)."""
        account = await self._session.api.accept_invitation(code, full_name, password)
        with preferences.edit(self.config) as prefs:  # should signing in fail now, the next start asks
            prefs.verified_waiting_login = account.email
        return await self.login(account.email, password)

    # -- sign in ----------------------------------------------------------------------------

    async def login(self, email: str, password: str) -> SignInResult:
        email = normal_email(email)
        session = self._session
        hardware = session.license.hardware_id if session.license else None
        session.signing_in_as(email)
        self._device_token = await asyncio.to_thread(session.credentials.get_device, session.scope, email)
        try:
            answer = await session.api.login(email, password, device_name(), hardware, self._device_token)
        except ApiError as error:
            session.signing_in_as(None)
            if error.code != "email_not_verified":
                raise
            self._password = password
            # The right password proves the registration: the refusal carries its handle.
            self._set_pending(email, error.registration)
            if error.registration:
                await session.api.resend_verification(email, error.registration)
            return SignInResult(SignInOutcome.VERIFY_EMAIL, session.state(), error.message)
        self._password = None
        if answer.mfa_required:
            self._mfa_token = answer.mfa_token
            return SignInResult(SignInOutcome.SECOND_FACTOR, session.state())
        await session.signed_in()
        return SignInResult(SignInOutcome.SIGNED_IN, session.state())

    async def second_factor(self, code: str | None = None, recovery_code: str | None = None) -> AccountState:
        """The authenticator code or one recovery code, as typed."""
        if self._mfa_token is None:
            raise ApiError("mfa_token_invalid")
        code = six_digits(code) if code is not None else None
        recovery_code = recovery_code.strip() if recovery_code is not None else None
        try:
            await self._session.api.mfa_challenge(self._mfa_token, code=code, recovery_code=recovery_code,
                                                  device_token=self._device_token)
        except ApiError as error:
            if error.code in ("mfa_token_invalid", "rate_limited"):
                self._mfa_token = None
            raise
        self._mfa_token = None
        await self._session.signed_in()
        if recovery_code is not None:
            self._session.notices.append(RECOVERY_CODE_USED)
        return self._session.state()

    def cancel(self) -> AccountState:
        """Back from the second factor: the password must be entered again."""
        self._mfa_token = None
        self._session.signing_in_as(None)
        return self._session.state()

    def forget(self) -> None:
        self._mfa_token = None
        self._password = None

    def _set_pending(self, email: str | None, registration: str | None = None) -> None:
        scope = self._session.scope
        with preferences.edit(self.config) as prefs:
            if email:
                prefs.pending_verification[scope] = email
                if registration:
                    prefs.pending_registration[scope] = registration
            else:
                prefs.pending_verification.pop(scope, None)
                prefs.pending_registration.pop(scope, None)
