"""What the user types as a code, made ready to send: one definition for every screen.

Six-digit codes (email verification, authenticator) may be typed as "123 456"; a recovery
code as "abcd-efgh-ijkl" (any case, dashes optional); a verification link may be pasted
whole. No I/O, no Textual: the validators in widgets/ and the calls in tui/ both use these.
"""

from __future__ import annotations

import re

SIX_DIGITS = re.compile(r"^\d{3}\s?\d{3}$")
RECOVERY_CODE = re.compile(r"^[A-Za-z0-9]{4}-?[A-Za-z0-9]{4}-?[A-Za-z0-9]{4}$")
_LINK_TOKEN = re.compile(r"[?&]token=([A-Za-z0-9_\-]+)")


def is_six_digits(value: str) -> bool:
    return bool(SIX_DIGITS.match(value.strip()))


def is_recovery_code(value: str) -> bool:
    return bool(RECOVERY_CODE.match(value.strip()))


def six_digits(value: str) -> str:
    """"123 456 " -> "123456"."""
    return value.strip().replace(" ", "")


def code_or_token(value: str) -> str:
    """For the verify field: the six digits, or the token out of a pasted link."""
    value = value.strip()
    if is_six_digits(value):
        return six_digits(value)
    match = _LINK_TOKEN.search(value)
    return match.group(1) if match else value


def second_factor(value: str) -> dict[str, str]:
    """The proof typed into one field: {"code": digits} or {"recovery_code": code}."""
    if is_six_digits(value):
        return {"code": six_digits(value)}
    return {"recovery_code": value.strip()}
