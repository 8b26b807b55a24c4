"""The release catalog of the `coditect` command: publish a file, find the latest, serve it.

The catalog (platform, arch, version, sha256, size) lives in the database, so every API
process agrees on "latest"; the files live under <data_dir>/releases/<platform>/<arch>/<version>/.
A version is immutable: publishing the same bytes again is a no-op, other bytes under the
same version are refused (an installer that saw one checksum must never get another).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.errors import ApiError
from server.models import Release
from server.schemas.releases import ARCHES, PLATFORMS, RELEASE_VERSION_PATTERN

RELEASES_DIR = "releases"
FILES_ROUTE = "/api/v1/releases/files"
_FILENAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


class ReleaseRefused(ValueError):
    """A publish that cannot be done; the message is one plain sentence."""


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def releases_dir(data_dir: Path) -> Path:
    return Path(data_dir) / RELEASES_DIR


def file_path(data_dir: Path, release: Release) -> Path:
    return releases_dir(data_dir) / release.platform / release.arch / release.version / release.filename


def file_url(release: Release) -> str:
    return f"{FILES_ROUTE}/{release.platform}/{release.arch}/{release.version}/{release.filename}"


def sha256_of(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def check_target(platform: str, arch: str) -> None:
    if platform not in PLATFORMS:
        raise ApiError(422, "unknown_platform", f"Unknown platform; use one of: {', '.join(PLATFORMS)}.")
    if arch not in ARCHES:
        raise ApiError(422, "unknown_arch", f"Unknown architecture; use one of: {', '.join(ARCHES)}.")


async def latest(db: AsyncSession, platform: str, arch: str) -> Release:
    check_target(platform, arch)
    rows = (await db.execute(
        select(Release).where(Release.platform == platform, Release.arch == arch)
    )).scalars().all()
    if not rows:
        raise ApiError(404, "no_release", f"No release of the coditect command for {platform} {arch} is published.",
                       f"An operator publishes one with: coditect-console server publish-release FILE "
                       f"--platform {platform} --arch {arch}")
    return max(rows, key=lambda r: (version_key(r.version), r.published_at))


async def release_file(db: AsyncSession, data_dir: Path, platform: str, arch: str, version: str,
                       filename: str) -> Path:
    release = await db.scalar(select(Release).where(
        Release.platform == platform, Release.arch == arch, Release.version == version, Release.filename == filename))
    path = file_path(data_dir, release) if release else None
    if path is None or not path.is_file():
        raise ApiError(404, "release_file_not_found", "No such release file.")
    return path


@dataclass
class Published:
    release: Release
    created: bool


async def publish(db: AsyncSession, clock, data_dir: Path, source: Path, *, platform: str, arch: str,
                  version: str, filename: str | None = None) -> Published:
    """Copy `source` into the data dir and add it to the catalog (caller commits)."""
    if platform not in PLATFORMS:
        raise ReleaseRefused(f"--platform must be one of: {', '.join(PLATFORMS)}.")
    if arch not in ARCHES:
        raise ReleaseRefused(f"--arch must be one of: {', '.join(ARCHES)}.")
    if not re.fullmatch(RELEASE_VERSION_PATTERN, version or ""):
        raise ReleaseRefused(f"version {version!r} is not like 1.2.3 (numbers and dots).")
    filename = filename or source.name
    if not _FILENAME.fullmatch(filename):
        raise ReleaseRefused(f"file name {filename!r} must be letters, digits, '.', '_' or '-'.")
    if not source.is_file():
        raise ReleaseRefused(f"{source} is not a file.")
    sha256, size = sha256_of(source)
    existing = await db.scalar(select(Release).where(
        Release.platform == platform, Release.arch == arch, Release.version == version))
    if existing is not None:
        if existing.sha256 == sha256 and file_path(data_dir, existing).is_file():
            return Published(existing, created=False)
        raise ReleaseRefused(f"version {version} for {platform} {arch} is already published with other "
                             "contents; publish a new version.")
    release = Release(platform=platform, arch=arch, version=version, filename=filename, sha256=sha256, size=size,
                      published_at=clock.now())
    target = file_path(data_dir, release)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".publish-")
    try:
        with os.fdopen(fd, "wb") as out, open(source, "rb") as src:
            shutil.copyfileobj(src, out)
        if sha256_of(Path(tmp)) != (sha256, size):
            raise ReleaseRefused(f"{source} changed while it was being copied; try again.")
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    db.add(release)
    await db.flush()
    return Published(release, created=True)
