"""/api/v1/releases: the manifest of the latest `coditect` command and its files.

Public (no sign-in): the command is useless without a license, and an installer must be
able to fetch it with nothing but the URL. Integrity comes from the manifest's sha256.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse

from server.deps import DB, RuntimeDep
from server.schemas import Problem, ReleaseManifest
from server.services import releases

router = APIRouter(responses={404: {"model": Problem}, 422: {"model": Problem}})


@router.get("/latest", response_model=ReleaseManifest)
async def latest(platform: str, arch: str, db: DB) -> ReleaseManifest:
    release = await releases.latest(db, platform, arch)
    return ReleaseManifest(platform=release.platform, arch=release.arch, version=release.version,
                           url=releases.file_url(release), sha256=release.sha256, size=release.size,
                           published_at=release.published_at)


@router.get("/files/{platform}/{arch}/{version}/{filename}", response_class=FileResponse)
async def release_file(platform: str, arch: str, version: str, filename: str, db: DB,
                       runtime: RuntimeDep) -> FileResponse:
    path = await releases.release_file(db, runtime.settings.data_dir, platform, arch, version, filename)
    return FileResponse(path, media_type="application/octet-stream", filename=filename)
