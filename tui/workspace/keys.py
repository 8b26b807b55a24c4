"""The SSH key the workspace trusts: an existing ed25519 key of the user, or a new one.

A new key is made with `cryptography` (no ssh-keygen needed): OpenSSH private key format,
no passphrase (the user may add one with `ssh-keygen -p`), 0600, in ~/.ssh.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from coditect.sshkey import SshKeyError, parse_public_key

NEW_KEY_NAME = "coditect_workspace_ed25519"
CANDIDATES = ("id_ed25519", NEW_KEY_NAME)


@dataclass(frozen=True)
class KeyPair:
    private_path: Path
    public_line: str  # "ssh-ed25519 AAAA... comment"
    fingerprint: str
    created: bool = False


def _load(private_path: Path) -> KeyPair | None:
    public = private_path.with_name(private_path.name + ".pub")
    if not (private_path.is_file() and public.is_file()):
        return None
    try:
        line = public.read_text(encoding="utf-8").strip()
        return KeyPair(private_path, line, parse_public_key(line).fingerprint)
    except (OSError, UnicodeDecodeError, SshKeyError):
        return None


def find_key(ssh_dir: Path) -> KeyPair | None:
    """The first usable ed25519 key pair in ssh_dir (id_ed25519, then ours)."""
    for name in CANDIDATES:
        pair = _load(ssh_dir / name)
        if pair is not None and pair.public_line.startswith("ssh-ed25519 "):
            return pair
    return None


def make_key(ssh_dir: Path, comment: str = "coditect-workspace") -> KeyPair:
    """A new ed25519 key pair in ssh_dir (never overwrites: an existing one is returned)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    existing = _load(ssh_dir / NEW_KEY_NAME)
    if existing is not None:
        return existing
    ssh_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                                serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    path = ssh_dir / NEW_KEY_NAME
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(private)
    line = f"{public.decode()} {comment}"
    path.with_name(path.name + ".pub").write_text(line + "\n", encoding="utf-8")
    return KeyPair(path, line, parse_public_key(line).fingerprint, created=True)


def find_or_make_key(ssh_dir: Path) -> KeyPair:
    return find_key(ssh_dir) or make_key(ssh_dir)
