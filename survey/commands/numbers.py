"""`hailong plan`, `hailong sdg` and `hailong margins`: sample sizes, SDG 16.6.2 and the ward's population margins."""

from __future__ import annotations

import io
import json
from datetime import datetime
from typing import Any

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _

from hailong.analysis import sdg as sdg_analysis
from hailong.analysis.periods import TZ, PeriodError, parse_period
from hailong.forms.questionnaire import KINDS

from ..services import planning, spreadsheet, stats
from ..services import sdg as sdg_svc
from ..services import weighting as weighting_svc
from .base import BadInput, cli_actor, ward_of, ward_option


def _kind(value: str) -> str:
    if value not in KINDS:
        raise BadInput(_("--kind: loại dịch vụ “%(kind)s” không hợp lệ. Chọn một trong: %(kinds)s.", kind=value,
                         kinds=", ".join(KINDS)))
    return value


def _num(value: float | None, digits: int = 2) -> str:
    if value is None:
        return "–"
    return f"{value:,.{digits}f}".replace(",", "\x00").replace(".", ",").replace("\x00", ".")


@click.command("plan")
@click.option("--kind", required=True, help="onestop, health or education")
@click.option("--margin", type=click.FloatRange(0.5, 50), required=True,
              help="The margin of error wanted, in percentage points (e.g. 5 for ±5).")
@click.option("--confidence", type=click.FloatRange(80, 99.9), default=95.0, show_default=True,
              help="Confidence level in percent.")
@click.option("--population", type=click.IntRange(1, None), default=None,
              help="People served in a quarter (finite-population correction of the ward's figure).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@ward_option
@with_appcontext
def plan(kind: str, margin: float, confidence: float, population: int | None, as_json: bool,
         ward_code: str | None) -> None:
    """Responses needed per point and for the ward for a margin of error, and how far this quarter is.

    From last quarter's overall index, interval and design effect where it had 30 responses or more, else
    Cochran's formula with p = 0.5 (and the finite-population correction when --population is given).
    """
    result = planning.plan(ward_of(ward_code), _kind(kind), margin, confidence, datetime.now(TZ).date(), population)
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    click.echo(_("Cỡ mẫu cần cho sai số ±%(m)s điểm, độ tin cậy %(c)s%%: %(kind)s (căn cứ %(last)s; quý này %(now)s)",
                 m=_num(margin, 1), c=_num(confidence, 1), kind=kind, last=result["last_period"],
                 now=result["current_period"]))
    header = f"{_('Điểm khảo sát'):<34} {'n':>5} {_('Chỉ số'):>7} {'deff':>6} {_('Cần'):>6} {_('Quý này'):>8} {'%':>6}"
    click.echo(header)
    for row in [*result["points"], {**result["ward"], "name": _("Toàn phường (loại dịch vụ này)")}]:
        basis = "" if row["basis"] == "observed" else " *"
        click.echo(f"{row['name'][:34]:<34} {row['last_n']:>5} {_num(row['last_index']):>7} {_num(row['deff'], 2):>6} "
                   f"{row['needed']:>6} {row['this_quarter']:>8} {_num(row['progress'], 1):>6}{basis}")
    if any(r["basis"] != "observed" for r in [*result["points"], result["ward"]]):
        click.echo(_("* chưa đủ %(n)s phiếu quý trước: dùng công thức Cochran với p = 0,5.", n=30))


@click.command("sdg")
@click.option("--period", required=True, help="2026-Q1, 2026-H1, 2026, 2026-01-01..2026-03-31 or 2026-Q4@report")
@click.option("--kind", help="onestop, health or education (default: each)")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (the default).")
@click.option("--csv", "as_csv", is_flag=True, help="Print a flat table instead.")
@ward_option
@with_appcontext
def sdg(period: str, kind: str | None, as_json: bool, as_csv: bool, ward_code: str | None) -> None:
    """SDG indicator 16.6.2: positive share per attribute, their mean and overall, by sex and age group.

    Attributes are read from the statements closest to them (see the README); "don't know" (no opinion) and
    refusals (skipped) are left out of the shares and counted.
    """
    try:
        parsed = parse_period(period)
    except PeriodError:
        raise BadInput(_("--period: kỳ không hợp lệ. Dùng 2026-Q1, 2026-H1, 2026, 2026-01-01..2026-03-31 "
                         "hoặc 2026-Q4@report.")) from None
    kinds = [_kind(kind)] if kind else list(KINDS)
    ward = ward_of(ward_code)
    results = [sdg_svc.indicator(parsed, k, stats.ward_point_ids(ward.id, k)) for k in kinds]
    if as_csv:
        out = io.StringIO()
        rows = [row for r in results for row in sdg_analysis.csv_rows(parsed.label, r)]
        spreadsheet.write_csv_rows(out, sdg_analysis.CSV_COLUMNS, iter(rows))
        click.echo(out.getvalue(), nl=False)
        return
    payload: dict[str, Any] = {"indicator": "SDG 16.6.2", "source": sdg_analysis.METADATA_URL,
                               "period": parsed.label, "services": results}
    click.echo(json.dumps(payload, ensure_ascii=False, indent=2))


@click.group("margins")
def margins_group() -> None:
    """The ward's population by sex and age group, the targets of weighted (raked) indices."""


@margins_group.command("show")
@click.option("--json", "as_json", is_flag=True)
@ward_option
@with_appcontext
def margins_show(as_json: bool, ward_code: str | None) -> None:
    """Print the margins entered for the ward."""
    rows = weighting_svc.margins_rows(ward_of(ward_code))
    data = [{"dimension": r.dimension, "category": r.category, "population": r.population, "source": r.source}
            for r in rows]
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    if not data:
        click.echo(_("Chưa nhập cơ cấu dân số: chỉ số chưa được gia quyền."))
    for d in data:
        click.echo(f"{d['dimension']:<10} {d['category']:<12} {d['population']:>10}  {d['source'] or ''}")


@margins_group.command("set")
@click.argument("dimension", type=click.Choice(weighting_svc.DIMENSIONS))
@click.argument("values", nargs=-1, required=True, metavar="CATEGORY=POPULATION...")
@click.option("--source", help="Where the figures come from (census, the ward's register...).")
@ward_option
@with_appcontext
def margins_set(dimension: str, values: tuple[str, ...], source: str | None, ward_code: str | None) -> None:
    """Replace one dimension's margins, e.g. `hailong margins set gender male=4900 female=5100`."""
    parsed: dict[str, int] = {}
    for item in values:
        name, sep, number = item.partition("=")
        if not sep or not number.strip().isdigit():
            raise BadInput(_("“%(item)s”: hãy viết NHÓM=SỐ_DÂN, ví dụ male=4900.", item=item[:40]))
        parsed[name.strip()] = int(number)
    try:
        weighting_svc.set_margins(ward_of(ward_code), dimension, parsed, source, cli_actor())
    except weighting_svc.MarginError as exc:
        raise BadInput(str(exc)) from None
    click.echo(_("Đã lưu cơ cấu dân số theo %(dim)s: %(n)s nhóm.", dim=dimension, n=len(parsed)))


@margins_group.command("clear")
@click.argument("dimension", required=False, type=click.Choice(weighting_svc.DIMENSIONS))
@ward_option
@with_appcontext
def margins_clear(dimension: str | None, ward_code: str | None) -> None:
    """Remove the margins (one dimension, or all): indices are then shown unweighted only."""
    removed = weighting_svc.clear_margins(ward_of(ward_code), dimension)
    click.echo(_("Đã xóa %(n)s dòng cơ cấu dân số.", n=removed))


commands = [plan, sdg, margins_group]
