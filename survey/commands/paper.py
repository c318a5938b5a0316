"""`hailong paper`: print numbered paper forms (A4, tick boxes, a QR code of each serial) for clerks to type in."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext
from flask_babel import get_locale
from flask_babel import gettext as _

from hailong.forms.questionnaire import KINDS

from ..services import audit
from ..services import paper as paper_svc
from ..services import points as point_svc
from .base import OUT_FILE, BadInput, cli_actor, output_file, ward_of, ward_option


@click.command("paper")
@click.option("--kind", required=True, type=click.Choice(KINDS), help="Which questionnaire.")
@click.option("--point", "point_code", help="Print the forms for this service point (default: the citizen ticks one).")
@ward_option
@click.option("--count", type=click.IntRange(1, paper_svc.MAX_ISSUE), required=True, help="How many forms.")
@click.option("--out", "out_path", required=True, type=OUT_FILE, help="The PDF to write.")
@with_appcontext
def paper(kind: str, point_code: str | None, ward_code: str | None, count: int, out_path: Path) -> None:
    """Issue COUNT numbered paper forms of a questionnaire and print them as an A4 PDF.

    Each form carries its serial in digits and as a QR code; only issued serials can be typed in the office,
    and each only once (twice with double entry).
    """
    ward = ward_of(ward_code)
    point = None
    if point_code is not None:
        point = point_svc.find(ward, point_code)
        if point is None or not point.active:
            raise BadInput(_("--point: không có điểm khảo sát đang hoạt động với mã “%(code)s”.", code=point_code))
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
