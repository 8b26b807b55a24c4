"""Outgoing mail: SMTP (`--smtp-url smtp://host:port`) or an outbox directory of .eml files
(the embedded default, since no real mail can be sent from a laptop).

Mail is sent after the request's transaction has committed (`OutgoingMail.send` as a
background task), so a slow or broken mail server never holds the database or fails the
request. Plain `smtp://` upgrades with STARTTLS whenever the server offers it, and a
password is only ever sent over TLS.
"""

from __future__ import annotations

import asyncio
import email.policy
import logging
import os
import smtplib
import ssl
import time
import unicodedata
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlparse

log = logging.getLogger(__name__)


QUOTED_NAME_MAX = 40


def quoted_name(name: str, limit: int = QUOTED_NAME_MAX) -> str:
    """A name a stranger chose, as it may appear in our mail: short, in double quotes, on
    one line, without format characters (even from rows older than that rule), so that it
    reads as a quoted name and never as our own words ("Your account is suspended...")."""
    text = " ".join("".join(ch for ch in name if unicodedata.category(ch)[0] != "C").split())
    text = text.replace('"', "'")
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return f'"{text}"'


class MailError(Exception):
    """A delivery problem described by us (its text holds no secret, so it may be logged)."""


@dataclass
class OutgoingMail:
    """A mail to send once the transaction has committed."""

    to: str
    subject: str
    body: str

    async def send(self, mailer) -> None:
        # Delivery problems must not undo what was committed, and bodies hold codes or
        # invitation tokens: never log the mail, only what went wrong.
        try:
            await mailer.send(self.to, self.subject, self.body)
        except MailError as exc:
            log.warning("mail not delivered: %s", exc)
        except Exception as exc:  # noqa: BLE001 - any transport error
            log.warning("mail not delivered (%s)", type(exc).__name__)


class OutboxMailer:
    def __init__(self, directory: Path, sender: str) -> None:
        self.directory = Path(directory)
        self.sender = sender

    def describe(self) -> str:
        return f"outbox {self.directory}"

    async def send(self, to: str, subject: str, body: str) -> Path:
        msg = _message(self.sender, to, subject, body)
        return await asyncio.to_thread(self._write, msg)

    def _write(self, msg: EmailMessage) -> Path:
        # Mail holds codes and links: the folder is the owner's only, wherever it is.
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.directory, 0o700)
        name = f"{time.time_ns()}-{os.urandom(3).hex()}.eml"
        path = self.directory / name
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(bytes(msg))
        return path


class SmtpMailer:
    def __init__(self, url: str, sender: str, timeout: float = 10.0) -> None:
        parsed = urlparse(url)
        if parsed.scheme not in ("smtp", "smtps") or not parsed.hostname:
            raise ValueError("SMTP URL must look like smtp://host:port")
        self.host = parsed.hostname
        self.port = parsed.port or (465 if parsed.scheme == "smtps" else 25)
        self.tls = parsed.scheme == "smtps"
        self.username = parsed.username
        self.password = parsed.password
        self.sender = sender
        self.timeout = timeout

    def describe(self) -> str:
        return f"SMTP {self.host}:{self.port}"

    async def send(self, to: str, subject: str, body: str) -> None:
        await asyncio.to_thread(self._send, _message(self.sender, to, subject, body))

    def _send(self, msg: EmailMessage) -> None:
        context = ssl.create_default_context()
        if self.tls:
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with smtp:
            encrypted = self.tls
            if not encrypted:
                smtp.ehlo()
                if smtp.has_extn("starttls"):
                    smtp.starttls(context=context)
                    smtp.ehlo()
                    encrypted = True
            if self.username:
                if not encrypted:
                    raise MailError(f"{self.describe()} offers no STARTTLS: the SMTP password is not sent "
                                    "in clear (use smtps:// or a server with STARTTLS)")
                smtp.login(self.username, self.password or "")
            if _international(msg["To"]):
                if not smtp.has_extn("smtputf8"):
                    raise MailError(f"{self.describe()} does not offer SMTPUTF8, which an address that is "
                                    "not plain ASCII needs")
                smtp.send_message(msg, mail_options=["SMTPUTF8"])
            else:
                smtp.send_message(msg)


def _international(address: str) -> bool:
    return not address.isascii()


def _message(sender: str, to: str, subject: str, body: str) -> EmailMessage:
    # An address that is not ASCII (jörg@example.com) is written as it is, in UTF-8, and
    # sent with SMTPUTF8 (RFC 6531); the default policy would encode it into an
    # undeliverable =?utf-8?...?= To: header.
    msg = EmailMessage(policy=email.policy.SMTPUTF8 if _international(to) else email.policy.default)
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content(body)
    return msg


def make_mailer(settings) -> OutboxMailer | SmtpMailer:
    if settings.smtp_url:
        return SmtpMailer(settings.smtp_url, settings.mail_from)
    return OutboxMailer(settings.outbox_dir, settings.mail_from)
