"""FastAPI dependencies: the runtime, a database session per request, the caller.

Authentication is checked here and only here: a valid EdDSA token whose session (`sid`)
is still live and whose user is not disabled. Revocation is therefore immediate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, AsyncIterator

import jwt
from fastapi import Depends, Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.errors import ApiError
from server.models import LoginSession, User
from server.runtime import Runtime

LAST_SEEN_RESOLUTION = timedelta(seconds=60)


async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    await runtime.start()
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def get_db(runtime: RuntimeDep) -> AsyncIterator[AsyncSession]:
    """One transaction per request, committed before the response is sent.

    Services may `await db.commit()` early, e.g. to keep a failed-attempt counter
    before raising an ApiError (which rolls back whatever came after)."""
    async with runtime.sessionmaker() as session:
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


@dataclass
class Principal:
    user: User
    session: LoginSession
    claims: dict

    @property
    def role(self) -> str:
        return self.user.role

    @property
    def tenant_id(self) -> str:
        return self.user.tenant_id

    @property
    def amr(self) -> list[str]:
        return list(self.claims.get("amr", []))

    @property
    def mfa(self) -> bool:
        """True when this session was opened with a second factor."""
        return bool({"otp", "recovery"} & set(self.amr))


def _unauthorized(code: str, title: str) -> ApiError:
    return ApiError(401, code, title, headers={"WWW-Authenticate": "Bearer"})


async def get_principal(request: Request, runtime: RuntimeDep, db: DB) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise _unauthorized("unauthorized", "Sign in first.")
    settings = runtime.settings
    try:
        claims = runtime.signing_key.verify(
            token.strip(), audience=settings.audience, issuer=settings.issuer, typ="JWT",
            verify_iat=False,  # our clock may be injected; exp is checked below against it
            verify_exp=False,
        )
    except jwt.InvalidTokenError:
        raise _unauthorized("token_invalid", "Your sign-in is not valid. Sign in again.")
    now = runtime.clock.now()
    if not isinstance(claims.get("exp"), int) or claims["exp"] <= now.timestamp():
        raise _unauthorized("token_expired", "Your sign-in has expired. Sign in again.")
    row = (
        await db.execute(
            select(LoginSession, User)
            .join(User, User.id == LoginSession.user_id)
            .where(LoginSession.id == str(claims.get("sid", "")))
        )
    ).first()
    if row is None:
        raise _unauthorized("token_invalid", "Your sign-in is not valid. Sign in again.")
    session, user = row
    if session.user_id != claims.get("sub"):
        raise _unauthorized("token_invalid", "Your sign-in is not valid. Sign in again.")
    if session.revoked_at is not None or session.expires_at <= now:
        raise _unauthorized("session_revoked", "This session was signed out. Sign in again.")
    if user.disabled:
        raise _unauthorized("account_disabled", "This account is disabled. Ask your administrator.")
    if now - session.last_seen_at >= LAST_SEEN_RESOLUTION:
        session.last_seen_at = now
    return Principal(user=user, session=session, claims=claims)


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def require_role(*roles: str, mfa: bool = True):
    """Dependency factory: the caller must hold one of `roles` (and, by default, have
    signed in with a second factor)."""

    async def _check(principal: CurrentPrincipal) -> Principal:
        if principal.role not in roles:
            raise ApiError(403, "forbidden", "Your role does not allow this.")
        if mfa and not principal.mfa:
            raise ApiError(403, "mfa_required", "Sign in with your authenticator code to do this.")
        return principal

    return _check
