"""`hailong drafts purge`: delete the paged form's unsent answers older than HAILONG_DRAFT_HOURS (for cron)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _

from ..services import drafts as draft_svc


@click.group("drafts")
def drafts_group() -> None:
    """Unsent answers of the paged citizen form (bản nháp), kept between its pages for a day at most."""


@drafts_group.command("purge")
@with_appcontext
def purge() -> None:
    """Delete every ward's drafts untouched for HAILONG_DRAFT_HOURS (24 by default); their page counts stay.

    New drafts already purge their own ward's old ones; run this from cron (e.g. hourly) so a ward whose citizens
    stop answering is purged on time too.
    """
    count = draft_svc.purge()

    hours = int(draft_svc.max_age().total_seconds() // 3600)
    click.echo(_("Đã xóa %(n)s bản nháp chưa gửi quá %(hours)s giờ.", n=count, hours=hours))


commands = [drafts_group]
