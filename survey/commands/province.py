"""`hailong province refresh`: compute and store the province roll-up page's figures (for cron, after a bulk load)."""

from __future__ import annotations

import time

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _

from .base import BadInput


@click.group("province")
def province_group() -> None:
    """The province roll-up page's stored figures (/office/tinh/)."""


@province_group.command("refresh")
@click.option("--province", "province", metavar="NAME", help="Only this province (default: every province with wards).")
@click.option("--period", "periods", multiple=True, metavar="PERIOD",
              help="2026-Q1, 2026-H1, 2026 or 2026-01-01..2026-03-31; repeat for more (default: the current quarter, "
                   "which the page opens on).")
@click.option("--if-stale", is_flag=True, help="Skip the figures that are still current.")
@with_appcontext
def refresh(province: str | None, periods: tuple[str, ...], if_stale: bool) -> None:
    """Compute the roll-up of every ward for each period and store it, so no visit waits for it.

    The page queues the same work on `hailong worker` when its figures are stale; this does it now, without the
    queue (cron at night, after `hailong rollups rebuild` or a bulk load).
    """
    from datetime import datetime

    from hailong.analysis.periods import TZ, PeriodError, parse_period, quarter_of

    from ..services import province_snapshots as snapshot_svc
    from ..services import wards as ward_svc

    try:
        parsed = [parse_period(p) for p in periods] or [parse_period(quarter_of(datetime.now(TZ).date()))]
    except PeriodError:
        raise BadInput(_("Kỳ không hợp lệ. Dùng dạng 2026-Q1, 2026-H1, 2026 hoặc 2026-01-01..2026-03-31."),
                       option="--period") from None
    names = [province.strip()] if province is not None else snapshot_svc.provinces()
    for name in names:
        wards = ward_svc.of_province(name)
        if not wards:
            raise BadInput(_("Không có tỉnh “%(name)s” (chưa có phường, xã nào của tỉnh này).", name=name),
                           option="--province")
        for period in parsed:
            started = time.perf_counter()
            done = snapshot_svc.refresh(name, period, wards, if_stale=if_stale)
            if done is None:
                click.echo(_("%(province)s, %(period)s: số liệu đã lưu vẫn còn mới, không tính lại.",
                             province=name, period=period.label))
            else:
                click.echo(_("%(province)s, %(period)s: đã tính và lưu số liệu của %(n)s phường, xã (%(s)s giây).",
                             province=name, period=period.label, n=len(wards),
                             s=f"{time.perf_counter() - started:.1f}"))


commands = [province_group]
