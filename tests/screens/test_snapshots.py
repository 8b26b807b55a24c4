"""Snapshots of every screen at 80x24 (and 120x40 where the layout changes).

Sync tests (snap_compare runs its own event loop) on the real embedded server, from a
temp working directory with relative data dirs so printed paths never change. Onboarding
is advanced through AccountSession (the UI flows have their own Pilot tests); anything
random is then replaced through the screen's own display methods (tests/screens/fixed.py).
Look at them: `pytest tests/screens/test_snapshots.py --snapshot-report` or convert an SVG
with rsvg-convert.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.screens import fixed
from tests.screens.conftest import app_config
from tests.screens.driving import EMAIL, PASSWORD, prepare, press, settle

ORG = "[bold]x[/]"  # shown literally everywhere


async def reach(pilot, clock, stage: str) -> None:
    """Advance the account (through the session, as the screens do) to `stage`."""
    await prepare(pilot, clock, stage, organization=ORG)


@pytest.fixture
def snap(snap_compare, snapshot_dir, make_app, clock, monkeypatch, docker_daemon):
    """snap(stage, then=None, size=(80, 24), api_url=None): reach `stage`, run `then(pilot)`,
    compare the screen."""
    # The install screen says what this machine supports: make it the same machine every
    # run (Linux with a Docker daemon that answers).
    monkeypatch.setenv("PATH", str(docker_daemon.parent))

    def run(stage: str, then=None, size=(80, 24), **extra) -> bool:
        app = make_app(app_config(Path("data"), Path("config"), clock, **extra))

        async def run_before(pilot):
            await reach(pilot, clock, stage)
            if then is not None:
                await then(pilot)
                await settle(pilot)

        return snap_compare(app, run_before=run_before, terminal_size=size)

    return run


async def fixed_enrollment(pilot):
    await pilot.app.screen.show_enrollment((fixed.SECRET, fixed.URI))


async def fixed_codes(pilot):
    pilot.app.session.mfa.pending_recovery_codes = list(fixed.CODES)
    await pilot.app.screen.show_codes()


async def fixed_home(pilot, status=fixed.ONLINE):
    from dataclasses import replace

    from tui import home_view

    screen = pilot.app.screen
    copy = home_view.copy_of(pilot.app.session, (fixed.USAGE.used, fixed.USAGE.limit))
    screen._show(home_view.HomeData(copy=replace(copy, lease=status),
                                    sessions=[s for s in fixed.SESSIONS if s.revoked_at is None]))


def test_welcome(snap):
    assert snap("welcome")


def test_welcome_wide(snap):
    assert snap("welcome", size=(120, 40))


def test_starting_failed(snap, snapshot_dir):
    from tui.credentials import CredentialStore
    from tui.config import AppConfig

    url = "http://127.0.0.1:9"  # the discard port: nothing listens on it
    CredentialStore(AppConfig(api_url=url, data_dir=Path("data"), config_dir=Path("config"))).set(url, EMAIL, "r" * 43)
    assert snap("welcome", api_url=url)


def test_register_errors_as_you_type(snap):
    async def then(pilot):
        await press(pilot, "c")
        for field, text in (("email", "ada@exa"), ("password", "short"), ("confirm", "shorter")):
            pilot.app.screen.query_one(f"#{field} Input").focus()
            await pilot.press(*text)

    assert snap("welcome", then)


def test_login(snap):
    assert snap("welcome", lambda pilot: press(pilot, "s"))


def test_accept_invitation(snap):
    assert snap("welcome", lambda pilot: press(pilot, "i"))


def test_accept_invitation_details(snap):
    async def then(pilot):
        await press(pilot, "i")
        screen = pilot.app.screen
        screen.query_one("#token Input").value = fixed.INVITATION_CODE
        screen.show_invitation(fixed.INVITATION)
        await pilot.press(*"Grace Hopper", "enter", *PASSWORD, "enter", *"tangerine")

    assert snap("welcome", then)


def test_verify_email(snap):
    async def then(pilot):
        screen = pilot.app.screen
        screen.resend_timer.pause()
        screen.cooldown = 42

    assert snap("verify", then)


def test_outbox_viewer(snap):
    async def then(pilot):
        pilot.app.screen.resend_timer.pause()
        fixed.write_fixed_mail(pilot.app.config.outbox_dir)
        await press(pilot, "ctrl+o")

    assert snap("verify", then)


def test_enroll_mfa(snap):
    assert snap("enroll", fixed_enrollment)


def test_enroll_mfa_wide(snap):
    assert snap("enroll", fixed_enrollment, size=(120, 40))


def test_enroll_mfa_full_blocks(snap):
    async def then(pilot):
        await fixed_enrollment(pilot)
        await press(pilot, "ctrl+f")

    assert snap("enroll", then, size=(120, 40))


def test_recovery_codes(snap):
    assert snap("recovery", fixed_codes)


def test_recovery_codes_after_a_restart(snap):
    async def then(pilot):
        pilot.app.session.mfa.pending_recovery_codes = None
        await pilot.app.screen.show_codes()

    assert snap("recovery", then)


def test_license(snap):
    async def then(pilot):
        pilot.app.screen._show_licenses(fixed.LICENSES)

    assert snap("license", then)


def test_license_key_typo(snap):
    async def then(pilot):
        pilot.app.screen._show_licenses(fixed.LICENSES)
        await pilot.press(*fixed.PRO_KEY[:-1], "X")

    assert snap("license", then)


def test_license_seat_taken(snap):
    async def then(pilot):
        pilot.app.screen._show_licenses(fixed.LICENSES)
        pilot.app.screen.show_lease(fixed.ONLINE)

    assert snap("license", then)


def test_license_seat_lost(snap):
    async def then(pilot):
        pilot.app.screen._show_licenses(fixed.LICENSES)
        pilot.app.screen.show_lease(fixed.LOST)

    assert snap("license", then)


def test_install_choice(snap):
    assert snap("install")


def test_install_choice_made(snap):
    assert snap("install", lambda pilot: press(pilot, "enter"))


def test_home(snap):
    assert snap("home", fixed_home)


def test_home_wide(snap):
    assert snap("home", fixed_home, size=(120, 40))


def test_home_offline(snap):
    assert snap("home", lambda pilot: fixed_home(pilot, fixed.OFFLINE))


def test_confirm_revoke(snap):
    async def then(pilot):
        await fixed_home(pilot)
        await press(pilot, "down", "d")

    assert snap("home", then)


def test_regenerate_codes_modal(snap):
    async def then(pilot):
        await fixed_home(pilot)
        await press(pilot, "g")

    assert snap("home", then)


def test_help(snap):
    async def then(pilot):
        await fixed_home(pilot)
        await press(pilot, "f1")

    assert snap("home", then)


def test_mfa_challenge(snap):
    async def then(pilot):
        session = pilot.app.session
        await session.logout()
        assert (await session.sign_in.login(EMAIL, PASSWORD)).needs_second_factor
        pilot.app.advance()

    assert snap("license", then)


def test_mfa_challenge_recovery_code(snap):
    async def then(pilot):
        session = pilot.app.session
        await session.logout()
        await session.sign_in.login(EMAIL, PASSWORD)
        pilot.app.advance()
        await settle(pilot)
        await press(pilot, "ctrl+t")

    assert snap("license", then)


def test_forgot_password(snap):
    async def then(pilot):
        await press(pilot, "s")
        await press(pilot, "ctrl+f")

    assert snap("welcome", then)


async def _forgot_password_sent(pilot):
    await pilot.app.session.logout()
    pilot.app.advance()
    await settle(pilot)
    await press(pilot, "s")
    await press(pilot, "ctrl+f")
    pilot.app.screen.query_one("#email Input").value = EMAIL
    await press(pilot, "ctrl+s")


def test_forgot_password_code_sent(snap):
    assert snap("license", _forgot_password_sent)


def test_forgot_password_second_factor(snap):
    async def then(pilot):
        from tui.api import ApiError

        await _forgot_password_sent(pilot)
        screen = pilot.app.screen
        screen.query_one("#password Input").value = "marmalade-lighthouse-orbit-77"
        screen.query_one("#confirm Input").value = "marmalade-lighthouse-orbit-77"
        screen.flow.needs_second_factor = True
        screen.show_api_error(ApiError("mfa_required", 403))

    assert snap("license", then)


def test_change_password(snap):
    async def then(pilot):
        await fixed_home(pilot)
        await press(pilot, "p")

    assert snap("home", then)


def _mac_install(home_name: str, publish_release: bool, then=None):
    async def run(pilot):
        from screens.install_macos import InstallMacosScreen
        from tests.screens.test_install_macos import mac, publish

        home = Path(home_name).absolute()
        home.mkdir(exist_ok=True)
        if publish_release:
            publish(pilot.app.config.data_dir, Path("."))
        pilot.app.install_machine = mac(home)
        await pilot.app.push_screen(InstallMacosScreen())
        await settle(pilot)
        if then is not None:
            await then(pilot)
    return run


def test_install_macos(snap):
    assert snap("install", _mac_install("mac-home", True))


def test_install_macos_done(snap):
    assert snap("install", _mac_install("mac-home", True, lambda pilot: press(pilot, "i")))


def test_install_macos_no_release(snap):
    assert snap("install", _mac_install("mac-home", False))


def _workspace_machine(docker_daemon, monkeypatch):
    """Docker answers (x86_64, Compose v2 plugin); the workspace port is a fixed free one."""
    docker_daemon.write_text('#!/bin/sh\ncase "$1" in info) echo x86_64;; compose) echo "Docker Compose version v5";; '
                             "esac\nexit 0\n")
    monkeypatch.setenv("CODITECT_WORKSPACE_PORT", "42222")


async def _open_workspace(pilot):
    await press(pilot, "i")
    await press(pilot, "enter")
    await press(pilot, "ctrl+n")
    while any(w.is_running for w in pilot.app.screen.workers):
        await pilot.pause(0.1)
    await settle(pilot)


def test_deploy_workspace_checks(snap, docker_daemon, monkeypatch):
    _workspace_machine(docker_daemon, monkeypatch)
    assert snap("home", _open_workspace)


def test_deploy_workspace_running(snap, docker_daemon, monkeypatch):
    from tui.workspace.flow import Outcome

    _workspace_machine(docker_daemon, monkeypatch)

    async def then(pilot):
        await _open_workspace(pilot)
        screen = pilot.app.screen
        screen.query_one("#deploy-log").display = True
        for line in fixed.COMPOSE_LOG:
            screen._event(line)
        screen.show_outcome(Outcome(True, ssh_line="ssh -p 42222 coditect@127.0.0.1"))

    assert snap("home", then)
