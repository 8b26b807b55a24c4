"""tui/admin_console.py without a UI: who gets which console, columns by width, keyset
paging and stale answers, the words of confirmations, quota input."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from server import schemas
from tui import admin_console as ac
from tui.admin_sources import local_page, matches

AT = datetime(2026, 11, 26, 10, 0, tzinfo=timezone.utc)


def test_who_gets_which_console():
    assert ac.console_for("owner") == ac.console_for("admin") == "admin"
    assert ac.console_for("member") is None and ac.console_for(None) is None
    assert ac.start_console(None, "support") == ("support", None)
    assert ac.start_console("admin", "support")[0] == "support"
    assert ac.start_console("admin", "admin") == ("admin", None)
    target, words = ac.start_console("admin", "member")
    assert target is None and "owners and admins" in words
    assert ac.start_console("support", "owner")[0] is None
    assert ac.start_console(None, "member") == (None, None)
    assert ac.role_choices("owner") == ["member", "admin", "owner"]
    assert ac.role_choices("admin") == ["member", "admin"]  # only owners grant owner


def test_columns_drop_by_priority_and_keep_their_order():
    wide = ac.fit_columns(ac.SESSION_COLUMNS, 200)
    assert wide == ac.SESSION_COLUMNS
    narrow = ac.fit_columns(ac.SESSION_COLUMNS, 80)
    assert [c.key for c in narrow] == [c.key for c in ac.SESSION_COLUMNS if c in narrow]
    assert sum(c.width + ac.CELL_PADDING for c in narrow) + ac.SCROLLBAR <= 80
    assert {"user", "device"} <= {c.key for c in narrow} and "mfa" not in {c.key for c in narrow}
    assert [c.key for c in ac.fit_columns(ac.SESSION_COLUMNS, 10)] == ["user", "device"]  # priority 1 stays


def test_paging_by_cursor_and_stale_answers_are_dropped():
    paging = ac.Paging()
    first = paging.request()
    assert paging.accept(first, "c2") and paging.has_next
    assert paging.forward() and paging.request().cursor == "c2" and paging.page_no == 2
    late = ac.Request(first.generation, "", None)
    assert not paging.accept(late, "zzz")  # an answer to the first page, after moving on
    assert paging.back() and paging.request().cursor is None and not paging.back()
    typing = paging.request()
    assert paging.set_query("  ada   lovelace ") and paging.query == "ada lovelace"
    assert not paging.set_query("ada lovelace")  # nothing changed: no request
    assert not paging.accept(typing, None)
    assert paging.title("Sessions", 3) == "Sessions [3]  /ada lovelace"
    assert ac.page_delta(["a", "b"], ["a", "b"]) == "update" and ac.page_delta(["a"], ["b"]) == "replace"
    assert len(ac.normal_filter("x" * 500)) == ac.FILTER_MAX


def session(**changes):
    values = dict(id="s1", user_id="u1", user_email="[b]eve[/b]@x.example", device_name="[red]pc", client_addr=None,
                  created_at=AT, last_seen_at=AT, expires_at=AT, amr=["pwd", "otp"], revoked_at=None,
                  revoked_reason=None, active=True, current=False)
    values.update(changes)
    return schemas.AdminSession(**values)


def test_cells_are_literal_text_and_confirmations_name_what_ends():
    row = ac.session_row(session())
    assert row.cells["user"].plain == "[b]eve[/b]@x.example" and row.cells["device"].plain == "[red]pc"
    assert not row.cells["user"].spans
    assert ac.text("a\nb\x1bc").plain == "a b c"
    asked = ac.revoke_session_confirmation(session(), own=False)
    assert "[b]eve[/b]@x.example" in asked.question.plain and "[red]pc" in asked.question.plain
    mine = ac.revoke_session_confirmation(session(current=True), own=ac.is_own_session(session(current=True), None))
    assert "your own session" in mine.question.plain and "signs you out" in mine.question.plain
    assert "every session" in ac.revoke_user_confirmation("eve@x", own=False).question.plain
    assert "your own" in ac.revoke_user_confirmation("eve@x", own=True).question.plain
    ended = ac.session_state(session(active=False, revoked_at=AT, revoked_reason="admin_revoked"))
    assert ended.plain == "ended: admin revoked"


def test_daily_limit_input():
    assert ac.parse_daily_limit("") is None and ac.parse_daily_limit("default") is None
    assert ac.parse_daily_limit(" 1,000 ") == 1000
    for bad in ("-1", "ten", "1.5", "10000001"):
        with pytest.raises(ValueError):
            ac.parse_daily_limit(bad)
        assert ac.daily_limit_problem(bad) == ac.QUOTA_WORDS
    assert ac.quota_bar(5, 10).plain == "█████░░░░░ 5/10"
    assert ac.quota_bar(12, 10).plain.startswith("██████████")
    assert ac.email_problem("a@b.example") is None and ac.email_problem("nope")


def test_audit_filter_and_local_pages():
    assert ac.audit_filter("seat.acquired") == ("seat.acquired", None)
    assert ac.audit_filter(" ada@x.example ") == (None, "ada@x.example")
    assert ac.audit_filter("") == (None, None)
    items = list(range(25))
    page = local_page(items, "", None, 10, lambda i: (i,))
    assert page.items == list(range(10)) and page.next_cursor == "10"
    assert local_page(items, "", "20", 10, lambda i: (i,)).next_cursor is None
    assert matches("ADA", "ada@x") and not matches("bob", "ada@x", None)
