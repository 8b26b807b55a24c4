"""An invited colleague gets in through the app, against the real embedded server.

The owner is made with the API flows (tests/server/flows.py) on the app's own embedded
server and invites through the admin API; the colleague pastes the code from the outbox.
"""

from __future__ import annotations

import httpx

from tests.screens.driving import PASSWORD, fill, press, screen_name, settle
from tests.server.flows import bearer, mfa_owner, read_invitation_code

COLLEAGUE = "grace@engines.example"


async def invite_colleague(app, clock, role: str = "admin") -> str:
    """An MFA owner of "Analytical Engines" invites COLLEAGUE -> the mailed code."""
    config = app.config
    async with httpx.AsyncClient(transport=app.session.transport, base_url=config.base_url) as client:
        owner = await mfa_owner(client, config.outbox_dir, clock, email="ada@engines.example",
                                org="Analytical Engines")
        r = await client.post("/api/v1/admin/invitations", headers=bearer(owner["access_token"]),
                              json={"email": COLLEAGUE, "role": role})
        assert r.status_code == 201, r.text
    return read_invitation_code(config.outbox_dir, COLLEAGUE)


async def test_the_colleague_pastes_the_code_and_lands_on_the_authenticator_step(config, make_app, clock):
    app = make_app(config)
    async with app.run_test() as pilot:
        await settle(pilot)
        code = await invite_colleague(app, clock)
        await press(pilot, "i")
        assert screen_name(app) == "AcceptInvitationScreen"
        assert not app.screen.query_one("#full_name").display  # nothing to fill before the code is known

        await fill(pilot, "token", f"  {code} ")
        await press(pilot, "ctrl+s")
        facts = dict(app.screen.query_one("#invitation").rows)
        assert (facts["Organization"], facts["Email"], facts["Role"]) == ("Analytical Engines", COLLEAGUE, "Admin")
        assert facts["Code valid until"] == "2026-12-03 10:01 UTC"  # 7 days after the invite (2 TOTP steps in)
        assert app.focused is app.screen.query_one("#full_name Input")

        await fill(pilot, "full_name", "Grace Hopper")
        await fill(pilot, "password", PASSWORD)
        await fill(pilot, "confirm", PASSWORD + "x")
        await press(pilot, "enter")
        assert screen_name(app) == "AcceptInvitationScreen"  # the local check caught the mismatch
        assert "not the same" in str(app.screen.query_one("#confirm .field-error").render())

        await fill(pilot, "confirm", PASSWORD)
        await press(pilot, "ctrl+s")
        assert screen_name(app) == "EnrollMfaScreen"
        me = app.session.me
        assert (me.email, me.role, me.tenant_name, me.email_verified, me.mfa_enrolled) == (
            COLLEAGUE, "admin", "Analytical Engines", True, False)
        assert app.session.credentials.last_account(app.session.scope) == COLLEAGUE


async def test_a_wrong_code_is_said_in_plain_words(config, make_app, clock):
    app = make_app(config)
    async with app.run_test() as pilot:
        await settle(pilot)
        await press(pilot, "i")
        await fill(pilot, "token", "too-short")
        await press(pilot, "enter")
        field_error = str(app.screen.query_one("#token .field-error").render())
        assert field_error == "Paste the whole code from the invitation email."
        assert app.screen.status.message == ""  # refused locally: nothing was sent

        await fill(pilot, "token", "x" * 43)
        await press(pilot, "enter")
        assert screen_name(app) == "AcceptInvitationScreen"
        message = str(app.screen.query_one("#token .field-error").render())
        assert message.startswith("This invitation code is not valid: codes work once, for 7 days.")
        assert app.screen.status.message == ""  # said once, under the field
        assert not app.screen.query_one("#full_name").display

        await press(pilot, "escape")
        assert screen_name(app) == "WelcomeScreen"


async def test_a_used_code_tells_the_colleague_to_sign_in(config, make_app, clock):
    app = make_app(config)
    async with app.run_test() as pilot:
        await settle(pilot)
        code = await invite_colleague(app, clock, role="member")
        async with httpx.AsyncClient(transport=app.session.transport, base_url=config.base_url) as client:
            r = await client.post("/api/v1/auth/invitations/accept",
                                  json={"token": code, "full_name": "Grace Hopper", "password": PASSWORD})
            assert r.status_code == 201
        await press(pilot, "i")
        await fill(pilot, "token", code)
        await press(pilot, "enter")
        assert "If you already accepted it, sign in" in str(app.screen.query_one("#token .field-error").render())
