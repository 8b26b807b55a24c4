"""Plain words for everything that can go wrong, and the one way to log the unexpected.

Every failure of a request becomes an ApiError whose `message` is words written here (never
text taken from the server, so nothing the server sends can turn into markup or leak into a
sentence). describe() is the one place that maps API codes to words. log_unexpected() logs
type and stack only: an exception's message may quote a password or a code.
"""

from __future__ import annotations

import logging
import math
import re
import traceback

log = logging.getLogger("coditect.console")

# After one of these the saved sign-in is worthless: it is forgotten, and the console starts
# over at the welcome screen (AccountSession.guard and AccountSession.signed_out).
SIGNED_OUT_CODES = frozenset({"session_revoked", "refresh_reused", "refresh_invalid", "refresh_expired",
                              "token_expired", "token_invalid", "unauthorized", "account_disabled"})

UNEXPECTED = "Something unexpected went wrong. Press ctrl+r to try again; details are in the log."


def log_unexpected(what: str, error: BaseException) -> None:
    """Type and stack only: the message of an exception may quote a password or a code."""
    stack = "".join(traceback.format_tb(error.__traceback__))
    log.error("%s failed with %s\n%s", what, type(error).__name__, stack)


WORDS: dict[str, str] = {
    "email_taken": "An account with this email already exists. Sign in instead.",
    "email_not_verified": "Verify your email first: enter the code we sent you.",
    "invalid_credentials": "The email or password is not right.",
    "weak_password": "Choose a stronger password: at least 12 characters, and not a common one.",
    "mfa_required": "Enter the code from your authenticator app to continue.",
    "mfa_not_enrolled": "Set up your authenticator app first.",
    "mfa_already_enrolled": "Your authenticator app is already set up.",
    "mfa_token_invalid": "This sign-in attempt has expired. Sign in again.",
    "invalid_code": "That code is not right. Check it and try again.",
    "code_reused": "That code was already used. Wait for the next one in your authenticator app.",
    "code_expired": "That code has expired. Ask for a new one.",
    "verification_expired": "That code has expired. Ask for a new one.",
    "rate_limited": "Too many attempts. Try again later.",
    "too_many_mails": ("Too many sign-up mails went to this address in the last hour (someone else may have "
                       "typed it). Try again later."),
    "no_seats_available": "All seats of this license are in use. Free one on another machine, or ask your administrator for more.",
    "seat_gone": "This machine's seat was released. Acquire it again to keep working.",
    "license_in_use": "This license key already belongs to another organization.",
    "license_not_found": "No license has this key. Check it against the one you received.",
    "license_key_invalid": "This is not a valid license key. It looks like CODITECT-PRO-XXXX-XXXX-XXXX-XXXX.",
    "license_expired": "This license has expired.",
    "quota_exceeded": "You have used today's commands. The count resets at midnight UTC.",
    "session_revoked": "You were signed out (this session was ended). Sign in again.",
    "refresh_reused": "For your safety this session was ended. Sign in again.",
    "token_expired": "Your sign-in has expired. Sign in again.",
    "token_invalid": "Your sign-in is not valid any more. Sign in again.",
    "refresh_invalid": "Your saved sign-in is not valid any more. Sign in again.",
    "refresh_expired": "Your sign-in has expired (30 days). Sign in again.",
    "invitation_invalid": ("This invitation code is not valid: codes work once, for 7 days. If you already "
                           "accepted it, sign in; otherwise ask your administrator to invite you again."),
    "invalid_token": "This link is not valid any more: links work once, for 15 minutes. Ask for a new mail.",
    "wrong_password": "The current password is not right.",
    "registration_unknown": ("This console does not know that registration any more. Sign in with its "
                             "email and password: a new code is sent."),
    "registration_proof_required": ("This link is for a registration made elsewhere. Sign in with that "
                                    "registration's email and password, then enter the code."),
    "unstorable_text": "Some text holds characters that cannot be stored. Retype it.",
    "body_too_large": "This is too much text to send. Shorten it.",
    "mfa_proof_required": "Confirm with a code from your current authenticator app first.",
    "no_pending_enrollment": "Start the authenticator set-up again.",
    "seat_not_found": "This machine holds no seat. Acquire one.",
    "unauthorized": "Sign in first.",
    "account_disabled": "This account is disabled. Ask your administrator.",
    "forbidden": "Your role does not allow this.",
    "owner_required": "Only an owner of the organization can do this.",
    "last_owner": "This is the organization's last owner: make someone else owner first.",
    "invalid_cursor": "This page is not valid any more: start again from the first page.",
    "not_found": "The server does not know this.",
    "validation_error": "Some fields are not valid: see the messages under them.",
    "unreachable": "The server cannot be reached. Check your connection and try again.",
    "timeout": "The server did not answer in time. Try again.",
    "server_error": "The server had a problem. Try again in a moment.",
    "bad_answer": "The server sent an answer this console cannot read. Is the server address right?",
    "ssh_key_invalid": "This is not an SSH public key. Use the one line of a .pub file, e.g. ssh-ed25519 AAAA...",
    "ssh_key_limit": "You have registered the most SSH keys allowed. Delete one you no longer use.",
    "ssh_key_not_found": "This SSH key is not registered any more.",
    "credential_limit": "You have the most workspace credentials allowed. Remove a workspace you no longer use.",
    "credential_not_found": "This workspace credential does not exist any more.",
    "credential_invalid": "This workspace's credential was revoked. Deploy the workspace again.",
    "key_not_registered": "This SSH key is not registered to your account. Register it, then connect again.",
}

FIELD_WORDS: dict[str, str] = {
    "email": "Enter a valid email address.",
    "password": "Enter your password.",
    "full_name": "Enter your name: one line, without invisible or direction-changing characters.",
    "organization": "Enter your organization's name: one line, without invisible or direction-changing characters.",
    "code": "Enter the 6 digits.",
    "recovery_code": "Enter a recovery code like xxxx-xxxx-xxxx.",
    "totp_code": "Enter the 6 digits.",
    "new_password": "Choose a new password.",
    "current_password": "Enter your current password.",
    "token": "Paste the whole code or link token from the email.",
    "license_key": "A license key looks like CODITECT-PRO-XXXX-XXXX-XXXX-XXXX.",
    "hardware_id": "This machine's identifier was refused.",
    "device_name": "This device name is too long.",
    "public_key": "Paste the one line of your .pub file (ssh-ed25519 AAAA...).",
    "daily_limit": "Enter a whole number of commands from 0 to 10000000 (or none to remove the limit).",
    "role": "Choose owner, admin or member.",
    "q": "Use at most 200 characters.",
}


WEAK_PASSWORD: dict[str, str] = {
    "too_short": "Use at least 12 characters.",
    "too_long": "Use at most 128 characters.",
    "common": "This password is too common or too easy to guess. Try a few unrelated words.",
    "personal": "Don't build the password from your name, email, organization or the product name.",
}


def describe(code: str, *, retry_after: int | None = None) -> str:
    """Plain words for an API error code (our own words, whatever the server said)."""
    if code in ("rate_limited", "too_many_mails") and retry_after:
        minutes = max(1, math.ceil(retry_after / 60))
        wait = f"Try again in {minutes} {'minute' if minutes == 1 else 'minutes'}."
        if code == "too_many_mails":
            return ("Too many sign-up mails went to this address in the last hour (someone else may have "
                    f"typed it). {wait}")
        return f"Too many attempts. {wait}"
    if code in WORDS:
        return WORDS[code]
    safe = re.sub(r"[^a-z0-9_]", "", str(code).lower())[:40] or "unknown"
    return f"The server refused this request ({safe})."


class ApiError(Exception):
    """A request that did not succeed, with words for the user."""

    registration: str | None = None  # email_not_verified: the handle of the pending registration

    def __init__(self, code: str, status: int | None = None, *, message: str | None = None,
                 retry_after: int | None = None, fields: dict[str, str] | None = None) -> None:
        self.code = code
        self.status = status
        self.retry_after = retry_after
        self.fields = dict(fields or {})
        self.message = message or describe(code, retry_after=retry_after)
        super().__init__(self.message)

    @property
    def retryable(self) -> bool:
        return False


class ServerUnreachable(ApiError):
    """Connect error, timeout, 5xx or an answer we cannot read: retrying may help."""

    def __init__(self, reason: str = "unreachable", status: int | None = None, *,
                 server_name: str | None = None) -> None:
        message = describe(reason)
        if server_name and message.startswith("The server "):  # say which server
            message = server_name + message[len("The server"):]
        super().__init__("unreachable", status, message=message)
        self.reason = reason

    @property
    def retryable(self) -> bool:
        return True
