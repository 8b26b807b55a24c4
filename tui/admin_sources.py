"""Where each panel of the consoles gets its rows: one `Panel` per list, with its columns,
how a row reads, and `fetch(query, cursor, limit) -> Page`.

The admin console asks the admin API page by page (sessions filter on the server with
`q`; the short lists (seats, a page of users) are filtered on the page they came in).
The support console shows one customer with the very same panels, read-only: AdminData
over that customer's CustomerReader (GET /support/tenants/{id}/..., the same answers),
with words for someone who is not of that organization and cannot invite.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from tui import admin_console as ac
from tui.admin_client import Page, TenantReader

PANEL_IDS = ["sessions", "seats", "users", "invitations", "quotas", "audit"]

Fetch = Callable[[str, "str | None", int], Awaitable[Page]]


@dataclass(frozen=True)
class Panel:
    id: str
    title: str
    columns: list[ac.Column]
    row_of: ac.RowOf
    fetch: Fetch
    empty: str  # what to do when the list is empty (no filter)
    filter_hint: str  # the filter box's placeholder
    sortable: bool = False  # the page may be sorted by a column (s)


def matches(query: str, *values: Any) -> bool:
    """Case-insensitive substring of any of `values` (the in-page filter)."""
    needle = query.casefold()
    return not needle or any(needle in str(v).casefold() for v in values if v is not None)


def local_page(items: list, query: str, cursor: str | None, limit: int, fields: Callable[[Any], tuple]) -> Page:
    """Page a list that is already here (cursor = offset as text)."""
    chosen = [item for item in items if matches(query, *fields(item))]
    start = int(cursor) if cursor and cursor.isdigit() else 0
    end = start + limit
    return Page(chosen[start:end], str(end) if end < len(chosen) else None)


# What an empty list says: (to the organization's admins, to support looking at a customer).
EMPTY = {
    "sessions": ("No sessions yet: they appear when people of your organization sign in.",
                 "No sessions yet: they appear when this customer's people sign in."),
    "seats": ("No seat is held: seats are taken when someone activates CODITECT on a machine.",
              "No seat is held by this customer."),
    "users": ("No users match: press i to invite someone by email.", "No users match."),
    "invitations": ("No pending invitations: press i to invite someone by email.", "No pending invitations."),
    "quotas": ("No users to show.", "No users to show."),
    "audit": ("No events recorded yet.", "No events recorded yet."),
}


class AdminData:
    """The console panels over a TenantReader: the admin's own organization (AdminClient)
    or, `read_only`, a customer support opened (CustomerReader). Keeps only what a header
    needs (the last quota answer: the organization's default and the tier's limit)."""

    def __init__(self, client: TenantReader, *, read_only: bool = False) -> None:
        self.client = client
        self.read_only = read_only
        self.quotas = None  # the last QuotaList
        self._user_ids: dict[str, str] = {}

    async def sessions(self, query: str, cursor: str | None, limit: int) -> Page:
        return await self.client.list_sessions(q=query or None, cursor=cursor, limit=limit)

    async def seats(self, query: str, cursor: str | None, limit: int) -> Page:
        seats = await self.client.list_seats()
        return local_page(seats, query, cursor, limit,
                          lambda s: (s.holder_email, s.holder_name, s.device_name, s.license_key, s.kind))

    async def users(self, query: str, cursor: str | None, limit: int) -> Page:
        page = await self.client.list_users(cursor=cursor, limit=limit)
        return Page([u for u in page.items if matches(query, u.email, u.full_name, u.role)], page.next_cursor)

    async def invitations(self, query: str, cursor: str | None, limit: int) -> Page:
        page = await self.client.list_invitations(cursor=cursor, limit=limit)
        return Page([i for i in page.items if matches(query, i.email, i.role)], page.next_cursor)

    async def quota_rows(self, query: str, cursor: str | None, limit: int) -> Page:
        self.quotas = answer = await self.client.list_quotas(cursor=cursor, limit=limit)
        return Page([r for r in answer.users if matches(query, r.email)], answer.next_cursor)

    async def audit(self, query: str, cursor: str | None, limit: int) -> Page:
        action, email = ac.audit_filter(query)
        user_id = None
        if email:
            user_id = self._user_ids.get(email.lower())
            if user_id is None:
                user_id = self._user_ids[email.lower()] = (await self.client.find_user(email)).id
        return await self.client.audit_trail(action=action, user_id=user_id, cursor=cursor, limit=limit)

    def panels(self) -> list[Panel]:
        empty = {panel_id: words[self.read_only] for panel_id, words in EMPTY.items()}
        return [
            Panel("sessions", "Sessions", ac.SESSION_COLUMNS, ac.session_row, self.sessions, empty["sessions"],
                  "/ filter by email or device (on the server)"),
            Panel("seats", "Seats", ac.SEAT_COLUMNS, ac.seat_row, self.seats, empty["seats"],
                  "/ filter by holder, device or license", sortable=True),
            Panel("users", "Users", ac.USER_COLUMNS, ac.user_row, self.users, empty["users"],
                  "/ filter by email, name or role", sortable=True),
            Panel("invitations", "Invites", ac.INVITATION_COLUMNS, ac.invitation_row, self.invitations,
                  empty["invitations"], "/ filter by email or role", sortable=True),
            Panel("quotas", "Quotas", ac.QUOTA_COLUMNS, ac.quota_row, self.quota_rows, empty["quotas"],
                  "/ filter by email", sortable=True),
            Panel("audit", "Audit", ac.AUDIT_COLUMNS, ac.audit_row, self.audit, empty["audit"],
                  "/ filter by action (session.revoked) or a user's email"),
        ]
