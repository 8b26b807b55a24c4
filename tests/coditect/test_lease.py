"""coditect/lease.py: the stdlib lease check agrees with the server's contract (PyJWT), and
the pure-Python Ed25519 verifier agrees with cryptography's signatures."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from coditect import ed25519
from coditect.lease import verify_lease as stdlib_verify
from server.keys import SigningKey
from server.schemas.lease import verify_lease as contract_verify

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=timezone.utc)
HW = "a" * 64


def _raw(private: Ed25519PrivateKey) -> bytes:
    return private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def test_pure_verifier_agrees_with_cryptography():
    for i in range(40):
        key = Ed25519PrivateKey.generate()
        message = os.urandom(i * 7)
        signature = key.sign(message)
        assert ed25519.verify(_raw(key), message, signature)
        assert not ed25519.verify(_raw(key), message + b"x", signature)
        flipped = bytearray(signature)
        flipped[i % 64] ^= 1 << (i % 8)
        assert not ed25519.verify(_raw(key), message, bytes(flipped))
        assert not ed25519.verify(_raw(Ed25519PrivateKey.generate()), message, signature)


def test_pure_verifier_rejects_malformed_input():
    key = Ed25519PrivateKey.generate()
    signature = key.sign(b"m")
    assert not ed25519.verify(_raw(key)[:31], b"m", signature)
    assert not ed25519.verify(_raw(key), b"m", signature[:63])
    # s >= L (a malleated signature) is refused, as RFC 8032 requires.
    s = int.from_bytes(signature[32:], "little") + 2**252 + 27742317777372353535851937790883648493
    assert not ed25519.verify(_raw(key), b"m", signature[:32] + s.to_bytes(32, "little"))
    # A y coordinate that is not on the curve.
    assert not ed25519.verify(b"\xff" * 32, b"m", signature)


def _claims(**over) -> dict:
    claims = {"seat_id": "s1", "license_key": "CODITECT-FREE-X", "tier": "free", "tid": "t1", "sub": "u1",
              "hardware_id": HW, "kind": "desktop", "iat": int(NOW.timestamp()),
              "exp": int((NOW + timedelta(days=7)).timestamp())}
    claims.update(over)
    return claims


def _tamper(token: str) -> str:
    head, body, sig = token.split(".")
    return ".".join([head, body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1], sig])


CASES = {
    "ok": lambda k: k.sign(_claims(), typ="lease"),
    "expired": lambda k: k.sign(_claims(exp=int(NOW.timestamp()) - 1), typ="lease"),
    "other_hardware": lambda k: k.sign(_claims(hardware_id="b" * 64), typ="lease"),
    "issued_in_future": lambda k: k.sign(_claims(iat=int(NOW.timestamp()) + 3600), typ="lease"),
    "unknown_kid": lambda k: SigningKey.generate().sign(_claims(), typ="lease"),
    "bad_signature": lambda k: _tamper(k.sign(_claims(), typ="lease")),
    "wrong_typ": lambda k: k.sign(_claims(), typ="JWT"),
    "missing_claim": lambda k: k.sign({c: v for c, v in _claims().items() if c != "seat_id"}, typ="lease"),
    "garbage": lambda k: "not.a.token",
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_same_verdict_as_the_server_contract(case):
    key = SigningKey.generate()
    token = CASES[case](key)
    ours = stdlib_verify(token, key.jwks(), hardware_id=HW, now=NOW)
    theirs = contract_verify(token, key.jwks(), hardware_id=HW, now=NOW)
    assert (ours.valid, ours.reason, ours.expires_at) == (theirs.valid, theirs.reason, theirs.expires_at)
    assert ours.valid == (case == "ok")


def test_forged_with_the_pinned_kid_is_a_bad_signature():
    pinned, forger = SigningKey.generate(), SigningKey.generate()
    forger.kid = pinned.kid  # an attacker can copy the kid, not the key
    token = forger.sign(_claims(), typ="lease")
    assert stdlib_verify(token, pinned.jwks(), hardware_id=HW, now=NOW).reason == "bad_signature"


def test_works_without_cryptography():
    """The fallback path, in a python3 where `cryptography` cannot be imported."""
    key = SigningKey.generate()
    good, bad = key.sign(_claims(), typ="lease"), _tamper(key.sign(_claims(), typ="lease"))
    code = (
        "import sys, json\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'cryptography': raise ImportError('blocked')\n"
        "sys.meta_path.insert(0, Block())\n"
        "from datetime import datetime, timezone\n"
        "from coditect.lease import verify_lease\n"
        "jwks, good, bad, now = json.loads(sys.stdin.read())\n"
        "now = datetime.fromtimestamp(now, timezone.utc)\n"
        f"print(verify_lease(good, jwks, hardware_id={HW!r}, now=now).reason,"
        f" verify_lease(bad, jwks, hardware_id={HW!r}, now=now).reason,"
        " 'cryptography' in sys.modules)\n"
    )
    import json

    done = subprocess.run([sys.executable, "-c", code], input=json.dumps([key.jwks(), good, bad, NOW.timestamp()]),
                          capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["ok", "bad_signature", "False"]


def test_the_coditect_package_imports_only_the_standard_library():
    code = (
        "import sys\n"
        "before = set(sys.modules)\n"
        "import coditect, coditect.cli, coditect.api, coditect.lease, coditect.license, coditect.state,"
        " coditect.ed25519\n"
        "from coditect.cli import main\n"
        "main(['status'], env={'HOME': sys.argv[1]})\n"
        "tops = {m.split('.')[0] for m in set(sys.modules) - before}\n"
        "print(sorted(t for t in tops if t not in sys.stdlib_module_names and t != 'coditect'))\n"
    )
    done = subprocess.run([sys.executable, "-c", code, "/nonexistent-home"], capture_output=True, text=True)
    assert done.stdout.strip() == "[]", done.stdout + done.stderr
    assert "Not signed in" in done.stderr


def test_the_coditect_package_parses_as_python_3_9():
    """A Mac's system python3 (Command Line Tools) may be 3.9: no newer syntax in coditect/."""
    import ast
    from pathlib import Path

    import coditect

    for path in sorted(Path(coditect.__file__).parent.glob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path), feature_version=(3, 9))
        if any(isinstance(node, ast.AnnAssign) for node in ast.walk(tree)) or "|" in path.read_text():
            # `X | None` in annotations is fine on 3.9 only when annotations are not evaluated.
            assert "from __future__ import annotations" in path.read_text() or path.name == "__main__.py", path
