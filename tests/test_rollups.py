"""The rollups stay exact: every figure read through them equals the raw computation, to the last digit.

Random wards, points, responses (citizen writes and CSV imports), flags, unflags and erasures; after each
sequence the rollup tables equal a rebuild from the raw rows, and the dashboard, the trend, the pattern
results, `hailong indices` (a ward and every ward) and the province roll-up give the same dicts read through
the rollups as read from the raw rows (rollups.raw_reads).
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select, text

from hailong.analysis import windows
from hailong.analysis.periods import TZ, Period, date_range, parse_period, report_window
from hailong.forms.encoding import decode_value
from hailong.survey.extensions import db as _db
from hailong.survey.models import Answer, AnswerRollup, Organisation, PatternRollup, ServicePoint, Submission
from hailong.survey.services import dashboard, patterns, province, rollups, stats, targets
from hailong.survey.services import points as point_svc
from hailong.survey.services import questionnaires as qsvc
from hailong.survey.services import responses as rsvc
from tests.fixtures.stats import record_rollup_reads

WARDS = ("an-tuong", "minh-xuan", "yen-son")
#: Per ward: two onestop points and one health point (a response's kind is its point's).
POINTS = (("mc-1", "onestop"), ("mc-2", "onestop"), ("tyt", "health"))
FIRST_DAY = date(2026, 3, 1)
DAYS = 140  # to mid-July: whole months, a report window's ragged ends, and the previous period
VALUES = st.sampled_from([None, None, 0, 1, 2, 3, 4, 4, 5, 5])
#: A response: (ward, point, day offset, statement values, overall, expectations bits, flagged, verified).
RESPONSE = st.tuples(st.integers(0, len(WARDS) - 1), st.integers(0, len(POINTS) - 1), st.integers(0, DAYS - 1),
                     st.lists(VALUES, min_size=30, max_size=30), VALUES, st.integers(0, 15), st.booleans(),
                     st.booleans())
OPERATION = st.one_of(
    st.tuples(st.just("write"), st.lists(RESPONSE, min_size=1, max_size=4)),
    st.tuples(st.just("import"), st.lists(RESPONSE, min_size=1, max_size=4)),
    # A small range of response positions, so flags, unflags and erasures meet the same responses.
    st.tuples(st.sampled_from(["flag", "unflag", "erase"]), st.integers(0, 7)),
)


def _periods() -> list[Period]:
    # A reporting window (ragged ends around whole months) and a date range; the calendar quarters are in the
    # trends and the previous periods.
    return [report_window(parse_period("2026-Q2")), date_range(date(2026, 3, 17), date(2026, 6, 2))]


def _setup() -> tuple[list[Organisation], dict[tuple[int, int], ServicePoint]]:
    wards = [point_svc.ensure_organisation(code, f"Phường {code}", "Tuyên Quang") for code in WARDS]
    found: dict[tuple[int, int], ServicePoint] = {}
    for w, ward in enumerate(wards):
        for p, (code, kind) in enumerate(POINTS):
            point = _db.session.scalar(select(ServicePoint).filter_by(organisation_id=ward.id, code=code))
            found[(w, p)] = point or point_svc.create(ward, code, f"{code} {ward.code}", kind)
    _db.session.commit()
    return wards, found


def _clear() -> None:
    for table in (Answer, Submission, AnswerRollup, PatternRollup):
        _db.session.execute(delete(table))
    _db.session.commit()


def _answers(kind: str, values: list[int | None], overall: int | None, expect: int) -> dict[str, Any]:
    q = qsvc.definition(qsvc.latest_version(kind))
    out: dict[str, Any] = {s.code: v for s, v in zip(q.statements, values, strict=False) if v is not None}
    if overall is not None and overall > 0:
        out["overall"] = overall
    question = q.question("expect")
    if question is not None:
        chosen = [i + 1 for i in range(min(4, len(question.options))) if expect >> i & 1]
        if chosen:
            out["expect"] = chosen
    return out


def _draft(points: dict[tuple[int, int], ServicePoint], r: tuple[Any, ...]) -> rsvc.Draft:
    w, p, offset, values, overall, expect, flagged, verified = r
    point = points[(w, p)]
    when = datetime.combine(FIRST_DAY + timedelta(days=offset), time(9, 30), tzinfo=TZ)
    return rsvc.Draft(point=point, version=qsvc.latest_version(point.kind),
                      answers=_answers(point.kind, values, overall, expect), submitted_at=when,
                      verified=verified, flag_reason="thử" if flagged else None)


def _csv(drafts: list[rsvc.Draft]) -> bytes:
    """The drafts as an import file (one ward's points), cells written as the export writes them."""
    codes: list[str] = []
    for kind in ("onestop", "health"):
        q = qsvc.definition(qsvc.latest_version(kind))
        codes += [c for c in [s.code for s in q.statements] + ["overall", "expect"] if c not in codes]
    lines = [",".join(["submitted_at", "point", "verified", "flag_reason", *codes])]
    for d in drafts:
        q = qsvc.definition(d.version)
        cells = [d.submitted_at.isoformat(), d.point.code, "1" if d.verified else "0", d.flag_reason or ""]
        cells += [decode_value(q, c, d.answers[c]) if c in d.answers else "" for c in codes]
        lines.append(",".join(cells))
    return ("\r\n".join(lines) + "\r\n").encode()


def _apply(op: tuple[Any, ...], points: dict[tuple[int, int], ServicePoint], wards: list[Organisation]) -> None:
    name, arg = op
    if name == "write":
        rsvc.write_many([_draft(points, r) for r in arg])
    elif name == "import":
        ward = arg[0][0]
        drafts = [_draft(points, (ward, *r[1:])) for r in arg]  # an import file is one ward's
        assert rsvc.import_csv(_csv(drafts), ward_id=wards[ward].id) == len(drafts)
    else:
        ids = list(_db.session.scalars(select(Submission.id).order_by(Submission.id)))
        if not ids:
            return
        rid = ids[arg % len(ids)]
        if name == "erase":
            rsvc.erase([rid])
        else:
            rsvc.set_flag(rid, "nghi ngờ" if name == "flag" else None)
    _db.session.commit()


def _table(model: Any) -> list[tuple[Any, ...]]:
    columns = [c for c in model.__table__.columns]
    return [tuple(row) for row in _db.session.execute(select(*columns).order_by(*columns)).all()]


def _rows(found: list[province.WardRow]) -> list[tuple[Any, ...]]:
    return [tuple(getattr(r, f.name) if f.name != "ward" else r.ward.id for f in dataclasses.fields(r))
            for r in found]


def _figures(wards: list[Organisation]) -> dict[str, Any]:
    """Every figure the readers give for each ward, kind and period (and province-wide)."""
    out: dict[str, Any] = {}
    for period in _periods():
        for kind in ("onestop", "health"):
            key = f"{period.label}/{kind}"
            for ward in wards:
                ids = stats.ward_point_ids(ward.id, kind)
                out[f"{key}/{ward.code}/overview"] = dashboard.overview(period, kind, ids)
                out[f"{key}/{ward.code}/trend"] = dashboard.trend(period, kind, ids)
                out[f"{key}/{ward.code}/results"] = patterns.results(period, kind, ids)
                out[f"{key}/{ward.code}/indices"] = stats.indices_for(period, kind, ward_id=ward.id)
                out[f"{key}/{ward.code}/page"] = _page(period, kind, ids)
            out[f"{key}/all/indices"] = stats.indices_for(period, kind)
            out[f"{key}/province"] = _rows(province.rollup(period, kind, wards))
    return out


def _page(period: Period, kind: str, ids: list[int]) -> dict[str, Any]:
    """The dashboard's figures as its page reads them: in one shared block, the rollups prefetched."""
    span = windows.year_to_date(period) if period.kind != "range" else None
    with rollups.shared_reads():
        dashboard.prefetch(period, kind, ids, year_to_date=span)
        return {"overview": dashboard.overview(period, kind, ids), "trend": dashboard.trend(period, kind, ids),
                "ytd": targets.year_to_date(period, kind, ids), "points": dashboard.points_table(period, kind, ids)}


@settings(max_examples=20, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(first=st.lists(RESPONSE, min_size=2, max_size=8), operations=st.lists(OPERATION, max_size=10))
def test_rollups_equal_the_raw_computation(app: Flask, first: list[tuple[Any, ...]],
                                           operations: list[tuple[Any, ...]]) -> None:
    with app.app_context():
        _clear()
        wards, points = _setup()
        for op in [("write", first), *operations]:
            _apply(op, points, wards)
        kept = (_table(AnswerRollup), _table(PatternRollup))
        rollups.rebuild()
        assert (_table(AnswerRollup), _table(PatternRollup)) == kept
        _db.session.rollback()
        for ward in wards:  # the readers below do read the rollups
            assert rollups.scope("onestop", stats.ward_point_ids(ward.id, "onestop")).whole
        through_rollups = _figures(wards)
        with rollups.raw_reads():
            raw = _figures(wards)
        assert through_rollups == raw


def _write_two(points: dict[tuple[int, int], ServicePoint]) -> list[int]:
    values = [5] * 30
    ids = rsvc.write_many([_draft(points, (0, 0, 40, values, 5, 3, False, False)),
                           _draft(points, (0, 1, 41, [1] * 30, 1, 0, False, True))])
    _db.session.commit()
    return ids


def test_a_wards_figures_come_from_the_rollups(app: Flask) -> None:
    with app.app_context():
        wards, points = _setup()
        _write_two(points)
        period = parse_period("2026-Q2")
        ids = stats.ward_point_ids(wards[0].id, "onestop")
        assert dashboard.overview(period, "onestop", ids)["responses"] == 2
        _db.session.execute(delete(PatternRollup))
        _db.session.execute(delete(AnswerRollup))
        assert dashboard.overview(period, "onestop", ids)["responses"] == 0  # read from the (now empty) rollups
        assert dashboard.trend(period, "onestop", ids)[-1][1] is None
        # One point is not a whole ward: read raw.
        assert dashboard.overview(period, "onestop", [points[(0, 0)].id])["responses"] == 1
        with rollups.raw_reads():
            assert dashboard.overview(period, "onestop", ids)["responses"] == 2


def test_flag_unflag_and_erase_keep_the_counts(app: Flask) -> None:
    with app.app_context():
        wards, points = _setup()
        first, second = _write_two(points)
        day, month = 20260410, 20260400

        def n(model: Any, key: int) -> int:
            return int(_db.session.scalar(select(func.coalesce(func.sum(model.n), 0)).where(
                model.organisation_id == wards[0].id, model.day_key == key)) or 0)

        assert (n(PatternRollup, day), n(PatternRollup, month)) == (1, 2)
        rsvc.set_flag(first, "thử")
        rsvc.set_flag(first, "thử lại")  # already flagged: nothing more is subtracted
        assert (n(PatternRollup, day), n(PatternRollup, month)) == (0, 1)
        assert n(AnswerRollup, day) == 0  # rows at 0 are deleted, as a rebuild would have none
        rsvc.set_flag(first, None)
        assert (n(PatternRollup, day), n(PatternRollup, month)) == (1, 2)
        assert rsvc.erase([second, 999_999]) == 1
        assert (n(PatternRollup, day + 1), n(PatternRollup, month)) == (0, 1)
        _db.session.commit()


def test_rebuild_command(app: Flask) -> None:
    with app.app_context():
        _, points = _setup()
        _write_two(points)
        kept = _table(AnswerRollup)
        _db.session.execute(text("DELETE FROM answer_rollups"))
        _db.session.commit()
    result = app.test_cli_runner().invoke(args=["rollups", "rebuild", "--ward", WARDS[0]])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert _table(AnswerRollup) == kept
    result = app.test_cli_runner().invoke(args=["rollups", "rebuild", "--ward", "khong-co"])
    assert result.exit_code == 2


def test_a_page_reads_each_rollup_table_once(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """In a shared block the dashboard's figures come from the two prefetch queries, equal to reading each apart."""
    from sqlalchemy import event

    with app.app_context():
        wards, points = _setup()
        _write_two(points)
        period = parse_period("2026-Q2")
        ids = stats.ward_point_ids(wards[0].id, "onestop")
        alone = _page_figures(period, ids, shared=False)
        seen: list[str] = []

        def log(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            seen.append(statement)

        event.listen(_db.engine, "before_cursor_execute", log)
        record_rollup_reads(monkeypatch, seen)  # the prefetch runs on the driver's cursor
        try:
            together = _page_figures(period, ids, shared=True)
        finally:
            event.remove(_db.engine, "before_cursor_execute", log)
        assert together == alone
        assert alone["overview"]["responses"] == 2
        assert sum("pattern_rollups" in s for s in seen) == 1
        assert sum("answer_rollups" in s for s in seen) == 1
        assert sum("FROM service_points" in s for s in seen) == 1  # the scope, asked by every figure, read once


def _page_figures(period: Period, ids: list[int], shared: bool) -> dict[str, Any]:
    if not shared:
        return {"overview": dashboard.overview(period, "onestop", ids),
                "trend": dashboard.trend(period, "onestop", ids),
                "ytd": targets.year_to_date(period, "onestop", ids)}
    with rollups.shared_reads():
        dashboard.prefetch(period, "onestop", ids, year_to_date=windows.year_to_date(period))
        return {"overview": dashboard.overview(period, "onestop", ids),
                "trend": dashboard.trend(period, "onestop", ids),
                "ytd": targets.year_to_date(period, "onestop", ids)}


def test_a_page_reads_again_only_the_pieces_that_changed(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """The piece memo: an unchanged page reads no rollup rows; a response written, imported, flagged or erased in
    any piece (the previous quarter's included) is in the next page, which equals the raw computation."""
    with app.app_context():
        wards, points = _setup()
        _write_two(points)  # April
        rsvc.write_many([_draft(points, (0, 0, 10, [4] * 30, 4, 1, False, False))])  # March: the previous quarter
        _db.session.commit()
        period = parse_period("2026-Q2")
        ids = stats.ward_point_ids(wards[0].id, "onestop")
        reads = record_rollup_reads(monkeypatch)

        def page_equals_raw() -> dict[str, Any]:
            found = _page_figures(period, ids, shared=True)
            with rollups.raw_reads():
                assert found == _page_figures(period, ids, shared=False)
            return found

        first = page_equals_raw()
        assert len(reads) == 2  # one query per rollup table
        reads.clear()
        assert page_equals_raw() == first
        assert reads == []  # nothing changed: every piece from the memo
        before = first["overview"]["previous"]["responses"]

        def changed(op: tuple[Any, ...]) -> dict[str, Any]:
            reads.clear()
            _apply(op, points, wards)
            found = page_equals_raw()
            assert len(reads) == 2  # the changed pieces are read again
            return found

        march = (0, 1, 12, [2] * 30, 2, 0, False, False)
        assert changed(("write", [march]))["overview"]["previous"]["responses"] == before + 1
        assert changed(("import", [march]))["overview"]["previous"]["responses"] == before + 2
        march_ids = list(_db.session.scalars(select(Submission.id).where(Submission.day_key < 20260401)
                                             .order_by(Submission.id)))
        every = list(_db.session.scalars(select(Submission.id).order_by(Submission.id)))
        assert changed(("flag", every.index(march_ids[0])))["overview"]["previous"]["responses"] == before + 1
        assert changed(("unflag", every.index(march_ids[0])))["overview"]["previous"]["responses"] == before + 2
        assert changed(("erase", every.index(march_ids[-1])))["overview"]["previous"]["responses"] == before + 1
        # Another ward's new response changes none of this ward's pieces: nothing is read again.
        reads.clear()
        rsvc.write_many([_draft(points, (1, 0, 40, [5] * 30, 5, 1, False, False))])
        _db.session.commit()
        page_equals_raw()
        assert reads == []
        # Kept rows read too many responses ago are read again rather than checked along the primary key.
        monkeypatch.setattr(rollups.PieceMemo, "MAX_BEHIND", 0)
        rsvc.write_many([_draft(points, (1, 0, 41, [5] * 30, 5, 1, False, False))])
        _db.session.commit()
        page_equals_raw()
        assert len(reads) == 2
