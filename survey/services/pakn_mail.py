"""PAKN e-mail: written to an outbox (pakn_mail) in the same transaction as the change it reports, sent after the
commit with the standard library's smtplib.

Why an outbox: a change (an assignment, a published reply) must never be lost because a mail server is down, and
a mail must never be sent for a change that was rolled back. So services only add rows; the view sends them just
after its commit, and `hailong pakn digest` (daily, from cron) sends whatever is still waiting. Without
HAILONG_SMTP_URL nothing is written or sent: no address is kept for nothing.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.message import EmailMessage
from email.utils import make_msgid
from urllib.parse import unquote, urlsplit

from flask import current_app
from sqlalchemy import delete, select

from hailong.analysis.periods import TZ

from ..extensions import db
from ..models import PaknMail

#: A message is tried this many times (once after its change, then by each `hailong pakn digest`).
MAX_ATTEMPTS = 5
TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class SmtpTarget:
    scheme: str
    host: str
    port: int
    user: str | None
    password: str | None


def parse_url(url: str) -> SmtpTarget:
    """smtp://[user:pass@]host[:port] (plain, port 25), smtp+starttls://… (587) or smtps://… (465)."""
    parts = urlsplit(url)
    defaults = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}
    if parts.scheme not in defaults or not parts.hostname:
        raise ValueError("HAILONG_SMTP_URL must be smtp://, smtp+starttls:// or smtps:// with a host")
    return SmtpTarget(parts.scheme, parts.hostname, parts.port or defaults[parts.scheme],
                      unquote(parts.username) if parts.username else None,
                      unquote(parts.password) if parts.password else None)


def enabled() -> bool:
    return bool(current_app.config["HAILONG_SMTP_URL"])


def enqueue(ward_id: int, item_id: int | None, purpose: str, to: str, subject: str, body: str) -> None:
    db.session.add(PaknMail(organisation_id=ward_id, item_id=item_id, purpose=purpose, to_addr=to,
                            subject=subject[:300], body=body, attempts=0))


def base_url() -> str:
    return str(current_app.config["HAILONG_BASE_URL"]).rstrip("/")


def vn_date(value: date) -> str:
    return value.strftime("%d/%m/%Y")


def forget_citizen(item_id: int) -> None:
    """Delete the e-mails to an item's citizen (their address is being purged)."""
    db.session.execute(delete(PaknMail).where(PaknMail.item_id == item_id, PaknMail.purpose == "citizen"))


def _message(row: PaknMail) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = str(current_app.config["HAILONG_MAIL_FROM"])
    msg["To"] = row.to_addr
    msg["Subject"] = row.subject
    msg["Message-ID"] = make_msgid(domain="hailong")
    msg["Date"] = datetime.now(TZ).strftime("%a, %d %b %Y %H:%M:%S %z")
    msg.set_content(row.body)
    return msg


def _connect(target: SmtpTarget) -> smtplib.SMTP:
    if target.scheme == "smtps":
        server: smtplib.SMTP = smtplib.SMTP_SSL(target.host, target.port, timeout=TIMEOUT_SECONDS,
                                                context=ssl.create_default_context())
    else:
        server = smtplib.SMTP(target.host, target.port, timeout=TIMEOUT_SECONDS)
        if target.scheme == "smtp+starttls":
            server.starttls(context=ssl.create_default_context())
    if target.user:
        server.login(target.user, target.password or "")
    return server


def send_pending(ward_id: int | None = None, item_id: int | None = None, limit: int = 200) -> tuple[int, int]:
    """Send waiting e-mail (of a ward, or of one item) over one connection; (sent, failed). The caller commits.

    A failure is recorded on the row by its type only (never the address or the server's words) and the row is
    tried again later, at most MAX_ATTEMPTS times in all.
    """
    url = str(current_app.config["HAILONG_SMTP_URL"] or "")
    if not url:
        return 0, 0
    query = select(PaknMail).where(PaknMail.sent_at.is_(None), PaknMail.attempts < MAX_ATTEMPTS)
    if ward_id is not None:
        query = query.where(PaknMail.organisation_id == ward_id)
    if item_id is not None:
        query = query.where(PaknMail.item_id == item_id)
    rows = list(db.session.scalars(query.order_by(PaknMail.id).limit(limit)))
    if not rows:
        return 0, 0
    sent = failed = 0
    server: smtplib.SMTP | None = None
    try:
        server = _connect(parse_url(url))
    except (OSError, smtplib.SMTPException, ValueError) as exc:
        for row in rows:
            row.attempts += 1
            row.last_error = type(exc).__name__
        current_app.logger.warning("PAKN mail: cannot reach the SMTP server (%s)", type(exc).__name__)
        return 0, len(rows)
    try:
        for row in rows:
            row.attempts += 1
            try:
                server.send_message(_message(row))
            except (OSError, smtplib.SMTPException) as exc:
                row.last_error = type(exc).__name__
                failed += 1
                current_app.logger.warning("PAKN mail %s not sent (%s)", row.id, type(exc).__name__)
            else:
                row.sent_at, row.last_error = datetime.now(UTC), None
                sent += 1
    finally:
        try:
            server.quit()
        except (OSError, smtplib.SMTPException):
            server.close()
    return sent, failed
