"""Who is calling: the rule that a verified token's session is still live and its user
enabled, the columns that check reads, and the light caller built from them.

deps.py applies it to every signed-in request; the seat lease hot paths
(services/seat_leases.py) apply the same rule to the same columns read in their own
statements (on PostgreSQL inside the very statement that renews the seat), so that
revocation still takes effect on the next request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, bindparam, not_, or_, select, update

from server.errors import ApiError
from server.models import LoginSession, User

_sessions, _users = LoginSession.__table__, User.__table__

# The columns every caller check reads, in this order (Caller is built from them).
CALLER_COLUMNS = (_sessions.c.user_id, _sessions.c.revoked_at, _sessions.c.expires_at, _sessions.c.last_seen_at,
                  _users.c.disabled, _users.c.tenant_id, _users.c.role, _users.c.email)
CALLER_FROM = _sessions.join(_users, _users.c.id == _sessions.c.user_id)
# last_seen_at is written at most this often per session.
LAST_SEEN_RESOLUTION = timedelta(seconds=60)
TOUCH = (update(_sessions).where(_sessions.c.id == bindparam("b_sid"), _sessions.c.last_seen_at <= bindparam("before"))
         .values(last_seen_at=bindparam("now", type_=_sessions.c.last_seen_at.type)))


def touch_params(session_id: str, now) -> dict:
    return {"b_sid": session_id, "before": now - LAST_SEEN_RESOLUTION, "now": now}


def due_to_touch(last_seen_at, now) -> bool:
    return now - last_seen_at >= LAST_SEEN_RESOLUTION


# Every tenant user may hold a seat; `support` works on other tenants and holds none.
SEAT_ROLES = ("owner", "admin", "member")


def caller_statement(*extra_columns):
    """SELECT CALLER_COLUMNS (+ extra) of the session `sid`."""
    return select(*CALLER_COLUMNS, *extra_columns).select_from(CALLER_FROM).where(_sessions.c.id == bindparam("sid"))


def caller_is_valid(roles=SEAT_ROLES):
    """SQL condition over CALLER_FROM: what check_session and check_role accept (parameters
    `sub` and `now`), for a statement that must write only for a valid caller."""
    return and_(_sessions.c.user_id == bindparam("sub"), _sessions.c.revoked_at.is_(None),
                _sessions.c.expires_at > bindparam("now", type_=_sessions.c.expires_at.type),
                not_(_users.c.disabled), or_(*(_users.c.role == role for role in roles)))


def unauthorized(code: str, title: str) -> ApiError:
    return ApiError(401, code, title, headers={"WWW-Authenticate": "Bearer"})


def invalid() -> ApiError:
    return unauthorized("token_invalid", "Your sign-in is not valid. Sign in again.")


def check_session(claims: dict, user_id, revoked_at, expires_at, disabled, now) -> None:
    if user_id != claims.get("sub"):
        raise invalid()
    if revoked_at is not None or expires_at <= now:
        raise unauthorized("session_revoked", "This session was signed out. Sign in again.")
    if disabled:
        raise unauthorized("account_disabled", "This account is disabled. Ask your administrator.")


def check_role(principal, roles, mfa: bool):
    if principal.role not in roles:
        raise ApiError(403, "forbidden", "Your role does not allow this.")
    if mfa and not principal.mfa:
        raise ApiError(403, "mfa_required", "Sign in with your authenticator code to do this.")
    return principal


class SignedIn:
    """How a caller signed in, read from its token's claims (one rule for every caller)."""

    claims: dict

    @property
    def amr(self) -> list[str]:
        return list(self.claims.get("amr", []))

    @property
    def mfa(self) -> bool:
        """True when this session was opened with a second factor."""
        return bool({"otp", "recovery"} & set(self.amr))


@dataclass
class Principal(SignedIn):
    """A signed-in caller as its ORM rows (routes get it from server/deps.py; a service that
    opens a session itself, as the workspace gate does, builds one)."""

    user: User
    session: LoginSession
    claims: dict

    @property
    def role(self) -> str:
        return self.user.role

    @property
    def user_id(self) -> str:
        return self.user.id

    @property
    def session_id(self) -> str:
        return self.session.id

    @property
    def actor(self):
        """Who the audit trail names (id, email)."""
        return self.user

    @property
    def tenant_id(self) -> str:
        return self.user.tenant_id


@dataclass
class ActorRef:
    id: str
    email: str


@dataclass
class Caller(SignedIn):
    """The signed-in caller as a few columns (no ORM objects): for the hot paths."""

    claims: dict
    user_id: str
    tenant_id: str
    role: str
    email: str
    session_id: str
    extra: tuple = ()  # the extra columns the statement read, in order

    @property
    def actor(self) -> ActorRef:
        return ActorRef(self.user_id, self.email)


def caller_from_row(claims: dict, sid: str, row) -> Caller:
    """The Caller of a row that starts with CALLER_COLUMNS (check_session passed)."""
    return Caller(claims=claims, user_id=row[0], tenant_id=row[5], role=row[6], email=row[7], session_id=sid,
                  extra=tuple(row[len(CALLER_COLUMNS):]))
