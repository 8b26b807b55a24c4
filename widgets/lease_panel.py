"""This machine's seat: tier, seats used/total, daily quota, lease expiry, and the
offline / lost states in plain words."""

from __future__ import annotations

from tui.lease_status import LeaseStatus
from widgets.facts import Facts


def _when(status: LeaseStatus) -> str:
    return status.valid_until.strftime("%Y-%m-%d %H:%M UTC") if status.valid_until else "—"


def lease_rows(status: LeaseStatus, *, with_key: bool = True) -> list[tuple[str, str]]:
    state = {"none": "no seat yet", "online": "active", "offline": "offline", "lost": "lost"}[status.state]
    rows = [("Seat on this machine" if with_key else "Seat", state)]
    if status.state in ("online", "offline"):
        key = f"  {status.license_key}" if status.license_key and with_key else ""
        rows.append(("License", (status.tier or "?").upper() + key))
        if status.seats_total is not None:
            rows.append(("Seats in use", f"{status.seats_used} of {status.seats_total}"))
        if status.daily_limit is not None and with_key:
            rows.append(("Daily quota", f"{status.daily_limit} commands per user"))
        rows.append(("Lease valid until" if with_key else "Lease until", _when(status)))
    if status.state in ("offline", "lost"):
        rows.append(("", status.describe()))
    return rows


class LeasePanel(Facts):
    DEFAULT_CSS = """
    LeasePanel.-offline { color: $text-warning; }
    LeasePanel.-lost { color: $text-error; }
    """

    def __init__(self, status: LeaseStatus, *, compact: bool = False, id: str | None = None) -> None:
        """`compact`: half a screen wide (home): shorter labels, no key."""
        super().__init__(label_width=13 if compact else 20, id=id)
        self.compact = compact
        self.state = status.state
        self.show_status(status)

    def show_status(self, status: LeaseStatus) -> None:
        self.state = status.state
        for state in ("offline", "lost"):
            self.set_class(status.state == state, f"-{state}")
        self.set_rows(lease_rows(status, with_key=not self.compact))
