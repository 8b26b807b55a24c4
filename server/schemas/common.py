"""Shapes used everywhere."""

from __future__ import annotations

from pydantic import BaseModel

__all__ = ["Health", "Jwk", "Jwks", "Problem"]


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
