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
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import delete, select

from hailong.analysis.periods import TZ

from ..extensions import db
from ..models import PaknItem, PaknMail, PaknUnit, ServicePoint

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
    return bool(str(current_app.config.get("HAILONG_SMTP_URL") or "").strip())


def _enqueue(ward_id: int, item_id: int | None, purpose: str, to: str, subject: str, body: str) -> None:
    db.session.add(PaknMail(organisation_id=ward_id, item_id=item_id, purpose=purpose, to_addr=to,
                            subject=subject[:300], body=body, attempts=0))


def _base() -> str:
    return str(current_app.config.get("HAILONG_BASE_URL", "")).rstrip("/")


def _vn_date(value: date) -> str:
    return value.strftime("%d/%m/%Y")


def _point_name(item: PaknItem) -> str:
    point = db.session.get(ServicePoint, item.point_id) if item.point_id else None
    return point.name if point else "–"


def notify_unit(item: PaknItem, unit: PaknUnit) -> None:
    """Tell the unit it was given an item (masked text, deadline, link to the office page)."""
    if not enabled() or not unit.email:
        return
    from . import pakn

    with force_locale("vi"):
        subject = _("[Hài Lòng] Phản ánh số %(id)s giao cho %(unit)s, hạn %(due)s", id=item.id, unit=unit.name,
                    due=_vn_date(item.due_on))
        body = "\n".join([
            _("Đơn vị %(unit)s được giao xử lý phản ánh, kiến nghị số %(id)s.", unit=unit.name, id=item.id),
            "",
            _("Loại: %(c)s", c=pakn.category_label(item.category)),
            _("Điểm phục vụ: %(p)s", p=_point_name(item)),
            _("Ngày tiếp nhận: %(d)s", d=_vn_date(pakn.local_date(item.received_at))),
            _("Hạn trả lời: %(d)s", d=_vn_date(item.due_on)),
            "",
            _("Nội dung (đã ẩn thông tin cá nhân):"),
            pakn.masked(item, item.text),
            "",
            _("Xem và soạn trả lời: %(url)s", url=f"{_base()}/office/pakn/{item.id}"),
        ])
    _enqueue(item.organisation_id, item.id, "unit", unit.email, subject, body)


def notify_citizen(item: PaknItem) -> None:
    """Tell the citizen who gave an e-mail that the reply is published (the masked reply and where to rate it)."""
    if not enabled() or not item.contact_email or item.contact_purged_at is not None:
        return
    from . import pakn

    with force_locale("vi"):
        subject = _("[Hài Lòng] Phản ánh của Ông/Bà đã được trả lời")
        body = "\n".join([
            _("Kính gửi Ông/Bà,"),
            "",
            _("Phản ánh, kiến nghị Ông/Bà gửi ngày %(d)s đã được trả lời và công khai.",
              d=_vn_date(pakn.local_date(item.received_at))),
            "",
            _("Câu trả lời:"),
            item.published_reply or "",
            "",
            _("Ông/Bà có thể xem lại, đánh giá câu trả lời hoặc báo chưa được giải quyết (trong %(n)s ngày) tại "
              "%(url)s bằng mã tra cứu đã nhận khi gửi phản ánh.", n=pakn.REOPEN_DAYS, url=f"{_base()}/tra-cuu"),
            "",
            _("Thư này được gửi vì Ông/Bà đã đồng ý để lại địa chỉ thư điện tử; địa chỉ sẽ được xóa khi hết thời hạn "
              "lưu đã nêu."),
        ])
    _enqueue(item.organisation_id, item.id, "citizen", item.contact_email, subject, body)


def forget_citizen(item_id: int) -> None:
    """Delete the e-mails to an item's citizen (their address is being purged)."""
    db.session.execute(delete(PaknMail).where(PaknMail.item_id == item_id, PaknMail.purpose == "citizen"))


def digest(ward_id: int, on: date) -> int:
    """Queue the daily digest of overdue items: each unit gets its own, a digest_all unit gets the whole ward's."""
    if not enabled():
        return 0
    from . import pakn

    queued = 0
    for unit in pakn.units(ward_id, active_only=True):
        if not unit.email:
            continue
        items = pakn.overdue(ward_id, on, None if unit.digest_all else unit.code)
        if not items:
            continue
        with force_locale("vi"):
            subject = _("[Hài Lòng] %(n)s phản ánh quá hạn ngày %(d)s", n=len(items), d=_vn_date(on))
            lines = [_("Các phản ánh, kiến nghị đã quá hạn trả lời (%(n)s):", n=len(items)), ""]
            for item in items:
                lines.append(_("- Số %(id)s, %(c)s, đơn vị %(u)s, hạn %(d)s (%(s)s): %(url)s",
                               id=item.id, c=pakn.category_label(item.category), u=item.assigned_unit or "–",
                               d=_vn_date(item.due_on), s=pakn.status_label(item.status),
                               url=f"{_base()}/office/pakn/{item.id}"))
        _enqueue(ward_id, None, "digest", unit.email, subject, "\n".join(lines))
        queued += 1
    return queued


def _message(row: PaknMail) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = str(current_app.config.get("HAILONG_MAIL_FROM") or "Hài Lòng <no-reply@localhost>")
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
    url = str(current_app.config.get("HAILONG_SMTP_URL") or "").strip()
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
