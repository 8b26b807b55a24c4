"""The e-mailed link opens a page; only its button (a POST) verifies the address."""

from __future__ import annotations

import re

from tests.server.flows import API, DEFAULT_PASSWORD, read_verification_mail, register, unique_email


async def _registered(client, settings) -> tuple[str, str]:
    email = unique_email()
    assert (await register(client, email)).status_code == 201
    _code, token = read_verification_mail(settings, to=email)
    return email, token


async def _login_status(client, email) -> int:
    r = await client.post(f"{API}/login", json={"email": email, "password": DEFAULT_PASSWORD, "device_name": "t"})
    return r.status_code


async def test_opening_the_link_does_not_verify_but_the_button_does(client, settings):
    email, token = await _registered(client, settings)
    page = await client.get("/verify", params={"token": token})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert page.headers["referrer-policy"] == "no-referrer"
    assert await _login_status(client, email) == 403  # still unverified: a GET changes nothing
    hidden = re.search(r'name="token" value="([^"]+)"', page.text).group(1)
    assert 'name="password"' in page.text
    done = await client.post("/verify", content=f"token={hidden}&password={DEFAULT_PASSWORD}",
                             headers={"content-type": "application/x-www-form-urlencoded"})
    assert done.status_code == 200 and "confirmed" in done.text
    assert await _login_status(client, email) == 200


async def test_a_used_link_says_so_in_words(client, settings):
    _email, token = await _registered(client, settings)
    form = {"content": f"token={token}&password={DEFAULT_PASSWORD}", "headers": {"content-type": "application/x-www-form-urlencoded"}}
    assert (await client.post("/verify", **form)).status_code == 200
    again = await client.post("/verify", **form)
    assert again.status_code == 400 and "not valid any more" in again.text


async def test_the_page_escapes_what_it_is_given(client):
    page = await client.get("/verify", params={"token": '"><script>alert(1)</script>'})
    assert "<script>" not in page.text and "&lt;script&gt;" in page.text
    assert (await client.get("/verify")).status_code == 400
