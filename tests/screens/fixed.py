"""Fixed data for snapshots: what would otherwise be random (secrets, keys, codes) or
depend on the machine (host name, mail file names) goes through the screens' own
display methods, so every run draws the same picture."""

from __future__ import annotations

from datetime import datetime, timezone

from server import schemas
from tui.lease_status import LeaseStatus

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
URI = f"otpauth://totp/CODITECT:ada%40example.com?secret={SECRET}&issuer=CODITECT"
CODES = [f"{a}{a}{a}{a}-{b}{b}{b}{b}-{n:04d}" for a, b, n in zip("abcdefghjk", "mnpqrstvwx", range(1, 11))]
PRO_KEY = "CODITECT-PRO-7K2M-9QXR-4TBN-W8H5"
FREE_KEY = "CODITECT-FREE-3V6P-Q0RT-XM2K-J9C1"
AT = datetime(2026, 11, 26, 10, 0, tzinfo=timezone.utc)
UNTIL = datetime(2026, 12, 3, 10, 0, tzinfo=timezone.utc)

LICENSES = schemas.LicensesResponse(licenses=[
    schemas.LicenseInfo(key=PRO_KEY, tier="pro", seats_total=5, seats_used=1, daily_limit=1000,
                        expires_at=datetime(2027, 11, 27, tzinfo=timezone.utc), activated_at=AT),
    schemas.LicenseInfo(key=FREE_KEY, tier="free", seats_total=1, seats_used=0, daily_limit=10,
                        expires_at=None, activated_at=AT),
])

ONLINE = LeaseStatus(state="online", valid_until=UNTIL, seat_id="seat-1", tier="pro", license_key=PRO_KEY,
                     seats_used=1, seats_total=5, daily_limit=1000)
OFFLINE = LeaseStatus(state="offline", valid_until=UNTIL, seat_id="seat-1", tier="pro", license_key=PRO_KEY,
                      seats_used=1, seats_total=5, daily_limit=1000,
                      reason="The license server cannot be reached; working offline.")
LOST = LeaseStatus(state="lost", reason="This machine's seat was released. Acquire it again to keep working.")

INVITATION_CODE = "SNAPSHOTxINVITATIONxCODExFIXEDxFORxPICTURE0"
INVITATION = schemas.InvitationPreview(email="grace@engines.example", organization="[bold]Analytical[/] Engines",
                                       role="admin", expires_at=UNTIL)

SESSIONS = [
    schemas.SessionInfo(id="s1", device_name="workstation (Linux)", client_addr="127.0.0.1", created_at=AT,
                        last_seen_at=AT, amr=["pwd", "otp"], current=True),
    schemas.SessionInfo(id="s2", device_name="[red]evil", client_addr="203.0.113.7", created_at=AT,
                        last_seen_at=AT, amr=["pwd", "otp"], current=False),
]
USAGE = schemas.CommandUsageResponse(used=3, limit=1000, resets_at=datetime(2026, 11, 27, tzinfo=timezone.utc))

MAIL = """\
From: CODITECT <no-reply@coditect.ai>
To: ada@example.com
Subject: Your CODITECT verification code
Content-Type: text/plain; charset="utf-8"

Hello Ada Lovelace,

Your CODITECT verification code is: 123 456

Or open this link to verify your e-mail address:
http://127.0.0.1:8765/verify?token=SNAPSHOTxTOKENxFIXEDxFORxTHExPICTURE

The code and the link work once, for 15 minutes.
If you did not create a CODITECT account, ignore this mail.
"""


def write_fixed_mail(outbox_dir) -> None:
    """Newest file in the outbox (names order by time)."""
    (outbox_dir / "9999999999999999999-000000.eml").write_text(MAIL)


def _compose_log():
    from tui.workspace.compose import ProgressTracker

    tracker = ProgressTracker()
    lines = [
        '{"id":"Image coditect-workspace:local","status":"Done","text":"Built"}',
        '{"id":"Volume coditect-workspace_state","status":"Done","text":"Created"}',
        '{"id":"Volume coditect-workspace_home","status":"Done","text":"Created"}',
        '{"id":"Container coditect-workspace-workspace-1","status":"Working","text":"Starting"}',
        '{"id":"Container coditect-workspace-workspace-1","status":"Done","text":"Healthy"}',
    ]
    return [tracker.feed(line) for line in lines]


# What `docker compose --progress json up -d --wait` printed in a real run, as events.
COMPOSE_LOG = _compose_log()
