"""A new run resumes where the last one stopped, from the saved sign-in and server state."""

import stat
from datetime import timedelta

import pytest

from tests.server.flows import read_verification_mail, totp_code, unique_email
from tests.tui.test_session_flow import PASSWORD, new_license_key, onboard
from tui.api import ApiError, ServerUnreachable
from tui.credentials import SERVICE
from tui.onboarding import Step, next_step
from tui.session import AccountSession


@pytest.fixture
async def restart(tui_config, clock):
    """restart() -> a started AccountSession on the same config: the next run of the app."""
    opened: list[AccountSession] = []

    async def start() -> AccountSession:
        account = AccountSession(tui_config, clock=lambda: clock.now().timestamp())
        opened.append(account)
        await account.start()
        return account

    yield start
    for account in opened:
        await account.close()


async def test_registered_but_unverified_resumes_at_verification(session, tui_config, restart):
    email = unique_email()
    await session.sign_in.register(email, PASSWORD, "Ada", "Org")
    again = await restart()
    assert next_step(again.state()) is Step.VERIFY_EMAIL and again.sign_in.pending_email == email
    code, _ = read_verification_mail(tui_config.outbox_dir, to=email)
    state = await again.sign_in.verify(code)
    assert next_step(state) is Step.LOGIN  # the password was not kept across runs
    assert not (await again.sign_in.login(email, PASSWORD)).needs_second_factor
    assert next_step(again.state()) is Step.ENROLL_MFA


async def test_signed_in_without_mfa_resumes_at_enrolment(session, tui_config, restart):
    email = unique_email()
    await session.sign_in.register(email, PASSWORD, "Ada", "Org")
    code, _ = read_verification_mail(tui_config.outbox_dir, to=email)
    await session.sign_in.verify(code)
    again = await restart()
    assert next_step(again.state()) is Step.ENROLL_MFA and again.me.email == email


async def test_unacknowledged_recovery_codes_resume_there_and_can_be_regenerated(session, tui_config, clock, restart):
    email = unique_email()
    await session.sign_in.register(email, PASSWORD, "Ada", "Org")
    code, _ = read_verification_mail(tui_config.outbox_dir, to=email)
    await session.sign_in.verify(code)
    secret, _ = await session.mfa.enroll()
    first = await session.mfa.confirm_enroll(totp_code(secret, clock))
    clock.advance(30)
    again = await restart()
    assert next_step(again.state()) is Step.RECOVERY_CODES
    assert again.mfa.pending_recovery_codes is None  # shown once: they cannot be shown again
    fresh = await again.mfa.regenerate_recovery_codes(totp_code(secret, clock))
    assert len(fresh) == 10 and not set(fresh) & set(first)
    assert next_step(again.mfa.acknowledge_recovery_codes()) is Step.LICENSE


async def test_no_seat_then_no_install_choice_then_home(session, tui_config, clock, restart):
    await onboard(session, tui_config, clock)
    assert next_step((await restart()).state()) is Step.LICENSE
    await session.seat.acquire()
    again = await restart()
    assert next_step(again.state()) is Step.INSTALL_CHOICE
    assert again.license.status().state == "online"  # the cached lease was renewed
    again.choose_install("docker")
    home = await restart()
    assert next_step(home.state()) is Step.HOME and home.license.status().tier == "free"


async def test_rotated_refresh_token_is_saved_and_a_stale_copy_ends_the_session(session, tui_config, clock,
                                                                            restart, memory_keyring):
    account = await onboard(session, tui_config, clock)
    entry = (SERVICE, f"{session.scope}|{account['email']}")
    before = memory_keyring.entries[entry]
    again = await restart()
    rotated = memory_keyring.entries[entry]
    assert again.state().signed_in and rotated != before
    # Someone replays the old token (e.g. a copied keyring): the server ends the session.
    memory_keyring.entries[entry] = before
    third = await restart()
    assert next_step(third.state()) is Step.WELCOME and entry not in memory_keyring.entries
    with pytest.raises(ApiError) as ended:
        await again.refresh_account()
    assert ended.value.code == "session_revoked" and next_step(again.state()) is Step.WELCOME


async def test_expired_access_token_is_refreshed_once_transparently(session, tui_config, clock, memory_keyring):
    account = await onboard(session, tui_config, clock)
    entry = (SERVICE, f"{session.scope}|{account['email']}")
    before = memory_keyring.entries[entry]
    clock.advance(timedelta(hours=2).total_seconds())
    state = await session.refresh_account()
    assert state.signed_in and memory_keyring.entries[entry] != before


async def test_session_revoked_elsewhere_signs_out_here(session, tui_config, clock):
    """Signed in on two devices; the second revokes the first."""
    account = await onboard(session, tui_config, clock)
    second = AccountSession(tui_config, clock=lambda: clock.now().timestamp())
    await second.start()
    try:
        assert (await second.sign_in.login(account["email"], PASSWORD)).needs_second_factor
        await second.sign_in.second_factor(code=totp_code(account["secret"], clock))
        clock.advance(30)
        sessions = await second.sessions()
        first_id = next(s.id for s in sessions if not s.current and s.revoked_at is None)
        await second.revoke_session(first_id)
        with pytest.raises(ApiError) as revoked:
            await session.refresh_account()
        assert revoked.value.code == "session_revoked" and "signed out" in revoked.value.message
        assert next_step(session.state()) is Step.WELCOME
    finally:
        await second.close()


async def test_unreachable_server_is_words_and_retry(tmp_path, memory_keyring):
    from tests.conftest import free_port
    from tui.config import AppConfig

    config = AppConfig(api_url=f"http://127.0.0.1:{free_port()}", data_dir=tmp_path / "d", config_dir=tmp_path / "c")
    account = AccountSession(config)
    try:
        state = await account.start()  # nothing saved: no request needed
        assert next_step(state) is Step.WELCOME
        with pytest.raises(ServerUnreachable) as down:
            await account.sign_in.register(unique_email(), PASSWORD, "Ada", "Org")
        assert down.value.retryable and "cannot be reached" in down.value.message
        account.credentials.set(account.scope, "ada@example.com", "saved-refresh-token-xyz")
        with pytest.raises(ServerUnreachable):
            await account.start()
        # The saved sign-in survives a network problem.
        assert account.credentials.get(account.scope, "ada@example.com") == "saved-refresh-token-xyz"
    finally:
        await account.close()


async def test_a_free_key_can_be_reacquired_after_the_seat_is_lost(session, tui_config, clock):
    await onboard(session, tui_config, clock)
    key = await new_license_key(session, "pro")
    status = await session.seat.activate(key)
    await session.api.release_seat(status.seat_id)  # released elsewhere (e.g. an admin)
    lost = await session.seat.heartbeat()
    assert lost.state == "lost" and "released" in lost.reason
    assert next_step(session.state()) is Step.LICENSE
    again = await session.seat.acquire(key)
    assert again.state == "online"


async def test_a_seat_reclaimed_while_the_app_was_closed_is_taken_back_on_start(session, tui_config, clock, restart):
    await onboard(session, tui_config, clock)
    first = await session.seat.acquire()
    session.choose_install("later")
    await session.api.release_seat(first.seat_id)  # as the server's sweeper does after 15 minutes
    again = await restart()
    status = again.license.status()
    assert status.state == "online" and status.seat_id != first.seat_id and again.seat.problem is None
    assert next_step(again.state()) is Step.HOME  # not the license step saying "seat lost"


async def test_home_copy_is_private_has_no_secret_and_goes_at_sign_out(session, tui_config, clock):
    from tui import home_cache, home_view

    account = await onboard(session, tui_config, clock)
    await session.seat.acquire()
    session.choose_install("docker")
    loaded = await home_view.load(session)
    path = tui_config.data_dir / home_cache.HOME_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    copy = home_cache.load(tui_config)
    assert copy == loaded.copy and copy.account.email == account["email"] and copy.usage == (0, 10)
    assert copy.install_choice == "docker" and copy.lease.tier == "free" and copy.lease.valid_until
    text = path.read_text()
    token = session.api.tokens
    assert not any(s in text for s in (PASSWORD, account["secret"], *account["codes"],
                                       token.refresh_token, token.access_token))
    await session.logout()
    assert not path.exists() and home_cache.load(tui_config) is None


async def test_a_hang_up_gives_the_seat_back_and_the_next_start_takes_it_again(session, tui_config, clock, restart):
    await onboard(session, tui_config, clock)
    status = await session.seat.acquire()
    assert status.has_seat
    first_seat = status.seat_id
    await session.give_back_seat()  # the terminal went away (console/app.py hang_up)
    assert not session.license.status().has_seat
    assert session.credentials.get(session.scope, session.me.email)  # the sign-in stays
    licenses = await session.licenses()
    assert all(lic.seats_used == 0 for lic in licenses.licenses)  # given back on the server
    again = await restart()
    assert again.state().signed_in and again.license.status().has_seat
    assert again.license.status().seat_id != first_seat and again.seat.problem is None
    # Only once: a later start resumes the seat it holds, it does not take another.
    third = await restart()
    assert third.license.status().seat_id == again.license.status().seat_id


async def test_a_sign_in_rotated_by_another_process_is_adopted_not_replayed(session, tui_config, clock, restart):
    """A scripting command (`coditect-console admin ...`) resumes the same saved sign-in and
    rotates its refresh token while the app is open; the app's next refresh must use the
    saved token, since replaying the old one would end the session for both."""
    await onboard(session, tui_config, clock)
    other = await restart()  # another process on the same saved sign-in: rotates it
    assert other.state().signed_in
    clock.advance(3601)  # the app's access token expires: its next call refreshes
    assert (await session.refresh_account()).signed_in
    assert (await other.refresh_account()).signed_in  # nobody was signed out
