"""What a local reader of the server's files gets: nothing readable (0700 / 0600), and
code digests that cannot be brute-forced without the key in keys/."""

from __future__ import annotations

import hashlib
import hmac
import os
import stat
from pathlib import Path

from sqlalchemy import select

from server.app import create_app
from server.models import EmailVerification, RecoveryCode
from tests.conftest import reset_database
from tests.server.flows import enroll_mfa, mail_bodies, parse_verification_mail, register, register_and_verify


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


async def test_data_dir_keys_and_sqlite_files_are_private(app, client, settings):
    assert (await register(client)).status_code == 201
    assert mode(settings.data_dir) == 0o700
    assert mode(settings.keys_dir / "code-mac.key") == 0o600
    if settings.is_sqlite:
        db_file = Path(settings.database_url.split("///", 1)[1])
        files = [db_file, Path(f"{db_file}-wal"), Path(f"{db_file}-shm")]
        assert {f.name: mode(f) for f in files} == {f.name: 0o600 for f in files}


async def test_files_made_before_are_tightened(settings):
    settings.data_dir.mkdir(mode=0o755, parents=True)
    os.chmod(settings.data_dir, 0o755)
    db_file = Path(settings.database_url.split("///", 1)[1]) if settings.is_sqlite else None
    if db_file:
        db_file.touch()
        os.chmod(db_file, 0o644)
    app = create_app(settings)
    await reset_database(app.state.runtime)
    await app.state.runtime.close()
    assert mode(settings.data_dir) == 0o700
    if db_file:
        assert mode(db_file) == 0o600


def keyed(settings, salt: str, code: str) -> str:
    key = (settings.keys_dir / "code-mac.key").read_bytes()
    return hmac.new(key, f"{salt}:{code}".encode(), hashlib.sha256).hexdigest()


async def test_email_codes_are_stored_as_keyed_digests(app, client, settings):
    assert (await register(client, "digest@example.com")).status_code == 201
    code, _link = parse_verification_mail(mail_bodies(settings, to="digest@example.com")[-1])
    async with app.state.runtime.sessionmaker() as db:
        row = (await db.execute(select(EmailVerification))).scalar_one()
    assert row.code_hash != hashlib.sha256(f"{row.id}:{code}".encode()).hexdigest()
    assert row.code_hash == keyed(settings, row.id, code)


async def test_recovery_codes_are_stored_as_keyed_digests(app, client, settings, clock):
    account = await register_and_verify(client, settings)
    _secret, codes = await enroll_mfa(client, account["access_token"], clock)
    plain = {c.replace("-", "") for c in codes}
    async with app.state.runtime.sessionmaker() as db:
        rows = (await db.execute(select(RecoveryCode))).scalars().all()
    assert len(rows) == len(codes)
    for row in rows:
        assert all(row.code_hash != hashlib.sha256(f"{row.id}:{c}".encode()).hexdigest() for c in plain)
        assert any(row.code_hash == keyed(settings, row.id, c) for c in plain)
