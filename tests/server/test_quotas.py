"""POST /usage/commands: the daily quota, its overrides and the UTC day."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select, update

from server.models import AuditEvent, Tenant, User
from server.services import quotas
from tests.server.principals import make_license, make_principal

USAGE = "/api/v1/usage/commands"


async def use(client, who, count=1):
    return await client.post(USAGE, json={"count": count}, headers=who["headers"])


async def _set(app, model, row_id, **values):
    async with app.state.runtime.sessionmaker() as db:
        await db.execute(update(model).where(model.id == row_id).values(**values))
        await db.commit()


async def test_free_tier_allows_ten_commands_then_429_until_midnight_utc(app, client, clock):
    member = await make_principal(app, role="member", mfa=False)
    for i in range(1, 11):
        r = await use(client, member)
        assert r.status_code == 200 and r.json() == {"used": i, "limit": 10, "resets_at": "2026-11-27T00:00:00Z"}
    r = await use(client, member)
    assert r.status_code == 429
    body = r.json()
    assert body["code"] == "quota_exceeded" and body["resets_at"] == "2026-11-27T00:00:00Z"
    assert body["used"] == 10 and body["limit"] == 10
    assert r.headers["retry-after"] == str(14 * 3600)  # from 10:00 to midnight


async def test_the_count_starts_again_on_the_next_utc_day(app, client, clock):
    clock.set(datetime(2026, 11, 26, 23, 30, tzinfo=timezone.utc))
    member = await make_principal(app, role="member")
    assert (await use(client, member, 10)).status_code == 200
    clock.set(datetime(2026, 11, 26, 23, 59, 59, tzinfo=timezone.utc))
    r = await use(client, member)
    assert r.status_code == 429 and r.headers["retry-after"] == "1"
    clock.advance(1)
    r = await use(client, member)
    assert r.json() == {"used": 1, "limit": 10, "resets_at": "2026-11-28T00:00:00Z"}


async def test_a_batch_that_would_overshoot_counts_nothing(app, client):
    member = await make_principal(app, role="member")
    assert (await use(client, member, 8)).json()["used"] == 8
    r = await use(client, member, 3)
    assert r.status_code == 429 and r.json()["used"] == 8
    assert (await use(client, member, 2)).json()["used"] == 10
    assert (await use(client, member, 11)).status_code == 429  # more than the whole limit, on a full day


async def test_a_batch_larger_than_the_limit_on_a_fresh_day_is_refused(app, client):
    member = await make_principal(app, role="member")
    r = await use(client, member, 11)
    assert r.status_code == 429 and r.json()["used"] == 0


async def test_overrides_take_effect_immediately_user_over_tenant_over_license(app, client):
    owner = await make_principal(app)
    await make_license(app, "pro", tenant_id=owner["tenant_id"])
    assert (await use(client, owner)).json()["limit"] == 1000
    await _set(app, Tenant, owner["tenant_id"], default_daily_limit=3)
    assert (await use(client, owner)).json() == {"used": 2, "limit": 3, "resets_at": "2026-11-27T00:00:00Z"}
    await _set(app, User, owner["user_id"], daily_limit=50)
    assert (await use(client, owner)).json()["limit"] == 50
    await _set(app, User, owner["user_id"], daily_limit=2)
    r = await use(client, owner)
    assert r.status_code == 429 and r.json()["limit"] == 2


async def test_quota_is_per_user(app, client):
    owner = await make_principal(app)
    member = await make_principal(app, role="member", tenant_id=owner["tenant_id"])
    assert (await use(client, owner, 10)).status_code == 200
    assert (await use(client, member)).json()["used"] == 1


async def test_exceeding_is_audited_once_per_user_and_day(app, client, clock):
    member = await make_principal(app, role="member")
    await use(client, member, 10)
    for _ in range(3):
        assert (await use(client, member)).status_code == 429
    async with app.state.runtime.sessionmaker() as db:
        events = (await db.execute(select(AuditEvent).where(AuditEvent.action == "quota.exceeded"))).scalars().all()
    assert len(events) == 1 and events[0].actor_user_id == member["user_id"] and events[0].detail == {"limit": 10}


async def test_bad_counts_are_validation_errors(app, client):
    member = await make_principal(app, role="member")
    for count in (0, -1, 1001, "x"):
        r = await client.post(USAGE, json={"count": count}, headers=member["headers"])
        assert r.status_code == 422 and r.json()["code"] == "validation_error"


async def test_support_staff_have_no_command_quota(app, client):
    support = await make_principal(app, role="support")
    assert (await use(client, support)).json()["code"] == "forbidden"


async def test_service_helpers_for_the_admin_api(app, client, clock):
    member = await make_principal(app, role="member")
    await use(client, member, 4)
    async with app.state.runtime.sessionmaker() as db:
        user = await db.get(User, member["user_id"])
        assert await quotas.usage_today(db, user.id, clock.now()) == 4
        assert await quotas.effective_daily_limit(db, user, clock.now()) == 10
        clock.advance(days=1)
        assert await quotas.usage_today(db, user.id, clock.now()) == 0


async def test_reading_todays_use_counts_nothing(app, client):
    member = await make_principal(app, role="member")
    await use(client, member, 3)
    for _ in range(2):
        r = await client.get(USAGE, headers=member["headers"])
        assert r.json() == {"used": 3, "limit": 10, "resets_at": "2026-11-27T00:00:00Z"}
