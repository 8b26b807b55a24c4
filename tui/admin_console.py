"""The admin and support consoles' decisions, without Textual.

Who sees which console, which panels and which write keys (role policy); the columns of
every list, their priority when the terminal is narrow, and the text of each cell (always
`rich.text.Text`: nothing the server sends is read as markup); keyset paging and the
stale-answer rule; what each confirmation says; how a typed quota is checked.
The screens (screens/admin_*.py, screens/support_*.py) only ask.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

from rich.text import Text

# -- who sees what --------------------------------------------------------------------------

ADMIN_ROLES = frozenset({"owner", "admin"})
SUPPORT_ROLE = "support"
TENANT_ROLES = ("member", "admin", "owner")  # least power first: the dangerous choice is never first

PAGE_SIZE = 200  # rows per page: a page renders in a few ms; the tenant never sits in memory
DEBOUNCE_S = 0.12  # keys typed while a page is on its way are fetched once typing pauses this long
REFRESH_S = 5.0  # the overview and the open list refresh this often (skipped under a dialog)
FILTER_MAX = 200  # the server's limit for `q`


def can_administer(role: str | None) -> bool:
    """Owners and admins have an admin console; members never see it."""
    return role in ADMIN_ROLES


def is_support(role: str | None) -> bool:
    return role == SUPPORT_ROLE


def console_for(role: str | None) -> str | None:
    """"admin", "support" or None: the console a role may open."""
    if can_administer(role):
        return "admin"
    if is_support(role):
        return "support"
    return None


def step_for_console(step, target: str | None):
    """Where `coditect-console admin|support` goes instead of onboarding's next step: an
    existing account signs in (no sign-up offered), and a console needs no seat here."""
    from tui.onboarding import Step

    if target is None:
        return step
    if step is Step.WELCOME:
        return Step.LOGIN
    if step in (Step.LICENSE, Step.INSTALL_CHOICE):
        return Step.HOME
    return step


def start_console(start: str | None, role: str | None) -> tuple[str | None, str | None]:
    """Where a signed-in user lands: (console to open or None for home, words when the
    requested console is not theirs). Support staff always land in the support console."""
    mine = console_for(role)
    if mine == "support":
        return "support", (None if start in (None, "support") else
                           "Your account is a support account: here is the support console.")
    if start is None:
        return None, None
    if start == mine:
        return mine, None
    if start == "admin":
        return None, "The admin console is for owners and admins of an organization; your role is not one of them."
    return None, "The support console is for CODITECT support staff only."


def role_choices(actor_role: str) -> list[str]:
    """Roles this actor may give (only an owner grants or removes owner; the server checks too)."""
    return list(TENANT_ROLES if actor_role == "owner" else TENANT_ROLES[:2])


# -- columns --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    width: int
    priority: int = 1  # 1 always shown; higher numbers drop first as the terminal narrows


CELL_PADDING = 2  # DataTable pads each cell by one column on both sides
SCROLLBAR = 2


def fit_columns(columns: list[Column], width: int) -> list[Column]:
    """The columns that fit `width`, in their declared order: the highest priority number
    is dropped first (what is dropped stays in the row's details)."""
    kept = list(columns)
    while len(kept) > 1 and sum(c.width + CELL_PADDING for c in kept) + SCROLLBAR > width:
        drop = max(kept, key=lambda c: (c.priority, kept.index(c)))
        if drop.priority <= 1:
            break
        kept.remove(drop)
    return kept


# -- cell text ---------------------------------------------------------------------------------


def when(moment: datetime | None) -> str:
    """UTC, minutes: the same for every viewer and every run."""
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "—"


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")  # shown as spaces: a cell stays one line


def text(value: Any) -> Text:
    """Server text as literal text on one line (control characters shown as spaces)."""
    if value is None:
        return Text("—", style="dim")
    return Text(_CONTROL.sub(" ", str(value)), no_wrap=True, overflow="ellipsis")


def yes_no(flag: bool, yes: str = "yes", no: str = "no") -> Text:
    return Text(yes if flag else no, style="" if flag else "dim")


def second_factor(amr: list[str]) -> str:
    if "otp" in amr:
        return "authenticator"
    if "recovery" in amr:
        return "recovery code"
    return "none"


def quota_bar(used: int, limit: int, width: int = 10) -> Text:
    """████░░░░░░ 40/100 (red at the limit)."""
    filled = width if limit <= 0 else min(width, round(width * used / limit))
    style = "bold red" if used >= limit else "yellow" if used >= 0.8 * limit else "green"
    bar = Text("█" * filled, style=style)
    bar.append("░" * (width - filled), style="dim")
    bar.append(f" {used}/{limit}")
    return bar


@dataclass(frozen=True)
class Row:
    key: str
    cells: dict[str, Text]


def session_state(session) -> Text:
    if session.active:
        return Text("this session" if getattr(session, "current", False) else "live", style="bold")
    if session.revoked_at is not None:
        return Text(f"ended: {(session.revoked_reason or 'revoked').replace('_', ' ')}", style="dim")
    return Text("expired", style="dim")


SESSION_COLUMNS = [
    Column("user", "User", 24), Column("device", "Device", 18), Column("state", "State", 14, 2),
    Column("last_seen", "Last seen", 16, 3), Column("addr", "Client address", 15, 4),
    Column("started", "Started", 16, 5), Column("mfa", "Second factor", 13, 6),
]


def session_row(s) -> Row:
    return Row(s.id, {"user": text(s.user_email), "device": text(s.device_name), "state": session_state(s),
                      "last_seen": Text(when(s.last_seen_at)), "addr": text(s.client_addr),
                      "started": Text(when(s.created_at)), "mfa": Text(second_factor(s.amr))})


SEAT_COLUMNS = [
    Column("holder", "Holder", 24), Column("device", "Device", 18), Column("state", "State", 6),
    Column("heartbeat", "Last heartbeat", 16, 2), Column("kind", "Kind", 9, 3),
    Column("license", "License", 32, 5), Column("started", "Started", 16, 4),
]


def seat_row(seat) -> Row:
    kind = "container" if seat.kind == "container_session" else seat.kind
    state = Text("live") if seat.live else Text("stale", style="bold red")
    return Row(seat.id, {"holder": text(seat.holder_email), "device": text(seat.device_name), "state": state,
                         "heartbeat": Text(when(seat.last_heartbeat_at)), "kind": text(kind),
                         "license": text(f"{seat.license_key} ({seat.tier})"), "started": Text(when(seat.started_at))})


USER_COLUMNS = [
    Column("email", "Email", 26), Column("role", "Role", 7), Column("state", "State", 8),
    Column("mfa", "2nd factor", 10, 2), Column("name", "Name", 18, 4), Column("verified", "Verified", 8, 5),
    Column("last_login", "Last sign-in", 16, 3),
]


def user_row(user) -> Row:
    last = getattr(user, "last_login_at", None)
    verified = getattr(user, "email_verified", None)
    return Row(user.id, {
        "email": text(user.email), "role": text(user.role),
        "state": Text("disabled", style="bold red") if user.disabled else Text("active"),
        "mfa": yes_no(user.mfa_enrolled, "enrolled", "none"), "name": text(user.full_name),
        "verified": Text("—", style="dim") if verified is None else yes_no(verified),
        "last_login": Text(when(last)) if hasattr(user, "last_login_at") else Text("—", style="dim")})


INVITATION_COLUMNS = [
    Column("email", "Invited", 26), Column("role", "Role", 7), Column("expires", "Expires", 16),
    Column("by", "Invited by", 24, 3), Column("created", "Sent", 16, 2),
]


def invitation_row(inv) -> Row:
    return Row(inv.id, {"email": text(inv.email), "role": text(inv.role), "expires": Text(when(inv.expires_at)),
                        "by": text(inv.invited_by_email), "created": Text(when(inv.created_at))})


QUOTA_COLUMNS = [
    Column("email", "User", 26), Column("bar", "Today / limit", 24), Column("limit", "Limit", 15, 2),
]


def quota_row(row) -> Row:
    source = "own" if row.override is not None else "default"
    return Row(row.user_id, {"email": text(row.email), "bar": quota_bar(row.used_today, row.effective_limit),
                             "limit": Text(f"{row.effective_limit} {source}")})


AUDIT_COLUMNS = [
    Column("at", "When", 16), Column("action", "Action", 20), Column("actor", "By", 24, 2),
    Column("target", "Target", 24, 4), Column("addr", "Client address", 15, 3),
]


def audit_row(event) -> Row:
    return Row(str(event.id), {"at": Text(when(event.at)), "action": text(event.action),
                               "actor": text(event.actor_email or "system"), "target": text(event.target),
                               "addr": text(event.client_addr)})


TENANT_COLUMNS = [
    Column("name", "Organization", 28), Column("owners", "Owners", 28, 2), Column("tier", "Tier", 10),
    Column("created", "Customer since", 16, 3),
]


def tenant_row(tenant) -> Row:
    return Row(tenant.id, {"name": text(tenant.name), "owners": text(", ".join(tenant.owner_emails) or None),
                           "tier": text(tenant.tier or "free"), "created": Text(when(tenant.created_at))})


# -- details (enter) ----------------------------------------------------------------------------


def details(item) -> list[tuple[str, str]]:
    """Every field of a row, as label/value pairs (what narrow columns dropped is here)."""
    pairs = []
    for name, value in item.model_dump().items():
        label = name.replace("_", " ").capitalize()
        if isinstance(value, datetime):
            value = when(value)
        elif isinstance(value, bool):
            value = "yes" if value else "no"
        elif isinstance(value, (list, tuple)):
            value = ", ".join(str(v) for v in value) or "—"
        elif isinstance(value, dict):
            value = ", ".join(f"{k}={v}" for k, v in value.items()) or "—"
        elif value is None:
            value = "—"
        pairs.append((label, str(value)))
    return pairs


# -- paging -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    generation: int
    query: str
    cursor: str | None


@dataclass
class Paging:
    """Keyset paging of one list: the cursor of every page seen so far (back goes back
    without the server keeping state), the filter, and a generation that makes any answer
    to an older request (an earlier filter, another page) stale."""

    query: str = ""
    cursors: list[str | None] = field(default_factory=lambda: [None])
    next_cursor: str | None = None
    generation: int = 0

    @property
    def page_no(self) -> int:
        return len(self.cursors)

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None

    def set_query(self, query: str) -> bool:
        """A new filter starts again at page 1 -> whether anything changed."""
        query = normal_filter(query)
        if query == self.query:
            return False
        self.query, self.cursors, self.next_cursor = query, [None], None
        self.generation += 1
        return True

    def forward(self) -> bool:
        if self.next_cursor is None:
            return False
        self.cursors.append(self.next_cursor)
        self.next_cursor = None
        self.generation += 1
        return True

    def back(self) -> bool:
        if len(self.cursors) == 1:
            return False
        self.cursors.pop()
        self.generation += 1
        return True

    def first(self) -> None:
        self.cursors, self.next_cursor = [None], None
        self.generation += 1

    def request(self) -> Request:
        return Request(self.generation, self.query, self.cursors[-1])

    def accept(self, request: Request, next_cursor: str | None) -> bool:
        """An answer arrived: False (drop it) when the list moved on since it was asked."""
        if request.generation != self.generation:
            return False
        self.next_cursor = next_cursor
        return True

    def title(self, name: str, shown: int) -> str:
        more = "+" if self.has_next else ""
        page = f" page {self.page_no}" if self.page_no > 1 or self.has_next else ""
        return f"{name} [{shown}{more}]{page}" + (f"  /{self.query}" if self.query else "")


def filter_now(*, key_waiting: bool, loading: bool) -> bool:
    """A key was typed in a filter box: fetch its text now, or once typing pauses?

    Now when the list is idle (its last page is shown and no earlier key is waiting): the
    first key after a pause gets its page as fast as the server answers. Later when a page
    is still on its way or an earlier key waits for the pause: the keys of a burst make one
    request, DEBOUNCE_S after the last of them, with the text as it stands then."""
    return not key_waiting and not loading


def normal_filter(value: str) -> str:
    return " ".join(value.split())[:FILTER_MAX]


def page_delta(old_keys: list[str], new_keys: list[str]) -> str:
    """How a page is redrawn: "update" (same rows in the same order: change cells in place,
    the cursor never moves) or "replace" (other rows: redraw this page, keep the cursor on
    its row if it is still there)."""
    return "update" if old_keys == new_keys else "replace"


# -- confirmations ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Confirmation:
    title: str
    question: Text
    yes: str


def _q(*parts: str | tuple[str]) -> Text:
    """Words, with the target (a 1-tuple) in bold, literal."""
    out = Text()
    for part in parts:
        if isinstance(part, tuple):
            out.append(part[0], style="bold")
        else:
            out.append(part)
    return out


def is_own_session(session, me) -> bool:
    """The session this console signs in with (revoking it signs the admin out)."""
    return bool(getattr(session, "current", False)) or session.id == getattr(me, "session_id", None)


def revoke_session_confirmation(session, own: bool) -> Confirmation:
    if own:
        return Confirmation("Revoke your own session", _q(
            "This is ", ("your own session",), " (", (session.device_name or "this device",),
            "). Ending it signs you out of this console at once; its seats end too."), "Sign me out")
    return Confirmation("Revoke session", _q(
        "End the session of ", (session.user_email,), " on ", (session.device_name or "an unnamed device",),
        "? It is signed out at once and loses its seats; access tokens it holds are refused from the next request."),
        "Revoke")


def revoke_user_confirmation(email: str, own: bool) -> Confirmation:
    if own:
        return Confirmation("Revoke all your sessions", _q(
            "These are ", ("your own",), " sessions, this console's included: every device of yours is "
            "signed out and you are signed out here at once."), "Sign me out everywhere")
    return Confirmation("Revoke all sessions of a user", _q(
        "End ", ("every session",), " of ", (email,), "? All their devices are signed out at once and "
        "their seats end. They can sign in again unless you disable the account."), "Revoke all")


def release_seat_confirmation(seat) -> Confirmation:
    return Confirmation("Force-release seat", _q(
        "Take back the seat of ", (seat.holder_email,), " on ", (seat.device_name or "an unnamed device",),
        f" ({seat.license_key})? That machine stops counting against the license; its next heartbeat is "
        "refused and it must take a seat again."), "Release")


ROLE_EFFECT = {
    "member": "uses CODITECT; no admin console",
    "admin": "the admin console: sessions, seats, users, quotas and audit",
    "owner": "everything an admin can, and the owners themselves",
}
ROLE_WORDS = {role: f"{role}: {effect}" for role, effect in ROLE_EFFECT.items()}


def role_confirmation(user, role: str) -> Confirmation:
    return Confirmation("Change role", _q("Make ", (user.email,), " ", (role,), f" ({ROLE_EFFECT[role]})?"),
                        "Change")


def disable_confirmation(user) -> Confirmation:
    if user.disabled:
        return Confirmation("Enable user", _q("Enable ", (user.email,), "? They can sign in again."), "Enable")
    return Confirmation("Disable user", _q(
        "Disable ", (user.email,), "? Every session and seat of theirs ends at once and they cannot sign in "
        "until enabled again."), "Disable")


def reset_mfa_confirmation(user) -> Confirmation:
    return Confirmation("Reset second factor", _q(
        "Remove the authenticator and recovery codes of ", (user.email,), "? They are signed out everywhere and "
        "set up a new authenticator at their next sign-in."), "Reset")


def cancel_invitation_confirmation(inv) -> Confirmation:
    return Confirmation("Cancel invitation", _q(
        "Cancel the invitation of ", (inv.email,), f" as {inv.role}? Its code stops working at once."), "Cancel it")


# -- input --------------------------------------------------------------------------------------

QUOTA_MAX = 10_000_000
QUOTA_WORDS = f"Enter a whole number of commands a day from 0 to {QUOTA_MAX:,}, or leave it empty for the default."


def parse_daily_limit(value: str) -> int | None:
    """"" or "default" -> None (the override is removed); else 0..10,000,000; ValueError with words."""
    value = value.strip().replace(",", "").replace("_", "")
    if value.lower() in ("", "default", "none"):
        return None
    if not value.isdigit() or int(value) > QUOTA_MAX:
        raise ValueError(QUOTA_WORDS)
    return int(value)


def daily_limit_problem(value: str) -> str | None:
    try:
        parse_daily_limit(value)
    except ValueError as error:
        return str(error)
    return None


def limit_saved(email: str | None, limit: int | None) -> str:
    whom = email or "the organization (everyone without their own limit)"
    if limit is None:
        return f"The limit of {whom} is removed: the default applies from now on."
    return f"{limit} commands a day for {whom}, from now on."


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def email_problem(value: str) -> str | None:
    return None if _EMAIL.match(value.strip()) else "Enter an email address like name@example.com."


SUPPORT_BANNER = ("SUPPORT · READ-ONLY · opening a customer is recorded in that customer's audit trail "
                  "(support.viewed)")


# The customer view's banner fits 80 columns (the customer's name is the header's subtitle).
SUPPORT_CUSTOMER_BANNER = "SUPPORT · READ-ONLY · this opening is recorded in the customer's audit trail"


def audit_filter(value: str) -> tuple[str | None, str | None]:
    """The audit filter box: an email filters by user, anything else by action ->
    (action, user email)."""
    value = normal_filter(value)
    if not value:
        return None, None
    if "@" in value:
        return None, value
    return value, None


def overview_facts(overview) -> list[tuple[str, str]]:
    return [
        ("Organization", overview.organization),
        ("Tier", overview.tier or "free"),
        ("Seats", f"{overview.seats_used} of {overview.seats_total} in use"),
        ("Live sessions", str(overview.sessions_live)),
        ("Users", f"{overview.users}" + (f" ({overview.users_disabled} disabled)" if overview.users_disabled else "")
         + (f", {overview.invitations_pending} invited" if overview.invitations_pending else "")),
        ("Commands today", f"{overview.commands_today} (limit {overview.daily_limit} per user; "
                           f"{overview.users_at_limit} at the limit)"),
        ("Resets", when(overview.resets_at) + " UTC"),
    ]


def license_lines(licenses) -> list[tuple[str, str]]:
    """Admin (seats_used/seats_total) and support (seats_live/seats) licenses alike."""
    def seats(lic) -> str:
        used = getattr(lic, "seats_used", getattr(lic, "seats_live", 0))
        return f"{used}/{getattr(lic, 'seats_total', getattr(lic, 'seats', 0))}"

    return [(lic.tier, f"{seats(lic)} seats · {lic.key}" +
             (f" · until {when(lic.expires_at)[:10]}" if lic.expires_at else "")) for lic in licenses]


def support_facts(detail) -> list[tuple[str, str]]:
    return [
        ("Organization", detail.name),
        ("Tier", detail.tier or "free"),
        ("Customer since", when(detail.created_at)[:10]),
        ("Seats", f"{detail.seats_live} of {detail.seats_total} in use"),
        ("Sessions", f"{detail.sessions_active} live of {detail.sessions_total}"),
        ("Users", str(detail.user_count)),
        ("Commands today", str(detail.commands_today) + (
            f" (default limit {detail.default_daily_limit})" if detail.default_daily_limit is not None else "")),
    ]


RowOf = Callable[[Any], Row]
