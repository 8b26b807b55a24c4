"""Shapes used everywhere."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel

__all__ = ["Health", "Jwk", "Jwks", "PlainText", "Problem", "plain_text_problem"]

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
