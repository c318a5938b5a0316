"""Submitting, importing, exporting and flagging responses: the one place that writes answers."""

from __future__ import annotations

import csv
import io
import re
import secrets
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import IO, Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import TextualSelect, and_, bindparam, delete, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from hailong.analysis.periods import TZ, day_key
from hailong.forms.encoding import Answers, decode_value, encode_row
from hailong.forms.questionnaire import Questionnaire, QuestionType

from ..extensions import db
from ..models import (
    Answer,
    Channel,
    Organisation,
    PaknItem,
    Question,
    QuestionnaireVersion,
    ServicePoint,
    Submission,
    Token,
    same_ward,
)
from . import questionnaires as qsvc
from . import rollups, spreadsheet, tokens
from .periods import within

SERVICE_COLUMNS = ("submitted_at", "point", "channel", "questionnaire", "verified", "flag_reason", "comment")


def new_submission_key() -> str:
    """A random key for a response that did not come from a served form (import, demo); see antiabuse.issue_form_key."""
    return secrets.token_urlsafe(16)


def intake_time(moment: datetime) -> datetime:
    """A citizen's submission time as stored: to the minute, so it cannot be matched to the second with proxy logs."""
    return moment.replace(second=0, microsecond=0)


@dataclass
class Draft:
    """A response ready to be written: validated answers of one point and version."""

    point: ServicePoint
    version: QuestionnaireVersion
    answers: Answers
    submitted_at: datetime
    comment: str | None = None
    channel: str = Channel.QR.value
    submission_key: str = field(default_factory=new_submission_key)
    verified: bool = False
    flag_reason: str | None = None


def _rows(draft: Draft) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The response row and its answer rows, with the masks computed once here."""
    qmap = qsvc.question_map(draft.version.id)
    local_day = day_key(draft.submitted_at)
    sat = valid = 0
    answers: list[dict[str, Any]] = []
    flagged = draft.flag_reason is not None
    for code, value in draft.answers.items():
        values = value if isinstance(value, list) else [value]
        for v in values:
            answers.append(
                {
                    "question_id": qmap.ids[code],
                    "value": v,
                    "organisation_id": draft.point.organisation_id,
                    "point_id": draft.point.id,
                    "day_key": local_day,
                    "excluded": flagged,
                }
            )
        bit = qmap.bits.get(code)
        if bit is not None and isinstance(value, int) and 1 <= value <= 5:
            valid |= 1 << bit
            if value >= 4:
                sat |= 1 << bit
    response = {
        "organisation_id": draft.point.organisation_id,
        "point_id": draft.point.id,
        "questionnaire_id": draft.version.id,
        "submitted_at": draft.submitted_at.astimezone(UTC),
        "day_key": local_day,
        "channel": draft.channel,
        "comment": draft.comment,
        "submission_key": draft.submission_key,
        "verified": draft.verified,
        "flagged": flagged,
        "flag_reason": draft.flag_reason,
        "sat_mask": sat,
        "valid_mask": valid,
    }
    return response, answers


def write_many(drafts: Sequence[Draft]) -> list[int]:
    """Insert drafts in bulk in the caller's transaction, their rollups with them; returns the ids."""
    if not drafts:
        return []
    pairs = [_rows(d) for d in drafts]
    # Core on the table, as for the answers below: the ORM's bulk insert costs more than the write itself.
    table = Submission.__table__
    ids = list(
        db.session.scalars(
            insert(table).returning(table.c.id, sort_by_parameter_order=True),
            [r for r, _ in pairs],
        )
    )
    answer_rows = [dict(a, response_id=rid) for rid, (_, answers) in zip(ids, pairs, strict=True) for a in answers]
    if answer_rows:
        # A Core executemany on the table: the ORM's bulk bookkeeping costs more than the insert itself here.
        db.session.execute(insert(Answer.__table__), answer_rows)
    rollups.add_responses([r for r, _ in pairs], answer_rows)
    return ids


def _insert_once_sql() -> TextualSelect:
    """INSERT INTO responses (...) VALUES (...) ON CONFLICT (submission_key) DO NOTHING RETURNING id.

    As text with each column's type on its parameter (DateTime, Boolean: stored exactly as the ORM stores them),
    because SQLAlchemy does not cache the compiled form of its dialects' INSERT ... ON CONFLICT constructs, and
    compiling it cost more than running it. SQLite (>= 3.35) and PostgreSQL share the syntax.
    """
    table = Submission.__table__
    names = [c.name for c in table.columns if c.name not in ("id", "comment_note")]  # the note stays NULL
    sql = (f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join(':' + n for n in names)}) "  # noqa: S608
           "ON CONFLICT (submission_key) DO NOTHING RETURNING id")
    params = [bindparam(n, type_=table.c[n].type) for n in names]
    return text(sql).bindparams(*params).columns(table.c.id)


_INSERT_ONCE = _insert_once_sql()


def _insert_once(draft: Draft) -> int | None:
    """Insert one response, its answers and its rollups unless its key is stored already; its id, or None when
    the key was there (nothing written then).

    The unique key decides, in the INSERT itself: no lookup before it and no savepoint around it. A racing second
    tap waits on PostgreSQL for the first one's transaction and then inserts nothing; SQLite has one writer at a
    time.
    """
    connection = db.session.connection()
    response, answers = _rows(draft)
    rid = connection.execute(_INSERT_ONCE, {**response, "comment_handled": False}).scalar()
    if rid is None:
        return None
    for a in answers:
        a["response_id"] = rid
    if answers and connection.dialect.name == "postgresql":
        # One statement with two arrays: an executemany sends one execution per answer row (34 for a one-stop form).
        first = answers[0]
        connection.execute(_INSERT_ANSWERS_PG, {
            "response_id": rid, "question_ids": [a["question_id"] for a in answers],
            "answer_values": [a["value"] for a in answers], "organisation_id": first["organisation_id"],
            "point_id": first["point_id"], "day_key": first["day_key"], "excluded": first["excluded"],
        })
    elif answers:
        connection.execute(_INSERT_ANSWER, answers)
    rollups.add_responses([response], answers)
    return int(rid)


_INSERT_ANSWER = insert(Answer.__table__)
#: A response's answers on PostgreSQL; every column but the question and value is the response's own (_rows).
_INSERT_ANSWERS_PG = text(
    "INSERT INTO answers (response_id, question_id, value, organisation_id, point_id, day_key, excluded) "
    "SELECT :response_id, q, v, :organisation_id, :point_id, :day_key, :excluded "
    "FROM unnest(CAST(:question_ids AS int8[]), CAST(:answer_values AS int8[])) WITH ORDINALITY AS t(q, v, i) "
    "ORDER BY i"
).bindparams(bindparam("excluded", type_=Answer.__table__.c.excluded.type))


def find_by_key(submission_key: str) -> int | None:
    """The id of the response stored with a submission key, if there is one."""
    return db.session.scalar(select(Submission.id).where(Submission.submission_key == submission_key))


def submit(draft: Draft, token: str | None = None, *, checked: bool = False) -> tuple[int, bool]:
    """Store a citizen's response once; a repeated submission key returns the stored id (created=False).

    Without a receipt code the INSERT itself skips a stored key (_insert_once). With one (`token`) the response is
    verified and the code used up with it, in one transaction; tokens.TokenUsed is raised when another response
    used the code first (nothing is stored then). That write runs in a savepoint, so a second tap that raced the
    first undoes only itself, the code's claim included. `checked`: the caller has just looked the key up in this
    transaction, so the lookup is not repeated (a key stored since is caught by the unique key, as a race is).
    """
    draft.submitted_at = intake_time(draft.submitted_at)
    draft.verified = draft.verified or token is not None
    if token is None and db.session.get_bind().dialect.name in ("sqlite", "postgresql"):
        rid = _insert_once(draft)
        if rid is None:
            existing = find_by_key(draft.submission_key)
            if existing is None:  # the unique key held it, so it is stored: only a concurrent erase could do this
                raise RuntimeError("a response's key conflicted but no response holds it")
            return existing, False
        return rid, True
    existing = None if checked else find_by_key(draft.submission_key)
    if existing is not None:
        return existing, False
    try:
        with db.session.begin_nested():
            # The token first: its conditional UPDATE is the lock that makes a second use lose.
            if token is not None and not tokens.claim(token):
                return _stored_before(draft.submission_key)
            (rid,) = write_many([draft])
            if token is not None:
                tokens.attach(token, rid)
    except IntegrityError:
        # A second tap raced the first past the check above; the first one's row is the answer.
        existing = find_by_key(draft.submission_key)
        if existing is None:
            raise
        return existing, False
    return rid, True


def _stored_before(submission_key: str) -> tuple[int, bool]:
    """The response that used this form's receipt code (a double tap), or TokenUsed when another form used it."""
    existing = find_by_key(submission_key)
    if existing is None:
        raise tokens.TokenUsed
    return existing, False


def set_flag(response_id: int, reason: str | None) -> None:
    """Flag (reason given) or unflag (None) a response: excluded from indices (and rollups) but kept."""
    flagged = reason is not None
    before = db.session.scalar(select(Submission.flagged).where(Submission.id == response_id))
    if before is None:
        return
    if flagged and not before:
        rollups.remove_response(response_id)  # still counted as it is now
    db.session.execute(
        update(Submission).where(Submission.id == response_id).values(flagged=flagged, flag_reason=reason)
    )
    db.session.execute(update(Answer).where(Answer.response_id == response_id).values(excluded=flagged))
    if before and not flagged:
        rollups.add_response(response_id)


def erase(response_ids: Sequence[int]) -> int:
    """Delete responses and their answers for good (erasure, retention), uncounted from the rollups; the number.

    Receipt codes and PAKN items that point at them keep their own rows, without the link.
    """
    ids = sorted(set(response_ids))
    found = list(db.session.scalars(select(Submission.id).where(Submission.id.in_(ids))))
    for rid in found:
        rollups.remove_response(rid)
    if found:
        db.session.execute(update(Token).where(Token.response_id.in_(found)).values(response_id=None))
        db.session.execute(update(PaknItem).where(PaknItem.submission_id.in_(found)).values(submission_id=None))
        db.session.execute(delete(Answer).where(Answer.response_id.in_(found)))
        db.session.execute(delete(Submission).where(Submission.id.in_(found)))
    return len(found)


# --- import -----------------------------------------------------------------------------------

#: The first local day a response may carry: nothing older belongs to this survey.
EARLIEST_DAY = date(2015, 1, 1)
#: An answer cell is a short code ("5", "na", "late", "more_info|lower_fees"); longer is a mistake.
ANSWER_CELL_MAX = 200
#: A comment's limit when its questionnaire sets none (the column is TEXT).
COMMENT_FALLBACK_MAX = 5000
#: Errors collected before the check stops (a wrong file would otherwise print one per cell).
MAX_ERRORS = 200
#: Drafts written per INSERT batch in the second pass.
WRITE_BATCH = 1000


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    reason: str

    def __str__(self) -> str:
        if self.line == 0:  # the whole file
            return self.reason
        if self.column == "-":
            return _("dòng %(line)s: %(reason)s", line=self.line, reason=self.reason)
        return _("dòng %(line)s, cột %(column)s: %(reason)s", line=self.line, column=self.column, reason=self.reason)


class ImportRefused(Exception):
    """The file was refused whole; nothing was imported."""

    def __init__(self, errors: list[RowError]):
        super().__init__(f"{len(errors)} error(s)")
        self.errors = errors


def parse_time(text: str) -> datetime:
    """ISO 8601 date or datetime; naive values are local (Asia/Ho_Chi_Minh) time."""
    text = text.strip()
    if len(text) == 10:
        d = date.fromisoformat(text)
        return datetime(d.year, d.month, d.day, tzinfo=TZ)
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=TZ)


def time_window(today: date | None = None) -> tuple[datetime, datetime]:
    """Times an import accepts: from 2015-01-01 00:00 to the end of tomorrow, local time (end exclusive)."""
    today = today or datetime.now(TZ).date()
    return (datetime.combine(EARLIEST_DAY, time(0), tzinfo=TZ),
            datetime.combine(today + timedelta(days=2), time(0), tzinfo=TZ))


def _in_window(value: datetime, window: tuple[datetime, datetime]) -> bool:
    try:
        return window[0] <= value < window[1]
    except (OverflowError, ValueError):  # year 1 or 9999 with an offset: outside by far
        return False


def _column_length(column: Any) -> int:
    length = getattr(column.type, "length", None)
    assert isinstance(length, int), column
    return length


def _service_limits() -> dict[str, int]:
    """The longest text each service column may hold, from the model's column lengths where it has one."""
    return {
        "submitted_at": 40,
        "point": _column_length(ServicePoint.__table__.c.code),
        "channel": _column_length(Submission.__table__.c.channel),
        "questionnaire": _column_length(QuestionnaireVersion.__table__.c.kind) + 10,
        "verified": 5,
        "flag_reason": _column_length(Submission.__table__.c.flag_reason),
        "comment": COMMENT_FALLBACK_MAX,
    }


class _Unreadable(Exception):
    """The file cannot be read further (bad bytes or CSV structure); `reason` is for the user."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


_BARE_CR = re.compile(r"(?<=\r)(?!\n)")


def _text_lines(binary: IO[bytes]) -> Iterator[str]:
    """The file's lines as text, decoded one line at a time (so memory stays small and errors name a line).

    A line break byte never occurs inside a UTF-8 sequence, so decoding line by line is exact. Lines ended by a
    bare CR (old Mac spreadsheets) are split there too, as a universal-newline reader would.
    """
    first = True
    for raw in binary:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _Unreadable(_("không phải văn bản UTF-8 (byte thứ %(pos)s của dòng)", pos=exc.start + 1)) from None
        if first:
            text = text.removeprefix("\ufeff")
            first = False
        if "\r" in text:
            yield from (part for part in _BARE_CR.split(text) if part)
        else:
            yield text


def _csv_error_reason(exc: csv.Error) -> str:
    message = str(exc)
    if "field larger than field limit" in message:
        return _("có một ô dài quá %(max)s ký tự", max=csv.field_size_limit())
    if "unexpected end of data" in message or "expected after" in message:
        return _("dấu ngoặc kép (\") mở ở dòng này không được đóng đúng chỗ, nên các dòng sau bị nuốt vào một ô; "
                 "kiểm tra dấu ngoặc kép của dòng này")
    return _("tệp CSV sai cấu trúc (%(reason)s)", reason=message)


def _records(binary: IO[bytes]) -> Iterator[tuple[int, list[str]]]:
    """(row number, cells) of each CSV record; row numbers count records as a spreadsheet does (header = 1)."""
    # strict: a quote that is not closed, or closed in the middle of a cell, is an error instead of a swallowed line.
    reader = csv.reader(_text_lines(binary), strict=True)
    number = 0
    while True:
        number += 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise _RecordError(number, _csv_error_reason(exc)) from None
        except _Unreadable as exc:
            raise _RecordError(number, exc.reason) from None
        yield number, cells


class _RecordError(Exception):
    def __init__(self, line: int, reason: str):
        super().__init__(reason)
        self.error = RowError(line, "-", reason)


@dataclass
class _Plan:
    """What every row is checked against, read once so both passes of an import see the same."""

    points: dict[str, ServicePoint]
    versions: dict[str, QuestionnaireVersion]
    latest: dict[str, QuestionnaireVersion]
    limits: dict[str, int]
    window: tuple[datetime, datetime]
    channel_default: str

    @classmethod
    def load(cls, channel_default: str, ward_id: int | None = None) -> _Plan:
        versions = {v.key: v for v in db.session.scalars(select(QuestionnaireVersion))}
        latest = {
            kind: max((v for v in versions.values() if v.kind == kind), key=lambda v: v.version)
            for kind in {v.kind for v in versions.values()}
        }
        return cls(
            points=_points_by_code(ward_id),
            versions=versions,
            latest=latest,
            limits=_service_limits(),
            window=time_window(),
            channel_default=channel_default,
        )


def _points_by_code(ward_id: int | None) -> dict[str, ServicePoint]:
    """The points a file's `point` column can name: one ward's, or (no ward given) the codes no two wards share."""
    query = select(ServicePoint)
    if ward_id is not None:
        query = query.where(ServicePoint.organisation_id == ward_id)
    found: dict[str, ServicePoint] = {}
    shared: set[str] = set()
    for p in db.session.scalars(query):
        if p.code in found:
            shared.add(p.code)
        found[p.code] = p
    return {code: p for code, p in found.items() if code not in shared}


def _known_codes() -> set[str]:
    return {code for q in qsvc.bundled().values() for code in q.all_codes()}


def _check_header(header: list[str]) -> list[RowError]:
    errors: list[RowError] = []
    for required in ("submitted_at", "point"):
        if required not in header:
            errors.append(RowError(1, required, _("thiếu cột bắt buộc")))
    known = _known_codes() | set(SERVICE_COLUMNS)
    for col in header:
        if col not in known:
            errors.append(RowError(1, col[:ANSWER_CELL_MAX], _("cột không phải câu hỏi nào")))
    if len(set(header)) != len(header):
        errors.append(RowError(1, "-", _("tên cột bị lặp")))
    return errors


def _clean_row(
    line: int, header: list[str], cells: list[str], plan: _Plan, errors: list[RowError]
) -> dict[str, str] | None:
    """The row's cells by column, read back from their exported form and checked for length and characters.

    Nothing here repeats a cell's text in an error: it may be long, or a citizen's words.
    """
    if len(cells) > len(header):
        errors.append(RowError(line, "-", _("dòng có nhiều ô hơn tiêu đề (%(n)s thay vì %(m)s)",
                                            n=len(cells), m=len(header))))
        return None
    if len(cells) < len(header):
        errors.append(RowError(line, "-", _("dòng có ít ô hơn tiêu đề (%(n)s thay vì %(m)s)",
                                            n=len(cells), m=len(header))))
        return None
    row: dict[str, str] = {}
    before = len(errors)
    for column, raw in zip(header, cells, strict=True):
        value = spreadsheet.from_cell(raw)
        if bad := spreadsheet.CONTROL_RE.search(value):
            errors.append(RowError(line, column, _(
                "có ký tự điều khiển U+%(code)s (không nhìn thấy, không lưu được); hãy xóa ký tự đó",
                code=f"{ord(bad.group(0)):04X}")))
            continue
        limit = plan.limits.get(column, ANSWER_CELL_MAX)
        if len(value) > limit:
            errors.append(RowError(line, column, _("dài quá %(max)s ký tự (%(n)s ký tự)", max=limit, n=len(value))))
            continue
        row[column] = value
    return row if len(errors) == before else None


def _drafts(binary: IO[bytes], plan: _Plan, errors: list[RowError]) -> Iterator[Draft]:
    """Stream the file's drafts, adding every problem to `errors` (and stopping when the file can't be read on)."""
    records = _records(binary)
    try:
        first = next(records, None)
        if first is None:
            errors.append(RowError(1, "-", _("tệp trống")))
            return
        header = first[1]
        if header_errors := _check_header(header):
            errors.extend(header_errors)
            return
        for line, cells in records:
            if not cells:
                continue  # a blank line
            row = _clean_row(line, header, cells, plan, errors)
            if row is not None:
                draft = _draft_from_row(line, row, plan, errors)
                if draft is not None and not errors:
                    yield draft
            if len(errors) >= MAX_ERRORS:
                errors.append(RowError(line, "-", _("quá nhiều lỗi, dừng kiểm tra ở dòng này")))
                return
    except _RecordError as exc:
        errors.append(exc.error)


def _draft_from_row(line: int, row: dict[str, str], plan: _Plan, errors: list[RowError]) -> Draft | None:
    before = len(errors)
    try:
        submitted_at = parse_time(row["submitted_at"])
    except ValueError:
        errors.append(
            RowError(line, "submitted_at", _("thời điểm không đúng dạng ISO 8601, ví dụ 2026-03-15T09:30:00"))
        )
        submitted_at = datetime.now(UTC)
    else:
        if not _in_window(submitted_at, plan.window):
            last = plan.window[1].date() - timedelta(days=1)
            errors.append(RowError(line, "submitted_at", _(
                "thời điểm phải từ 01/01/2015 đến hết ngày mai (%(last)s), giờ Việt Nam",
                last=last.strftime("%d/%m/%Y"))))
    point = plan.points.get(row["point"].strip())
    if point is None:
        errors.append(RowError(line, "point", _("không có điểm khảo sát “%(code)s”", code=row["point"])))
        return None
    channel = (row.get("channel") or "").strip() or plan.channel_default
    if channel not in {c.value for c in Channel}:
        errors.append(RowError(line, "channel", _("kênh phải là qr, paper, kiosk hoặc import")))
    version_key = (row.get("questionnaire") or "").strip()
    version = plan.versions.get(version_key) if version_key else plan.latest.get(point.kind)
    if version is None or version.kind != point.kind:
        errors.append(RowError(line, "questionnaire", _("không có phiếu “%(key)s” cho loại điểm này", key=version_key)))
        return None
    q = qsvc.definition(version)
    codes = set(q.all_codes())
    for col, cell in row.items():
        if col not in SERVICE_COLUMNS and col not in codes and cell.strip():
            errors.append(RowError(line, col, _("câu hỏi này không có trong phiếu %(key)s", key=q.key)))
    answers, encoding_errors = encode_row(q, row)
    errors.extend(RowError(line, e.code, e.reason) for e in encoding_errors)
    comment = row.get("comment") or None
    comment_max = (q.comment.max_length if q.comment else None) or COMMENT_FALLBACK_MAX
    if comment and len(comment) > comment_max:
        errors.append(RowError(line, "comment", _("ý kiến dài quá %(max)s ký tự", max=comment_max)))
    verified = (row.get("verified") or "").strip().lower()
    if verified not in ("", "0", "1", "true", "false"):
        errors.append(RowError(line, "verified", _("phải là 1 hoặc 0")))
    if len(errors) > before:
        return None
    return Draft(
        point=point,
        version=version,
        answers=answers,
        submitted_at=submitted_at,
        comment=comment,
        channel=channel,
        verified=verified in ("1", "true"),
        flag_reason=(row.get("flag_reason") or "").strip() or None,
    )


def _size(binary: IO[bytes]) -> int:
    here = binary.tell()
    end = binary.seek(0, io.SEEK_END)
    binary.seek(here)
    return end


@contextmanager
def _opened(source: bytes | Path | IO[bytes]) -> Iterator[IO[bytes]]:
    if isinstance(source, bytes):
        yield io.BytesIO(source)
    elif isinstance(source, Path):
        with source.open("rb") as fh:
            yield fh
    else:
        yield source


def import_csv(source: bytes | Path | IO[bytes], *, max_bytes: int | None = None,
               channel_default: str = Channel.IMPORT.value, ward_id: int | None = None) -> int:
    """Import a whole CSV or nothing (in the caller's one transaction); returns the number of responses.

    The file is read twice, as a stream: first every row is checked (nothing written, every error collected),
    then, only if there was none, the rows are written in batches. Memory stays small
    whatever the file's size; the file may not be larger than `max_bytes` (default: MAX_IMPORT_BYTES).
    `source` is the file's bytes, its path, or a seekable binary file.
    """
    limit = max_bytes if max_bytes is not None else int(current_app.config["MAX_IMPORT_BYTES"])
    with _opened(source) as binary:
        size = _size(binary)
        if size > limit:
            raise ImportRefused([RowError(0, "-", _(
                "Tệp có %(size)s byte, quá giới hạn %(limit)s byte (%(mb)s MB, đặt bằng MAX_IMPORT_BYTES); "
                "hãy chia thành nhiều tệp nhỏ hơn.", size=size, limit=limit, mb=round(limit / 2**20, 1)))])
        start = binary.tell()
        plan = _Plan.load(channel_default, ward_id)
        errors: list[RowError] = []
        for _draft in _drafts(binary, plan, errors):
            pass
        if errors:
            raise ImportRefused(errors)
        binary.seek(start)
        count = 0
        batch: list[Draft] = []
        for draft in _drafts(binary, plan, errors):
            batch.append(draft)
            if len(batch) >= WRITE_BATCH:
                write_many(batch)
                count += len(batch)
                batch = []
        write_many(batch)
        count += len(batch)
        if errors:  # the file changed between the passes: the caller's rollback drops the batches written
            raise ImportRefused(errors)
    return count


# --- export -----------------------------------------------------------------------------------


def export_columns(kinds: Iterable[str] | None = None) -> list[str]:
    """Service columns, then every code of the selected kinds' latest questionnaires, in order."""
    columns = list(SERVICE_COLUMNS)
    seen = set(columns)
    for q in sorted(qsvc.bundled().values(), key=lambda q: (q.kind, q.version)):
        if kinds is not None and q.kind not in kinds:
            continue
        for code in q.all_codes():
            if code not in seen and (q.comment is None or code != q.comment.code):
                columns.append(code)
                seen.add(code)
    return columns


def export_rows(
    *,
    day_range: tuple[int, int] | None = None,
    kind: str | None = None,
    point_codes: Sequence[str] | None = None,
    ward_ids: Sequence[int] | None = None,
    with_ward: bool = False,
    batch: int = 2000,
) -> Iterator[dict[str, str]]:
    """Yield responses as import-compatible text rows, in id order, a batch at a time (spreadsheet guards them).

    `ward_ids` limits them to those wards (point codes are then read within them); `with_ward` adds a `ward`
    column (the ward's code) for files spanning several wards.
    """
    query = (select(Submission, ServicePoint.code, QuestionnaireVersion, Organisation.code).select_from(Submission)
             .join(ServicePoint, and_(ServicePoint.id == Submission.point_id, same_ward(ServicePoint, Submission)))
             .join(QuestionnaireVersion, QuestionnaireVersion.id == Submission.questionnaire_id)
             .join(Organisation, Organisation.id == Submission.organisation_id))
    if ward_ids is not None:
        query = query.where(Submission.organisation_id.in_(ward_ids))
    if day_range:
        query = query.where(within(Submission.day_key, day_range))
    if kind:
        query = query.where(ServicePoint.kind == kind)
    if point_codes is not None:
        query = query.where(ServicePoint.code.in_(point_codes))
    last_id = 0
    while True:
        chunk = db.session.execute(query.where(Submission.id > last_id).order_by(Submission.id).limit(batch)).all()
        if not chunk:
            return
        ids = [r.id for r, _, _, _ in chunk]
        answers: dict[int, list[tuple[str, int]]] = {}
        for rid, code, value in db.session.execute(
            select(Answer.response_id, Question.code, Answer.value)
            .join(Question, Question.id == Answer.question_id)
            .where(Answer.response_id.in_(ids))
        ):
            answers.setdefault(rid, []).append((code, value))
        for response, point_code, version, ward_code in chunk:
            row = _export_row(response, point_code, qsvc.definition(version), answers.get(response.id, []))
            yield {"ward": ward_code, **row} if with_ward else row
        last_id = ids[-1]
        db.session.expunge_all()


def _export_row(
    response: Submission, point_code: str, q: Questionnaire, answers: list[tuple[str, int]]
) -> dict[str, str]:
    grouped: dict[str, int | list[int]] = {}
    for code, value in answers:
        question = q.question(code)
        if question is not None and question.type == QuestionType.MULTI:
            existing = grouped.setdefault(code, [])
            assert isinstance(existing, list)
            existing.append(value)
        else:
            grouped[code] = value
    row = {
        "submitted_at": response.submitted_at.astimezone(TZ).isoformat(),
        "point": point_code,
        "channel": response.channel,
        "questionnaire": q.key,
        "verified": "1" if response.verified else "0",
        "flag_reason": response.flag_reason or "",
        "comment": response.comment or "",
    }
    for code, stored in grouped.items():
        row[code] = decode_value(q, code, stored)
    return row
