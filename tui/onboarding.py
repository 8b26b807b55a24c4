"""Which onboarding step comes next: a pure function of the account's state.

No I/O: AccountSession builds an AccountState from GET /auth/me, the seat and the
local preferences, and the app shows the screen for next_step(state). So an onboarding
interrupted anywhere resumes exactly where it stopped.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

# Staff accounts administer; they hold no seat and install nothing.
ROLES_WITHOUT_SEAT = frozenset({"support"})


class Step(Enum):
    WELCOME = "welcome"
    REGISTER = "register"
    ACCEPT_INVITATION = "accept_invitation"  # chosen on the welcome screen, never by next_step
    VERIFY_EMAIL = "verify_email"
    LOGIN = "login"
    MFA_CHALLENGE = "mfa_challenge"
    ENROLL_MFA = "enroll_mfa"
    RECOVERY_CODES = "recovery_codes"
    LICENSE = "license"
    INSTALL_CHOICE = "install_choice"
    HOME = "home"


@dataclass(frozen=True)
class AccountState:
    signed_in: bool = False
    # When not signed in: an email was verified and the user has not signed in since.
    email_verified: bool = False
    mfa_enrolled: bool = False
    # Recovery codes were issued but the user has not yet said "I have saved them".
    recovery_codes_pending: bool = False
    has_seat: bool = False
    install_choice: str | None = None
    role: str | None = None
    # Registered (or refused sign-in as unverified) but not verified yet: this email.
    pending_verification: str | None = None
    # Password accepted, second factor still needed.
    mfa_pending: bool = False

    @property
    def onboarded(self) -> bool:
        """The install step (the last one) was done once: license and install screens are
        then reached from home, and escape leads back there."""
        return self.install_choice is not None


def next_step(state: AccountState) -> Step:
    if not state.signed_in:
        if state.mfa_pending:
            return Step.MFA_CHALLENGE
        if state.pending_verification:
            return Step.VERIFY_EMAIL
        if state.email_verified:  # just verified in an earlier run: sign in next
            return Step.LOGIN
        return Step.WELCOME
    if not state.email_verified:
        return Step.VERIFY_EMAIL
    if not state.mfa_enrolled:
        return Step.ENROLL_MFA
    if state.recovery_codes_pending:
        return Step.RECOVERY_CODES
    if state.role in ROLES_WITHOUT_SEAT:
        return Step.HOME
    if not state.has_seat:
        return Step.LICENSE
    if state.install_choice is None:
        return Step.INSTALL_CHOICE
    return Step.HOME
