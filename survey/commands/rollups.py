"""`hailong rollups rebuild`: recompute the exact per-day and per-month counts from the stored responses."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _

from ..services import rollups as rollup_svc
from .base import ward_of


@click.group("rollups")
def rollups_group() -> None:
    """The pre-aggregated counts (rollups) the dashboards, the public page and the province read."""


@rollups_group.command("rebuild")
@click.option("--ward", "ward_code", metavar="CODE", help="Only this ward (default: every ward).")
@with_appcontext
def rebuild(ward_code: str | None) -> None:
    """Recompute the rollups from the raw answers (after a bulk load with COPY, or to check them).

    Every write of the app keeps them exact in its own transaction; this is for rows written around it.
    """
    ward_id = ward_of(ward_code).id if ward_code is not None else None
    # It gives the ward(s) a new 'figures' token: figures kept from the old rollups are stale whatever they count.
    answers, patterns = rollup_svc.rebuild(ward_id)
    click.echo(_("Đã tính lại số liệu tổng hợp: %(answers)s dòng đếm câu trả lời, %(patterns)s dòng đếm mẫu phiếu.",
                 answers=answers, patterns=patterns))
    click.echo(_("Số liệu toàn tỉnh đã lưu được đánh dấu cũ: lần xem tới sẽ tính lại ở chế độ nền; chạy “hailong "
                 "province refresh” để tính ngay."))


commands = [rollups_group]
