"""The `coditect` command's own costs, as ratios measured in one run.

1. Offline lease check: the pure-Python Ed25519 verifier (used when `cryptography` is
   missing) against cryptography's, on the same lease.
2. Start-up: the built zipapp (`coditect.pyz --version`) against a bare `python3 -c pass`,
   i.e. what wrapping a command costs before any request.

    .venv/bin/python benchmarks/bench_coditect.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from coditect import ed25519, lease  # noqa: E402
from server.commands.releases import build_zipapp  # noqa: E402
from server.keys import SigningKey  # noqa: E402


def per_call(fn, n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n


def main() -> None:
    key = SigningKey.generate()
    now = int(time.time())
    token = key.sign({"seat_id": "s", "license_key": "k", "tier": "free", "tid": "t", "sub": "u",
                      "hardware_id": "h", "iat": now, "exp": now + 3600}, typ="lease")
    jwks = key.jwks()
    head, body, sig = token.split(".")
    raw_key = lease.b64url_decode(jwks["keys"][0]["x"])
    message, signature = f"{head}.{body}".encode(), lease.b64url_decode(sig)
    fast = per_call(lambda: lease.verify_ed25519(raw_key, message, signature), 2000)
    slow = per_call(lambda: ed25519.verify(raw_key, message, signature), 50)
    check = lease.verify_lease(token, jwks, hardware_id="h", now=datetime.now(timezone.utc))
    assert check.valid and ed25519.verify(raw_key, message, signature)
    print(f"Ed25519 verify, pure Python / cryptography: {slow / fast:.0f}x "
          f"({slow * 1e3:.2f} ms vs {fast * 1e3:.3f} ms per lease)")

    with tempfile.TemporaryDirectory() as tmp:
        pyz = Path(tmp) / "coditect.pyz"
        build_zipapp(pyz)
        bare = per_call(lambda: subprocess.run([sys.executable, "-I", "-c", "pass"], check=True), 10)
        wrapped = per_call(lambda: subprocess.run([sys.executable, "-I", str(pyz), "--version"], check=True,
                                                  stdout=subprocess.DEVNULL), 10)
    print(f"Start-up, coditect.pyz --version / python3 -c pass: {wrapped / bare:.2f}x "
          f"({wrapped * 1e3:.0f} ms vs {bare * 1e3:.0f} ms)")


if __name__ == "__main__":
    main()
