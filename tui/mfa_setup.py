"""The authenticator app and the recovery codes of the signed-in account.

Recovery codes are shown once: kept in memory only (`pending_recovery_codes`) until the user
says they are saved; the preferences remember only *that* some are unconfirmed (user id).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from tui import preferences
from tui.codes import second_factor, six_digits
from tui.config import write_private_file
from tui.onboarding import AccountState

if TYPE_CHECKING:
    from tui.session import AccountSession


class MfaSetup:
    def __init__(self, session: AccountSession) -> None:
        self._session = session
        self.pending_recovery_codes: list[str] | None = None

    async def enroll(self) -> tuple[str, str]:
        """-> (secret, otpauth URI) for the QR code."""
        answer = await self._session.guard(self._session.api.mfa_enroll())
        return answer.secret, answer.otpauth_uri

    async def confirm_enroll(self, typed_code: str) -> list[str]:
        session = self._session
        codes = await session.guard(session.api.mfa_enroll_confirm(six_digits(typed_code)))
        # The session now counts as MFA, but only from its next access token on.
        await session.guard(session.api.refresh())
        await session.refresh_account()
        self._issued(codes)
        return codes

    async def regenerate_recovery_codes(self, proof: str) -> list[str]:
        """`proof`: an authenticator code or a current recovery code, as typed."""
        codes = await self._session.guard(self._session.api.regenerate_recovery_codes(**second_factor(proof)))
        self._issued(codes)
        return codes

    def acknowledge_recovery_codes(self) -> AccountState:
        """The user said "I have saved them"."""
        self.pending_recovery_codes = None
        me = self._session.me
        with preferences.edit(self._session.config) as prefs:
            prefs.recovery_codes_unconfirmed = [u for u in prefs.recovery_codes_unconfirmed if me and u != me.user_id]
        return self._session.state()

    def codes_unconfirmed(self, prefs: preferences.Preferences) -> bool:
        me = self._session.me
        return bool(me and me.user_id in prefs.recovery_codes_unconfirmed)

    def save_recovery_codes(self, path: Path | str, codes: list[str]) -> Path:
        """Write the codes to `path`, or to the first free "<stem>-2", "-3"… beside it
        (an older set is never overwritten), readable only by the user (0600). The file
        says which account and server the codes are for. -> the path written."""
        path = free_path(Path(path).expanduser())
        me, config = self._session.me, self._session.config
        whom = me.email if me else "your account"
        text = (f"CODITECT recovery codes for {whom}\nServer: {config.server_label}\n"
                "Each code signs you in once. A newer set replaces this one.\n\n" + "\n".join(codes) + "\n")
        write_private_file(path, text)
        return path

    def _issued(self, codes: list[str]) -> None:
        self.pending_recovery_codes = list(codes)
        user_id = self._session.me.user_id
        with preferences.edit(self._session.config) as prefs:
            if user_id not in prefs.recovery_codes_unconfirmed:
                prefs.recovery_codes_unconfirmed = sorted([*prefs.recovery_codes_unconfirmed, user_id])


def free_path(path: Path) -> Path:
    """`path` when nothing is there, else the first free "<stem>-2<suffix>", "-3"…"""
    candidate, number = path, 1
    while candidate.exists():
        number += 1
        candidate = path.with_name(f"{path.stem}-{number}{path.suffix}")
    return candidate
