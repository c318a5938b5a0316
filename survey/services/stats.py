"""Count answers in SQL for a filter and hand the counts to analysis/ for the SIPAS indices.

Two kinds of query, both aggregated in the database:

* answer counts per (statement, value): one COUNT per pair the indices read, each a seek into the
  covering index ix_answers_count (question_id, value, day_key, excluded, point_id), so only the rows of
  the period are visited and no sort is needed. A statement's answers 3 and 4 are not visited: they
  follow from its other counts and the response masks (see _add_derived);
* response patterns per (version, sat_mask, valid_mask): a GROUP BY read in order from the covering
  index ix_responses_patterns, which feeds comprehensive satisfaction and the intervals.

The previous period is only needed for its element and overall indices, which follow exactly from its
patterns, so its answers are not scanned. `workers` > 1 runs the queries on several pooled connections
at once (the CLI does; a database file or server is needed, not an in-memory SQLite database) when raw rows
are read; whole wards' rollup rows are read on one.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, cast

from flask import current_app
from sqlalchemy import Integer, and_, column, func, select, values
from sqlalchemy.sql import Select

from hailong.analysis import conventions as conv
from hailong.analysis import indices
from hailong.analysis.periods import Period
from hailong.forms.questionnaire import KINDS, NO_OPINION, SCALE_VALUES, Questionnaire, QuestionType

from ..extensions import db
from ..models import Answer, Question, ServicePoint, Submission, same_ward
from . import patterns, rollups
from . import questionnaires as qsvc
from .periods import within

#: Questions outside the statements whose counts analysis/indices.py reads.
EXTRA_CODES = (indices.OVERALL_CODE, indices.EXPECT_CODE, indices.G1_CODE, indices.G2_CODE)
#: A number question with more possible values than this is counted with one GROUP BY instead of per value.
MAX_SEEKS_PER_QUESTION = 512
#: Statement values not counted row by row: they follow from the other counts and the response masks.
DERIVED = (3, 4)


@dataclass(frozen=True)
class Filter:
    """What to count: a period, one kind, optionally some points and verified responses only."""

    period: Period
    kind: str
    point_ids: Sequence[int] | None = None
    verified_only: bool = False


@dataclass(frozen=True)
class FilterCounts:
    """The SQL aggregates of one filter, enough for every index."""

    question_counts: dict[str, dict[int, int]]
    patterns: list[tuple[tuple[str, ...], int, int, int]]
    responses: int


def index_codes(q: Questionnaire) -> set[str]:
    """The codes whose answer counts the indices read: statements, overall, expectations, health's g1/g2."""
    return {s.code for s in q.statements} | {c for c in EXTRA_CODES if q.question(c) is not None}


def stored_values(q: Questionnaire, code: str) -> tuple[int, ...]:
    """Every value an answer to `code` can be stored as (input is validated), so SQL can seek each one."""
    question = q.question(code)
    if question is None or question.type == QuestionType.SCALE:  # a statement or a scale question
        return (NO_OPINION, *SCALE_VALUES)
    if question.type in (QuestionType.CHOICE, QuestionType.MULTI):
        return tuple(range(1, len(question.options) + 1))
    if question.type == QuestionType.NUMBER and question.min is not None and question.max is not None:
        return tuple(range(question.min, question.max + 1))
    return ()


@dataclass(frozen=True)
class _Questions:
    """The stored questions of one kind that the indices read, and how to count them."""

    versions: tuple[int, ...]
    codes: dict[int, str]  # question id -> code
    pairs: tuple[tuple[int, int], ...]  # (question id, value) counted one seek each
    grouped: tuple[int, ...]  # question ids counted with a GROUP BY (wide number questions)
    bit_codes: dict[int, tuple[str, ...]]  # version id -> statement codes by mask bit
    statements: frozenset[int]  # question ids of statements (they have a mask bit)

    def seeks(self, derive: bool) -> list[tuple[int, int]]:
        """The (question, value) pairs to count; with `derive`, not the statement values DERIVED gives."""
        if not derive:
            return list(self.pairs)
        return [(qid, v) for qid, v in self.pairs if not (qid in self.statements and v in DERIVED)]


def _questions(kind: str) -> _Questions:
    return rollups.shared(("stats.questions", kind), lambda: _read_questions(kind))


def index_question_ids(kind: str) -> list[int]:
    """Ids of the questions whose counts the indices read, over every stored version of a kind."""
    return sorted(_questions(kind).codes)


def _read_questions(kind: str) -> _Questions:
    versions = patterns.versions(kind)
    codes: dict[int, str] = {}
    pairs: list[tuple[int, int]] = []
    grouped: list[int] = []
    statements: set[int] = set()
    if versions:
        rows = db.session.execute(
            select(Question.id, Question.code, Question.questionnaire_id, Question.bit)
            .where(Question.questionnaire_id.in_(versions)).order_by(Question.id)
        ).tuples()
        definitions = {vid: qsvc.definition(v) for vid, v in versions.items()}
        wanted = {vid: index_codes(q) for vid, q in definitions.items()}
        for qid, code, vid, bit in rows:
            if code not in wanted[vid]:
                continue
            codes[qid] = code
            if bit is not None:
                statements.add(qid)
            possible = stored_values(definitions[vid], code)
            if len(possible) > MAX_SEEKS_PER_QUESTION:
                grouped.append(qid)
            else:
                pairs.extend((qid, v) for v in possible)
    bit_codes = {vid: qsvc.question_map(vid).bit_codes for vid in versions}
    return _Questions(tuple(versions), codes, tuple(pairs), tuple(grouped), bit_codes, frozenset(statements))


def _answer_filters(f: Filter, sc: rollups.Scope) -> list[Any]:
    conditions = [within(Answer.day_key, f.period), Answer.excluded.is_(False)]
    if sc.ward_ids is not None:  # the ward first: one narrow range of ix_answers_count per (question, value)
        conditions.append(Answer.organisation_id.in_(sc.ward_ids))
    if f.point_ids is not None:
        conditions.append(Answer.point_id.in_(f.point_ids))
    return conditions


def _from_rollups(f: Filter, sc: rollups.Scope) -> bool:
    """Whole wards (or every ward) and not verified-only: the rollups hold exactly these counts."""
    return sc.whole and not f.verified_only


def _pair_counts(f: Filter, sc: rollups.Scope, pairs: Sequence[tuple[int, int]]) -> Select[Any]:
    """One COUNT per (question, value): each an index range of the period, no row visited twice, no sort."""
    wanted = values(column("question_id", Integer), column("value", Integer), name="wanted").data(
        list(pairs)).cte("wanted")
    n = (select(func.count()).select_from(Answer)
         .where(Answer.question_id == wanted.c.question_id, Answer.value == wanted.c.value,
                *_answer_filters(f, sc))
         .scalar_subquery())
    return select(wanted.c.question_id, wanted.c.value, n)


def _grouped_counts(f: Filter, sc: rollups.Scope, question_ids: Sequence[int]) -> Select[Any]:
    return (select(Answer.question_id, Answer.value, func.count())
            .where(Answer.question_id.in_(question_ids), *_answer_filters(f, sc))
            .group_by(Answer.question_id, Answer.value))


def _verified_counts(f: Filter, sc: rollups.Scope, qs: _Questions) -> Select[Any]:
    """Answer counts of verified responses: read through the period's responses (a small share of the rows).

    Answer.excluded is a copy of Submission.flagged (services.responses keeps them in step), so the flag
    is read on the response here.
    """
    query = (
        select(Answer.question_id, Answer.value, func.count())
        .join(Submission, and_(Submission.id == Answer.response_id, same_ward(Submission, Answer)))
        .where(Submission.questionnaire_id.in_(qs.versions), within(Submission.day_key, f.period),
               Submission.flagged.is_(False), Submission.verified.is_(True), Answer.question_id.in_(qs.codes))
        .group_by(Answer.question_id, Answer.value)
    )
    if sc.ward_ids is not None:
        query = query.where(Submission.organisation_id.in_(sc.ward_ids))
    if f.point_ids is not None:
        query = query.where(Submission.point_id.in_(f.point_ids))
    return query


def _pattern_counts(f: Filter, sc: rollups.Scope, qs: _Questions) -> Select[Any]:
    if _from_rollups(f, sc):
        return rollups.pattern_counts(sc.ward_ids, qs.versions, *f.period.day_keys())
    query = (
        select(Submission.questionnaire_id, Submission.sat_mask, Submission.valid_mask, func.count())
        .where(Submission.questionnaire_id.in_(qs.versions), Submission.flagged.is_(False),
               within(Submission.day_key, f.period))
        .group_by(Submission.questionnaire_id, Submission.sat_mask, Submission.valid_mask)
    )
    if sc.ward_ids is not None:
        query = query.where(Submission.organisation_id.in_(sc.ward_ids))
    if f.point_ids is not None:
        query = query.where(Submission.point_id.in_(f.point_ids))
    if f.verified_only:
        query = query.where(Submission.verified.is_(True))
    return query


def _answer_queries(f: Filter, sc: rollups.Scope, qs: _Questions, parts: int, derive: bool) -> list[Select[Any]]:
    """The answer-count queries of a filter, the per-value seeks split into `parts` for parallel runs."""
    if not qs.codes:
        return []
    if f.verified_only:
        return [_verified_counts(f, sc, qs)]
    if _from_rollups(f, sc):
        return [rollups.answer_counts(sc.ward_ids, qs.codes, *f.period.day_keys())]
    queries = []
    pairs = qs.seeks(derive)
    if pairs:
        questions = sorted({qid for qid, _ in pairs})
        for i in range(max(1, min(parts, len(questions)))):
            mine = set(questions[i::parts])
            queries.append(_pair_counts(f, sc, [p for p in pairs if p[0] in mine]))
    if qs.grouped:
        queries.append(_grouped_counts(f, sc, qs.grouped))
    return queries


def configured_workers() -> int:
    """Connections to count on at once: HAILONG_STATS_WORKERS, else the CPU count (at most 4)."""
    setting = current_app.config.get("HAILONG_STATS_WORKERS")
    if setting is None:
        return min(4, os.cpu_count() or 1)
    return max(1, int(setting))


def _parallel_ok() -> bool:
    """Several connections see the same data: a database server or an SQLite file, not :memory:."""
    url = db.engine.url
    return url.get_backend_name() != "sqlite" or url.database not in (None, "", ":memory:")


def _sql(query: Select[Any]) -> str:
    """The query as SQL text of the session's dialect, its (integer and boolean) values written inline."""
    return str(query.compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True}))


def _rows(dbapi_connection: Any, sql: str) -> list[tuple[Any, ...]]:
    """Rows as the driver returns them: a pattern GROUP BY can return ~10^5 rows, so skip per-row wrapping."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(sql)
        return list(cursor.fetchall())
    finally:
        cursor.close()


def _fetch(queries: Sequence[Select[Any]], workers: int) -> list[list[tuple[Any, ...]]]:
    """Run read-only queries: in the session, or on up to `workers` pooled connections at once."""
    texts = [_sql(q) for q in queries]
    if workers <= 1 or len(texts) <= 1 or not _parallel_ok():
        driver = db.session.connection().connection.driver_connection
        return [_rows(driver, sql) for sql in texts]
    engine = db.engine

    def run(sql: str) -> list[tuple[Any, ...]]:
        with engine.connect() as conn:
            return _rows(conn.connection.driver_connection, sql)

    with ThreadPoolExecutor(max_workers=min(workers, len(texts))) as pool:
        return list(pool.map(run, texts))


def _patterns(qs: _Questions, rows: Iterable[Any]) -> list[tuple[tuple[str, ...], int, int, int]]:
    return [(qs.bit_codes[vid], sat, valid, n) for vid, sat, valid, n in rows]


def _question_counts(qs: _Questions, rows: Iterable[Iterable[Any]]) -> dict[str, dict[int, int]]:
    counts: dict[str, dict[int, int]] = defaultdict(dict)
    for part in rows:
        for question_id, value, n in part:
            if n:
                bucket = counts[qs.codes[question_id]]
                bucket[value] = bucket.get(value, 0) + n
    return dict(counts)


def count_many(filters: Sequence[Filter], workers: int = 1, answers: Sequence[bool] | None = None
               ) -> list[FilterCounts]:
    """Counts of several filters of one kind; answers[i] False skips filter i's answer counts (patterns only)."""
    return [c for c, _ in _count_with_totals(filters, workers, answers)]


def count(f: Filter, workers: int = 1) -> FilterCounts:
    """Answers by (question, value) and responses by (version, masks) of one filter."""
    return count_many([f], workers)[0]


MaskTotals = indices.MaskTotals


def _count_with_totals(filters: Sequence[Filter], workers: int, answers: Sequence[bool] | None
                       ) -> list[tuple[FilterCounts, MaskTotals]]:
    if not filters:
        return []
    kind = filters[0].kind
    if any(f.kind != kind for f in filters):
        raise ValueError("count_many needs filters of one kind")
    qs = _questions(kind)
    if not qs.versions:
        return [(FilterCounts({}, [], 0), ({}, {})) for _ in filters]
    wanted = list(answers) if answers is not None else [True] * len(filters)
    out = _count_many(qs, filters, wanted, workers, derive=True)
    if any(c is None for c, _ in out):  # answers and masks disagree: count every value instead
        out = _count_many(qs, filters, wanted, workers, derive=False)
    return [(c, totals) for c, totals in out if c is not None]


def _count_many(qs: _Questions, filters: Sequence[Filter], wanted: Sequence[bool], workers: int,
                derive: bool) -> list[tuple[FilterCounts | None, MaskTotals]]:
    # Pattern queries first (each is one long GROUP BY), then the answer counts split in 2 x workers parts,
    # so that parallel workers finish together.
    scopes = [rollups.scope(f.kind, f.point_ids) for f in filters]
    if all(_from_rollups(f, sc) and sc.ward_ids is not None for f, sc in zip(filters, scopes, strict=True)):
        # Some wards' rollup rows (a ward-year: ~10^4 pattern rows, a few hundred answer rows) are read faster on
        # the session's connection than on several that a new process must first open: `hailong indices --ward W
        # --period 2026` on the 3M province took 0.26 s instead of 0.37 s for its counts (README, "Performance").
        workers = 1
    # Rollup rows a page prefetched (dashboard.prefetch) are used as read; only what is missing is queried.
    kept_patterns = [_kept_patterns(f, sc, qs) for f, sc in zip(filters, scopes, strict=True)]
    kept_answers = [_kept_answers(f, sc, qs) if with_answers else None
                    for f, sc, with_answers in zip(filters, scopes, wanted, strict=True)]
    queries: list[Select[Any]] = [_pattern_counts(f, sc, qs)
                                  for f, sc, kept in zip(filters, scopes, kept_patterns, strict=True) if kept is None]
    slices = []
    for f, sc, with_answers, kept in zip(filters, scopes, wanted, kept_answers, strict=True):
        mine = (_answer_queries(f, sc, qs, 2 * workers if workers > 1 else 1, derive)
                if with_answers and kept is None else [])
        # The rollups count every value: nothing to derive.
        slices.append((len(queries), len(mine), derive and with_answers and not f.verified_only
                       and not _from_rollups(f, sc)))
        queries.extend(mine)
    rows = _fetch(queries, workers)
    out: list[tuple[FilterCounts | None, MaskTotals]] = []
    queried = iter(rows)
    for i, (start, n, derived) in enumerate(slices):
        held = kept_patterns[i]
        raw = cast(list[tuple[int, int, int, int]], held) if held is not None else next(queried)
        totals = indices.mask_totals(qs.bit_codes, raw)
        patterns = _patterns(qs, raw)
        answer_rows = [kept_answers[i] or []] if kept_answers[i] is not None else rows[start : start + n]
        question_counts: dict[str, dict[int, int]] | None = _question_counts(qs, answer_rows)
        if derived and question_counts is not None:
            question_counts = _add_derived(qs, question_counts, totals)
        responses = sum(p[3] for p in patterns)
        counts = None if question_counts is None else FilterCounts(question_counts, patterns, responses)
        out.append((counts, totals))
    return out


def _kept_patterns(f: Filter, sc: rollups.Scope, qs: _Questions) -> list[tuple[int, ...]] | None:
    """The filter's pattern rows as a page prefetched them from the rollups (None: query them)."""
    if not _from_rollups(f, sc):
        return None
    return rollups.kept_patterns(sc.ward_ids, qs.versions, *f.period.day_keys())


def _kept_answers(f: Filter, sc: rollups.Scope, qs: _Questions) -> list[tuple[int, ...]] | None:
    """The filter's answer rows as a page prefetched them from the rollups (None: query them)."""
    if not _from_rollups(f, sc) or not qs.codes:
        return None
    return rollups.kept_answers(sc.ward_ids, qs.codes, *f.period.day_keys())


def _add_derived(qs: _Questions, counts: dict[str, dict[int, int]], totals: MaskTotals
                 ) -> dict[str, dict[int, int]] | None:
    """Fill in each statement's counts of 3 and 4 from its mask totals (None if they do not add up).

    4 = (answers 4-5) - (answers 5) and 3 = (answers 1-3) - (answers 1) - (answers 2): the masks are
    written with the answers (services.responses._rows), so this is exact and skips the rows of two
    of the most frequent values.
    """
    sat, valid = totals
    for code in {qs.codes[qid] for qid in qs.statements}:
        bucket = counts.get(code, {})
        fours = sat.get(code, 0) - bucket.get(5, 0)
        threes = valid.get(code, 0) - sat.get(code, 0) - bucket.get(1, 0) - bucket.get(2, 0)
        if fours < 0 or threes < 0:
            return None
        for value, n in ((3, threes), (4, fours)):
            if n:
                bucket[value] = n
        if bucket:
            counts[code] = bucket
    return counts


def score_rows(f: Filter) -> list[conv.ScoreRow]:
    """Per-response (sum of 1-5 statement answers, number of them) pairs and how many responses had each.

    Grouped twice in SQL (by response, then by the pair), so only a few hundred rows come back. The period's
    responses are read first (ix_responses_patterns) and each one's statement answers through the answers'
    primary key (response, question, value), which holds the value: 2-3x faster than grouping the period's
    answers by response. Only the mean-based conventions need it.
    """
    qs = _questions(f.kind)
    statement_ids = sorted(qs.statements)
    if not statement_ids:
        return []
    lo, hi = f.period.day_keys()
    per_response = (
        select(Submission.id, func.sum(Answer.value).label("score"), func.count().label("answered"))
        .join(Answer, and_(Answer.response_id == Submission.id, same_ward(Answer, Submission),
                           Answer.question_id.in_(statement_ids), Answer.value >= 1))
        .where(Submission.questionnaire_id.in_(qs.versions), Submission.flagged.is_(False),
               Submission.day_key >= lo, Submission.day_key < hi)
        .group_by(Submission.id)
    )
    ward_ids = rollups.scope(f.kind, f.point_ids).ward_ids
    if ward_ids is not None:  # the ward first: its range of ix_responses_patterns, not every ward's days
        per_response = per_response.where(Submission.organisation_id.in_(ward_ids))
    if f.point_ids is not None:
        per_response = per_response.where(Submission.point_id.in_(f.point_ids))
    if f.verified_only:
        per_response = per_response.where(Submission.verified.is_(True))
    inner = per_response.subquery()
    rows = db.session.execute(
        select(inner.c.score, inner.c.answered, func.count()).group_by(inner.c.score, inner.c.answered)
    ).tuples()
    return [(int(score), int(answered), int(n)) for score, answered, n in rows]


def conventions_of(f: Filter, q: Questionnaire, counts: FilterCounts, result: dict[str, Any],
                   wanted: Sequence[str]) -> list[dict[str, Any]]:
    """The conventions asked for, side by side (analysis.conventions), for one filter already counted."""
    # The pattern table is only needed for the pooled interval: SIPAS alone reuses the overall block.
    table = indices.pattern_table(q, counts.patterns if "pooled" in wanted else [], counts.responses)
    scores = score_rows(f) if conv.needs_scores(wanted) else None
    codes = [s.code for s in q.statements]
    return conv.compute(wanted, codes, counts.question_counts, result["overall"], table, scores)


def compute(f: Filter, questionnaire: Questionnaire | None = None, workers: int = 1,
            conventions: Sequence[str] = (conv.DEFAULT,)) -> dict[str, Any]:
    """Indices of one filter, with the previous period of the same length for comparison."""
    q = questionnaire or qsvc.definition(qsvc.latest_version(f.kind))
    prev_filter = Filter(f.period.previous(), f.kind, f.point_ids, f.verified_only)
    (current, _), (prev_counts, prev_totals) = _count_with_totals([f, prev_filter], workers, [True, False])
    result = indices.compute(q, current.question_counts, current.patterns, current.responses)
    result["conventions"] = conventions_of(f, q, current, result, conventions)
    # Only the previous element and overall indices are used, and the patterns give them exactly.
    before = indices.compute(q, indices.counts_from_totals(prev_totals), prev_counts.patterns, prev_counts.responses)
    change = indices.compare(result, before)
    result["previous"] = {
        "period": prev_filter.period.label,
        "responses": before["responses"],
        "overall": change["overall"],
        "elements": change["elements"],
    }
    return result


def resolve_points(kind: str | None, point_code: str | None,
                   ward_id: int | None = None) -> tuple[list[str], ServicePoint | None]:
    """The kinds to report and the one point asked for (in that ward when given), checking that they fit."""
    point = None
    if point_code is not None:
        query = select(ServicePoint).filter_by(code=point_code)
        if ward_id is not None:
            query = query.filter_by(organisation_id=ward_id)
        point = db.session.scalar(query)
        if point is None:
            raise LookupError(point_code)
        if kind is not None and kind != point.kind:
            raise ValueError(point_code)
        return [point.kind], point
    return ([kind] if kind else list(KINDS)), None


def indices_for(period: Period, kind: str | None = None, point_code: str | None = None,
                verified_only: bool = False, workers: int = 1,
                conventions: Sequence[str] = (conv.DEFAULT,), ward_id: int | None = None) -> list[dict[str, Any]]:
    """The `hailong indices` result: one object per kind (or the one kind asked for).

    One ward's points when `ward_id` is given; every point of the database (a province-wide figure) otherwise.
    """
    kinds, point = resolve_points(kind, point_code, ward_id)
    out = []
    for k in kinds:
        ids = [point.id] if point else (ward_point_ids(ward_id, k) if ward_id is not None else None)
        result = compute(Filter(period, k, ids, verified_only), workers=workers, conventions=conventions)
        out.append({"period": period.label, "kind": k, "point": point.code if point else None,
                    "verified_only": verified_only, **result})
    return out


def ward_point_ids(ward_id: int, kind: str | None = None) -> list[int]:
    """The ids of a ward's points (of one kind when given), active or not: what a ward's figures count."""
    query = select(ServicePoint.id).where(ServicePoint.organisation_id == ward_id).order_by(ServicePoint.id)
    if kind is not None:
        query = query.where(ServicePoint.kind == kind)
    return list(db.session.scalars(query))
