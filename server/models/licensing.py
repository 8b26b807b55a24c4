"""Licenses, floating seats and daily command usage."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import Base, UTCDateTime, new_id


class License(Base):
    __tablename__ = "licenses"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    tier: Mapped[str] = mapped_column(String(16))  # free | pro | team | enterprise
    seats: Mapped[int] = mapped_column(Integer)
    daily_limit: Mapped[int] = mapped_column(Integer)  # commands per user per UTC day
    tenant_id: Mapped[str | None] = mapped_column(
        ForeignKey("tenants.id", ondelete="SET NULL"), nullable=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Seats of this license not released yet, kept exact by database triggers on `seats`
    # (server/db.py), so acquire checks the limit in O(1) under the license lock.
    open_seats: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Seat(Base):
    """A floating lease on one seat of a license.

    Live while released_at is NULL and last_heartbeat_at is within the seat TTL.
    """

    __tablename__ = "seats"
    __table_args__ = (
        Index("ix_seats_license_live", "license_id", "released_at"),
        # Partial indexes over the open (unreleased) seats only: reclaiming a license's
        # dead seats, finding the caller's own live seat and the sweep touch only the
        # rows they are about, however many seats a license holds.
        Index("ix_seats_open_license_heartbeat", "license_id", "last_heartbeat_at",
              sqlite_where=text("released_at IS NULL"), postgresql_where=text("released_at IS NULL")),
        Index("ix_seats_open_holder", "license_id", "user_id", "hardware_id",
              sqlite_where=text("released_at IS NULL"), postgresql_where=text("released_at IS NULL")),
        Index("ix_seats_open_heartbeat", "last_heartbeat_at",
              sqlite_where=text("released_at IS NULL"), postgresql_where=text("released_at IS NULL")),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    license_id: Mapped[str] = mapped_column(ForeignKey("licenses.id", ondelete="CASCADE"))
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[str | None] = mapped_column(
        ForeignKey("login_sessions.id", ondelete="SET NULL"), nullable=True, index=True
    )
    hardware_id: Mapped[str] = mapped_column(String(128))
    device_name: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(32))  # desktop | container_session
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime())
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    released_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)


class CommandUsage(Base):
    __tablename__ = "command_usage"

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)  # UTC day
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
