"""Server key material: the Ed25519 token-signing key (JWKS), the key that encrypts
TOTP secrets at rest and the key that MACs short codes. All live in <data_dir>/keys
with mode 0600 and are created on first start (O_EXCL, so racing processes agree on one key)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from datetime import datetime
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SIGNING_KEY_FILE = "signing-ed25519.pem"
RETIRED_SIGNING_DIR = "retired-signing"  # old signing keys: they only sign rotation statements
RETIRED_KEEP = 5
SECRET_KEY_FILE = "totp-secrets.key"
CODE_MAC_KEY_FILE = "code-mac.key"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64url_bytes(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def _read_or_create(path: Path, make: callable) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.chmod(path.parent, 0o700)
    except OSError:
        pass
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):  # another process may be writing it right now
            data = path.read_bytes()
            if data:
                return data
            import time

            time.sleep(0.02)
        raise RuntimeError(f"key file {path} is empty")
    data = make()
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    return data


class SigningKey:
    """Signs and verifies EdDSA JWTs; publishes the public half as a JWKS."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._private = private_key
        self._public = private_key.public_key()
        self._headers: dict[tuple[str, str], bytes] = {}  # (kid, typ) -> the header segment
        raw = self._public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.kid = _b64url(hashlib.sha256(raw).digest()[:12])
        self._public_jwk = {"kty": "OKP", "crv": "Ed25519", "x": _b64url(raw), "kid": self.kid,
                            "use": "sig", "alg": "EdDSA"}

    @classmethod
    def load_or_create(cls, keys_dir: Path) -> "SigningKey":
        pem = _read_or_create(
            keys_dir / SIGNING_KEY_FILE,
            lambda: Ed25519PrivateKey.generate().private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            ),
        )
        return cls(serialization.load_pem_private_key(pem, password=None))

    @classmethod
    def generate(cls) -> "SigningKey":
        return cls(Ed25519PrivateKey.generate())

    def jwks(self) -> dict:
        return {"keys": [dict(self._public_jwk)]}

    def rotation_statements(self, retired: list["SigningKey"], now: int) -> list[str]:
        """The current JWKS, signed by each retired key: what lets a client that pinned an
        older key trust this one (server/schemas/lease_trust.rotate)."""
        from server.schemas.lease_trust import ROTATION_TYP

        claims = {"keys": self.jwks()["keys"], "iat": now}
        return [old.sign(claims, typ=ROTATION_TYP) for old in retired]

    def sign(self, claims: dict, typ: str = "JWT") -> str:
        """The compact JWS PyJWT's jwt.encode(claims, key, "EdDSA", headers={kid, typ}) gives,
        byte for byte (Ed25519 is deterministic; tests/server/test_tokens_jwt.py compares),
        built here: the header segment is the same for every token of a type, and PyJWT's
        own checks and copies took nearly half of its time (lease signing is on every heartbeat)."""
        if not typ or any(isinstance(claims.get(name), datetime) for name in ("exp", "iat", "nbf")) or (
                "iss" in claims and not isinstance(claims["iss"], str)):
            return jwt.encode(claims, self._private, algorithm="EdDSA", headers={"kid": self.kid, "typ": typ})
        header = self._headers.get((self.kid, typ))
        if header is None:
            header = self._headers[(self.kid, typ)] = _b64url_bytes(json.dumps(
                {"alg": "EdDSA", "kid": self.kid, "typ": typ}, separators=(",", ":"), sort_keys=True).encode())
        signing_input = header + b"." + _b64url_bytes(json.dumps(claims, separators=(",", ":")).encode())
        return (signing_input + b"." + _b64url_bytes(self._private.sign(signing_input))).decode()

    def verify(self, token: str, *, audience: str | None = None, issuer: str | None = None, typ: str = "JWT",
               **options) -> dict:
        """Decode and verify; raises jwt.InvalidTokenError on anything wrong.

        Only EdDSA is accepted (no `none`, no HS*/RS* confusion) and the `kid` must be ours.
        `options` are PyJWT verification options (e.g. verify_exp=False).
        """
        header = jwt.get_unverified_header(token)
        if header.get("alg") != "EdDSA" or header.get("kid") != self.kid:
            raise jwt.InvalidTokenError("unexpected algorithm or key id")
        if header.get("typ") != typ:
            raise jwt.InvalidTokenError("unexpected token type")
        return jwt.decode(
            token, self._public, algorithms=["EdDSA"], audience=audience, issuer=issuer,
            options={"require": ["exp", "iat"], **options},
        )


def retired_signing_keys(keys_dir: Path) -> list[SigningKey]:
    """The retired signing keys, newest first."""
    folder = keys_dir / RETIRED_SIGNING_DIR
    paths = sorted(folder.glob("*.pem"), key=lambda p: p.stat().st_mtime_ns, reverse=True) if folder.is_dir() else []
    return [SigningKey(serialization.load_pem_private_key(p.read_bytes(), password=None)) for p in paths]


def rotate_signing_key(keys_dir: Path) -> SigningKey:
    """`server rotate-signing-key`: the current key is retired (kept, to vouch for its
    successor) and a new one signs from the next start on. Keeps the newest RETIRED_KEEP."""
    current = keys_dir / SIGNING_KEY_FILE
    old = SigningKey.load_or_create(keys_dir)
    folder = keys_dir / RETIRED_SIGNING_DIR
    folder.mkdir(mode=0o700, exist_ok=True)
    os.replace(current, folder / f"{old.kid}.pem")
    for stale in sorted(folder.glob("*.pem"), key=lambda p: p.stat().st_mtime_ns, reverse=True)[RETIRED_KEEP:]:
        stale.unlink()
    return SigningKey.load_or_create(keys_dir)


class SecretBox:
    """AES-256-GCM for small secrets at rest (TOTP seeds)."""

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    @classmethod
    def load_or_create(cls, keys_dir: Path) -> "SecretBox":
        return cls(_read_or_create(keys_dir / SECRET_KEY_FILE, lambda: AESGCM.generate_key(bit_length=256)))

    def encrypt(self, plaintext: str) -> str:
        nonce = os.urandom(12)
        return _b64url(nonce + self._aead.encrypt(nonce, plaintext.encode(), b"coditect-totp"))

    def decrypt(self, token: str) -> str:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        return self._aead.decrypt(raw[:12], raw[12:], b"coditect-totp").decode()


class CodeMac:
    """HMAC-SHA256 for short codes stored as digests (6-digit e-mail codes, recovery codes).

    A plain hash of a 20-bit code falls to brute force in a fraction of a second; keyed
    with a secret kept outside the database, a copy of the database alone is no help."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    @classmethod
    def load_or_create(cls, keys_dir: Path) -> "CodeMac":
        return cls(_read_or_create(keys_dir / CODE_MAC_KEY_FILE, lambda: os.urandom(32)))

    def digest(self, salt: str, code: str) -> str:
        return hmac.new(self._key, f"{salt}:{code}".encode(), hashlib.sha256).hexdigest()
