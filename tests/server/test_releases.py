"""The release catalog: publish-release, build-release, GET /releases/latest and the file route."""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys

import pytest

from server.commands.releases import build_zipapp, publish_release, version_in_zipapp

LATEST = "/api/v1/releases/latest"


def publish_args(path, platform="macos", arch="arm64", version=None, name=None):
    return argparse.Namespace(file=str(path), platform=platform, arch=arch, version=version, name=name)


async def test_empty_catalog_says_how_to_publish(client):
    r = await client.get(LATEST, params={"platform": "macos", "arch": "arm64"})
    assert r.status_code == 404
    body = r.json()
    assert body["code"] == "no_release"
    assert "publish-release FILE --platform macos --arch arm64" in body["detail"]


async def test_unknown_platform_or_arch_is_refused(client):
    r = await client.get(LATEST, params={"platform": "windows", "arch": "arm64"})
    assert (r.status_code, r.json()["code"]) == (422, "unknown_platform")
    r = await client.get(LATEST, params={"platform": "macos", "arch": "sparc"})
    assert (r.status_code, r.json()["code"]) == (422, "unknown_arch")


async def test_publish_then_manifest_then_download(client, settings, tmp_path, capsys):
    release = tmp_path / "coditect.pyz"
    version = build_zipapp(release)
    assert await publish_release(settings, publish_args(release)) == 0
    printed = capsys.readouterr().out
    digest = hashlib.sha256(release.read_bytes()).hexdigest()
    assert f"macos arm64 {version} sha256={digest}" in printed

    r = await client.get(LATEST, params={"platform": "macos", "arch": "arm64"})
    assert r.status_code == 200, r.text
    manifest = r.json()
    assert manifest["version"] == version and manifest["sha256"] == digest
    assert manifest["size"] == release.stat().st_size
    assert manifest["url"] == f"/api/v1/releases/files/macos/arm64/{version}/coditect"
    download = await client.get(manifest["url"])
    assert download.status_code == 200 and download.content == release.read_bytes()
    # The other architecture has nothing yet.
    assert (await client.get(LATEST, params={"platform": "macos", "arch": "x86_64"})).status_code == 404
    # A file that is not in the catalog is not served, whatever is on disk.
    assert (await client.get("/api/v1/releases/files/macos/arm64/9.9.9/coditect")).status_code == 404
    assert (await client.get("/api/v1/releases/files/macos/arm64/..%2F..%2Fkeys/coditect")).status_code == 404


async def test_latest_is_the_highest_version_and_versions_are_immutable(client, settings, tmp_path, capsys):
    files = {}
    for version in ("1.9.0", "1.10.0", "1.2.0"):
        files[version] = tmp_path / f"c-{version}"
        files[version].write_bytes(f"#!/bin/sh\necho {version}\n".encode())
        assert await publish_release(settings, publish_args(files[version], version=version)) == 0
    r = await client.get(LATEST, params={"platform": "macos", "arch": "arm64"})
    assert r.json()["version"] == "1.10.0"  # numeric, not text, order
    # The same bytes again: a no-op; other bytes under a published version: refused.
    assert await publish_release(settings, publish_args(files["1.9.0"], version="1.9.0")) == 0
    assert "already published" in capsys.readouterr().out
    other = tmp_path / "other"
    other.write_bytes(b"different")
    assert await publish_release(settings, publish_args(other, version="1.9.0")) == 1
    assert "already published with other contents" in capsys.readouterr().err
    download = await client.get("/api/v1/releases/files/macos/arm64/1.9.0/coditect")
    assert download.content == files["1.9.0"].read_bytes()


async def test_publish_refuses_bad_input_with_one_sentence(settings, tmp_path, capsys):
    blob = tmp_path / "blob"
    blob.write_bytes(b"not a zipapp")
    assert await publish_release(settings, publish_args(tmp_path / "missing")) == 1
    assert "is not a file" in capsys.readouterr().err
    assert await publish_release(settings, publish_args(blob)) == 1
    assert "give --version" in capsys.readouterr().err
    assert await publish_release(settings, publish_args(blob, version="1.2.beta")) == 1
    assert "is not like 1.2.3" in capsys.readouterr().err
    assert await publish_release(settings, publish_args(blob, version="1.0", name="../x")) == 1
    assert "file name" in capsys.readouterr().err


def test_build_release_makes_a_runnable_zipapp(tmp_path):
    out = tmp_path / "coditect.pyz"
    version = build_zipapp(out)
    assert out.read_bytes().startswith(b"#!/usr/bin/env python3\n")
    assert version_in_zipapp(out) == version
    # Run it as a program, in a clean environment: it needs nothing but python3.
    done = subprocess.run([sys.executable, "-I", str(out), "--version"], capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin"})
    assert done.returncode == 0 and done.stdout.strip() == f"coditect {version}"
    done = subprocess.run([sys.executable, "-I", str(out), "status"], capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert done.returncode == 77 and "Not signed in" in done.stderr


def test_cli_entry_has_both_commands():
    from server.cli import build_parser

    args = build_parser().parse_args(["publish-release", "f", "--platform", "macos", "--arch", "x86_64"])
    assert (args.command, args.platform, args.arch) == ("publish-release", "macos", "x86_64")
    with pytest.raises(SystemExit):
        build_parser().parse_args(["publish-release", "f", "--platform", "macos", "--arch", "ppc"])
