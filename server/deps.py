"""FastAPI dependencies: the runtime, a database session per request, the caller.

Authentication: a valid EdDSA token whose session (`sid`) is still live and whose user is
not disabled (the rule: services/callers.py). Revocation is therefore immediate: the
signature check of a token may be remembered (runtime.verified_tokens), the session
check never is.

Three shapes of caller: `CurrentPrincipal` carries the ORM User and LoginSession, for
routes that change them; `CurrentCaller` carries only the columns the hot paths need
(one Core statement); `VerifiedToken` is the token alone, for the seat lease hot paths,
which check the session in their own statements (services/seat_leases.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, AsyncIterator

import jwt
from fastapi import Depends, Request
from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.errors import ApiError
from server.models import LoginSession, Tenant, User
from server.runtime import Runtime
from server.services.callers import (
    CALLER_COLUMNS, CALLER_FROM, LAST_SEEN_RESOLUTION, TOUCH, ActorRef, Caller, Principal, caller_from_row,
    caller_statement, check_role, check_session, due_to_touch, invalid, touch_params, unauthorized,
)
from server.services.tokens import primary_license_columns

__all__ = ["ActorRef", "Caller"]  # re-exported: routes import callers from here



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


async def client_addr(request: Request) -> str | None:
    return request.client.host if request.client else None


ClientAddr = Annotated[str | None, Depends(client_addr)]


def _unauthorized(code: str, title: str) -> ApiError:
    return unauthorized(code, title)


def _invalid() -> ApiError:
    return invalid()


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


_sessions, _users, _tenants = LoginSession.__table__, User.__table__, Tenant.__table__
_NOW = bindparam("now", type_=LoginSession.last_seen_at.type)

# Built once: a statement object keeps its compiled form and cache key, so the hot path
# pays neither the ORM nor SQLAlchemy's per-call statement building.
_CALLER = caller_statement()
# GET /auth/me: the caller plus (full_name, tenant name, MFA enrolled, e-mail verified,
# primary license tier, its key), in the same statement.
_ACCOUNT = (
    select(*CALLER_COLUMNS, _users.c.full_name, _tenants.c.name, _users.c.totp_secret_enc.is_not(None),
           _users.c.email_verified_at.is_not(None), *primary_license_columns(_users.c.tenant_id, _NOW))
    .select_from(CALLER_FROM.join(_tenants, _tenants.c.id == _users.c.tenant_id))
    .where(_sessions.c.id == bindparam("sid"))
)


async def touch_session(runtime: Runtime, session_id: str, now) -> None:
    """last_seen_at of a session, in a short write transaction of its own (once a minute
    per session: see LAST_SEEN_RESOLUTION)."""
    async with runtime.driver.write() as tx:
        await tx.run(TOUCH, touch_params(session_id, now))


async def _touch_session(runtime: Runtime, db: AsyncSession, session_id: str, now) -> None:
    """last_seen_at, to the minute. A reader's transaction cannot write: then a short
    transaction of its own on the writer (once a minute per session)."""
    if db.info.get("read_only") and runtime.read_sessionmaker is not runtime.sessionmaker:
        await touch_session(runtime, session_id, now)
    else:
        await (await db.connection()).execute(TOUCH, touch_params(session_id, now))


async def authenticate(request: Request, runtime: Runtime, db: AsyncSession, statement=_CALLER) -> Caller:
    """The caller, checked (token, live session, enabled user) with one statement whose
    first columns are CALLER_COLUMNS; the others land in Caller.extra."""
    claims, now = _verified_claims(request, runtime)
    sid = str(claims.get("sid", ""))
    conn = await db.connection()
    row = (await conn.execute(statement, {"sid": sid, "now": now})).first()
    if row is None:
        raise _invalid()
    check_session(claims, row[0], row[1], row[2], row[4], now)
    if now - row[3] >= LAST_SEEN_RESOLUTION:
        await _touch_session(runtime, db, sid, now)
    return caller_from_row(claims, sid, row)


async def get_caller(request: Request, runtime: RuntimeDep, db: DB) -> Caller:
    return await authenticate(request, runtime, db)


CurrentCaller = Annotated[Caller, Depends(get_caller)]


async def get_account(request: Request, runtime: RuntimeDep) -> Caller:
    """The caller plus what GET /auth/me shows (see _ACCOUNT), in one statement straight on
    the driver (server/driver.py): on SQLite a reader connection's WAL snapshot, on
    PostgreSQL one prepared statement with no transaction around it."""
    claims, now = _verified_claims(request, runtime)
    sid = str(claims.get("sid", ""))
    async with runtime.driver.autocommit(read_only=True) as conn:
        row = await conn.first(_ACCOUNT, {"sid": sid, "now": now})
    if row is None:
        raise _invalid()
    check_session(claims, row[0], row[1], row[2], row[4], now)
    if now - row[3] >= LAST_SEEN_RESOLUTION:
        await touch_session(runtime, sid, now)
    return caller_from_row(claims, sid, row)


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
    check_session(claims, session.user_id, session.revoked_at, session.expires_at, user.disabled, now)
    if now - session.last_seen_at >= LAST_SEEN_RESOLUTION:
        if db.info.get("read_only"):
            await _touch_session(runtime, db, session.id, now)
        else:
            session.last_seen_at = now
    return Principal(user=user, session=session, claims=claims)


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


@dataclass
class Token:
    """A verified access token (signature, issuer, audience, expiry), its session not yet
    checked: for routes whose service checks it in its own statements."""

    claims: dict
    now: object


async def get_token(request: Request, runtime: RuntimeDep) -> Token:
    return Token(*_verified_claims(request, runtime))


VerifiedToken = Annotated[Token, Depends(get_token)]


async def get_token_and_runtime(request: Request) -> tuple[Token, Runtime]:
    runtime = await get_runtime(request)
    return Token(*_verified_claims(request, runtime)), runtime


# get_token and get_runtime as one dependency, for the seat lease hot paths: FastAPI's
# resolution costs more per dependency than these do. Still a dependency, so a request
# without a valid token is refused (401) before its body is looked at.
TokenAndRuntime = Annotated[tuple[Token, Runtime], Depends(get_token_and_runtime)]


def require_role(*roles: str, mfa: bool = True):
    """Dependency factory: the caller must hold one of `roles` (and, by default, have
    signed in with a second factor)."""

    async def _check(principal: CurrentPrincipal) -> Principal:
        return check_role(principal, roles, mfa)

    return _check


def require_caller_role(*roles: str, mfa: bool = True):
    """require_role for the light caller (CurrentCaller)."""

    async def _check(caller: CurrentCaller) -> Caller:
        return check_role(caller, roles, mfa)

    return _check
