"""The first screen from local state alone, before the server has started or answered.

Cheap on purpose (no httpx, pydantic or server import): the app calls it for its very first
frame. A returning user whose Home was cached (tui.home_cache) gets Home at once; someone
with nothing under way gets Welcome at once; anyone in the middle of onboarding (a code to
enter, a sign-in after verification) waits for the server, which knows where they are.
"""

from __future__ import annotations

from tui import home_cache, preferences
from tui.config import AppConfig
from tui.home_cache import HomeCopy
from tui.onboarding import AccountState, Step, next_step


def first_step(config: AppConfig) -> tuple[Step | None, HomeCopy | None]:
    """(Step.HOME, cached copy) | (Step.WELCOME, None) | (None, None): wait for the server."""
    copy = home_cache.load(config)
    if copy is not None:
        return Step.HOME, copy
    prefs = preferences.load(config)
    state = AccountState(pending_verification=prefs.pending_verification.get(config.scope),
                         email_verified=bool(prefs.verified_waiting_login))
    return (Step.WELCOME, None) if next_step(state) is Step.WELCOME else (None, None)


def last_account(config: AppConfig) -> str | None:
    """The email last signed in to this server here (prefills, focuses "Sign in")."""
    return preferences.load(config).last_account.get(config.scope)
