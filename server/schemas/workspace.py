"""Contract: the Docker workspace (/api/v1/workspace/*).

- SSH public keys registered to the signed-in user (fingerprint as `ssh-keygen -l` prints it).
- Deployment credentials: minted by the signed-in user, shown once, revocable. A deployment
  credential can do exactly one thing: open a container session for its own user, for an
  SSH key that user registered (POST /workspace/sessions, `Authorization: Bearer <credential>`).
- A container session = a new login session (amr "ssh container") plus a `container_session`
  seat, in one transaction: either both or neither.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from server.schemas.common import PlainText
from server.schemas.licensing import SeatLease

__all__ = [
    "SshKeyAddRequest", "SshKeyInfo", "DeploymentCredentialRequest", "DeploymentCredentialInfo",
    "DeploymentCredentialCreated", "ContainerSessionRequest", "ContainerSession", "CONTAINER_AMR",
]

CONTAINER_AMR = ["ssh", "container"]
_HARDWARE_ID = Field(min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$")


class SshKeyAddRequest(BaseModel):
    # One OpenSSH public key line; checked by the server (code ssh_key_invalid, 422).
    public_key: str = Field(min_length=1, max_length=16_384)
    name: PlainText = Field(default="", max_length=200)


class SshKeyInfo(BaseModel):
    id: str
    name: str
    key_type: str
    fingerprint: str
    public_key: str
    created_at: datetime
    last_used_at: datetime | None


class DeploymentCredentialRequest(BaseModel):
    name: PlainText = Field(default="", max_length=200)


class DeploymentCredentialInfo(BaseModel):
    id: str
    name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class DeploymentCredentialCreated(DeploymentCredentialInfo):
    # Shown once; the server keeps only its hash.
    credential: str


class ContainerSessionRequest(BaseModel):
    fingerprint: str = Field(min_length=8, max_length=64, pattern=r"^SHA256:[A-Za-z0-9+/]{43}$")
    hardware_id: str = _HARDWARE_ID
    device_name: PlainText = Field(default="", max_length=200)


class ContainerSession(BaseModel):
    """Tokens of the new login session (refresh them with POST /auth/refresh) and its seat
    (heartbeat with PUT /licenses/heartbeat, release with DELETE /licenses/release)."""

    access_token: str
    refresh_token: str
    expires_in: int
    session_id: str
    user_email: str
    seat: SeatLease
