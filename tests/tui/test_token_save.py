"""One save path for the refresh token, keyed by the account actually signing in.

The regression: two accounts (A, then B) registered on one machine, each signed out, then A
signs in before it has a second factor. The token-saving callback used to file A's fresh
refresh token under B's entry too (the account field was never cleared at sign-out)."""

import json

from tests.server.flows import read_verification_mail, unique_email
from tests.tui.test_session_flow import PASSWORD
from tui.config import AppConfig
from tui.session import AccountSession


def sign_ins(path) -> dict:
    """The saved sign-ins (refresh tokens) in the credentials file; the device credentials and
    pinned server keys kept beside them are not sign-ins."""
    if not path.exists():
        return {}
    entries = json.loads(path.read_text())["entries"]
    return {k: v for k, v in entries.items() if not k.startswith(("device|", "lease-keys|"))}


async def register_verified(session: AccountSession, email: str) -> None:
    await session.sign_in.register(email, PASSWORD, "Someone", "Org")
    code, _ = read_verification_mail(session.config.outbox_dir, to=email)
    await session.sign_in.verify(code)  # signs in at once (no second factor yet)
    assert session.me.email == email and not session.me.mfa_enrolled


async def test_a_sign_in_never_files_its_token_under_an_account_signed_out_before(tui_config, fresh_database, clock):
    config = AppConfig(api_url=None, data_dir=tui_config.data_dir, config_dir=tui_config.config_dir,
                       no_keyring=True, server_overrides=tui_config.server_overrides)
    session = AccountSession(config, clock=lambda: clock.now().timestamp())
    await session.start()
    try:
        a, b = unique_email("a"), unique_email("b")
        await register_verified(session, a)
        await session.logout()
        await register_verified(session, b)
        await session.logout()
        path = session.credentials.path
        assert sign_ins(path) == {}  # both signed out: no sign-in saved

        result = await session.sign_in.login(a, PASSWORD)  # A has no second factor yet
        assert not result.needs_second_factor and session.me.email == a

        entries = sign_ins(path)
        assert list(entries) == [f"{session.scope}|{a}"]
        assert entries[f"{session.scope}|{a}"] == session.api.tokens.refresh_token
        assert session.credentials.get(session.scope, b) is None

        # A rotated token (refresh) is filed under A as well, and only there.
        await session.api.refresh()
        entries = sign_ins(path)
        assert entries == {f"{session.scope}|{a}": session.api.tokens.refresh_token}

        # Signing out clears the key: a later sign-in of B files under B only.
        await session.logout()
        await session.sign_in.login(b, PASSWORD)
        entries = sign_ins(path)
        assert list(entries) == [f"{session.scope}|{b}"]
    finally:
        await session.close()
