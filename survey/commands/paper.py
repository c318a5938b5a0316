"""`hailong paper`: print numbered paper forms (A4, tick boxes, a QR code of each serial) for clerks to type in."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select

from hailong.forms.questionnaire import KINDS

from ..extensions import db
from ..models import Organisation, ServicePoint
from ..services import audit
from ..services import paper as paper_svc
from .base import OUT_FILE, BadInput, cli_actor, output_file


def _ward(code: str | None, point: ServicePoint | None) -> Organisation:
    """The ward to number the forms in: the point's, the one named, or the only one."""
    if point is not None:
        if code and point.organisation.code != code:
            raise BadInput(_("--point: điểm “%(point)s” không thuộc phường “%(ward)s”.", point=point.code, ward=code))
        return point.organisation
    wards = list(db.session.scalars(select(Organisation).order_by(Organisation.id)))
    if code:
        found = next((w for w in wards if w.code == code), None)
        if found is None:
            raise BadInput(_("--ward: không có phường mã “%(code)s”.", code=code))
        return found
    if len(wards) != 1:
        raise BadInput(_("Có %(n)s phường trong cơ sở dữ liệu: hãy chọn một bằng --ward MÃ.", n=len(wards)))
    return wards[0]


@click.command("paper")
@click.option("--kind", required=True, type=click.Choice(KINDS), help="Which questionnaire.")
@click.option("--point", "point_code", help="Print the forms for this service point (default: the citizen ticks one).")
@click.option("--ward", "ward_code", help="The ward's code, when the database holds several.")
@click.option("--count", type=click.IntRange(1, paper_svc.MAX_ISSUE), required=True, help="How many forms.")
@click.option("--out", "out_path", required=True, type=OUT_FILE, help="The PDF to write.")
@with_appcontext
def paper(kind: str, point_code: str | None, ward_code: str | None, count: int, out_path: Path) -> None:
    """Issue COUNT numbered paper forms of a questionnaire and print them as an A4 PDF.

    Each form carries its serial in digits and as a QR code; only issued serials can be typed in the office,
    and each only once (twice with double entry).
    """
    point = None
    if point_code is not None:
        point = db.session.scalar(select(ServicePoint).filter_by(code=point_code.strip().lower(), active=True))
        if point is None:
            raise BadInput(_("--point: không có điểm khảo sát đang hoạt động với mã “%(code)s”.", code=point_code))
    ward = _ward(ward_code, point)
    try:
        papers = paper_svc.issue(ward, kind, count, point)
    except paper_svc.PaperError as exc:
        raise BadInput(str(exc)) from None
    # No forms printed, no serials issued: a failure here rolls the whole command back.
    pdf = paper_svc.render_pdf(papers, str(get_locale() or "vi"))
    with output_file(out_path) as part:
        part.write_bytes(pdf)
    first, last = papers[0].serial, papers[-1].serial
    audit.record(cli_actor(), "paper.issued", f"ward:{ward.code}",
                 f"{kind}; {papers[0].questionnaire.key}; {point.code if point else '-'}; {count}; {first}..{last}")
    click.echo(_("Đã in %(n)s phiếu %(kind)s, số %(first)s đến %(last)s: %(path)s", n=count, kind=kind, first=first,
                 last=last, path=str(out_path)))


commands = [paper]
