"""Shapes used everywhere."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel

__all__ = ["Health", "Jwk", "Jwks", "PlainText", "Problem"]

# C0 and C1 controls, DEL, and the Unicode line/paragraph separators.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _no_control_characters(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("must be one line of text, without tabs or other control characters")
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
