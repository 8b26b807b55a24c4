"""Contract: identity (/api/v1/auth/*).

Emails are normalised here (strip, lower-case, IDNA-checked by email-validator), so the
server and the console agree on what an address is. Password length rules are checked by
the server (with a stable `weak_password` code), not here: the schema only bounds the
size so nobody can make the server hash megabytes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, EmailStr, Field, model_validator

from server.schemas.common import Name, PlainText

__all__ = [
    "Email", "RegisterRequest", "RegisterResponse", "VerifyEmailRequest", "VerifyEmailLinkRequest",
    "ResendVerificationRequest", "StatusResponse", "LoginRequest", "LoginResponse", "TokenResponse",
    "MfaChallengeRequest", "MfaProofRequest", "MfaConfirmRequest", "MfaEnrollResponse",
    "RecoveryCodesResponse", "RefreshRequest", "MeResponse", "SessionInfo",
    "InvitationTokenRequest", "InvitationPreview", "AcceptInvitationRequest", "AcceptInvitationResponse",
    "ForgotPasswordRequest", "ResetPasswordRequest", "ChangePasswordRequest",
    "PASSWORD_MIN_LENGTH", "PASSWORD_MAX_LENGTH",
]

PASSWORD_MIN_LENGTH = 12
PASSWORD_MAX_LENGTH = 128
# Upper bound on what the server will even look at (it rejects > PASSWORD_MAX_LENGTH itself).
_PASSWORD_FIELD = Field(min_length=1, max_length=1024)
_PASSWORD_FIELD_OPTIONAL = Field(default=None, min_length=1, max_length=1024)

Email = Annotated[EmailStr, AfterValidator(lambda value: value.strip().lower())]
SixDigits = Annotated[str, Field(pattern=r"^\s*\d{3}\s?\d{3}\s*$", description="6 digits")]
# xxxx-xxxx-xxxx; the server ignores case, spaces and dashes.
RecoveryCode = Annotated[str, Field(min_length=8, max_length=64)]
OpaqueToken = Annotated[str, Field(min_length=16, max_length=512)]
# The device credential a console got at its last sign-in to the account (see LoginRequest).
DeviceToken = Annotated[str, Field(min_length=16, max_length=512)]


class RegisterRequest(BaseModel):
    email: Email
    password: str = _PASSWORD_FIELD
    full_name: Name = Field(min_length=1, max_length=200)
    organization: Name = Field(min_length=1, max_length=200)


class RegisterResponse(BaseModel):
    user_id: str
    tenant_id: str
    # The registration handle: only the client holding it can verify this registration
    # with the mailed code (keep it with the pending registration, like a password).
    registration: str


class VerifyEmailRequest(BaseModel):
    email: Email
    code: SixDigits
    registration: OpaqueToken


class VerifyEmailLinkRequest(BaseModel):
    """The link's token, and the registration's handle or (anyone else) its password."""

    token: OpaqueToken
    registration: OpaqueToken | None = None
    password: str | None = _PASSWORD_FIELD_OPTIONAL


class ResendVerificationRequest(BaseModel):
    email: Email
    registration: OpaqueToken


class StatusResponse(BaseModel):
    """A plain acknowledgement, e.g. `{"status": "verified"}` or `{"status": "accepted"}`."""

    status: str


class LoginRequest(BaseModel):
    email: Email
    password: str = _PASSWORD_FIELD
    device_name: PlainText = Field(default="", max_length=200)
    hardware_id: PlainText | None = Field(default=None, max_length=128)
    # From this device's last successful sign-in to this account: failures made elsewhere
    # do not lock a known device out. Unknown or invalid: the usual limits apply.
    device_token: DeviceToken | None = None


class TokenResponse(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int
    session_id: str
    # After a sign-in (not a refresh): this device's new credential for the next sign-in
    # to this account; the one presented is replaced.
    device_token: str | None = None


class LoginResponse(BaseModel):
    """Either the tokens (no MFA on the account) or `mfa_required: true` + `mfa_token`,
    which goes to POST /auth/mfa/challenge within 5 minutes."""

    mfa_required: bool = False
    mfa_token: str | None = None
    access_token: str | None = None
    refresh_token: str | None = None
    token_type: str | None = None
    expires_in: int | None = None
    session_id: str | None = None
    device_token: str | None = None


class _CodeOrRecoveryCode(BaseModel):
    code: SixDigits | None = None
    recovery_code: RecoveryCode | None = None

    @model_validator(mode="after")
    def _exactly_one(self):
        if (self.code is None) == (self.recovery_code is None):
            raise ValueError("give either code or recovery_code")
        return self


class MfaChallengeRequest(_CodeOrRecoveryCode):
    mfa_token: OpaqueToken
    device_token: DeviceToken | None = None  # as in LoginRequest


class MfaProofRequest(_CodeOrRecoveryCode):
    """Proof of the current second factor, for re-enrolling or regenerating recovery codes."""


class MfaConfirmRequest(BaseModel):
    code: SixDigits


class MfaEnrollResponse(BaseModel):
    secret: str  # base32, unpadded
    otpauth_uri: str


class RecoveryCodesResponse(BaseModel):
    recovery_codes: list[str]


class RefreshRequest(BaseModel):
    refresh_token: OpaqueToken


class MeResponse(BaseModel):
    user_id: str
    email: str
    full_name: str
    tenant_id: str
    tenant_name: str
    role: str
    tier: str | None
    license_key: str | None
    mfa_enrolled: bool
    email_verified: bool
    session_id: str
    amr: list[str]


class SessionInfo(BaseModel):
    id: str
    device_name: str
    client_addr: str | None
    created_at: datetime
    last_seen_at: datetime
    amr: list[str]
    current: bool
    revoked_at: datetime | None = None


class InvitationTokenRequest(BaseModel):
    """The code from the invitation mail."""

    token: OpaqueToken


class InvitationPreview(BaseModel):
    """Whom an invitation is for: only what its mail already told the token holder."""

    email: str
    organization: str
    role: str
    expires_at: datetime


class AcceptInvitationRequest(BaseModel):
    token: OpaqueToken
    full_name: Name = Field(min_length=1, max_length=200)
    password: str = _PASSWORD_FIELD


class AcceptInvitationResponse(BaseModel):
    """The new account (e-mail already verified); sign in with its e-mail next."""

    user_id: str
    tenant_id: str
    email: str
    role: str


class ForgotPasswordRequest(BaseModel):
    """Always answered 202 `{"status": "accepted"}`: nobody learns whether the account exists."""

    email: Email


def _at_most_one_factor(totp_code, recovery_code) -> None:
    if totp_code is not None and recovery_code is not None:
        raise ValueError("give totp_code or recovery_code, not both")


class ResetPasswordRequest(BaseModel):
    """The mailed code (or the link's token), a new password, and the second factor when the
    account has an authenticator. Answered with the tokens of a new session."""

    email: Email
    code: SixDigits | None = None
    token: OpaqueToken | None = None
    new_password: str = _PASSWORD_FIELD
    totp_code: SixDigits | None = None
    recovery_code: RecoveryCode | None = None
    device_name: PlainText = Field(default="", max_length=200)
    hardware_id: PlainText | None = Field(default=None, max_length=128)

    @model_validator(mode="after")
    def _one_proof_of_the_mailbox(self):
        if (self.code is None) == (self.token is None):
            raise ValueError("give either code or token")
        _at_most_one_factor(self.totp_code, self.recovery_code)
        return self


class ChangePasswordRequest(BaseModel):
    """Signed in: the current password, the new one, and the second factor when enrolled."""

    current_password: str = _PASSWORD_FIELD
    new_password: str = _PASSWORD_FIELD
    totp_code: SixDigits | None = None
    recovery_code: RecoveryCode | None = None

    @model_validator(mode="after")
    def _one_factor(self):
        _at_most_one_factor(self.totp_code, self.recovery_code)
        return self
