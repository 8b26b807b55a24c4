"""Tenants, users, login sessions and the short-lived secrets of identity flows.

Every secret (password, verification code, link token, refresh token, MFA token,
recovery code) is stored only as a hash; the TOTP secret is encrypted at rest.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import Base, UTCDateTime, new_id

ROLES = ("owner", "admin", "member", "support")


class Tenant(Base):
    __tablename__ = "tenants"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Admin override of the tier's daily command quota for every user of the tenant.
    default_daily_limit: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Staff tenant (holds support users); never shown in tenant lists.
    is_staff: Mapped[bool] = mapped_column(Boolean, default=False)


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        # One verified account per address; pending registrations of it may coexist (the
        # first verified wins, services/registrations.py removes the others).
        Index("uq_users_email_verified", "email", unique=True,
              sqlite_where=text("email_verified_at IS NOT NULL"),
              postgresql_where=text("email_verified_at IS NOT NULL")),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(320), index=True)  # normalised, lower-case
    # SHA-256 of the handle `register` returned to the client that registered: verifying
    # this registration needs it (or its password), so nobody else's code or link can.
    registration_handle_hash: Mapped[str | None] = mapped_column(String(128), nullable=True)
    full_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))  # one of ROLES
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # TOTP: encrypted secret, set once enrollment is confirmed.
    totp_secret_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    totp_enrolled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # A secret handed out by /mfa/enroll and not yet confirmed.
    totp_pending_secret_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The last accepted TOTP time step: a code for this step or an earlier one is a replay.
    totp_last_step: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Admin override of the daily command quota for this user.
    daily_limit: Mapped[int | None] = mapped_column(Integer, nullable=True)


class EmailVerification(Base):
    __tablename__ = "email_verifications"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(128))
    token_hash: Mapped[str] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Set when used, burnt (too many wrong codes) or superseded by a newer code.
    consumed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class RecoveryCode(Base):
    __tablename__ = "recovery_codes"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class MfaChallenge(Base):
    """The state between a correct password and a correct second factor."""

    __tablename__ = "mfa_challenges"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    consumed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    device_name: Mapped[str] = mapped_column(String(200), default="")
    hardware_id: Mapped[str | None] = mapped_column(String(128), nullable=True)


class LoginSession(Base):
    __tablename__ = "login_sessions"
    __table_args__ = (
        Index("ix_login_sessions_tenant_created", "tenant_id", "created_at", "id"),
        Index("ix_login_sessions_user_created", "user_id", "created_at"),
        # Covers the admin session search (services/admin_sessions.py): the filter on user,
        # device name and liveness is evaluated in the index, newest first, without
        # touching the table until a page of ids is found.
        Index("ix_login_sessions_tenant_search", "tenant_id", "created_at", "id", "user_id", "device_name",
              "revoked_at", "expires_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    device_name: Mapped[str] = mapped_column(String(200), default="")
    hardware_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    client_addr: Mapped[str | None] = mapped_column(String(64), nullable=True)
    amr: Mapped[str] = mapped_column(String(64))  # space separated: "pwd otp" / "pwd" / "pwd recovery"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())  # absolute refresh expiry
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_reason: Mapped[str | None] = mapped_column(String(64), nullable=True)


class RefreshToken(Base):
    """One row per issued refresh token; rotation marks the old one used."""

    __tablename__ = "refresh_tokens"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    session_id: Mapped[str] = mapped_column(ForeignKey("login_sessions.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class AuthFailure(Base):
    """Failed login / MFA attempts, counted in a window for throttling (kept in the DB so
    that several API processes agree)."""

    __tablename__ = "auth_failures"
    __table_args__ = (Index("ix_auth_failures_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(400))  # "account:<email>" or "addr:<ip>"
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class Invitation(Base):
    __tablename__ = "invitations"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(320))
    role: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(128), unique=True)
    invited_by: Mapped[str | None] = mapped_column(String(32), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
