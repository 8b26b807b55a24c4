"""Device credentials: what a console that has signed in to an account before presents at
its next sign-in (OWASP "device cookies"), so failures made elsewhere do not lock it out."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import Base, UTCDateTime, new_id


class DeviceCredential(Base):
    """One per device and account; the credential itself is stored only as its SHA-256.
    Replaced by a new one at every successful sign-in with it (so it is `issued_at` the
    device's last sign-in)."""

    __tablename__ = "device_credentials"
    __table_args__ = (Index("ix_device_credentials_user_issued", "user_id", "issued_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(128), unique=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
