"""Exact pre-aggregated counts (rollups): kept in the writer's transaction, read for whole wards' spans.

Two tables (survey/models.py): `answer_rollups` counts non-excluded answers per (ward, day, question, value)
and `pattern_rollups` unflagged responses per (ward, day, version, sat_mask, valid_mask). Each change is
written twice, to its day's row and to its month's row (day_key yyyymm00), so a span reads one row per
whole month and per day only at its ragged ends (a reporting window from the 15th to the 14th).

Every writer of `responses`/`answers` calls this module in its own transaction (services.responses:
write_many, set_flag, erase), so the rollups equal the raw rows at every commit; `rebuild` recomputes them
from the raw rows (after a bulk COPY, or to check). Readers ask `scope()` whether a set of points is whole
wards' points of a kind: only then do the rollups answer (by ward); a point's or a viewer's unit's figures
keep reading the raw rows through the ward-led indexes.
"""

from __future__ import annotations

import secrets
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise
from typing import Any, TypeVar, cast

from flask import current_app, has_app_context
from sqlalchemy import ColumnElement, Table, and_, case, delete, false, func, insert, or_, select, text
from sqlalchemy.orm import aliased
from sqlalchemy.sql import Select

from ..extensions import db
from ..models import Answer, AnswerRollup, FiguresToken, Organisation, PatternRollup, ServicePoint, Submission

ANSWER_KEY = ("organisation_id", "day_key", "question_id", "value")
PATTERN_KEY = ("organisation_id", "day_key", "questionnaire_id", "sat_mask", "valid_mask")


def month_key(day_key: int) -> int:
    """The month row's key of a day: yyyymm00 (no real day ends in 00, so the two never mix)."""
    return day_key - day_key % 100


# --- writing ------------------------------------------------------------------------------------


def _deltas(responses: Iterable[Mapping[str, Any]], answers: Iterable[Mapping[str, Any]], sign: int
            ) -> tuple[Counter[tuple[int, ...]], Counter[tuple[int, ...]]]:
    """The (key -> change of n) of counted rows: answers not excluded, responses not flagged; day and month."""
    by_answer: Counter[tuple[int, ...]] = Counter()
    for a in answers:
        if not a["excluded"]:
            day = int(a["day_key"])
            for key in (day, month_key(day)):
                by_answer[(int(a["organisation_id"]), key, int(a["question_id"]), int(a["value"]))] += sign
    by_pattern: Counter[tuple[int, ...]] = Counter()
    for r in responses:
        if not r["flagged"]:
            day = int(r["day_key"])
            for key in (day, month_key(day)):
                by_pattern[(int(r["organisation_id"]), key, int(r["questionnaire_id"]), int(r["sat_mask"]),
                            int(r["valid_mask"]))] += sign
    return by_answer, by_pattern


#: Rows per INSERT ... ON CONFLICT statement: 3,000 bound values, far below SQLite's 32,766.
UPSERT_CHUNK = 500


def _upsert_sql(table: Table, key: Sequence[str], rows: int) -> str:
    """INSERT of `rows` rows ... ON CONFLICT (key) DO UPDATE SET n = n + excluded.n, in the driver's style.

    SQLite (>= 3.24) and PostgreSQL share the syntax. One statement for all of a response's keys: one round
    trip on PostgreSQL, and no per-row SQLAlchemy processing on the citizen's POST.
    """
    mark = "?" if db.session.get_bind().dialect.paramstyle == "qmark" else "%s"
    row = "(" + ", ".join([mark] * (len(key) + 1)) + ")"
    columns = ", ".join([*key, "n"])
    # Names come from the model and values are bound: nothing of a request is in the text.
    sql = f"INSERT INTO {table.name} ({columns}) VALUES {', '.join([row] * rows)} "  # noqa: S608
    return sql + f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET n = {table.name}.n + excluded.n"


def _upsert_arrays_sql(table: Table, key: Sequence[str]) -> str:
    """PostgreSQL: the same upsert with one array per column, rows taken in the arrays' order.

    Its text is the same for any number of rows, so psycopg converts it once and the server prepares it once; the
    VALUES form, whose text grows with the rows (68 for a one-stop answer), cost psycopg more CPU to convert on
    every POST than the server spent running it.
    """
    columns = [*key, "n"]
    arrays = ", ".join(["%s::int8[]"] * len(columns))
    # Names come from the model and values are bound: nothing of a request is in the text.
    sql = (f"INSERT INTO {table.name} ({', '.join(columns)}) SELECT {', '.join(columns)} "  # noqa: S608
           f"FROM unnest({arrays}) WITH ORDINALITY AS t({', '.join(columns)}, i) ORDER BY i ")
    return sql + f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET n = {table.name}.n + excluded.n"


def _upsert(table: Table, key: Sequence[str], deltas: Counter[tuple[int, ...]]) -> None:
    """Add each delta to its row (creating it), then drop rows that fell to 0, so the table equals a rebuild."""
    changes = sorted((k, n) for k, n in deltas.items() if n)  # one key order everywhere: no deadlock on PostgreSQL
    if not changes:
        return
    connection = db.session.connection()
    arrays = connection.dialect.name == "postgresql"
    for start in range(0, len(changes), UPSERT_CHUNK):
        chunk = changes[start : start + UPSERT_CHUNK]
        if arrays:
            columns = tuple(list(column) for column in zip(*((*k, n) for k, n in chunk), strict=True))
            connection.exec_driver_sql(_upsert_arrays_sql(table, key), columns)
        else:
            connection.exec_driver_sql(_upsert_sql(table, key, len(chunk)),
                                       tuple(value for k, n in chunk for value in (*k, n)))
    if any(n < 0 for _, n in changes):
        wards = sorted({k[0] for k, n in changes if n < 0})
        days = sorted({k[1] for k, n in changes if n < 0})
        db.session.execute(delete(table).where(table.c.organisation_id.in_(wards), table.c.day_key.in_(days),
                                               table.c.n <= 0))


def _apply(responses: Iterable[Mapping[str, Any]], answers: Iterable[Mapping[str, Any]], sign: int) -> None:
    by_answer, by_pattern = _deltas(responses, answers, sign)
    _upsert(AnswerRollup.__table__, ANSWER_KEY, by_answer)
    _upsert(PatternRollup.__table__, PATTERN_KEY, by_pattern)


def add_responses(responses: Sequence[Mapping[str, Any]], answers: Sequence[Mapping[str, Any]]) -> None:
    """Count newly inserted rows (as services.responses wrote them): one upsert per table and 500 keys."""
    _apply(responses, answers, +1)


def _stored(response_id: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    response = db.session.execute(
        select(Submission.organisation_id, Submission.day_key, Submission.questionnaire_id, Submission.flagged,
               Submission.sat_mask, Submission.valid_mask).where(Submission.id == response_id)
    ).mappings().first()
    if response is None:
        return [], []
    answers = db.session.execute(
        select(Answer.organisation_id, Answer.day_key, Answer.question_id, Answer.value, Answer.excluded)
        .where(Answer.response_id == response_id)
    ).mappings().all()
    return [dict(response)], [dict(a) for a in answers]


def add_response(response_id: int) -> None:
    """Count a stored response as it now is (after an unflag): its counted rows are added."""
    _apply(*_stored(response_id), +1)


def remove_response(response_id: int) -> None:
    """Uncount a stored response as it now is (before a flag or a deletion): its counted rows are subtracted."""
    _apply(*_stored(response_id), -1)


def _month_of(column: Any) -> Any:
    return column - column % 100


def rebuild(organisation_id: int | None = None) -> tuple[int, int]:
    """Recompute the rollups from the raw rows (one ward's, or all); returns (answer rows, pattern rows)."""
    for table in (AnswerRollup, PatternRollup):
        statement = delete(table)
        if organisation_id is not None:
            statement = statement.where(table.organisation_id == organisation_id)
        db.session.execute(statement)
    for day in (Answer.day_key, _month_of(Answer.day_key)):
        query = (select(Answer.organisation_id, day, Answer.question_id, Answer.value, func.count())
                 .where(Answer.excluded.is_(false()))
                 .group_by(Answer.organisation_id, day, Answer.question_id, Answer.value))
        if organisation_id is not None:
            query = query.where(Answer.organisation_id == organisation_id)
        db.session.execute(insert(AnswerRollup).from_select([*ANSWER_KEY, "n"], query))
    for day in (Submission.day_key, _month_of(Submission.day_key)):
        query = (select(Submission.organisation_id, day, Submission.questionnaire_id, Submission.sat_mask,
                        Submission.valid_mask, func.count())
                 .where(Submission.flagged.is_(false()))
                 .group_by(Submission.organisation_id, day, Submission.questionnaire_id, Submission.sat_mask,
                           Submission.valid_mask))
        if organisation_id is not None:
            query = query.where(Submission.organisation_id == organisation_id)
        db.session.execute(insert(PatternRollup).from_select([*PATTERN_KEY, "n"], query))
    # Figures kept from the rollups before (pieces, report files, province figures) are stale whatever they count.
    touch_figures(organisation_id)
    return row_counts(organisation_id)


# --- the wards' 'figures' tokens ----------------------------------------------------------------------------


def touch_figures(organisation_id: int | None = None) -> None:
    """Give a ward (every ward when None) a new 'figures' token (models.FiguresToken), as the triggers on responses
    do: whatever was kept from its rollups is stale; in the caller's transaction."""
    if organisation_id is None:
        wards = list(db.session.scalars(select(Organisation.id).order_by(Organisation.id)))
    else:
        wards = [organisation_id]
    if not wards:
        return
    # Random, as the triggers' tokens, not a counter: a restored backup never repeats one a reader holds; below
    # 2^52 as theirs, so a province's sum (figures_token) stays far from overflowing.
    db.session.execute(text("INSERT INTO figures_tokens (organisation_id, token) VALUES (:ward, :token) "
                            "ON CONFLICT (organisation_id) DO UPDATE SET token = excluded.token"),
                       [{"ward": ward, "token": secrets.randbits(52)} for ward in wards])


def figures_token(ward_ids: Sequence[int]) -> Any:
    """The 'figures' token of some wards as one number, for a query: the sum of theirs (a ward without a row
    counts 0). A new token in any of them changes the sum (all but certainly: tokens are random below 2^52), and
    one ward's change leaves every other ward's sum as it was. PostgreSQL sums BIGINT into NUMERIC; SQLite's
    integer sum would overflow only past 2,048 wards."""
    return (select(func.coalesce(func.sum(FiguresToken.token), 0))
            .where(FiguresToken.organisation_id.in_(list(ward_ids))).scalar_subquery())


def row_counts(organisation_id: int | None = None) -> tuple[int, int]:
    """Rows in the two rollup tables (one ward's, or all)."""
    out = []
    for table in (AnswerRollup, PatternRollup):
        query = select(func.count()).select_from(table)
        if organisation_id is not None:
            query = query.where(table.organisation_id == organisation_id)
        out.append(int(db.session.scalar(query) or 0))
    return out[0], out[1]


# --- reading ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """Which wards a set of points lies in, and whether it is all of their points of the kind (`whole`)."""

    ward_ids: tuple[int, ...] | None  # None: every ward (no point filter)
    whole: bool


_RAW: ContextVar[bool] = ContextVar("hailong_rollups_raw", default=False)
_SHARED: ContextVar[dict[Any, Any] | None] = ContextVar("hailong_rollups_shared", default=None)


@contextmanager
def shared_reads() -> Iterator[None]:
    """Inside this block a lookup asked again (a scope, a kind's versions, prefetched rollup rows) is answered
    from memory: for one page that reads, and writes nothing, between the first ask and the last."""
    token = _SHARED.set({})
    try:
        yield
    finally:
        _SHARED.reset(token)


T = TypeVar("T")


def shared(key: Hashable, compute: Callable[[], T]) -> T:
    """compute(), once per key inside a shared_reads() block (every time outside one)."""
    memo = _SHARED.get()
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return cast(T, memo[key])


def sharing() -> bool:
    """Whether this runs inside a shared_reads() block."""
    return _SHARED.get() is not None


def _kept(key: Hashable) -> Any | None:
    memo = _SHARED.get()
    return None if memo is None else memo.get(key)


@contextmanager
def raw_reads() -> Iterator[None]:
    """Read every figure from the raw rows inside this block: what the property test and the bench compare to."""
    token = _RAW.set(True)
    try:
        yield
    finally:
        _RAW.reset(token)


def wards_of(point_ids: Sequence[int]) -> list[int]:
    """The wards of some points: the leading column of ix_answers_count for a raw count over those points."""
    if not point_ids:
        return []
    return list(db.session.scalars(select(ServicePoint.organisation_id)
                                   .where(ServicePoint.id.in_(sorted(set(point_ids)))).distinct()))


def scope(kind: str, point_ids: Sequence[int] | None) -> Scope:
    """The wards of `point_ids`; whole when the points are every point of `kind` of those wards.

    A response is always of its point's kind (a point's kind never changes), so the rollups of those wards,
    filtered by the kind's versions, count exactly what the raw rows of those points count. One query, and
    asked once per shared_reads() block.
    """
    raw = _RAW.get()
    if point_ids is None:
        return Scope(None, not raw)
    ids = sorted(set(point_ids))
    if not ids:
        return Scope((), not raw)
    return shared(("scope", kind, tuple(ids), raw), lambda: _scope(kind, ids, raw))


def _scope(kind: str, ids: list[int], raw: bool) -> Scope:
    p, given_wards = ServicePoint, aliased(ServicePoint)
    mine, of_kind = p.id.in_(ids), p.kind == kind
    rows = db.session.execute(
        select(p.organisation_id, func.sum(case((and_(mine, of_kind), 1), else_=0)),
               func.sum(case((of_kind, 1), else_=0)), func.sum(case((mine, 1), else_=0)))
        .where(p.organisation_id.in_(select(given_wards.organisation_id).where(given_wards.id.in_(ids))))
        .group_by(p.organisation_id)).tuples().all()
    wards = tuple(sorted(int(ward) for ward, _, _, n in rows if n))
    given = {int(ward): int(n) for ward, n, _, _ in rows if n}
    total = {int(ward): int(n) for ward, _, n, _ in rows}
    # Whole only when every ward of the points has all its points of the kind among them: a ward reached only
    # through a point of another kind would otherwise add its points of this kind, which the points do not hold.
    whole = bool(given) and len(given) == len(wards) and all(total.get(w) == n for w, n in given.items())
    return Scope(wards, not raw and whole)


def _key_date(key: int) -> date:
    return date(key // 10000, key // 100 % 100, key % 100)


def _date_key(d: date) -> int:
    return d.year * 10000 + d.month * 100 + d.day


def span(column: Any, first: int, end: int) -> ColumnElement[bool]:
    """Rollup rows that sum to the days [first, end): whole months by their month row, other days one by one."""
    lo, hi = _key_date(first), _key_date(end)
    months: list[int] = []
    days: list[ColumnElement[bool]] = []
    start = lo.replace(day=1)
    while start < hi:
        following = (start + timedelta(days=32)).replace(day=1)
        a, b = max(lo, start), min(hi, following)
        if a == start and b == following:
            months.append(_date_key(start) - 1)  # yyyymm01 - 1 = yyyymm00
        else:  # inclusive bounds inside one month: a month key (yyyymm00) cannot fall between them
            days.append(column.between(_date_key(a), _date_key(b - timedelta(days=1))))
        start = following
    parts = ([column.in_(months)] if months else []) + days
    if not parts:
        return false()
    return or_(*parts) if len(parts) > 1 else parts[0]


def _wards(column: Any, ward_ids: Sequence[int] | None) -> list[ColumnElement[bool]]:
    return [] if ward_ids is None else [column.in_(list(ward_ids))]


def answer_counts(ward_ids: Sequence[int] | None, question_ids: Iterable[int], first: int, end: int
                  ) -> Select[Any]:
    """(question id, value, n) of the wards' counted answers in [first, end), from the rollups."""
    r = AnswerRollup
    return (select(r.question_id, r.value, func.sum(r.n))
            .where(*_wards(r.organisation_id, ward_ids), span(r.day_key, first, end),
                   r.question_id.in_(sorted(question_ids)))
            .group_by(r.question_id, r.value))


def pattern_counts(ward_ids: Sequence[int] | None, version_ids: Iterable[int], first: int, end: int,
                   by_ward: bool = False) -> Select[Any]:
    """([ward id,] version id, sat_mask, valid_mask, n) of the wards' counted responses in [first, end)."""
    r = PatternRollup
    keys = [r.organisation_id] if by_ward else []
    return (select(*keys, r.questionnaire_id, r.sat_mask, r.valid_mask, func.sum(r.n))
            .where(*_wards(r.organisation_id, ward_ids), span(r.day_key, first, end),
                   r.questionnaire_id.in_(sorted(version_ids)))
            .group_by(*keys, r.questionnaire_id, r.sat_mask, r.valid_mask))


def statement_totals(ward_ids: Sequence[int] | None, question_ids: Iterable[int],
                     buckets: Sequence[tuple[int, int]], by_ward: bool = False
                     ) -> list[tuple[int, int, int, int, int]]:
    """(ward id or 0, bucket, question id, answers 4-5, answers 1-5) per [first, end) bucket, from the rollups."""
    if not buckets:
        return []
    if not by_ward:
        found = _kept_statement_totals(ward_ids, question_ids, buckets)
        if found is not None:
            return found
    r = AnswerRollup
    # Each bucket by its own rows: a month row (yyyymm00) sorts before its month's first day, so `< end` can't.
    parts = [span(r.day_key, first, end) for first, end in buckets]
    bucket = case(*[(part, i) for i, part in enumerate(parts)], else_=len(buckets))
    keys = [r.organisation_id] if by_ward else []
    query = (select(*keys, bucket, r.question_id,
                    func.sum(case((r.value >= 4, r.n), else_=0)), func.sum(r.n))
             .where(*_wards(r.organisation_id, ward_ids), or_(*parts), r.question_id.in_(sorted(question_ids)),
                    and_(r.value >= 1, r.value <= 5))
             .group_by(*keys, bucket, r.question_id))
    out = []
    for row in db.session.execute(query).tuples():
        ward = int(row[0]) if by_ward else 0
        b, q, sat, valid = row[-4:]
        out.append((ward, int(b), int(q), int(sat or 0), int(valid or 0)))
    return out


def _kept_statement_totals(ward_ids: Sequence[int] | None, question_ids: Iterable[int],
                            buckets: Sequence[tuple[int, int]]) -> list[tuple[int, int, int, int, int]] | None:
    """statement_totals() from prefetched answer rows, when every bucket was prefetched (else None)."""
    wanted = sorted(set(question_ids))
    kept = [kept_answers(ward_ids, wanted, first, end) for first, end in buckets]
    if any(rows is None for rows in kept):
        return None
    out: list[tuple[int, int, int, int, int]] = []
    for b, rows in enumerate(kept):
        totals: dict[int, list[int]] = {}
        for qid, value, n in rows or ():
            if 1 <= value <= 5:  # the query's WHERE: only a question with a 1-5 answer has a row
                found = totals.setdefault(qid, [0, 0])
                found[0] += n if value >= 4 else 0
                found[1] += n
        out.extend((0, b, qid, sat, valid) for qid, (sat, valid) in sorted(totals.items()))
    return out


# --- one page's rollup reads in one query per table ------------------------------------------------------


def pieces(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """The disjoint [first, end) pieces, cut at every bound, that each of `spans` is a union of."""
    wanted = sorted(set(spans))
    cuts = sorted({key for span_ in wanted for key in span_})
    return [(a, b) for a, b in pairwise(cuts)
            if any(first <= a and b <= end for first, end in wanted)]


def _bucketed(column: Any, parts: Sequence[tuple[int, int]]) -> tuple[Any, ColumnElement[bool]]:
    """A CASE naming the piece of each row (a row lies in at most one: pieces are disjoint) and their union."""
    conditions = [span(column, first, end) for first, end in parts]
    return case(*[(c, i) for i, c in enumerate(conditions)], else_=-1), or_(*conditions)


def _keep(name: str, ward_ids: Sequence[int] | None, ids: Iterable[int], spans: Iterable[tuple[int, int]],
          parts: Sequence[tuple[int, int]], by_part: Mapping[int, Sequence[tuple[int, ...]]]) -> None:
    """Store each span's rows (summed over its pieces, keyed by all but the last column) for kept_*()."""
    memo = _SHARED.get()
    if memo is None:
        return
    wards = None if ward_ids is None else tuple(ward_ids)
    for first, end in set(spans):
        mine = [by_part.get(i, []) for i, (a, b) in enumerate(parts) if first <= a and b <= end]
        if len(mine) == 1:
            found = list(mine[0])
        else:  # one row per key, as the span's own GROUP BY gives
            summed: dict[tuple[int, ...], int] = {}
            for part in mine:
                for one in part:
                    key = one[:-1]
                    summed[key] = summed.get(key, 0) + one[-1]
            found = [(*k, n) for k, n in summed.items()]
        memo[(name, wards, first, end)] = (frozenset(ids), found)


def _kept_rows(name: str, ward_ids: Sequence[int] | None, ids: Iterable[int], first: int, end: int
               ) -> list[tuple[int, ...]] | None:
    found = _kept((name, None if ward_ids is None else tuple(ward_ids), first, end))
    if found is None:
        return None
    held, rows = found
    wanted = set(ids)
    if not wanted <= held:
        return None
    return rows if wanted == held else [row for row in rows if row[0] in wanted]


def _driver_rows(query: Select[Any]) -> list[tuple[Any, ...]]:
    """The rows as the driver returns them, on the session's connection: a year of a ward's patterns is ~10^4
    rows, and SQLAlchemy's per-row processing cost more than the query. Its values (ids, day keys) are integers,
    written inline as services.stats does."""
    connection = db.session.connection()
    sql = str(query.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql)
        return list(cursor.fetchall())
    finally:
        cursor.close()


@dataclass(frozen=True)
class _Read:
    """One rollup table's part of a prefetch: its rows' group columns, the ids wanted, the spans' pieces."""

    name: str
    table: type[AnswerRollup] | type[PatternRollup]
    id_column: Any
    columns: tuple[Any, ...]
    ids: tuple[int, ...]
    spans: tuple[tuple[int, int], ...]
    parts: tuple[tuple[int, int], ...]


def prefetch(ward_ids: Sequence[int] | None, version_ids: Iterable[int], pattern_spans: Sequence[tuple[int, int]],
             question_ids: Iterable[int], answer_spans: Sequence[tuple[int, int]]) -> None:
    """Read the pattern and answer rollups of several spans for the readers of this shared block: one query per
    table, for the pieces not kept unchanged since an earlier page (PieceMemo; both tables checked in one query).

    Each span's rows are summed over the pieces it covers: the same rows as its own GROUP BY, in another order
    (PatternTable merges rows in a canonical order, and the totals are sums).
    """
    if _SHARED.get() is None:
        return
    p, a = PatternRollup, AnswerRollup
    reads = [_Read(name, table, id_column, columns, tuple(sorted(set(ids))), tuple(spans), tuple(pieces(spans)))
             for name, table, id_column, columns, ids, spans in (
                 ("patterns", p, p.questionnaire_id, (p.questionnaire_id, p.sat_mask, p.valid_mask), version_ids,
                  pattern_spans),
                 ("answers", a, a.question_id, (a.question_id, a.value), question_ids, answer_spans))]
    reads = [r for r in reads if r.ids and r.parts]
    wards = tuple(ward_ids or ())
    keys = [(r.name, wards, r.ids, part) for r in reads for part in r.parts]
    memo = piece_memo()
    marks, kept = memo.lookup(ward_ids, keys, [key[3] for key in keys]) if memo is not None else (None, {})
    first = 0
    for r in reads:
        mine = range(first, first + len(r.parts))
        by_part: dict[int, Sequence[tuple[int, ...]]] = {i - first: kept[i] for i in mine if i in kept}
        missing = [i - first for i in mine if i not in kept]
        if missing:
            bucket, inside = _bucketed(r.table.day_key, [r.parts[i] for i in missing])
            query = (select(bucket, *r.columns, func.sum(r.table.n))
                     .where(*_wards(r.table.organisation_id, ward_ids), inside, r.id_column.in_(r.ids))
                     .group_by(bucket, *r.columns))
            read: dict[int, list[tuple[int, ...]]] = {i: [] for i in missing}
            for got in _driver_rows(query):  # sums of INTEGER columns: ints on both databases
                read[missing[got[0]]].append(tuple(got[1:]))
            for i, rows in read.items():
                by_part[i] = rows
                if memo is not None and marks is not None:
                    memo.put(keys[first + i], marks[first + i], rows)
        _keep(r.name, ward_ids, r.ids, r.spans, r.parts, by_part)
        first += len(r.parts)


def kept_patterns(ward_ids: Sequence[int] | None, version_ids: Iterable[int], first: int, end: int
                  ) -> list[tuple[int, ...]] | None:
    """pattern_counts()' rows as prefetched in this shared block, or None when they were not."""
    return _kept_rows("patterns", ward_ids, version_ids, first, end)


def kept_answers(ward_ids: Sequence[int] | None, question_ids: Iterable[int], first: int, end: int
                 ) -> list[tuple[int, ...]] | None:
    """answer_counts()' rows as prefetched in this shared block, or None when they were not."""
    return _kept_rows("answers", ward_ids, question_ids, first, end)


def reading_raw() -> bool:
    """Whether this block reads raw rows (rollups.raw_reads): readers with a batched rollup path fall back."""
    return _RAW.get()


# --- rollup rows of pieces kept across pages ---------------------------------------------------------------

#: Responses re-read behind `through` at every check: ids are handed out before commit, so on PostgreSQL a
#: response can become visible after a higher id did; re-reading a window catches it.
REREAD = 1000


@dataclass(frozen=True)
class PieceMarks:
    """What a piece's rows were read under: the wards' 'figures' token (figures_token), the newest response id,
    and how many of the wards' responses in the piece had an id above `through - REREAD`."""

    token: int
    through: int
    seen: int


@dataclass(frozen=True)
class _Held:
    marks: PieceMarks
    rows: tuple[tuple[int, ...], ...]


class PieceMemo:
    """Rollup rows of a ward's span pieces kept across requests, each with the marks it was read under.

    A dashboard reads the quarter, the previous quarter, the year to date and six quarters of trend; only the
    current quarter's piece changes with a citizen's answer. Kept rows are current while the wards' 'figures'
    token is unchanged (triggers of migration 0017_ward_figures give a ward a new one when one of its responses is
    deleted or a counted column changes: a flag, a day, a ward; `hailong rollups rebuild` too; another ward's
    changes leave it as it is) and no new response of the wards has a day in the piece: counted among the ids
    above `through - REREAD`, as the province's stored figures are checked (services.province_snapshots), so the
    check walks the primary key from the last read, not the ward's year.
    Marks are read before rows, so a change committed in between makes kept rows look stale (one read too many),
    never current when they are not. One per application, so two databases never share rows.
    """

    #: Rows kept in all (each a tuple of 3-4 ints): a few dozen ward-quarters, some tens of MB at most.
    MAX_ROWS = 400_000
    #: Kept rows read more than this many responses ago (any ward's) are read again rather than checked, so a
    #: check never walks far back along the primary key.
    MAX_BEHIND = 20_000

    def __init__(self) -> None:
        self._entries: OrderedDict[Hashable, _Held] = OrderedDict()
        self._rows = 0
        self._lock = threading.Lock()

    def lookup(self, ward_ids: Sequence[int] | None, keys: Sequence[Hashable], parts: Sequence[tuple[int, int]]
               ) -> tuple[list[PieceMarks] | None, dict[int, tuple[tuple[int, ...], ...]]]:
        """The marks of the data now for each piece (None: nothing may be kept) and, by piece index, the kept
        rows of pieces unchanged since they were read; two short queries."""
        if not ward_ids or not parts:  # a province-wide check would cost what it saves
            return None, {}
        s = Submission
        found_token, newest = db.session.execute(
            select(figures_token(ward_ids), select(func.max(s.id)).scalar_subquery())).one()
        token_now, through = int(found_token or 0), int(newest or 0)
        with self._lock:
            held = [self._entries.get(key) for key in keys]
        checked = {i: h for i, h in enumerate(held) if h is not None and h.marks.token == token_now
                   and 0 <= through - h.marks.through <= self.MAX_BEHIND}
        lower = min([through, *(h.marks.through for h in checked.values())]) - REREAD

        def count(first: int, end: int, since: int) -> Any:
            return func.count().filter(s.day_key >= first, s.day_key < end, s.id > since - REREAD)

        # One count per distinct piece from `through`, and one per kept piece from the `through` it was read at.
        distinct = list(dict.fromkeys(parts))
        asked = list(dict.fromkeys([*((part, through) for part in distinct),
                                    *((parts[i], h.marks.through) for i, h in checked.items())]))
        row = db.session.execute(select(*(count(*part, since) for part, since in asked))
                                 .where(s.organisation_id.in_(list(ward_ids)), s.id > lower)).one()
        counted = {ask: int(n or 0) for ask, n in zip(asked, row, strict=True)}
        now = [PieceMarks(token_now, through, counted[(part, through)]) for part in parts]
        kept = {i: h.rows for i, h in checked.items() if counted[(parts[i], h.marks.through)] == h.marks.seen}
        with self._lock:  # unchanged rows are current now: checked from `through` next time
            for i, rows in kept.items():
                if self._entries.get(keys[i]) is held[i]:
                    self._entries[keys[i]] = _Held(now[i], rows)
                    self._entries.move_to_end(keys[i])
        return now, kept

    def put(self, key: Hashable, marks: PieceMarks, rows: Sequence[tuple[int, ...]]) -> None:
        kept = tuple(rows)
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._rows -= len(old.rows)
            if len(kept) > self.MAX_ROWS:
                return
            self._entries[key] = _Held(marks, kept)
            self._rows += len(kept)
            while self._rows > self.MAX_ROWS:
                _, dropped = self._entries.popitem(last=False)
                self._rows -= len(dropped.rows)


def piece_memo() -> PieceMemo | None:
    """This application's PieceMemo (None outside an application context)."""
    if not has_app_context():
        return None
    extensions = current_app.extensions
    found = extensions.get("hailong_rollup_pieces")
    if found is None:
        found = extensions.setdefault("hailong_rollup_pieces", PieceMemo())
    return cast(PieceMemo, found)
