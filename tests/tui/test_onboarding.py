"""The onboarding state machine: every resume state maps to exactly one step."""

import pytest

from tui.onboarding import AccountState, Step, next_step

DONE = dict(signed_in=True, email_verified=True, mfa_enrolled=True, recovery_codes_pending=False,
            has_seat=True, install_choice="docker", role="owner")


@pytest.mark.parametrize("state, step", [
    (AccountState(), Step.WELCOME),
    (AccountState(pending_verification="ada@example.com"), Step.VERIFY_EMAIL),
    (AccountState(email_verified=True), Step.LOGIN),
    (AccountState(mfa_pending=True), Step.MFA_CHALLENGE),
    (AccountState(**{**DONE, "email_verified": False}), Step.VERIFY_EMAIL),
    (AccountState(**{**DONE, "mfa_enrolled": False}), Step.ENROLL_MFA),
    (AccountState(**{**DONE, "recovery_codes_pending": True}), Step.RECOVERY_CODES),
    (AccountState(**{**DONE, "has_seat": False}), Step.LICENSE),
    (AccountState(**{**DONE, "install_choice": None}), Step.INSTALL_CHOICE),
    (AccountState(**DONE), Step.HOME),
    (AccountState(**{**DONE, "role": "member", "has_seat": False}), Step.LICENSE),
    # Support staff hold no seat and install nothing.
    (AccountState(**{**DONE, "role": "support", "has_seat": False, "install_choice": None}), Step.HOME),
    (AccountState(**{**DONE, "role": "support", "mfa_enrolled": False}), Step.ENROLL_MFA),
])
def test_next_step(state, step):
    assert next_step(state) is step


def test_earlier_gaps_win_over_later_ones():
    """An account missing everything resumes at the first missing step."""
    state = AccountState(signed_in=True, email_verified=True)
    assert next_step(state) is Step.ENROLL_MFA
