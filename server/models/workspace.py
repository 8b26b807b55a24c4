"""Docker workspace: a user's SSH public keys and the deployment credentials that may open
container sessions for that user.

A deployment credential is an opaque secret shown once and stored only as a SHA-256 hash.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import Base, UTCDateTime, new_id


class SshKey(Base):
    __tablename__ = "ssh_keys"
    __table_args__ = (UniqueConstraint("user_id", "fingerprint", name="uq_ssh_keys_user_fingerprint"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200), default="")
    key_type: Mapped[str] = mapped_column(String(64))
    public_key: Mapped[str] = mapped_column(Text)  # "type base64", no comment
    fingerprint: Mapped[str] = mapped_column(String(64))  # "SHA256:..." as ssh-keygen -l prints it
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class DeploymentCredential(Base):
    __tablename__ = "deployment_credentials"
    __table_args__ = (Index("ix_deployment_credentials_user_created", "user_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200), default="")
    token_hash: Mapped[str] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ContainerSessionLink(Base):
    """Which deployment credential and SSH key opened a login session, so that revoking the
    credential or deleting the key also ends the SSH sessions they opened."""

    __tablename__ = "container_sessions"

    session_id: Mapped[str] = mapped_column(ForeignKey("login_sessions.id", ondelete="CASCADE"), primary_key=True)
    credential_id: Mapped[str] = mapped_column(ForeignKey("deployment_credentials.id", ondelete="CASCADE"), index=True)
    ssh_key_id: Mapped[str | None] = mapped_column(ForeignKey("ssh_keys.id", ondelete="SET NULL"), index=True,
                                                   nullable=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
