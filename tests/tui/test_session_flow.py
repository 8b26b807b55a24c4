"""The whole onboarding through AccountSession, against the real embedded server.

Verification codes come from the outbox; TOTP codes are computed from the secret the
API returned; the clock is the server's frozen clock (moved one TOTP step after each
code so the next one is fresh)."""

import logging
import stat
from datetime import timedelta

import pytest

from server.services.licenses import create_license
from tests.server.flows import read_verification_mail, totp_code, unique_email
from tui import backend
from tui.api import ApiError
from tui.onboarding import Step, next_step
from tui.session import AccountSession
from tui.sign_in import RECOVERY_CODE_USED, SignInOutcome

PASSWORD = "tangerine-volcano-harbour-42"


async def new_license_key(session: AccountSession, tier: str = "pro", seats: int | None = None) -> str:
    """An unbound key, as `coditect-console server create-license` makes it."""
    runtime = backend.embedded_runtime(session.transport)
    async with runtime.sessionmaker() as db:
        lic = await create_license(db, runtime.clock, tier, seats=seats)
        await db.commit()
        return lic.key


async def onboard(session: AccountSession, config, clock, email: str | None = None) -> dict:
    """Register, verify, enroll TOTP, acknowledge the codes -> {email, secret, codes}."""
    email = email or unique_email("ada")
    await session.sign_in.register(email, PASSWORD, "Ada Lovelace", "Analytical Engines")
    code, _link = read_verification_mail(config.outbox_dir, to=email)
    await session.sign_in.verify(code)
    secret, _uri = await session.mfa.enroll()
    codes = await session.mfa.confirm_enroll(totp_code(secret, clock))
    clock.advance(30)
    session.mfa.acknowledge_recovery_codes()
    return {"email": email, "secret": secret, "codes": codes}


async def test_the_whole_onboarding(session, tui_config, clock, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    assert next_step(session.state()) is Step.WELCOME

    email = unique_email("ada")
    state = await session.sign_in.register(email, PASSWORD, "Ada Lovelace", "Analytical Engines")
    assert next_step(state) is Step.VERIFY_EMAIL and state.pending_verification == email

    code, _link = read_verification_mail(tui_config.outbox_dir, to=email)
    state = await session.sign_in.verify(code)
    assert next_step(state) is Step.ENROLL_MFA  # signed in straight away

    secret, uri = await session.mfa.enroll()
    assert uri.startswith("otpauth://totp/") and f"secret={secret}" in uri
    codes = await session.mfa.confirm_enroll(totp_code(secret, clock))
    clock.advance(30)
    assert len(codes) == 10 and session.mfa.pending_recovery_codes == codes
    assert next_step(session.state()) is Step.RECOVERY_CODES
    assert session.me.amr == ["pwd", "otp"]  # the session counts as MFA now

    saved = session.mfa.save_recovery_codes(tmp_path / "codes.txt", codes)
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600 and all(c in saved.read_text() for c in codes)
    assert email in saved.read_text() and tui_config.server_label in saved.read_text()
    again = session.mfa.save_recovery_codes(tmp_path / "codes.txt", codes[:1])  # never overwrites
    assert again == tmp_path / "codes-2.txt" and all(c in saved.read_text() for c in codes)
    state = session.mfa.acknowledge_recovery_codes()
    assert next_step(state) is Step.LICENSE and session.mfa.pending_recovery_codes is None

    key = await new_license_key(session, "pro")
    status = await session.seat.activate(key)
    assert status.state == "online" and status.tier == "pro" and status.license_key == key
    assert (status.seats_used, status.seats_total, status.daily_limit) == (1, 5, 1000)
    assert status.valid_until == clock.now() + timedelta(days=7)
    lease_file = tui_config.data_dir / "lease.json"
    assert stat.S_IMODE(lease_file.stat().st_mode) == 0o600
    assert next_step(session.state()) is Step.INSTALL_CHOICE

    state = session.choose_install("docker")
    assert next_step(state) is Step.HOME

    # Log out: seat given back, sign-in forgotten.
    state = await session.logout()
    assert next_step(state) is Step.WELCOME and not lease_file.exists()
    assert session.credentials.get(session.scope, email) is None

    assert session.last_account == email  # remembered (not secret) to prefill the next sign-in

    # Log in with TOTP: the seat given back at logout is taken again, of the same license.
    assert (await session.sign_in.login(email, PASSWORD)).needs_second_factor
    assert next_step(session.state()) is Step.MFA_CHALLENGE
    state = await session.sign_in.second_factor(code=totp_code(secret, clock))
    clock.advance(30)
    assert next_step(state) is Step.HOME and session.license.status().license_key == key
    assert session.seat.problem is None and session.pop_notices() == []
    licenses = await session.licenses()
    assert {lic.key: lic.seats_used for lic in licenses.licenses}[key] == 1

    # Log in with a recovery code (once only).
    await session.logout()
    assert (await session.sign_in.login(email, PASSWORD)).needs_second_factor
    state = await session.sign_in.second_factor(recovery_code=codes[0])
    assert state.signed_in and session.me.amr == ["pwd", "recovery"] 
    assert session.pop_notices() == [RECOVERY_CODE_USED] and session.pop_notices() == []
    await session.logout()
    assert (await session.sign_in.login(email, PASSWORD)).needs_second_factor
    with pytest.raises(ApiError) as spent:
        await session.sign_in.second_factor(recovery_code=codes[0])
    assert spent.value.code == "invalid_code" and "not right" in spent.value.message

    # Nothing secret in the console's own files or in the logs.
    refresh_token = session.credentials.get(session.scope, email)
    secrets = [PASSWORD, secret, codes[1], *([refresh_token] if refresh_token else [])]
    for path in tui_config.config_dir.rglob("*"):
        if path.is_file():
            assert not any(s in path.read_text() for s in secrets), path
    assert not any(s in caplog.text for s in secrets)


async def test_link_token_verifies_too(session, tui_config):
    email = unique_email("link")
    await session.sign_in.register(email, PASSWORD, "Link User", "Links Ltd")
    _code, link = read_verification_mail(tui_config.outbox_dir, to=email)
    state = await session.sign_in.verify(link)
    assert state.signed_in and next_step(state) is Step.ENROLL_MFA


async def test_wrong_and_reused_codes_are_plain_words(session, tui_config, clock):
    email = unique_email("codes")
    await session.sign_in.register(email, PASSWORD, "Code User", "Codes Inc")
    with pytest.raises(ApiError) as wrong:
        await session.sign_in.verify("000000")
    assert wrong.value.code == "invalid_code" and wrong.value.message.startswith("That code is not right")
    code, _ = read_verification_mail(tui_config.outbox_dir, to=email)
    await session.sign_in.verify(code)
    secret, _ = await session.mfa.enroll()
    used = totp_code(secret, clock)
    await session.mfa.confirm_enroll(used)
    session.mfa.acknowledge_recovery_codes()
    await session.logout()
    assert (await session.sign_in.login(email, PASSWORD)).needs_second_factor
    with pytest.raises(ApiError) as reused:
        await session.sign_in.second_factor(code=used)  # same 30 s step as the confirmation
    assert reused.value.code == "code_reused" and "already used" in reused.value.message
    assert next_step(session.state()) is Step.MFA_CHALLENGE  # try again with the next code
    clock.advance(30)
    state = await session.sign_in.second_factor(code=totp_code(secret, clock))
    assert state.signed_in


async def test_register_errors(session):
    email = unique_email("taken")
    await session.sign_in.register(email, PASSWORD, "First", "Org")
    code, _link = read_verification_mail(session.config.outbox_dir, to=email)
    await session.sign_in.verify(code)  # an unverified account does not hold its address
    await session.logout()
    with pytest.raises(ApiError) as taken:
        await session.sign_in.register(email, PASSWORD, "Second", "Org")
    assert taken.value.code == "email_taken" and "already exists" in taken.value.message
    with pytest.raises(ApiError) as weak:
        await session.sign_in.register(unique_email(), "password1234", "Weak", "Org")
    assert weak.value.code == "weak_password" and "common" in weak.value.fields["password"]
    with pytest.raises(ApiError) as bad:
        await session.sign_in.register("not-an-email", PASSWORD, "Bad", "Org")
    assert bad.value.code == "validation_error" and bad.value.fields == {"email": "Enter a valid email address."}


async def test_unverified_login_goes_back_to_verification(session, tui_config):
    email = unique_email("later")
    await session.sign_in.register(email, PASSWORD, "Later", "Org")
    fresh = AccountSession(tui_config)  # another run, the password is no longer in memory
    try:
        await fresh.start()
        result = await fresh.sign_in.login(email, PASSWORD)
        assert result.outcome is SignInOutcome.VERIFY_EMAIL and "Verify your email" in result.message
        assert next_step(result.state) is Step.VERIFY_EMAIL and next_step(fresh.state()) is Step.VERIFY_EMAIL
    finally:
        await fresh.close()


async def test_too_many_failed_logins_say_when_to_retry(session, tui_config):
    email = unique_email("throttled")
    await session.sign_in.register(email, PASSWORD, "T", "Org")
    code, _ = read_verification_mail(tui_config.outbox_dir, to=email)
    await session.sign_in.verify(code)
    await session.logout()
    error = None
    for _ in range(12):
        try:
            await session.sign_in.login(email, "wrong-password-123456")
        except ApiError as caught:
            error = caught
            if caught.code == "rate_limited":
                break
    assert error.code == "rate_limited" and error.retry_after
    assert error.message.startswith("Too many attempts. Try again in ") and "minute" in error.message


async def test_no_free_seat_is_explained(session, tui_config, clock):
    await onboard(session, tui_config, clock)
    # The free license has one seat; another machine of the tenant holds it.
    await session.api.acquire_seat("another-machine-id", "laptop (Linux)")
    with pytest.raises(ApiError) as full:
        await session.seat.acquire()
    assert full.value.code == "no_seats_available" and "in use" in full.value.message
    assert next_step(session.state()) is Step.LICENSE


async def test_a_key_with_a_typo_is_caught_before_any_request(session, tui_config, clock):
    await onboard(session, tui_config, clock)
    key = await new_license_key(session)
    typo = key[:-1] + ("0" if key[-1] != "0" else "1")
    with pytest.raises(ApiError) as bad:
        await session.seat.activate(typo)
    assert bad.value.code == "license_key_invalid" and "typo" in bad.value.message


async def test_usage_today_reads_without_counting(session, tui_config, clock):
    await onboard(session, tui_config, clock)
    await session.api.record_command(3)
    first = await session.usage_today()
    second = await session.usage_today()
    assert (first.used, first.limit) == (second.used, second.limit) == (3, 10)  # free tier
