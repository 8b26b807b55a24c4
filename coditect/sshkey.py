"""OpenSSH public keys: parse one line, compute the SHA256 fingerprint like `ssh-keygen -lf`.

Stdlib only, shared by the session gate (inside the workspace container) and the server,
so both sides compute the same fingerprint from the same rules.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from dataclasses import dataclass

__all__ = ["KEY_TYPES", "PublicKey", "SshKeyError", "parse_public_key", "fingerprint_of_blob"]

KEY_TYPES = (
    "ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com",
)
MAX_LINE = 16_384


class SshKeyError(ValueError):
    """The text is not one OpenSSH public key; the message says why, in one line."""


@dataclass(frozen=True)
class PublicKey:
    key_type: str
    blob: bytes
    comment: str

    @property
    def fingerprint(self) -> str:
        return fingerprint_of_blob(self.blob)

    @property
    def openssh(self) -> str:
        """`type base64` (no comment): the canonical form stored and compared."""
        return f"{self.key_type} {base64.b64encode(self.blob).decode()}"


def fingerprint_of_blob(blob: bytes) -> str:
    digest = hashlib.sha256(blob).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def _blob_type(blob: bytes) -> str:
    if len(blob) < 4:
        raise SshKeyError("The key data is too short.")
    (length,) = struct.unpack(">I", blob[:4])
    if length > 64 or len(blob) < 4 + length:
        raise SshKeyError("The key data is damaged.")
    return blob[4:4 + length].decode("ascii", "replace")


def parse_public_key(text: str) -> PublicKey:
    """One `ssh-ed25519 AAAA... comment` line (as in id_ed25519.pub or SSH_USER_AUTH)."""
    text = (text or "").strip()
    if not text:
        raise SshKeyError("Paste a public key (the one line of your .pub file).")
    if len(text) > MAX_LINE or "\n" in text:
        raise SshKeyError("Paste exactly one public key line.")
    if "PRIVATE KEY" in text:
        raise SshKeyError("That is a private key: paste the .pub file's line instead, and keep the private key secret.")
    parts = text.split(None, 2)
    if len(parts) < 2:
        raise SshKeyError("A public key line has a type and the key data, e.g. 'ssh-ed25519 AAAA...'.")
    key_type, data = parts[0], parts[1]
    if key_type not in KEY_TYPES:
        raise SshKeyError(f"Unsupported key type {key_type[:40]!r}: use an ssh-ed25519 key.")
    try:
        blob = base64.b64decode(data.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise SshKeyError("The key data is not valid base64.") from None
    if _blob_type(blob) != key_type:
        raise SshKeyError("The key data does not match its type.")
    return PublicKey(key_type=key_type, blob=blob, comment=parts[2].strip() if len(parts) > 2 else "")
