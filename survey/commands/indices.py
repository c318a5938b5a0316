"""`hailong indices`: the SIPAS indices of a period as JSON or a flat CSV table."""

from __future__ import annotations

import io
import json

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _

from hailong.analysis import conventions
from hailong.analysis.periods import PeriodError, parse_period

from ..services import rollups, stats
from .base import BadInput, check_kind, ward_of, ward_option


@click.command("indices")
@click.option("--period", required=True, help="2026-Q1, 2026-H1, 2026 or 2026-01-01..2026-03-31")
@click.option("--kind", help="onestop, health or education (default: each kind)")
@click.option("--point", "point_code", help="One service point's code.")
@click.option("--verified-only", is_flag=True, help="Only responses that came with a one-time receipt code.")
@click.option("--convention", "convention_args", multiple=True, metavar="NAME",
              help="sipas (default), pooled, mean5, linear or all; repeat or join with commas to compare them "
                   "side by side in `conventions` (the element and overall figures stay SIPAS)")
@click.option("--weighted", is_flag=True,
              help="Add `weighted`: the overall index raked to the ward's sex and age margins (hailong margins), "
                   "with n_eff and the design effect; the unweighted figures stay as they are.")
@ward_option
@click.option("--all-wards", is_flag=True, help="Every ward of the database together (a province-wide figure).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (the default).")
@click.option("--csv", "as_csv", is_flag=True, help="Print a flat table instead.")
@with_appcontext
def indices_command(period: str, kind: str | None, point_code: str | None, verified_only: bool,
                    convention_args: tuple[str, ...], weighted: bool, ward_code: str | None, all_wards: bool,
                    as_json: bool, as_csv: bool) -> None:
    """SIPAS indices per statement, element and overall, with n, 95% intervals and the change.

    `conventions` adds the overall figure under other published conventions (pooled share, mean ÷ 5,
    linear 0-100), each with its source and interval. Bad input prints a Vietnamese message and exits with
    status 2. The SQL counts of raw rows (a point, --verified-only) run on up to HAILONG_STATS_WORKERS connections
    at once (config or environment; default: the CPU count, at most 4); whole wards' rollups are read on one.
    """
    try:
        parsed = parse_period(period)
    except PeriodError:
        raise BadInput(_("Kỳ không hợp lệ. Dùng 2026-Q1, 2026-H1, 2026 hoặc 2026-01-01..2026-03-31."),
                       option="--period") from None
    if kind is not None:
        check_kind(kind)
    if all_wards and (ward_code is not None or point_code is not None or weighted):
        raise BadInput(_("--all-wards không đi cùng --ward, --point hay --weighted."), option="--all-wards")
    ward = None if all_wards else ward_of(ward_code)
    ward_id = ward.id if ward is not None else None
    try:
        stats.resolve_points(kind, point_code, ward_id)
    except LookupError:
        raise BadInput(_("Không có điểm khảo sát “%(code)s”.", code=point_code), option="--point") from None
    except ValueError:
        raise BadInput(_("Điểm “%(code)s” không thuộc loại %(kind)s.", code=point_code, kind=kind),
                       option="--point") from None
    try:
        wanted = conventions.parse(convention_args)
    except ValueError as exc:
        raise BadInput(_("Không có cách tính “%(name)s”. Chọn một trong: %(names)s.", name=str(exc),
                         names=", ".join((*conventions.CONVENTIONS, "all"))), option="--convention") from None
    with rollups.shared_reads():  # it only reads: each kind's scope and versions are asked once, not per period
        results = stats.indices_for(parsed, kind, point_code, verified_only, workers=stats.configured_workers(),
                                    conventions=wanted, ward_id=ward_id)
    if weighted and ward_id is not None:
        from ..services import weighting as weighting_svc

        _kinds, point = stats.resolve_points(kind, point_code, ward_id)
        for result in results:
            ids = [point.id] if point else stats.ward_point_ids(ward_id, result["kind"])
            f = stats.Filter(parsed, result["kind"], ids, verified_only)
            result["weighted"] = weighting_svc.weighted(f, ward_id)
    if as_csv:
        from hailong.analysis import flat

        from ..services import spreadsheet

        out = io.StringIO()
        table = flat.frame(results)
        spreadsheet.write_csv_rows(out, list(table.columns), table.itertuples(index=False, name=None))
        click.echo(out.getvalue(), nl=False)
        return
    payload: object = results[0] if kind or point_code else results
    click.echo(json.dumps(payload, ensure_ascii=False, indent=2))


commands = [indices_command]
