"""Input validators for the forms (textual.validation), so mistakes show while typing.

These are a first, local check: the server has the final word (it knows thousands of
common passwords; this knows the few everybody tries first).
"""

from __future__ import annotations

import re
from typing import Callable

from textual.validation import ValidationResult, Validator

from server.schemas.common import name_problem, plain_text_problem
from server.schemas.identity import PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH
from server.schemas.license_key import license_key_problem
from tui.codes import is_recovery_code, is_six_digits

_OBVIOUS = frozenset({
    "passwordpassword", "password1234", "password12345", "password123456", "password123!",
    "123456789012", "1234567890123", "12345678901234", "qwertyuiopas", "qwerty123456",
    "qwertyqwerty", "iloveyou1234", "abc123456789", "1q2w3e4r5t6y", "letmein12345",
    "welcome12345", "administrator", "changeme1234", "coditect1234", "correcthorsebatterystaple",
})
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class EmailAddress(Validator):
    def validate(self, value: str) -> ValidationResult:
        if _EMAIL.match(value.strip()):
            return self.success()
        return self.failure("Enter an email address like ada@example.com.")


class PlainLine(Validator):
    """Names: one line of plain text, nothing invisible. A pasted tab, line break or
    direction-changing character is said, not silently kept (the server refuses them too)."""

    def validate(self, value: str) -> ValidationResult:
        if plain_text_problem(value):
            return self.failure("Use one line of plain text: no tabs, line breaks or other control characters.")
        if name_problem(value):
            return self.failure("Use visible characters only: no invisible or direction-changing characters.")
        return self.success()


class PasswordRules(Validator):
    def validate(self, value: str) -> ValidationResult:
        if len(value) < PASSWORD_MIN_LENGTH:
            return self.failure(f"Use at least {PASSWORD_MIN_LENGTH} characters ({len(value)} so far).")
        if len(value) > PASSWORD_MAX_LENGTH:
            return self.failure(f"Use at most {PASSWORD_MAX_LENGTH} characters.")
        compact = re.sub(r"[\W_]+", "", value.lower())
        if compact in _OBVIOUS or value.lower() in _OBVIOUS or len(set(value.lower())) < 5:
            return self.failure("This password is too common. Try a few unrelated words.")
        return self.success()


class SameAs(Validator):
    """The confirmation must match the value `other()` returns."""

    def __init__(self, other: Callable[[], str], message: str = "The two passwords are not the same.") -> None:
        super().__init__()
        self.other = other
        self.message = message

    def validate(self, value: str) -> ValidationResult:
        return self.success() if value == self.other() else self.failure(self.message)


class SixDigitCode(Validator):
    def validate(self, value: str) -> ValidationResult:
        if is_six_digits(value):
            return self.success()
        return self.failure("Enter the 6 digits.")


class CodeOrLink(Validator):
    """The 6-digit code from the mail, or the link (token) in it."""

    def validate(self, value: str) -> ValidationResult:
        value = value.strip()
        if is_six_digits(value) or ("token=" in value) or (len(value) >= 16 and " " not in value):
            return self.success()
        return self.failure("Enter the 6 digits, or paste the link from the email.")


class InvitationCode(Validator):
    """The code from an invitation email: one long word (spaces around it are ignored)."""

    def validate(self, value: str) -> ValidationResult:
        value = value.strip()
        if 16 <= len(value) <= 512 and not any(c.isspace() for c in value):
            return self.success()
        return self.failure("Paste the whole code from the invitation email.")


class RecoveryCodeFormat(Validator):
    def validate(self, value: str) -> ValidationResult:
        if is_recovery_code(value):
            return self.success()
        return self.failure("A recovery code looks like xxxx-xxxx-xxxx.")


class LicenseKey(Validator):
    def validate(self, value: str) -> ValidationResult:
        problem = license_key_problem(value)
        return self.failure(problem) if problem else self.success()
