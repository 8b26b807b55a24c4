"""The one page a browser sees: the e-mailed verification link.

GET only shows a form asking for the registration's password (a link verifies its own
registration only, for whoever knows that password); the POST it submits verifies. Mail scanners and link previews
open links on their own, and they must not use up the single-use token.
"""

from __future__ import annotations

from html import escape
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from server.deps import DB, ClientAddr, RuntimeDep
from server.errors import ApiError
from server.services import email_verification

router = APIRouter(include_in_schema=False)

_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
    "Referrer-Policy": "no-referrer",  # the token is in this page's URL
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{title} · CODITECT</title>
<style>body{{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;line-height:1.5}}
button{{font-size:1rem;padding:.6rem 1.2rem}}</style></head>
<body><h1>{title}</h1>{body}</body></html>"""


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(_PAGE.format(title=escape(title), body=body), status_code=status, headers=_HEADERS)


@router.get("/verify")
async def verify_form(token: str = "") -> HTMLResponse:
    if not token:
        return _page("Link incomplete", "<p>This link is missing its code. Open the link from the mail "
                     "again, or type the 6-digit code in CODITECT Console.</p>", 400)
    return _page(
        "Confirm your e-mail address",
        '<form method="post" action="verify">'
        f'<input type="hidden" name="token" value="{escape(token, quote=True)}">'
        "<p>Type the password you chose when you registered, then press the button to confirm "
        "this address for your CODITECT account.</p>"
        '<p><label>Password <input type="password" name="password" autocomplete="current-password" '
        'required></label></p>'
        "<button type=\"submit\">Confirm my e-mail address</button></form>",
    )


@router.post("/verify")
async def verify_submit(request: Request, db: DB, runtime: RuntimeDep, addr: ClientAddr) -> HTMLResponse:
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    token = (form.get("token") or [""])[0]
    password = (form.get("password") or [""])[0] or None
    try:
        await email_verification.verify_link(db, runtime, token, addr, password=password)
    except ApiError as error:
        return _page(error.title, f"<p>{escape(error.detail or '')}</p>", error.status)
    return _page("E-mail address confirmed",
                 "<p>Go back to CODITECT Console and continue: sign in if it asks you to.</p>")
