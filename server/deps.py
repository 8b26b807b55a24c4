"""FastAPI dependencies: the runtime, a database session per request, the caller.

Authentication is checked here and only here: a valid EdDSA token whose session (`sid`)
is still live and whose user is not disabled. Revocation is therefore immediate: the
signature check of a token may be remembered (runtime.verified_tokens), the session
check never is.

Two shapes of caller: `CurrentPrincipal` carries the ORM User and LoginSession, for
routes that change them; `CurrentCaller` carries only the columns the hot paths need
(one Core statement), for /auth/me and the seat lease cycle.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, AsyncIterator

import jwt
from fastapi import Depends, Request
from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.errors import ApiError
from server.models import LoginSession, Tenant, User
from server.runtime import Runtime
from server.services.tokens import primary_license_columns
from server.sqlite_reader import from_db

LAST_SEEN_RESOLUTION = timedelta(seconds=60)


async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    if not runtime._started:
        await runtime.start()
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def read_only(endpoint):
    """Route decorator (below @router.get): the request only reads, so its transaction is
    a reader's (on SQLite a deferred transaction on the reader connections: it never waits
    behind a writer). Writes it still needs (last_seen_at) go through the writer."""
    endpoint.read_only = True
    return endpoint


def _is_read_only(request: Request) -> bool:
    return getattr(request.scope.get("endpoint"), "read_only", False)


async def get_db(request: Request, runtime: RuntimeDep) -> AsyncIterator[AsyncSession]:
    """One transaction per request, committed before the response is sent.

    Services may `await db.commit()` early, e.g. to keep a failed-attempt counter
    before raising an ApiError (which rolls back whatever came after)."""
    reader = _is_read_only(request)
    async with (runtime.read_sessionmaker if reader else runtime.sessionmaker)() as session:
        session.info["read_only"] = reader
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


DB = Annotated[AsyncSession, Depends(get_db, scope="function")]


def client_addr(request: Request) -> str | None:
    return request.client.host if request.client else None


ClientAddr = Annotated[str | None, Depends(client_addr)]


class _SignedIn:
    """How a caller signed in, read from its token's claims (one rule for both callers)."""

    claims: dict

    @property
    def amr(self) -> list[str]:
        return list(self.claims.get("amr", []))

    @property
    def mfa(self) -> bool:
        """True when this session was opened with a second factor."""
        return bool({"otp", "recovery"} & set(self.amr))


@dataclass
class Principal(_SignedIn):
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
class Caller(_SignedIn):
    """The signed-in caller as a few columns (no ORM objects): for the hot paths."""

    claims: dict
    user_id: str
    tenant_id: str
    role: str
    email: str
    session_id: str
    extra: tuple = ()  # the extra columns the dependency asked for, in order


    @property
    def actor(self) -> ActorRef:
        return ActorRef(self.user_id, self.email)


def _unauthorized(code: str, title: str) -> ApiError:
    return ApiError(401, code, title, headers={"WWW-Authenticate": "Bearer"})


def _invalid() -> ApiError:
    return _unauthorized("token_invalid", "Your sign-in is not valid. Sign in again.")


def _verified_claims(request: Request, runtime: Runtime) -> tuple[dict, object]:
    """-> (claims, now) of the request's bearer token: signature, issuer, audience and
    type verified (or remembered from an earlier verification), expiry checked now."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise _unauthorized("unauthorized", "Sign in first.")
    claims = runtime.verified_tokens.get(token)
    now = runtime.clock.now()
    if claims is None:
        settings = runtime.settings
        try:
            claims = runtime.signing_key.verify(
                token, audience=settings.audience, issuer=settings.issuer, typ="JWT",
                verify_iat=False,  # our clock may be injected; exp is checked below against it
                verify_exp=False,
            )
        except jwt.InvalidTokenError:
            raise _invalid()
        if isinstance(claims.get("exp"), int):
            runtime.verified_tokens.put(token, claims, now.timestamp())
    if not isinstance(claims.get("exp"), int) or claims["exp"] <= now.timestamp():
        raise _unauthorized("token_expired", "Your sign-in has expired. Sign in again.")
    return claims, now


def _check_session(claims: dict, user_id, revoked_at, expires_at, disabled, now) -> None:
    if user_id != claims.get("sub"):
        raise _invalid()
    if revoked_at is not None or expires_at <= now:
        raise _unauthorized("session_revoked", "This session was signed out. Sign in again.")
    if disabled:
        raise _unauthorized("account_disabled", "This account is disabled. Ask your administrator.")


_sessions, _users, _tenants = LoginSession.__table__, User.__table__, Tenant.__table__
_NOW = bindparam("now", type_=LoginSession.last_seen_at.type)

# Built once: a statement object keeps its compiled form and cache key, so the hot path
# pays neither the ORM nor SQLAlchemy's per-call statement building.
_TOUCH = (update(_sessions).where(_sessions.c.id == bindparam("b_sid"), _sessions.c.last_seen_at <= bindparam("before"))
          .values(last_seen_at=_NOW))
_CALLER_COLUMNS = (_sessions.c.user_id, _sessions.c.revoked_at, _sessions.c.expires_at, _sessions.c.last_seen_at,
                   _users.c.disabled, _users.c.tenant_id, _users.c.role, _users.c.email)
_CALLER_FROM = _sessions.join(_users, _users.c.id == _sessions.c.user_id)
_CALLER = select(*_CALLER_COLUMNS).select_from(_CALLER_FROM).where(_sessions.c.id == bindparam("sid"))
# GET /auth/me: the caller plus (full_name, tenant name, MFA enrolled, e-mail verified,
# primary license tier, its key), in the same statement.
_ACCOUNT = (
    select(*_CALLER_COLUMNS, _users.c.full_name, _tenants.c.name, _users.c.totp_secret_enc.is_not(None),
           _users.c.email_verified_at.is_not(None), *primary_license_columns(_users.c.tenant_id, _NOW))
    .select_from(_CALLER_FROM.join(_tenants, _tenants.c.id == _users.c.tenant_id))
    .where(_sessions.c.id == bindparam("sid"))
)


async def _touch_session(runtime: Runtime, db: AsyncSession, session_id: str, now) -> None:
    """last_seen_at, to the minute. A reader's transaction cannot write: then a short
    transaction of its own on the writer (once a minute per session)."""
    params = {"b_sid": session_id, "before": now - LAST_SEEN_RESOLUTION, "now": now}
    if db.info.get("read_only") and runtime.read_sessionmaker is not runtime.sessionmaker:
        async with runtime.sessionmaker() as writer:
            await (await writer.connection()).execute(_TOUCH, params)
            await writer.commit()
    else:
        await (await db.connection()).execute(_TOUCH, params)


async def authenticate(request: Request, runtime: Runtime, db: AsyncSession, statement=_CALLER) -> Caller:
    """The caller, checked (token, live session, enabled user) with one statement whose
    first columns are _CALLER_COLUMNS; the others land in Caller.extra."""
    claims, now = _verified_claims(request, runtime)
    sid = str(claims.get("sid", ""))
    conn = await db.connection()
    row = (await conn.execute(statement, {"sid": sid, "now": now})).first()
    if row is None:
        raise _invalid()
    _check_session(claims, row[0], row[1], row[2], row[4], now)
    if now - row[3] >= LAST_SEEN_RESOLUTION:
        await _touch_session(runtime, db, sid, now)
    return Caller(claims=claims, user_id=row[0], tenant_id=row[5], role=row[6], email=row[7], session_id=sid,
                  extra=tuple(row[len(_CALLER_COLUMNS):]))


async def get_caller(request: Request, runtime: RuntimeDep, db: DB) -> Caller:
    return await authenticate(request, runtime, db)


CurrentCaller = Annotated[Caller, Depends(get_caller)]


async def get_account(request: Request, runtime: RuntimeDep) -> Caller:
    """The caller plus what GET /auth/me shows (see _ACCOUNT), in one statement: on SQLite
    through the plain reader connection (server/sqlite_reader.py), else in a reader's
    transaction of its own."""
    if runtime.sqlite_reader is None:
        async with runtime.read_sessionmaker() as db:
            db.info["read_only"] = True
            caller = await authenticate(request, runtime, db, _ACCOUNT)
            await db.commit()
            return caller
    claims, now = _verified_claims(request, runtime)
    sid = str(claims.get("sid", ""))
    row = runtime.sqlite_reader.first(_ACCOUNT, {"sid": sid, "now": now})
    if row is None:
        raise _invalid()
    revoked_at, expires_at, last_seen_at = from_db(row[1]), from_db(row[2]), from_db(row[3])
    _check_session(claims, row[0], revoked_at, expires_at, row[4], now)
    if now - last_seen_at >= LAST_SEEN_RESOLUTION:
        async with runtime.sessionmaker() as writer:
            await _touch_session(runtime, writer, sid, now)
            await writer.commit()
    return Caller(claims=claims, user_id=row[0], tenant_id=row[5], role=row[6], email=row[7], session_id=sid,
                  extra=tuple(row[len(_CALLER_COLUMNS):]))


CurrentAccount = Annotated[Caller, Depends(get_account)]


async def get_principal(request: Request, runtime: RuntimeDep, db: DB) -> Principal:
    claims, now = _verified_claims(request, runtime)
    row = (
        await db.execute(
            select(LoginSession, User)
            .join(User, User.id == LoginSession.user_id)
            .where(LoginSession.id == str(claims.get("sid", "")))
        )
    ).first()
    if row is None:
        raise _invalid()
    session, user = row
    _check_session(claims, session.user_id, session.revoked_at, session.expires_at, user.disabled, now)
    if now - session.last_seen_at >= LAST_SEEN_RESOLUTION:
        if db.info.get("read_only"):
            await _touch_session(runtime, db, session.id, now)
        else:
            session.last_seen_at = now
    return Principal(user=user, session=session, claims=claims)


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def _check_role(principal, roles, mfa: bool):
    if principal.role not in roles:
        raise ApiError(403, "forbidden", "Your role does not allow this.")
    if mfa and not principal.mfa:
        raise ApiError(403, "mfa_required", "Sign in with your authenticator code to do this.")
    return principal


def require_role(*roles: str, mfa: bool = True):
    """Dependency factory: the caller must hold one of `roles` (and, by default, have
    signed in with a second factor)."""

    async def _check(principal: CurrentPrincipal) -> Principal:
        return _check_role(principal, roles, mfa)

    return _check


def require_caller_role(*roles: str, mfa: bool = True):
    """require_role for the light caller (CurrentCaller)."""

    async def _check(caller: CurrentCaller) -> Caller:
        return _check_role(caller, roles, mfa)

    return _check
