"""What this machine's seat looks like now: a plain value, cheap to import (the first screen
draws it from the cached copy before the API client is loaded)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class LeaseStatus:
    state: str = "none"  # none | online | offline | lost
    valid_until: datetime | None = None
    seat_id: str | None = None
    tier: str | None = None
    license_key: str | None = None
    seats_used: int | None = None
    seats_total: int | None = None
    daily_limit: int | None = None
    reason: str | None = None  # plain words for "offline" and "lost"

    @property
    def has_seat(self) -> bool:
        return self.state in ("online", "offline")

    def describe(self) -> str:
        until = self.valid_until.strftime("%Y-%m-%d %H:%M UTC") if self.valid_until else "?"
        return {
            "none": "No seat on this machine yet.",
            "online": f"Seat active (lease valid until {until}).",
            # The expiry is its own line wherever this is shown: not said twice.
            "offline": "Working offline: the server is tried again every few minutes.",
            "lost": self.reason or "This machine's seat was lost.",
        }[self.state]
