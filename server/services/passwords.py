"""Password policy and argon2id hashing.

Hashing runs in a worker thread so that a login never stalls the event loop. Unknown
accounts are checked against a dummy hash with the same parameters, so that "no such
user" costs the same time as "wrong password".
"""

from __future__ import annotations

import asyncio
import re
from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from server.errors import ApiError
from server.schemas.identity import PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH

_COMMON_FILE = Path(__file__).with_name("common_passwords.txt")
_LEET = str.maketrans({"@": "a", "4": "a", "3": "e", "0": "o", "$": "s", "5": "s", "1": "i", "!": "i",
                       "7": "t", "+": "t"})
_WALKS = ("abcdefghijklmnopqrstuvwxyz", "0123456789", "qwertyuiopasdfghjklzxcvbnm",
          "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p", "1q2w3e4r5t6y7u8i9o0p", "qazwsxedcrfvtgbyhnujmikolp")
_BRAND = ("coditect",)


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    lines = _COMMON_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def _is_walk(text: str) -> bool:
    """A run along the alphabet, the digits or the keyboard, forwards or backwards."""
    if len(text) < 4:
        return False
    for walk in _WALKS:
        doubled = walk * 3
        if text in doubled or text in doubled[::-1]:
            return True
    return False


def _is_periodic(text: str) -> bool:
    """'abcabcabcabc', 'Xk9#Xk9#Xk9#': one short unit repeated."""
    for size in range(1, len(text) // 2 + 1):
        if (text[:size] * (len(text) // size + 1)).startswith(text):
            return True
    return False


def _context_words(email: str, extra: tuple[str, ...]) -> list[str]:
    local, _, domain = email.lower().partition("@")
    words = {*_BRAND, re.sub(r"[^a-z]", "", local), domain.split(".")[0]}
    for text in (local, *extra):
        letters = re.sub(r"[^a-z]+", " ", text.lower().translate(_LEET))
        words.update(letters.split())
        words.add(letters.replace(" ", ""))
    return sorted((w for w in words if len(w) >= 3), key=len, reverse=True)


def password_problem(password: str, *, email: str = "", context: tuple[str, ...] = ()) -> tuple[str, str] | None:
    """None when the password is acceptable, else (reason, a sentence for the user).

    `context` holds words the password must not be built from (name, organisation)."""
    if len(password) < PASSWORD_MIN_LENGTH:
        return "too_short", f"Use at least {PASSWORD_MIN_LENGTH} characters."
    if len(password) > PASSWORD_MAX_LENGTH:
        return "too_long", f"Use at most {PASSWORD_MAX_LENGTH} characters."
    common = "common", "This password is too common or too easy to guess. Try a few unrelated words."
    lowered = password.lower()
    compact = re.sub(r"[\W_]+", "", lowered)
    if lowered in common_passwords() or compact in common_passwords():
        return common
    if len(set(lowered)) < 5 or _is_periodic(compact or lowered) or _is_walk(compact):
        return common
    # The word at the heart of the password, once digits and symbols around it are gone.
    core = re.sub(r"^[^a-z]+|[^a-z]+$", "", lowered)
    deleet = core.translate(_LEET)
    letter_forms = {re.sub(r"[^a-z]", "", lowered), re.sub(r"[^a-z]", "", deleet)}
    for candidate in {core, deleet, deleet.replace("i", "l"), *letter_forms}:
        if candidate in common_passwords() or (len(candidate) >= 6 and _is_periodic(candidate)):
            return common
    words = _context_words(email, context)
    for letters in letter_forms:
        for word in words:
            letters = letters.replace(word, "")
        if len(letters) < 4:
            return "personal", "Don't build the password from your name, e-mail, organisation or the product name."
    return None


def check_password_policy(password: str, *, email: str = "", context: tuple[str, ...] = ()) -> None:
    problem = password_problem(password, email=email, context=context)
    if problem:
        reason, sentence = problem
        raise ApiError(422, "weak_password", "Choose a stronger password.", sentence, reason=reason)


class Passwords:
    """argon2id with the cost from settings."""

    def __init__(self, time_cost: int, memory_kib: int) -> None:
        self._hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1)
        self._dummy: str | None = None

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hasher.hash, password)

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """False for a wrong password; for an unknown account (None) it spends the same time."""
        if password_hash is None:
            if self._dummy is None:
                self._dummy = await self.hash("dummy password for unknown accounts")
            await asyncio.to_thread(self._verify, self._dummy, password)
            return False
        return await asyncio.to_thread(self._verify, password_hash, password)

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False


def passwords_for(settings) -> Passwords:
    """One hasher per argon2 cost, so the dummy hash is computed once per process."""
    return _passwords(settings.argon2_time_cost, settings.argon2_memory_kib)


@lru_cache(maxsize=4)
def _passwords(time_cost: int, memory_kib: int) -> Passwords:
    return Passwords(time_cost, memory_kib)
