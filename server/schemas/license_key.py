"""License keys: `CODITECT-<TIER>-XXXX-XXXX-XXXX-XXXX`.

Groups use Crockford's base32 alphabet (no I, L, O, U, so fewer look-alikes); the
last character of the last group is a Luhn mod-32 check character over the tier and
the other 15 characters, so a typo (one wrong character, or two adjacent characters
swapped) is caught on the client before any request. Pure Python: the console and the
server both import it.
"""

from __future__ import annotations

import re
import secrets

__all__ = ["LICENSE_TIERS", "LicenseKeyError", "generate_license_key", "normalize_license_key",
           "parse_license_key", "license_key_problem"]

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LICENSE_TIERS = ("free", "pro", "team", "enterprise")
_PATTERN = re.compile(r"^CODITECT-(FREE|PRO|TEAM|ENTERPRISE)-([0-9A-Z]{4})-([0-9A-Z]{4})-([0-9A-Z]{4})-([0-9A-Z]{4})$")


class LicenseKeyError(ValueError):
    pass


def _luhn_check_char(payload: str) -> str:
    """Luhn mod N (N = 32) over characters of ALPHABET; letters of the tier map by ord."""
    n = len(ALPHABET)
    factor, total = 2, 0
    for ch in reversed(payload):
        code = ALPHABET.index(ch) if ch in ALPHABET else ord(ch) % n
        addend = factor * code
        factor = 1 if factor == 2 else 2
        total += addend // n + addend % n
    return ALPHABET[(n - total % n) % n]


def generate_license_key(tier: str) -> str:
    tier = tier.lower()
    if tier not in LICENSE_TIERS:
        raise LicenseKeyError(f"unknown tier {tier!r}")
    body = "".join(secrets.choice(ALPHABET) for _ in range(15))
    body += _luhn_check_char(tier.upper() + body)
    groups = [body[i:i + 4] for i in range(0, 16, 4)]
    return "-".join(["CODITECT", tier.upper(), *groups])


def normalize_license_key(text: str) -> str:
    """Upper-case, drop spaces, and read the usual look-alikes (O->0, I/L->1)."""
    key = re.sub(r"\s+", "", text).upper()
    head, sep, rest = key.partition("-")
    if not sep:
        return key
    tier, sep2, groups = rest.partition("-")
    groups = groups.translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))
    return head + sep + tier + sep2 + groups


def license_key_problem(text: str) -> str | None:
    """None when the key is well formed, else a sentence for the user."""
    key = normalize_license_key(text)
    m = _PATTERN.match(key)
    if not m:
        return "A license key looks like CODITECT-PRO-XXXX-XXXX-XXXX-XXXX."
    tier, *groups = m.groups()
    body = "".join(groups)
    if any(ch not in ALPHABET for ch in body):
        return "A license key uses only digits and letters other than I, L, O and U."
    if _luhn_check_char(tier + body[:15]) != body[15]:
        return "This license key has a typo: check it against the one you received."
    return None


def parse_license_key(text: str) -> tuple[str, str]:
    """-> (normalized key, tier) or LicenseKeyError with a sentence for the user."""
    problem = license_key_problem(text)
    if problem:
        raise LicenseKeyError(problem)
    key = normalize_license_key(text)
    return key, key.split("-")[1].lower()
