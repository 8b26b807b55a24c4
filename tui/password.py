"""Forgotten and changed passwords, for the screens (no Textual here).

Forgot: the email gets a 6-digit code and a link; either one (the link pasted whole, or
its token) proves the mailbox, with a new password typed twice. An account with an
authenticator also needs its code or a recovery code: the server says so (`mfa_required`)
and `needs_second_factor` turns on, so the screen shows the field. A reset signs in.

Change (signed in): the current password, the new one twice, and the second factor when
the account has one; the other devices are signed out, this one stays.
"""

from __future__ import annotations

import re

from tui.api import ApiError
from tui.hardware import device_name

_SIX_DIGITS = re.compile(r"^\s*(\d{3})\s?(\d{3})\s*$")
_TOKEN = re.compile(r"^[A-Za-z0-9_\-]{16,512}$")
_TOKEN_IN_LINK = re.compile(r"[?&]token=([A-Za-z0-9_\-]{16,512})")
RECOVERY_CODE_USED = ("You used a recovery code: it will not work again. "
                      "Make a new set with g (New codes) on your account screen.")
PASSWORD_CHANGED = "Password changed. Your other devices were signed out; this one stays signed in."
NOT_THE_SAME = "The two passwords are not the same."


def mailbox_proof(text: str) -> dict[str, str]:
    """{"code": "123456"} or {"token": ...} from what the user typed or pasted."""
    text = text.strip()
    if match := _SIX_DIGITS.match(text):
        return {"code": match.group(1) + match.group(2)}
    if match := _TOKEN_IN_LINK.search(text):
        return {"token": match.group(1)}
    if _TOKEN.match(text):
        return {"token": text}
    raise ApiError("validation_error", fields={"code": "Type the 6 digits, or paste the whole link from the email."})


def second_factor(code: str | None, recovery_code: str | None) -> dict[str, str]:
    if recovery_code:
        return {"recovery_code": recovery_code.strip()}
    if code:
        return {"totp_code": code.replace(" ", "").strip()}
    return {}


def _same(new_password: str, confirm: str) -> None:
    if new_password != confirm:
        raise ApiError("validation_error", fields={"confirm": NOT_THE_SAME})


class PasswordReset:
    """One "Forgot your password?" attempt."""

    def __init__(self, session) -> None:
        self.session = session
        self.email: str | None = None
        self.needs_second_factor = False

    async def send_code(self, email: str) -> None:
        """Mail a code and a link (the server answers the same for every address)."""
        email = email.strip().lower()
        await self.session.api.forgot_password(email)
        self.email = email

    async def reset(self, code_or_link: str, new_password: str, confirm: str, *, code: str | None = None,
                    recovery_code: str | None = None):
        """Set the new password and sign in -> the new AccountState."""
        if self.email is None:
            raise ApiError("validation_error", fields={"email": "Enter your email address first."})
        proof = mailbox_proof(code_or_link)
        _same(new_password, confirm)
        session = self.session
        hardware = session.license.hardware_id if session.license else None
        session.signing_in_as(self.email)  # the tokens of the reset are this account's sign-in
        try:
            await session.api.reset_password(
                self.email, new_password, device_name=device_name(), hardware_id=hardware,
                **proof, **second_factor(code, recovery_code))
        except ApiError as error:
            session.signing_in_as(None)
            if error.code == "mfa_required":
                self.needs_second_factor = True
            raise
        await session.signed_in()
        if recovery_code:
            session.notices.append(RECOVERY_CODE_USED)
        return session.state()


async def change_password(session, current_password: str, new_password: str, confirm: str, *,
                          code: str | None = None, recovery_code: str | None = None) -> str:
    """-> words for the user once the password is changed."""
    _same(new_password, confirm)
    await session.api.change_password(current_password, new_password, **second_factor(code, recovery_code))
    if recovery_code:
        session.notices.append(RECOVERY_CODE_USED)
    return PASSWORD_CHANGED


def needs_second_factor(session) -> bool:
    """Changing the password asks for the authenticator when the account has one."""
    return bool(session.me and session.me.mfa_enrolled)
