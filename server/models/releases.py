"""Published releases of the `coditect` command (the catalog; the files live under the data dir)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import Base, UTCDateTime, new_id


class Release(Base):
    __tablename__ = "releases"
    __table_args__ = (UniqueConstraint("platform", "arch", "version", name="uq_releases_platform_arch_version"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    platform: Mapped[str] = mapped_column(String(16))  # macos | linux
    arch: Mapped[str] = mapped_column(String(16))  # arm64 | x86_64
    version: Mapped[str] = mapped_column(String(32))
    filename: Mapped[str] = mapped_column(String(128))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime())
