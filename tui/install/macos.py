"""Install the `coditect` command on a Mac, in the user's home, without sudo.

    manifest = await fetch_manifest(http, machine)      # GET /api/v1/releases/latest
    result = await install(http, machine, manifest, progress=cb, agent_state=path)
    uninstall(machine)                                   # undoes exactly the receipt

Steps: download to a private temp folder with progress, verify the sha256 (fail closed:
nothing is left behind), stage `~/.local/share/coditect/<version>/coditect` (a folder made
under a temp name, then renamed), point `~/.local/bin/coditect` at it atomically (a symlink
under a temp name, then os.replace), add one marked PATH block to the shell's login profile
only when `~/.local/bin` is not on PATH, and write a receipt
(`~/.local/share/coditect/receipt.json`) of everything created or changed, with each
profile's original bytes. Running it again is a no-op (same version) or an upgrade.
Quarantine attributes are never touched. The machine (platform, architecture, home, PATH,
shell) and the HTTP client are injected, so tests run all of it on Linux against the API.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import platform as platform_module
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import httpx

__all__ = [
    "Machine", "Manifest", "InstallError", "InstallResult", "UninstallResult", "fetch_manifest", "install",
    "uninstall", "read_receipt", "path_has_local_bin", "BLOCK_START", "BLOCK_END",
]

BLOCK_START = "# >>> coditect >>>"
BLOCK_END = "# <<< coditect <<<"
PATH_BLOCK = (
    f"{BLOCK_START}\n"
    "# Added by CODITECT Console so that the coditect command is found; its uninstall removes this block.\n"
    'export PATH="$HOME/.local/bin:$PATH"\n'
    f"{BLOCK_END}\n"
)
RECEIPT_VERSION = 1
_ARCHES = {"arm64": "arm64", "aarch64": "arm64", "x86_64": "x86_64", "amd64": "x86_64"}
CHUNK = 64 * 1024

Progress = Callable[[int, int], None]  # (bytes done, bytes total)


class InstallError(Exception):
    """Why the install or uninstall stopped, in one plain sentence (and a machine code)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Machine:
    platform: str  # sys.platform: "darwin" on a Mac
    arch: str  # platform.machine(): arm64 | x86_64 (aarch64/amd64 accepted)
    home: Path
    path_env: str
    shell: str = ""

    @classmethod
    def this(cls) -> "Machine":
        return cls(platform=sys.platform, arch=platform_module.machine(), home=Path.home(),
                   path_env=os.environ.get("PATH", ""), shell=os.environ.get("SHELL", ""))

    @property
    def release_arch(self) -> str | None:
        return _ARCHES.get(self.arch.lower())

    @property
    def bin_dir(self) -> Path:
        return self.home / ".local" / "bin"

    @property
    def share_dir(self) -> Path:
        return self.home / ".local" / "share" / "coditect"

    @property
    def command_path(self) -> Path:
        return self.bin_dir / "coditect"

    @property
    def receipt_path(self) -> Path:
        return self.share_dir / "receipt.json"


@dataclass(frozen=True)
class Manifest:
    version: str
    url: str
    sha256: str
    size: int


@dataclass
class InstallResult:
    version: str
    command_path: Path
    target: Path
    unchanged: bool = False  # the same version was already installed
    upgraded_from: str | None = None
    profiles_changed: list[Path] = field(default_factory=list)
    new_shell_needed: bool = False  # PATH was changed in a profile: open a new terminal


@dataclass
class UninstallResult:
    removed: list[Path] = field(default_factory=list)
    restored: list[Path] = field(default_factory=list)
    kept_edits: list[Path] = field(default_factory=list)  # profiles edited since: only our block removed


def path_has_local_bin(machine: Machine) -> bool:
    wanted = {str(machine.bin_dir), str(machine.bin_dir) + "/", "~/.local/bin", "$HOME/.local/bin"}
    return any(entry in wanted for entry in machine.path_env.split(os.pathsep))


def read_receipt(machine: Machine) -> dict | None:
    try:
        data = json.loads(machine.receipt_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("receipt") == RECEIPT_VERSION else None


# -- manifest and download ----------------------------------------------------------------

def _problem_words(response: httpx.Response) -> tuple[str, str]:
    try:
        body = response.json()
    except ValueError:
        body = {}
    body = body if isinstance(body, dict) else {}
    title = str(body.get("title") or f"The server answered HTTP {response.status_code}.")
    detail = str(body.get("detail") or "")
    return str(body.get("code") or "http_error"), " ".join(f"{title} {detail}".split())


async def fetch_manifest(http: httpx.AsyncClient, machine: Machine) -> Manifest:
    arch = machine.release_arch
    if arch is None:
        raise InstallError("unsupported_arch", f"This Mac's architecture ({machine.arch}) has no release.")
    try:
        response = await http.get("/api/v1/releases/latest", params={"platform": "macos", "arch": arch})
    except httpx.HTTPError as exc:
        raise InstallError("unreachable", f"Cannot reach the server: {exc.__class__.__name__}.") from None
    if response.status_code != 200:
        raise InstallError(*_problem_words(response))
    try:
        data = response.json()
        manifest = Manifest(version=str(data["version"]), url=str(data["url"]), sha256=str(data["sha256"]).lower(),
                            size=int(data["size"]))
    except (ValueError, KeyError, TypeError):
        raise InstallError("bad_manifest", "The server's release manifest cannot be read.") from None
    if len(manifest.sha256) != 64 or not manifest.version.replace(".", "").isdigit():
        raise InstallError("bad_manifest", "The server's release manifest is not valid.")
    return manifest


async def _download(http: httpx.AsyncClient, manifest: Manifest, out: Path, progress: Progress | None) -> None:
    digest, done = hashlib.sha256(), 0
    try:
        async with http.stream("GET", manifest.url) as response:
            if response.status_code != 200:
                await response.aread()
                raise InstallError(*_problem_words(response))
            with open(out, "wb") as f:
                async for chunk in response.aiter_bytes(CHUNK):
                    done += len(chunk)
                    if done > manifest.size:
                        raise InstallError("size_mismatch", "The download is larger than the release manifest says; "
                                                            "nothing was installed.")
                    digest.update(chunk)
                    f.write(chunk)
                    if progress:
                        progress(done, manifest.size)
    except httpx.HTTPError as exc:
        raise InstallError("unreachable", f"The download failed: {exc.__class__.__name__}; nothing was installed.") \
            from None
    if done != manifest.size or digest.hexdigest() != manifest.sha256:
        raise InstallError("checksum_mismatch", "The download does not match the release's SHA-256 checksum; "
                                                "nothing was installed.")


# -- install ------------------------------------------------------------------------------

def _missing_dirs(path: Path) -> list[Path]:
    missing = []
    while not path.exists():
        missing.append(path)
        path = path.parent
    return list(reversed(missing))


def _ours(machine: Machine) -> bool:
    """Is ~/.local/bin/coditect ours to replace (absent, or a symlink into our folder)?"""
    link = machine.command_path
    if not link.exists() and not link.is_symlink():
        return True
    if not link.is_symlink():
        return False
    return machine.share_dir in Path(os.readlink(link)).parents


def _swap_symlink(link: Path, target: Path) -> None:
    tmp = link.parent / f".coditect.{os.getpid()}.tmp"
    tmp.unlink(missing_ok=True)
    os.symlink(target, tmp)
    os.replace(tmp, link)


def _stage(machine: Machine, downloaded: Path, version: str) -> Path:
    final = machine.share_dir / version
    partial = Path(tempfile.mkdtemp(dir=machine.share_dir, prefix=f".{version}."))
    try:
        shutil.copyfile(downloaded, partial / "coditect")
        os.chmod(partial / "coditect", 0o755)
        if final.exists():
            shutil.rmtree(final)  # a broken earlier staging of this same version
        os.replace(partial, final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return final / "coditect"


def _profile_for(machine: Machine) -> Path:
    home = machine.home
    if os.path.basename(machine.shell) == "bash":
        # Creating ~/.bash_profile would hide an existing ~/.profile from bash login shells.
        if not (home / ".bash_profile").exists() and (home / ".profile").exists():
            return home / ".profile"
        return home / ".bash_profile"
    return home / ".zprofile"  # zsh, macOS's default shell


def _add_path_block(profile: Path) -> dict:
    existed = profile.exists()
    original = profile.read_bytes() if existed else b""
    text = original.decode("utf-8", errors="surrogateescape")
    if BLOCK_START in text:
        return {}
    prefix = "" if not text or text.endswith("\n") else "\n"
    new = original + (prefix + PATH_BLOCK).encode()
    tmp = profile.with_name(f".{profile.name}.coditect.tmp")
    tmp.write_bytes(new)
    if existed:
        shutil.copymode(profile, tmp)
    os.replace(tmp, profile)
    return {"path": str(profile), "existed": existed, "original_b64": base64.b64encode(original).decode(),
            "original_sha256": hashlib.sha256(original).hexdigest(),
            "written_sha256": hashlib.sha256(new).hexdigest()}


def _write_receipt(machine: Machine, receipt: dict) -> None:
    tmp = machine.receipt_path.with_name(".receipt.json.tmp")
    tmp.write_text(json.dumps(receipt, indent=2, sort_keys=True), encoding="utf-8")
    os.chmod(tmp, 0o600)
    os.replace(tmp, machine.receipt_path)


def _already_installed(machine: Machine, receipt: dict | None, manifest: Manifest) -> bool:
    if not receipt or receipt.get("version") != manifest.version:
        return False
    target = Path(receipt.get("target", ""))
    try:
        same_link = Path(os.readlink(machine.command_path)) == target
        digest = hashlib.sha256(target.read_bytes()).hexdigest()
    except OSError:
        return False
    return same_link and digest == manifest.sha256


async def install(http: httpx.AsyncClient, machine: Machine, manifest: Manifest | None = None, *,
                  progress: Progress | None = None, agent_state: Path | None = None) -> InstallResult:
    if machine.platform != "darwin":
        raise InstallError("not_macos", "The macOS install runs only on a Mac.")
    manifest = manifest or await fetch_manifest(http, machine)
    receipt = read_receipt(machine)
    if not _ours(machine):
        raise InstallError("command_exists", f"{machine.command_path} already exists and was not installed by "
                                             "CODITECT Console; move it away, then install again.")
    if _already_installed(machine, receipt, manifest):
        if agent_state is not None and receipt.get("agent_state") != str(agent_state):
            receipt["agent_state"] = str(agent_state)
            _write_receipt(machine, receipt)
        if progress:
            progress(manifest.size, manifest.size)
        return InstallResult(manifest.version, machine.command_path, Path(receipt["target"]), unchanged=True)
    with tempfile.TemporaryDirectory(prefix="coditect-download-") as tmp:
        downloaded = Path(tmp) / "coditect"
        await _download(http, manifest, downloaded, progress)
        # Verified: only now does anything in the home folder change.
        created = [] if receipt is None else list(receipt.get("created_dirs", []))
        for directory in (machine.bin_dir, machine.share_dir):
            for missing in _missing_dirs(directory):
                missing.mkdir()
                created.append(str(missing))
        target = _stage(machine, downloaded, manifest.version)
    previous = receipt or {}
    _swap_symlink(machine.command_path, target)
    profiles = list(previous.get("profiles", []))
    changed: list[Path] = []
    if not profiles and not path_has_local_bin(machine):
        entry = _add_path_block(_profile_for(machine))
        if entry:
            profiles.append(entry)
            changed.append(Path(entry["path"]))
    old_version = previous.get("version")
    if old_version and old_version != manifest.version:
        shutil.rmtree(machine.share_dir / old_version, ignore_errors=True)
    _write_receipt(machine, {
        "receipt": RECEIPT_VERSION, "version": manifest.version, "sha256": manifest.sha256,
        "installed_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": str(machine.command_path), "target": str(target), "created_dirs": created,
        "profiles": profiles,
        "agent_state": str(agent_state) if agent_state else previous.get("agent_state"),
    })
    return InstallResult(manifest.version, machine.command_path, target, upgraded_from=old_version,
                         profiles_changed=changed, new_shell_needed=bool(changed))


# -- uninstall ----------------------------------------------------------------------------

def _without_block(data: bytes) -> bytes:
    text = data.decode("utf-8", errors="surrogateescape")
    start = text.find(BLOCK_START)
    end = text.find(BLOCK_END, start)
    if start < 0 or end < 0:
        return data
    end += len(BLOCK_END)
    if text[end:end + 1] == "\n":
        end += 1
    return (text[:start] + text[end:]).encode("utf-8", errors="surrogateescape")


def _restore_profile(entry: dict, result: UninstallResult) -> None:
    path = Path(entry["path"])
    original = base64.b64decode(entry["original_b64"])
    if not path.exists():
        return
    current = path.read_bytes()
    if hashlib.sha256(current).hexdigest() == entry["written_sha256"]:
        if entry["existed"]:
            tmp = path.with_name(f".{path.name}.coditect.tmp")
            tmp.write_bytes(original)
            shutil.copymode(path, tmp)
            os.replace(tmp, path)
        else:
            path.unlink()
        result.restored.append(path)
        return
    # Edited since we wrote it: keep the user's edits, take out only our block.
    stripped = _without_block(current)
    if stripped != current:
        path.write_bytes(stripped)
    result.kept_edits.append(path)


def uninstall(machine: Machine) -> UninstallResult:
    receipt = read_receipt(machine)
    if receipt is None:
        raise InstallError("not_installed", "The coditect command is not installed here (no receipt found).")
    result = UninstallResult()
    link = machine.command_path
    if link.is_symlink() and Path(os.readlink(link)) == Path(receipt["target"]):
        link.unlink()
        result.removed.append(link)
    version_dir = machine.share_dir / receipt["version"]
    if version_dir.is_dir():
        shutil.rmtree(version_dir)
        result.removed.append(version_dir)
    for entry in receipt.get("profiles", []):
        _restore_profile(entry, result)
    agent_state = receipt.get("agent_state")
    if agent_state:
        for path in (Path(agent_state), Path(agent_state + ".lock")):
            if path.exists():
                path.unlink()
                result.removed.append(path)
    machine.receipt_path.unlink()
    for directory in sorted(receipt.get("created_dirs", []), key=len, reverse=True):
        try:
            Path(directory).rmdir()  # only when empty: never anything the user put there
        except OSError:
            pass
    return result
