"""Driving the app like a user: keys into fields, then wait until every worker is done."""

from __future__ import annotations

import subprocess
import sys

import pyotp

from tests.server.flows import read_verification_mail

PASSWORD = "tangerine-volcano-harbour-42"
EMAIL = "ada@example.com"


async def settle(pilot) -> None:
    """Until no worker runs and no message waits (navigation mounts screens whose
    on_mount starts more workers, hence the loop; a worker cancelled by a newer one of its
    exclusive group is fine)."""
    from textual.worker import WorkerCancelled

    app = pilot.app
    for _ in range(100):
        try:
            await app.workers.wait_for_complete()
        except WorkerCancelled:  # a newer exclusive worker replaced it: normal, keep waiting
            pass
        await pilot.pause()
        if not any(worker.is_running for worker in app.workers):
            return
    raise AssertionError("workers never settled")


def screen_name(app) -> str:
    return type(app.screen).__name__


async def fill(pilot, field_id: str, text: str) -> None:
    """Focus the field's input and paste `text` into it (validators run as for typing;
    tests/screens/test_forms.py types key by key)."""
    field = pilot.app.screen.query_one(f"#{field_id} Input")
    field.focus()
    field.value = ""
    field.insert_text_at_cursor(text)
    await pilot.pause()


async def press(pilot, *keys: str) -> None:
    await pilot.press(*keys)
    await settle(pilot)


def totp(secret: str, clock) -> str:
    return pyotp.TOTP(secret).at(clock.now())


async def register(pilot, email: str = EMAIL, organization: str = "Analytical Engines") -> None:
    """Welcome -> register -> (verify screen)."""
    await press(pilot, "c")
    await fill(pilot, "email", email)
    await fill(pilot, "full_name", "Ada Lovelace")
    await fill(pilot, "organization", organization)
    await fill(pilot, "password", PASSWORD)
    await fill(pilot, "confirm", PASSWORD)
    await press(pilot, "enter")


async def verify_from_outbox(pilot, email: str = EMAIL) -> None:
    code, _link = read_verification_mail(pilot.app.config.outbox_dir, to=email)
    await fill(pilot, "code", code)
    await press(pilot, "enter")


async def enroll(pilot, clock) -> str:
    """Enroll screen: read the secret the screen shows, confirm with its TOTP -> secret."""
    screen = pilot.app.screen
    secret = screen.secret
    shown = "".join(str(screen.query_one("#secret").render()).split())
    assert shown == secret
    await fill(pilot, "code", totp(secret, clock))
    await press(pilot, "enter")
    clock.advance(30)
    return secret


async def save_codes_and_continue(pilot) -> list[str]:
    codes = list(pilot.app.session.mfa.pending_recovery_codes)
    await press(pilot, "ctrl+s")
    await press(pilot, "space")  # the "I have saved them" checkbox has the focus
    await press(pilot, "ctrl+n")
    return codes


ONBOARDING = ("welcome", "verify", "enroll", "recovery", "license", "install", "home")


async def prepare(pilot, clock, stage: str, email: str = EMAIL, organization: str = "Analytical Engines") -> dict:
    """Bring a new account to `stage` through the session (the calls the screens make),
    then show that stage's screen: a prepared account state for tests about later screens.
    Each path is walked key by key once, in tests/screens/test_onboarding_flow.py and the
    tests of each screen; repeating that walk in every test cost most of the suite's time."""
    app, session = pilot.app, pilot.app.session
    await settle(pilot)
    account = {"email": email, "secret": None, "codes": []}
    stages = ONBOARDING[1:ONBOARDING.index(stage) + 1]
    for name in stages:
        if name == "verify":
            await session.sign_in.register(email, PASSWORD, "Ada Lovelace", organization)
        elif name == "enroll":
            code, _ = read_verification_mail(app.config.outbox_dir, to=email)
            await session.sign_in.verify(code)
        elif name == "recovery":
            account["secret"], _uri = await session.mfa.enroll()
            account["codes"] = await session.mfa.confirm_enroll(totp(account["secret"], clock))
            clock.advance(30)
        elif name == "license":
            session.mfa.acknowledge_recovery_codes()
        elif name == "install":
            await session.seat.acquire()
        elif name == "home":
            session.choose_install("docker")
    if stages:
        app.advance()
    await settle(pilot)
    return account


async def onboard_to_license(pilot, clock, email: str = EMAIL) -> dict:
    """A signed-in account with an authenticator and saved codes, on the license step."""
    account = await prepare(pilot, clock, "license", email)
    assert type(pilot.app.screen).__name__ == "LicenseScreen"
    return account


def create_license_key(data_dir, tier: str = "pro", seats: int | None = None) -> str:
    """The real CLI, on the same data dir (and so the same SQLite file) as the app."""
    args = [sys.executable, "-m", "console.cli", "server", "create-license", "--tier", tier, "--data-dir", str(data_dir)]
    if seats is not None:
        args += ["--seats", str(seats)]
    out = subprocess.run(args, capture_output=True, text=True, timeout=60, check=True)
    return out.stdout.strip()
