"""Contract: licensing (/api/v1/licenses/*, /api/v1/usage/*).

License keys are checked by the server with a stable `license_key_invalid` code (422), not
by these models, so that the console can show the same sentence it computes offline with
server.schemas.license_key.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from server.schemas.common import PlainText

__all__ = [
    "ActivateLicenseRequest", "LicenseInfo", "LicensesResponse", "SeatKind", "AcquireSeatRequest",
    "SeatRequest", "SeatLease", "CommandUsageRequest", "CommandUsageResponse",
]

SeatKind = Literal["desktop", "container_session"]
# Printable ASCII without spaces: machine ids, UUIDs, "SHA256:..." key fingerprints.
_HARDWARE_ID = Field(min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$")
_LICENSE_KEY = Field(min_length=1, max_length=100)
_SEAT_ID = Field(min_length=1, max_length=64)


class ActivateLicenseRequest(BaseModel):
    license_key: str = _LICENSE_KEY


class LicenseInfo(BaseModel):
    key: str
    tier: str
    seats_total: int
    seats_used: int
    daily_limit: int
    expires_at: datetime | None
    activated_at: datetime | None


class LicensesResponse(BaseModel):
    licenses: list[LicenseInfo]


class AcquireSeatRequest(BaseModel):
    hardware_id: str = _HARDWARE_ID
    device_name: PlainText = Field(default="", max_length=200)
    kind: SeatKind = "desktop"
    # Default: the tenant's primary license (highest tier that has not expired).
    license_key: str | None = Field(default=None, max_length=100)


class SeatRequest(BaseModel):
    """Body of PUT /licenses/heartbeat and DELETE /licenses/release."""

    seat_id: str = _SEAT_ID


class SeatLease(BaseModel):
    """Answer of acquire (201 for a new seat, 200 when the caller already holds a seat of
    this license on this hardware id) and of heartbeat (200).

    `lease_token` is an EdDSA JWT (typ "lease") valid until `expires_at` = last heartbeat
    + 7 days (never past the license's expiry); verify it offline with
    server.schemas.lease.verify_lease. Heartbeat every `heartbeat_interval_s`; after
    `ttl_s` without one the seat is given to someone else.
    """

    seat_id: str
    lease_token: str
    heartbeat_interval_s: int
    ttl_s: int
    expires_at: datetime
    license_key: str
    tier: str


class CommandUsageRequest(BaseModel):
    count: int = Field(default=1, ge=1, le=1000)


class CommandUsageResponse(BaseModel):
    used: int
    limit: int
    resets_at: datetime  # next midnight UTC
