"""`hailong pakn`: the PAKN register on the command line — list, stats, import, and the daily purge and digest."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _

from hailong.analysis.periods import PeriodError, parse_period
from hailong.forms.questionnaire import KINDS

from .. import transaction
from ..extensions import db
from ..models import Organisation, PaknStatus
from ..services import pakn as pakn_svc
from ..services import pakn_import, pakn_mail
from ..services.responses import ImportRefused
from .base import BadInput, CommandFailed, ward_of, ward_option

WARD_OPTION = ward_option


def _ward(code: str | None) -> Organisation:
    return ward_of(code)


def _wards(code: str | None) -> list[Organisation]:
    if code:
        return [_ward(code)]
    return list(db.session.scalars(db.select(Organisation).order_by(Organisation.id)))


@click.group("pakn")
def pakn_group() -> None:
    """Phản ánh, kiến nghị (feedback and petitions): the register, its numbers and daily jobs."""


@pakn_group.command("list")
@click.option("--status", type=click.Choice([s.value for s in PaknStatus]), help="Only items in this state.")
@click.option("--overdue", is_flag=True, help="Only open items past their deadline.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array (the default is one line per item).")
@WARD_OPTION
@with_appcontext
def list_command(status: str | None, overdue: bool, as_json: bool, ward_code: str | None) -> None:
    """List items: id, status, category, channel, point, unit, received, due, replied (never contact details)."""
    rows = pakn_svc.list_items(_ward(ward_code).id, status, overdue)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for r in rows:
        click.echo(f"{r['id']:>6}  {r['status']:<17} {r['category']:<15} {r['channel']:<7} {r['point'] or '-':<14} "
                   f"{r['unit'] or '-':<14} {r['received_at'][:10]}  {r['due']}  {(r['replied_at'] or '-')[:10]}")


@pakn_group.command("stats")
@click.option("--period", required=True, help="2026-Q1, 2026-H1, 2026 or 2026-01-01..2026-03-31")
@click.option("--kind", type=click.Choice(list(KINDS)), help="Only items about one kind of service.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (the default).")
@WARD_OPTION
@with_appcontext
def stats_command(period: str, kind: str | None, as_json: bool, ward_code: str | None) -> None:
    """The period's numbers, in total and by unit, point and category (the quarterly report prints the same)."""
    try:
        parsed = parse_period(period)
    except PeriodError:
        raise BadInput(_("Kỳ không hợp lệ. Dùng 2026-Q1, 2026-H1, 2026 hoặc 2026-01-01..2026-03-31."),
                       option="--period") from None
    click.echo(json.dumps(pakn_svc.stats(_ward(ward_code).id, parsed, kind), ensure_ascii=False, indent=2))


@pakn_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@WARD_OPTION
@with_appcontext
def import_command(file: Path, ward_code: str | None) -> None:
    """Import items from other channels, all or nothing; prints each new item's tracking code once.

    Columns: received_at, channel (paper, phone, email, portal, direct), category, text; optional point, kind,
    contact_name, contact_phone, contact_email, consent (1 when the citizen agreed to keep the contact).
    """
    ward = _ward(ward_code)
    try:
        done = pakn_import.import_csv(ward, file)
    except ImportRefused as exc:
        for error in exc.errors:
            click.echo(f"{file.name}: {error}", err=True)
        raise CommandFailed(_("Không nhập phản ánh nào: %(n)s lỗi.", n=len(exc.errors))) from None
    for row in done:
        click.echo(_("dòng %(line)s: phản ánh số %(id)s, mã tra cứu %(code)s", line=row.line, id=row.item_id,
                     code=row.code))
    click.echo(_("Đã nhập %(n)s phản ánh.", n=len(done)))


@pakn_group.command("purge")
@WARD_OPTION
@with_appcontext
def purge_command(ward_code: str | None) -> None:
    """Delete contact details whose stated keeping period has ended (schedule it daily); each deletion is audited."""
    total = sum(pakn_svc.purge_contacts(ward.id) for ward in _wards(ward_code))
    click.echo(_("Đã xóa thông tin liên hệ của %(n)s phản ánh hết thời hạn lưu.", n=total))


@pakn_group.command("digest")
@WARD_OPTION
@with_appcontext
def digest_command(ward_code: str | None) -> None:
    """E-mail each unit its overdue items (digest_all units: the whole ward's) and send any e-mail still waiting."""
    if not pakn_mail.enabled():
        click.echo(_("HAILONG_SMTP_URL chưa được đặt: không gửi thư nào."))
        return
    today: date = pakn_svc.today()
    queued = sum(pakn_svc.queue_digest(ward.id, today) for ward in _wards(ward_code))

    def send() -> None:
        # After the digests are stored: the outbox is sent, and what was sent is marked, in a transaction of its own.
        sent, failed = pakn_mail.send_pending()
        click.echo(_("Bản tổng hợp: %(q)s thư; đã gửi %(s)s thư, lỗi %(f)s thư.", q=queued, s=sent, f=failed))
        if failed:
            raise CommandFailed(_("%(n)s thư chưa gửi được; sẽ thử lại ở lần chạy sau.", n=failed))

    transaction.after_commit(send)


commands = [pakn_group]
