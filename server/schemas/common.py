"""Shapes used everywhere."""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated

from pydantic import AfterValidator, BaseModel

__all__ = ["Health", "Jwk", "Jwks", "JwksRotation", "Name", "PlainText", "Problem", "check_name", "name_problem",
           "plain_text_problem"]

# C0 and C1 controls, DEL, and the Unicode line/paragraph separators.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def plain_text_problem(value: str) -> str | None:
    """Why `value` is not one plain line of text (None when it is). The console checks
    names with this as they are typed; the server refuses the same."""
    if _CONTROL.search(value):
        return "must be one line of text, without tabs or other control characters"
    return None


def _no_control_characters(value: str) -> str:
    problem = plain_text_problem(value)
    if problem:
        raise ValueError(problem)
    return value


# Free text people type (names, device names): it ends up in mail, audit rows and terminals,
# where a line break or an escape sequence would be read as structure.
PlainText = Annotated[str, AfterValidator(_no_control_characters)]


INVISIBLE_CHARACTERS = "must not contain invisible or direction-changing characters"


def name_problem(value: str) -> str | None:
    """Why `value` is not a name (None when it is): a person's or an organization's name, as
    it is quoted in official mail and shown to other people, is one line without Unicode
    format characters (category Cf: U+202E right-to-left override, U+200B zero-width space,
    U+2066 isolates, soft hyphen...), which reorder or hide what a reader sees. The one check
    every name goes through: API schemas, server commands, and the console as it is typed."""
    problem = plain_text_problem(value)
    if problem:
        return problem
    if any(unicodedata.category(ch) == "Cf" for ch in value):
        return INVISIBLE_CHARACTERS
    return None


def check_name(value: str) -> str:
    """`name_problem` as a validator: raises ValueError."""
    problem = name_problem(value)
    if problem:
        raise ValueError(problem)
    if not value.strip():
        raise ValueError("must not be blank")
    return value


# Names of people and organizations (see check_name).
Name = Annotated[str, AfterValidator(check_name)]


class Problem(BaseModel):
    """RFC 9457 problem details; `code` is the stable machine-readable part."""

    type: str = "about:blank"
    title: str
    status: int
    code: str
    detail: str | None = None
    retry_after: int | None = None

    model_config = {"extra": "allow"}


class Health(BaseModel):
    status: str
    database: str


class Jwk(BaseModel):
    kty: str
    crv: str
    x: str
    kid: str
    use: str = "sig"
    alg: str = "EdDSA"


class Jwks(BaseModel):
    keys: list[Jwk]


class JwksRotation(BaseModel):
    """JWTs (typ "jwks-rotation", claim `keys`) each signed by a retired key and carrying the
    current keys: how a client that pinned an older key learns to trust the new one."""

    statements: list[str]
