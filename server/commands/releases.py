"""`coditect-console server publish-release` and `build-release`.

build-release OUT: the `coditect` command as one file, a zipapp (`#!/usr/bin/env python3`)
made of this package's stdlib-only `coditect/` sources; it runs on any python3 >= 3.9.
publish-release FILE --platform macos --arch arm64: copies FILE under the data dir and adds
it to the catalog that GET /api/v1/releases/latest answers from. stdout carries one line
(the manifest: version, sha256, size); every failure is one sentence on stderr, exit 1.
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
import zipapp
import zipfile
from pathlib import Path

MAIN = "import sys\nfrom coditect.cli import main\n\nsys.exit(main())\n"
INTERPRETER = "/usr/bin/env python3"
_VERSION = re.compile(r'^__version__\s*=\s*["\']([^"\']+)["\']', re.M)


def _fail(command: str, message: str) -> int:
    print(f"coditect-console server {command}: {message}", file=sys.stderr)
    return 1


def build_zipapp(out: Path) -> str:
    """Write the zipapp to `out` (made executable); returns the version it carries."""
    import coditect

    source = Path(coditect.__file__).parent
    with tempfile.TemporaryDirectory() as tmp:
        staging = Path(tmp) / "app"
        (staging / "coditect").mkdir(parents=True)
        for path in sorted(source.glob("*.py")):
            shutil.copy2(path, staging / "coditect" / path.name)
        (staging / "__main__.py").write_text(MAIN)
        zipapp.create_archive(staging, out, interpreter=INTERPRETER, compressed=True)
    out.chmod(0o755)
    return coditect.__version__


def version_in_zipapp(path: Path) -> str | None:
    """The `__version__` of coditect/__init__.py inside a zipapp, or None."""
    try:
        with zipfile.ZipFile(path) as archive:
            text = archive.read("coditect/__init__.py").decode("utf-8")
    except (zipfile.BadZipFile, KeyError, OSError, UnicodeDecodeError):
        return None
    found = _VERSION.search(text)
    return found.group(1) if found else None


def build_release(args) -> int:
    out = Path(args.out)
    if out.is_dir():
        out = out / "coditect.pyz"
    try:
        version = build_zipapp(out)
    except OSError as exc:
        return _fail("build-release", f"cannot write {out}: {exc.strerror or exc}.")
    print(f"{out} (coditect {version})")
    return 0


async def publish_release(settings, args) -> int:
    from server.runtime import Runtime
    from server.services import audit, releases

    source = Path(args.file)
    if not source.is_file():
        return _fail("publish-release", f"{source} is not a file.")
    version = args.version or version_in_zipapp(source)
    if not version:
        return _fail("publish-release", f"cannot tell the version of {source.name}; give --version.")
    runtime = Runtime(settings)
    try:
        await runtime.start()
        async with runtime.sessionmaker() as db:
            try:
                published = await releases.publish(
                    db, runtime.clock, settings.data_dir, source, platform=args.platform, arch=args.arch,
                    version=version, filename=args.name or "coditect")
            except releases.ReleaseRefused as exc:
                return _fail("publish-release", str(exc))
            release = published.release
            if published.created:
                await audit.record(db, runtime.clock, "release.published", tenant_id=None,
                                   target=f"release:{release.id}",
                                   detail={"platform": release.platform, "arch": release.arch,
                                           "version": release.version, "sha256": release.sha256,
                                           "size": release.size})
                await db.commit()
            line = (f"{release.platform} {release.arch} {release.version} sha256={release.sha256} "
                    f"size={release.size}" + ("" if published.created else " (already published)"))
    except OSError as exc:
        return _fail("publish-release", f"cannot write: {exc.strerror or exc}.")
    finally:
        await runtime.close()
    print(line)
    return 0
