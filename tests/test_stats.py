"""SQL counting behind the indices: what is counted for a filter, checked against counts made in Python."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import pytest

from hailong.analysis.periods import TZ, Period, parse_period
from hailong.forms.questionnaire import KINDS, QuestionType
from hailong.survey.services import questionnaires as qsvc
from hailong.survey.services import responses as rsvc
from hailong.survey.services import stats
from hailong.survey.services.responses import Draft
from tests.fixtures.stats import answers, draft, local, onestop_scenario, point, statements, write

# --- counting ------------------------------------------------------------------------------------


def _count(period: str, kind: str = "onestop", points: list[str] | None = None, verified: bool = False
           ) -> stats.FilterCounts:
    ids = [point(c).id for c in points] if points is not None else None
    return stats.count(stats.Filter(parse_period(period), kind, ids, verified))


def test_counts_by_statement_and_value_leave_out_flagged_and_other_periods(db: Any, demo_points: Any) -> None:
    onestop_scenario()
    counts = _count("2026-Q1")
    assert counts.responses == 4
    assert counts.question_counts["access.seating"] == {5: 2, 2: 1, 4: 1}
    assert counts.question_counts["staff.polite"] == {5: 1, 4: 1, 1: 1}
    assert counts.question_counts["feedback.channel"] == {0: 3}
    assert counts.question_counts["result.accurate"] == {0: 2}
    assert counts.question_counts["overall"] == {5: 1, 4: 1, 3: 1, 2: 1}
    expect = qsvc.definition(qsvc.latest_version("onestop")).question("expect")
    assert expect is not None
    assert counts.question_counts["expect"] == {
        expect.option_value("more_online"): 1, expect.option_value("shorter_time"): 2,
        expect.option_value("lower_fees"): 1,
    }
    assert sum(n for *_, n in counts.patterns) == 4
    assert _count("2025-Q4").responses == 2
    assert _count("2026-Q2").responses == 0
    assert _count("2026-Q2").question_counts == {}


def test_point_and_verified_filters(db: Any, demo_points: Any) -> None:
    onestop_scenario()
    assert _count("2026-Q1", points=["mc-1"]).question_counts["access.seating"] == {5: 1, 2: 1}
    assert _count("2026-Q1", points=["mc-2"]).question_counts["access.seating"] == {5: 1, 4: 1}
    assert _count("2026-Q1", points=["mc-3"]).responses == 0
    verified = _count("2026-Q1", verified=True)
    assert verified.responses == 2
    assert verified.question_counts["access.seating"] == {5: 1, 4: 1}
    both = _count("2026-Q1", points=["mc-2"], verified=True)
    assert both.responses == 1
    assert both.question_counts["overall"] == {2: 1}


def test_unflagging_brings_a_response_back(db: Any, demo_points: Any) -> None:
    ids = onestop_scenario()
    rsvc.set_flag(ids["flagged"], None)
    db.session.commit()
    counts = _count("2026-Q1")
    assert counts.responses == 5
    assert counts.question_counts["access.seating"] == {5: 2, 2: 1, 4: 1, 1: 1}
    rsvc.set_flag(ids["flagged"], "Trùng lặp")
    db.session.commit()
    assert _count("2026-Q1").responses == 4


def test_other_kinds_are_counted_apart(db: Any, demo_points: Any) -> None:
    onestop_scenario()
    write([draft("tram-y-te", local("2026-01-05T08:00"), answers("health", 5, overall=5, g1_expect_pct=120))])
    health = _count("2026-Q1", kind="health")
    assert health.responses == 1
    assert health.question_counts["g1_expect_pct"] == {120: 1}
    assert "access.seating" not in health.question_counts
    assert _count("2026-Q1", kind="education").responses == 0


# --- the SQL counts equal counts made in Python over the same drafts ----------------------------------


def _expected(
    drafts: Iterable[Draft], flagged: set[int], ids: list[int], period: Period, point_ids: set[int] | None,
    verified_only: bool,
) -> tuple[dict[str, Counter[int]], Counter[tuple[int, int]]]:
    """question -> Counter(value) and Counter((sat, valid)) computed directly from the drafts."""
    lo, hi = period.day_keys()
    counts: dict[str, Counter[int]] = {}
    patterns: Counter[tuple[int, int]] = Counter()
    for rid, d in zip(ids, drafts, strict=True):
        day = int(d.submitted_at.astimezone(TZ).strftime("%Y%m%d"))
        if rid in flagged or d.flag_reason is not None or not lo <= day < hi:
            continue
        if point_ids is not None and d.point.id not in point_ids:
            continue
        if verified_only and not d.verified:
            continue
        qmap = qsvc.question_map(d.version.id)
        sat = valid = 0
        for code, value in d.answers.items():
            for v in value if isinstance(value, list) else [value]:
                counts.setdefault(code, Counter())[v] += 1
            bit = qmap.bits.get(code)
            if bit is not None and isinstance(value, int) and 1 <= value <= 5:
                valid |= 1 << bit
                sat |= (1 << bit) if value >= 4 else 0
        patterns[(sat, valid)] += 1
    return counts, patterns


@pytest.mark.parametrize("period", ["2026-Q1", "2026-Q2", "2026-H1", "2026", "2026-02-01..2026-05-15"])
def test_sql_counts_equal_python_counts_on_generated_data(db: Any, demo_points: Any, period: str) -> None:
    from bench.build_db import drafts as bench_drafts
    from bench.build_db import generate, layout_of

    layout = layout_of([p for p in demo_points if p.kind == "onestop"])
    (chunk,) = generate(layout, 600, seed=7, chunk=600)
    drafts = bench_drafts(layout, chunk)
    ids = write(drafts)
    flagged = set(ids[::37])
    for rid in flagged:
        rsvc.set_flag(rid, "Nghi trùng lặp")
    db.session.commit()
    parsed = parse_period(period)
    needed = {s for s in statements("onestop")} | {"overall", "expect"}
    cases = [(None, False), ({demo_points[0].id}, False), (None, True), ({demo_points[1].id, demo_points[2].id}, True)]
    for (points, verified_only), workers in itertools.product(cases, (1, 2)):
        f = stats.Filter(parsed, "onestop", sorted(points) if points else None, verified_only)
        got = stats.count(f, workers=workers)
        want_counts, want_patterns = _expected(drafts, flagged, ids, parsed, points, verified_only)
        assert {k: dict(v) for k, v in got.question_counts.items()} == {
            k: dict(v) for k, v in want_counts.items() if k in needed
        }
        got_patterns: Counter[tuple[int, int]] = Counter()
        for _codes, sat, valid, n in got.patterns:
            got_patterns[(sat % (1 << 64), valid % (1 << 64))] += n
        assert got_patterns == want_patterns
        assert got.responses == sum(want_patterns.values())


def test_whole_wards_rollups_are_read_on_the_sessions_connection(db: Any, demo_points: Any,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A ward's rollup rows are few: read on the session's connection, not on HAILONG_STATS_WORKERS new ones
    (which a fresh `hailong indices` process had to open first); the counts are the raw rows' all the same."""
    from bench.build_db import drafts as bench_drafts
    from bench.build_db import generate, layout_of
    from hailong.survey.services import rollups

    onestop = [p for p in demo_points if p.kind == "onestop"]
    (chunk,) = generate(layout_of(onestop), 300, seed=5, chunk=300)
    write(bench_drafts(layout_of(onestop), chunk))
    db.session.commit()
    ward = stats.ward_point_ids(onestop[0].organisation_id, "onestop")
    year, one_point = parse_period("2026"), [onestop[0].id]
    assert rollups.scope("onestop", ward).whole and not rollups.scope("onestop", one_point).whole
    with rollups.raw_reads():
        raw = stats.count(stats.Filter(year, "onestop", ward))
    pools: list[int] = []
    real_pool = stats.ThreadPoolExecutor

    def counted_pool(*args: Any, **kwargs: Any) -> Any:
        pools.append(1)
        return real_pool(*args, **kwargs)

    monkeypatch.setattr(stats, "ThreadPoolExecutor", counted_pool)
    got = stats.count(stats.Filter(year, "onestop", ward), workers=4)
    assert pools == []
    assert got.question_counts == raw.question_counts and got.responses == raw.responses > 0
    assert Counter({p[:3]: p[3] for p in got.patterns}) == Counter({p[:3]: p[3] for p in raw.patterns})
    if stats._parallel_ok():  # a database file or server: one point's raw rows still run on several connections
        stats.count(stats.Filter(year, "onestop", one_point), workers=4)
        assert pools == [1]


def test_bench_bulk_rows_equal_write_many_rows(db: Any, demo_points: Any) -> None:
    """The benchmark's fast loader stores exactly what hailong.survey.services.responses.write_many stores."""
    from bench.build_db import check_sample, layout_of

    layout = layout_of([p for p in demo_points if p.kind == "onestop"])
    assert check_sample(layout, size=120, seed=11) > 120 * 20


def test_every_kind_has_the_questions_the_indices_read() -> None:
    """The counting asks only for the statements and the questions analysis/indices.py reads."""
    from hailong.forms.questionnaire import latest

    for kind in KINDS:
        q = latest(kind)
        wanted = stats.index_codes(q)
        assert {s.code for s in q.statements} <= wanted
        assert "overall" in wanted
        assert all(q.question(c) is not None or c in {s.code for s in q.statements} for c in wanted)
        profile = [x.code for x in q.questions if x.section.value == "profile"]
        assert not set(profile) & wanted
        assert all(x.type != QuestionType.TEXT for x in (q.question(c) for c in wanted) if x is not None)


def test_utc_moment_belongs_to_its_local_day(db: Any, demo_points: Any) -> None:
    write([draft("mc-3", datetime(2026, 3, 31, 20, 0, tzinfo=UTC), answers("onestop", None, overall=5))])
    assert _count("2026-Q1").responses == 0
    assert _count("2026-Q2").responses == 1
