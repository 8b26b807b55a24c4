"""All tables. Importing this module registers every table on Base.metadata."""

from server.models.audit import AuditEvent
from server.models.base import Base, UTCDateTime, new_id
from server.models.devices import DeviceCredential
from server.models.identity import (
    ROLES,
    AuthFailure,
    EmailVerification,
    Invitation,
    LoginSession,
    MfaChallenge,
    RecoveryCode,
    RefreshToken,
    Tenant,
    User,
)
from server.models.licensing import CommandUsage, License, Seat
from server.models.recovery import PasswordReset
from server.models.releases import Release
from server.models.workspace import ContainerSessionLink, DeploymentCredential, SshKey

__all__ = [
    "AuditEvent", "AuthFailure", "Base", "CommandUsage", "ContainerSessionLink", "DeploymentCredential",
    "DeviceCredential", "EmailVerification", "Invitation", "License", "LoginSession", "MfaChallenge", "PasswordReset",
    "ROLES", "RecoveryCode", "RefreshToken", "Release", "Seat", "SshKey", "Tenant", "UTCDateTime", "User", "new_id",
]
