"""Contract: releases of the `coditect` command (/api/v1/releases/*) and agent sessions."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from server.schemas.common import PlainText

__all__ = ["PLATFORMS", "ARCHES", "ReleaseManifest", "AgentSessionRequest", "RELEASE_VERSION_PATTERN"]

PLATFORMS = ("macos", "linux")
ARCHES = ("arm64", "x86_64")
# 1 to 4 dot-separated numbers: versions compare as tuples of ints.
RELEASE_VERSION_PATTERN = r"^[0-9]{1,6}(\.[0-9]{1,6}){0,3}$"


class ReleaseManifest(BaseModel):
    platform: Literal["macos", "linux"]
    arch: Literal["arm64", "x86_64"]
    version: str = Field(pattern=RELEASE_VERSION_PATTERN)
    # Path on the API ("/api/v1/releases/files/..."): resolve it against the API's base URL.
    url: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    size: int = Field(ge=0)
    published_at: datetime


class AgentSessionRequest(BaseModel):
    """A login session of its own for the `coditect` command on this device."""

    device_name: PlainText = Field(default="", max_length=200)
    hardware_id: str | None = Field(default=None, max_length=128)
