"""The admin console on the real embedded server with seed-demo data (3 tenants x 10 users x
2000 sessions, seeded once per module): filter, page, revoke one and all of a user (their
tokens are then refused), force-release a seat, role / disable / reset second factor,
invite and cancel, quotas, refusals in words, your own session, hostile text."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Input

from tests.screens.admin_world import (HOSTILE_DEVICE, MARKUP_NAME, console_app, db_rows, other_client, seeded,  # noqa: F401
                                       sign_in, world)
from tests.screens.driving import press, screen_name, settle
from tui import admin_console as ac
from tui.api import ApiError


def cells(table: DataTable) -> list[list[str]]:
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


def column(table: DataTable, key: str) -> list[str]:
    index = [c.value for c in table.columns].index(key)
    return [row[index] for row in cells(table)]


async def type_filter(pilot, text: str) -> None:
    """Type into the list's filter, then wait until its page for that text is shown (the
    debounce timer, then the request)."""
    if not isinstance(pilot.app.focused, Input):
        await press(pilot, "slash")
    box = pilot.app.focused
    box.value = ""
    await pilot.press(*text)
    paged = box.parent
    for _ in range(200):
        await pilot.pause(0.05)
        await settle(pilot)
        if paged.paging.query == ac.normal_filter(text) and not paged.loading_now:
            return
    raise AssertionError(f"the filter {text!r} never applied")


def highlight(paged, key: str) -> None:
    paged.table.move_cursor(row=paged.table.get_row_index(key))


async def open_panel(pilot, number: str, panel_id: str):
    await press(pilot, number)
    paged = pilot.app.screen.query_one(f"#list-{panel_id}")
    await settle(pilot)
    return paged


@pytest.fixture
def app(world, clock, make_app):
    return console_app(world, clock, make_app)


async def test_sessions_filter_on_the_server_and_page_by_keyset(app, world, clock):
    async with app.run_test() as pilot:
        await sign_in(pilot, clock, world["admin"])
        assert screen_name(app) == "AdminConsoleScreen"
        sessions = await open_panel(pilot, "2", "sessions")
        first = list(sessions.items)
        assert len(first) == ac.PAGE_SIZE and sessions.paging.has_next  # a page, never the tenant
        footer_keys = list(app.screen.query("FooterKey"))
        sessions.reload()
        await settle(pilot)
        assert list(app.screen.query("FooterKey")) == footer_keys  # no key changed: the footer is not rebuilt
        await press(pilot, "n")
        second = list(sessions.items)
        assert sessions.paging.page_no == 2 and not set(first) & set(second)
        assert list(app.screen.query("FooterKey")) != footer_keys  # p works now: the footer says so
        await press(pilot, "p")
        assert list(sessions.items) == first
        # Moving down past the last row asks for the next page.
        sessions.table.move_cursor(row=sessions.table.row_count - 1)
        await press(pilot, "down")
        assert list(sessions.items) == second

        await type_filter(pilot, "mallory")
        emails = {s.user_email for s in sessions.items.values()}
        assert emails == {world["member"]} and sessions.paging.page_no == 1
        assert "/mallory" in str(sessions.query_one(".paged-title").render())
        await type_filter(pilot, "zzz-nobody")
        assert not sessions.items
        assert "Nothing matches" in str(sessions.query_one(".paged-words").render())
        await press(pilot, "escape")  # clears the filter: the whole list again
        await settle(pilot)
        assert sessions.paging.query == "" and list(sessions.items) == first


async def test_revoke_one_session_then_all_of_the_user_and_their_tokens_are_refused(app, world, clock):
    async with app.run_test() as pilot:
        await sign_in(pilot, clock, world["admin"])
        theirs = await other_client(app, world["plain_member"])
        spare = await other_client(app, world["plain_member"])
        sessions = await open_panel(pilot, "2", "sessions")
        await type_filter(pilot, world["plain_member"])
        await press(pilot, "enter")  # back to the list
        target = theirs.tokens.session_id
        highlight(sessions, target)
        await press(pilot, "d")
        assert screen_name(app) == "ConfirmScreen"
        question = str(app.screen.question)
        assert world["plain_member"] in question and "their laptop" in question
        await press(pilot, "y")
        assert str(sessions.items[target].revoked_reason) == "admin_revoked"
        assert "ended" in cells(sessions.table)[sessions.table.get_row_index(target)][2]
        assert sessions.table.get_row_index(target) == sessions.table.cursor_row  # changed in place
        with pytest.raises(ApiError) as refused:
            await theirs.me()
        assert refused.value.code in ("session_revoked", "token_invalid", "unauthorized")

        await press(pilot, "D")
        assert "every session" in str(app.screen.question)
        await press(pilot, "y")
        assert "revoked" in app.screen.status.message
        assert not any(s.active for s in sessions.items.values())
        with pytest.raises(ApiError):
            await spare.me()
        await theirs.aclose()
        await spare.aclose()


async def test_force_release_a_seat(app, world, clock):
    async with app.run_test() as pilot:
        await sign_in(pilot, clock, world["admin"])
        theirs = await other_client(app, world["plain_member"])
        lease = await theirs.acquire_seat("hw-test-release", "release-me")
        seats = await open_panel(pilot, "3", "seats")
        highlight(seats, lease.seat_id)
        await press(pilot, "f")
        assert "release-me" in str(app.screen.question)
        await press(pilot, "y")
        assert lease.seat_id not in seats.items
        with pytest.raises(ApiError) as gone:
            await theirs.heartbeat(lease.seat_id)
        assert gone.value.code == "seat_gone"
        await theirs.aclose()


async def test_role_disable_enable_reset_second_factor_and_refusals_in_words(app, world, clock):
    async with app.run_test() as pilot:
        await sign_in(pilot, clock, world["admin"])
        users = await open_panel(pilot, "4", "users")
        member = next(u for u in users.items.values() if u.email == world["totp_member"])
        highlight(users, member.id)
        row = lambda: cells(users.table)[users.table.get_row_index(member.id)]  # noqa: E731

        await press(pilot, "o")
        assert screen_name(app) == "ChoiceScreen"
        await press(pilot, "down", "enter")  # member, admin, owner: admin
        await press(pilot, "y")
        assert row()[1] == "admin"
        assert users.table.cursor_row == users.table.get_row_index(member.id)

        await press(pilot, "s")  # sort this page by the first column: the cursor stays on its row
        assert "sorted by Email" in app.screen.status.message
        assert users.highlighted().id == member.id
        await press(pilot, "f1")
        assert screen_name(app) == "HelpScreen"
        await press(pilot, "escape")

        await press(pilot, "x", "y")
        assert row()[2] == "disabled"
        await press(pilot, "x", "y")
        assert row()[2] == "active"

        await press(pilot, "m")
        assert "authenticator" in str(app.screen.question)
        await press(pilot, "y")
        assert row()[3] == "none"
        assert db_rows(world, "SELECT totp_enrolled_at FROM users WHERE id = ?", member.id) == [(None,)]

        # The only owner cannot stop being one: the server's refusal, in words.
        me = next(u for u in users.items.values() if u.email == world["admin"])
        highlight(users, me.id)
        await press(pilot, "o", "enter", "y")  # -> member
        assert app.screen.status.message == "This is the organization's last owner: make someone else owner first."
        assert row() and cells(users.table)[users.table.get_row_index(me.id)][1] == "owner"


async def test_invite_by_email_then_cancel_the_invitation(app, world, clock):
    async with app.run_test() as pilot:
        await sign_in(pilot, clock, world["admin"])
        invitations = await open_panel(pilot, "5", "invitations")
        assert "press i" in str(invitations.query_one(".paged-words").render())
        await press(pilot, "i")
        await pilot.press(*"not-an-email")
        await press(pilot, "enter")
        assert screen_name(app) == "PromptScreen"
        assert "email address" in str(app.screen.query_one(".problem").render())
        app.screen.query_one("Input").value = "new.person@example.com"
        await press(pilot, "enter")
        await press(pilot, "enter")  # role: member (the first, least powerful choice)
        assert "Invitation mailed to new.person@example.com" in app.screen.status.message
        (invitation,) = invitations.items.values()
        assert (invitation.email, invitation.role) == ("new.person@example.com", "member")
        await press(pilot, "c")
        assert "new.person@example.com" in str(app.screen.question)
        await press(pilot, "y")
        assert not invitations.items


async def test_edit_a_quota_and_the_default(app, world, clock):
    async with app.run_test() as pilot:
        await sign_in(pilot, clock, world["admin"])
        quotas = await open_panel(pilot, "6", "quotas")
        row = next(r for r in quotas.items.values() if r.email == world["plain_member"])
        highlight(quotas, row.user_id)
        await press(pilot, "e")
        app.screen.query_one("Input").value = "ten"
        await press(pilot, "enter")
        assert ac.QUOTA_WORDS in str(app.screen.query_one(".problem").render())
        app.screen.query_one("Input").value = "42"
        await press(pilot, "enter")
        assert quotas.items[row.user_id].effective_limit == 42
        assert column(quotas.table, "limit")[quotas.table.get_row_index(row.user_id)] == "42 own"
        assert db_rows(world, "SELECT daily_limit FROM users WHERE id = ?", row.user_id) == [(42,)]

        await press(pilot, "E")
        app.screen.query_one("Input").value = "77"
        await press(pilot, "enter")
        assert db_rows(world, "SELECT default_daily_limit FROM tenants WHERE id = ?", world["tenant_id"]) == [(77,)]


async def test_audit_filters_by_action_and_by_user_and_shows_one_event(app, world, clock):
    async with app.run_test() as pilot:
        await sign_in(pilot, clock, world["admin"])
        audit = await open_panel(pilot, "7", "audit")
        assert audit.items and audit.paging.has_next
        await type_filter(pilot, "seat.acquired")
        assert {e.action for e in audit.items.values()} == {"seat.acquired"}
        await press(pilot, "escape")
        await type_filter(pilot, world["plain_member"])
        assert audit.items, (audit.error, audit.paging, audit.filter_input.value)
        assert all(world["plain_member"] in (e.actor_email or "") or e.actor_email == world["admin"]
                   or world["plain_member_id"] in str(e.detail) for e in audit.items.values())
        await press(pilot, "enter")
        await press(pilot, "enter")
        assert screen_name(app) == "DetailScreen"
        await press(pilot, "escape")
        assert screen_name(app) == "AdminConsoleScreen"


async def test_overview_refresh_keeps_the_cursor_and_a_half_typed_filter(app, world, clock):
    async with app.run_test() as pilot:
        await sign_in(pilot, clock, world["admin"])
        facts = dict(app.screen.query_one("#overview-facts").rows)
        assert facts["Organization"] == world["tenant_name"]
        sessions = await open_panel(pilot, "2", "sessions")
        sessions.table.move_cursor(row=5)
        key = sessions.table.coordinate_to_cell_key(sessions.table.cursor_coordinate).row_key.value
        sessions.reload()  # what r and the timer do
        await settle(pilot)
        assert sessions.table.coordinate_to_cell_key(sessions.table.cursor_coordinate).row_key.value == key
        assert sessions.table.cursor_row == 5

        await press(pilot, "slash")
        await pilot.press(*"ema")  # half-typed when the refresh comes
        sessions.reload()
        await pilot.pause(ac.DEBOUNCE_S + 0.3)
        await settle(pilot)
        assert sessions.filter_input.value == "ema"
        assert sessions.paging.query == "ema"
        assert all("ema" in f"{s.user_email} {s.device_name}".lower() for s in sessions.items.values())


async def test_revoking_your_own_session_says_so_then_signs_you_out(app, world, clock):
    async with app.run_test() as pilot:
        await sign_in(pilot, clock, world["admin"])
        sessions = await open_panel(pilot, "2", "sessions")
        mine = next(s for s in sessions.items.values() if s.current)
        highlight(sessions, mine.id)
        await press(pilot, "d")
        assert "your own session" in str(app.screen.question)
        await press(pilot, "y")
        await settle(pilot)
        assert app.session.me is None
        assert screen_name(app) in ("WelcomeScreen", "LoginScreen")


async def test_hostile_text_is_shown_literally_and_the_layout_holds(app, world, clock):
    async with app.run_test() as pilot:
        await sign_in(pilot, clock, world["admin"])
        sessions = await open_panel(pilot, "2", "sessions")
        await type_filter(pilot, "mallory")
        devices = column(sessions.table, "device")
        assert devices and set(devices) == {HOSTILE_DEVICE}
        assert all(sessions.table.rows[key].height == 1 for key in sessions.table.rows)
        await press(pilot, "enter", "enter")
        assert dict(app.screen.query_one("#detail-facts").rows)["Device name"] == HOSTILE_DEVICE
        await press(pilot, "escape")
        users = await open_panel(pilot, "4", "users")
        mallory = next(u for u in users.items.values() if u.email == world["member"])
        assert mallory.full_name == MARKUP_NAME
        highlight(users, mallory.id)
        await press(pilot, "enter")
        assert dict(app.screen.query_one("#detail-facts").rows)["Full name"] == MARKUP_NAME


async def test_the_footer_is_rebuilt_once_for_all_the_reasons_of_one_turn(app, world, clock):
    async with app.run_test() as pilot:
        await sign_in(pilot, clock, world["admin"])
        await settle(pilot)
        screen = app.screen
        published = []
        screen.bindings_updated_signal.subscribe(screen, published.append)
        screen.refresh_bindings()  # e.g. a tab opened, the focus moved and a page came, in one turn
        screen.refresh_bindings()
        screen.refresh_bindings()
        await settle(pilot)
        assert published == [screen]
        screen.refresh_bindings()  # a later turn: again
        await settle(pilot)
        assert published == [screen, screen]
