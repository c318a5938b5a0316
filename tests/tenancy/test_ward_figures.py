"""The 'figures' token is per ward: a flag or an erasure in ward A makes A's kept rollup pieces, report mark and
its province's stored figures stale, and leaves ward B's kept pieces and report mark current (B is not read
again); `hailong rollups rebuild --ward` renews only that ward's token."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from hailong.analysis import windows
from hailong.analysis.periods import parse_period
from hailong.survey.extensions import db as _db
from hailong.survey.models import FiguresToken, Submission
from hailong.survey.services import dashboard, report_marks, rollups, stats, targets
from hailong.survey.services import province_snapshots as snap
from hailong.survey.services import responses as response_svc
from tests.fixtures.stats import record_rollup_reads
from tests.tenancy.conftest import Wards

PERIOD = parse_period("2026-Q1")


def _page(ward_id: int) -> dict[str, Any]:
    """The ward's dashboard figures as its page reads them: in one shared block, the rollups prefetched."""
    ids = stats.ward_point_ids(ward_id, "onestop")
    with rollups.shared_reads():
        dashboard.prefetch(PERIOD, "onestop", ids, year_to_date=windows.year_to_date(PERIOD))
        return {"overview": dashboard.overview(PERIOD, "onestop", ids),
                "trend": dashboard.trend(PERIOD, "onestop", ids),
                "ytd": targets.year_to_date(PERIOD, "onestop", ids)}


def _raw(ward_id: int) -> dict[str, Any]:
    with rollups.raw_reads():
        ids = stats.ward_point_ids(ward_id, "onestop")
        return {"overview": dashboard.overview(PERIOD, "onestop", ids),
                "trend": dashboard.trend(PERIOD, "onestop", ids),
                "ytd": targets.year_to_date(PERIOD, "onestop", ids)}


def _tokens() -> dict[int, int]:
    return {w: t for w, t in _db.session.execute(select(FiguresToken.organisation_id, FiguresToken.token))}


def test_a_change_in_one_ward_leaves_the_other_wards_kept_figures_current(
        app: Flask, two_wards: Wards, monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = two_wards.a, two_wards.b
    reads = record_rollup_reads(monkeypatch)
    options = report_marks.Options(parse_period("2026-Q1@report"))
    with app.app_context():
        pages = {a: _page(a), b: _page(b)}
        assert len(reads) == 4  # each ward's two rollup tables, read once
        reads.clear()
        assert {w: _page(w) for w in (a, b)} == pages and reads == []  # kept
        marks = {w: report_marks.mark(w, options) for w in (a, b)}
        through = {w: int(m.split(":")[0]) for w, m in marks.items()}
        province = snap.probe(_db.session.connection(), [a, b], PERIOD)
        tokens = _tokens()  # a ward's row appears with its first change (none yet here: both read 0)
        _db.session.rollback()

        response_svc.set_flag(two_wards.a_response, "trùng phiếu")
        _db.session.commit()

        now = _tokens()
        assert now.get(b) == tokens.get(b) and now[a] != tokens.get(a)
        reads.clear()
        assert _page(b) == pages[b] and reads == []  # B: nothing read again
        flagged = _page(a)
        assert len(reads) == 2  # A: its changed pieces, one query per rollup table
        assert flagged == _raw(a)
        assert flagged["overview"]["responses"] == pages[a]["overview"]["responses"] - 1
        assert report_marks.mark(b, options, through[b]) == marks[b]
        assert report_marks.mark(a, options, through[a]) != marks[a]
        assert snap.probe(_db.session.connection(), [a, b], PERIOD, province.through) != province  # A's province
        _db.session.rollback()

        # An erasure in B (not of the newest response: kept pieces are read again when the newest id goes
        # down): B's kept figures are read again, A's (current since the flag) are not.
        pages[a] = flagged
        first_of_b = _db.session.scalar(select(func.min(Submission.id)).where(Submission.organisation_id == b))
        assert response_svc.erase([first_of_b]) == 1
        _db.session.commit()
        reads.clear()
        assert _page(a) == pages[a] and reads == []
        erased = _page(b)
        assert len(reads) == 2 and erased == _raw(b)
        assert erased["overview"]["responses"] == pages[b]["overview"]["responses"] - 1
        assert report_marks.mark(b, options, through[b]) != marks[b]
        _db.session.rollback()


def test_a_rebuild_of_one_ward_renews_only_its_token(app: Flask, two_wards: Wards) -> None:
    with app.app_context():
        before = _tokens()
    result = app.test_cli_runner().invoke(args=["rollups", "rebuild", "--ward", "minh-xuan"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        after = _tokens()
    assert after.get(two_wards.a) == before.get(two_wards.a) and after[two_wards.b] != before.get(two_wards.b)
    result = app.test_cli_runner().invoke(args=["rollups", "rebuild"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        again = _tokens()
    assert all(again[w] != after.get(w) for w in (two_wards.a, two_wards.b))
