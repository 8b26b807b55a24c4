"""`coditect-console server create-user`: staff (support) accounts, or users of a tenant.

The password comes from standard input only, so it never shows in `ps` or shell history.
Every failure is one plain sentence on stderr and exit code 1.
"""

from __future__ import annotations

import sys

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import select

from server.errors import ApiError
from server.models import Tenant
from server.runtime import Runtime
from server.schemas.common import check_name
from server.schemas.identity import Email
from server.services import audit
from server.services.auth import create_account

STAFF_TENANT_NAME = "CODITECT Support"


def _fail(message: str) -> int:
    print(f"coditect-console server create-user: {message}", file=sys.stderr)
    return 1


async def _staff_tenant(db, clock) -> Tenant:
    tenant = (await db.execute(select(Tenant).where(Tenant.is_staff.is_(True)).limit(1))).scalar_one_or_none()
    if tenant is None:
        tenant = Tenant(name=STAFF_TENANT_NAME, is_staff=True, created_at=clock.now())
        db.add(tenant)
        await db.flush()
    return tenant


async def create_user(settings, args) -> int:
    try:
        email = TypeAdapter(Email).validate_python(args.email)
    except ValidationError:
        return _fail(f"{args.email!r} is not a valid e-mail address.")
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        return _fail("no password on standard input (pipe it in: echo \"$PASSWORD\" | ... --password-stdin).")
    full_name = args.full_name or email.split("@")[0]
    try:
        check_name(full_name)
    except ValueError as why:
        return _fail(f"--full-name {why}.")
    if args.role == "support" and args.tenant:
        return _fail("support users belong to the staff tenant; leave out --tenant.")
    if args.role != "support" and not args.tenant:
        return _fail(f"a {args.role} belongs to a tenant: give --tenant TENANT_ID.")
    runtime = Runtime(settings)
    try:
        await runtime.start()
        async with runtime.sessionmaker() as db:
            if args.role == "support":
                tenant = await _staff_tenant(db, runtime.clock)
            else:
                tenant = await db.get(Tenant, args.tenant)
                if tenant is None or tenant.is_staff:
                    return _fail(f"no tenant with id {args.tenant!r}.")
            user = await create_account(db, runtime, email=email, password=password,
                                        full_name=full_name, tenant=tenant,
                                        role=args.role, verified=True)
            await audit.record(db, runtime.clock, "auth.user_created", tenant_id=tenant.id, target=f"user:{user.id}",
                               detail={"role": args.role, "via": "cli"})
            await db.commit()
    except ApiError as error:
        return _fail(f"{error.title} {error.detail or ''}".strip())
    except OSError as error:
        return _fail(f"cannot reach the database ({error.strerror or error}).")
    finally:
        await runtime.close()
    print(f"Created {args.role} user {email} (id {user.id}) in tenant {tenant.name!r}; the address counts as "
          "verified. They set up an authenticator app at their first sign-in.")
    return 0
