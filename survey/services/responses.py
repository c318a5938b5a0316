"""Submitting, importing, exporting and flagging responses: the one place that writes answers."""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from analysis.periods import TZ, day_key
from forms.encoding import Answers, decode_value, encode_row
from forms.questionnaire import Questionnaire, QuestionType

from ..extensions import db
from ..models import Answer, Channel, Question, QuestionnaireVersion, Response, ServicePoint
from . import questionnaires as qsvc
from . import spreadsheet

SERVICE_COLUMNS = ("submitted_at", "point", "channel", "questionnaire", "verified", "flag_reason", "comment")


def new_submission_key() -> str:
    """A random key put in each served form, so a double tap stores one response."""
    return secrets.token_urlsafe(16)


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
    """Insert drafts in bulk without committing (the caller owns the transaction); returns the ids."""
    if not drafts:
        return []
    pairs = [_rows(d) for d in drafts]
    ids = list(
        db.session.scalars(
            insert(Response).returning(Response.id, sort_by_parameter_order=True),
            [r for r, _ in pairs],
        )
    )
    answer_rows = [dict(a, response_id=rid) for rid, (_, answers) in zip(ids, pairs, strict=True) for a in answers]
    if answer_rows:
        # A Core executemany on the table: the ORM's bulk bookkeeping costs more than the insert itself here.
        db.session.execute(insert(Answer.__table__), answer_rows)
    return ids


def submit(draft: Draft) -> tuple[int, bool]:
    """Store one response once and commit; a repeated submission key returns the stored id (created=False)."""
    existing = db.session.scalar(select(Response.id).filter_by(submission_key=draft.submission_key))
    if existing is not None:
        return existing, False
    try:
        (rid,) = write_many([draft])
        db.session.commit()
    except IntegrityError:
        # A second tap raced the first past the check above; the first one's row is the answer.
        db.session.rollback()
        existing = db.session.scalar(select(Response.id).filter_by(submission_key=draft.submission_key))
        if existing is None:
            raise
        return existing, False
    return rid, True


def set_flag(response_id: int, reason: str | None) -> None:
    """Flag (reason given) or unflag (None) a response: excluded from indices but kept. Caller commits."""
    flagged = reason is not None
    db.session.execute(update(Response).where(Response.id == response_id).values(flagged=flagged, flag_reason=reason))
    db.session.execute(update(Answer).where(Answer.response_id == response_id).values(excluded=flagged))


# --- import -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    reason: str

    def __str__(self) -> str:
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


def read_csv(data: bytes) -> tuple[list[str], list[dict[str, str]]]:
    """Decode a UTF-8 (optionally with BOM) CSV into its header and rows."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportRefused([RowError(0, "-", _("tệp không phải UTF-8 (byte %(pos)s)", pos=exc.start))]) from None
    reader = csv.DictReader(io.StringIO(text, newline=""), restval=None)
    header = list(reader.fieldnames or [])
    rows = []
    for row in reader:
        if None in row:
            rows.append({"__extra__": "1", **{k: v for k, v in row.items() if k is not None}})
        else:
            rows.append({k: spreadsheet.from_cell(v or "") if v is not None else "\0missing" for k, v in row.items()})
    return header, rows


def _known_codes() -> set[str]:
    return {code for q in qsvc.bundled().values() for code in q.all_codes()}


def prepare_import(data: bytes, channel_default: str = Channel.IMPORT.value) -> list[Draft]:
    """Validate a whole CSV into drafts, collecting every error with its line and column."""
    header, rows = read_csv(data)
    errors: list[RowError] = []
    for required in ("submitted_at", "point"):
        if required not in header:
            errors.append(RowError(1, required, _("thiếu cột bắt buộc")))
    known = _known_codes() | set(SERVICE_COLUMNS)
    for col in header:
        if col not in known:
            errors.append(RowError(1, col, _("cột không phải câu hỏi nào")))
    if len(set(header)) != len(header):
        errors.append(RowError(1, "-", _("tên cột bị lặp")))
    if errors:
        raise ImportRefused(errors)

    points = {p.code: p for p in db.session.scalars(select(ServicePoint))}
    versions = {v.key: v for v in db.session.scalars(select(QuestionnaireVersion))}
    latest = {
        kind: max((v for v in versions.values() if v.kind == kind), key=lambda v: v.version)
        for kind in {v.kind for v in versions.values()}
    }
    drafts: list[Draft] = []
    for line, row in enumerate(rows, start=2):
        if "__extra__" in row:
            errors.append(RowError(line, "-", _("dòng có nhiều ô hơn tiêu đề")))
            continue
        if any(v == "\0missing" for v in row.values()):
            errors.append(RowError(line, "-", _("dòng có ít ô hơn tiêu đề")))
            continue
        draft = _draft_from_row(line, row, points, versions, latest, channel_default, errors)
        if draft is not None:
            drafts.append(draft)
    if errors:
        raise ImportRefused(errors)
    return drafts


def _draft_from_row(
    line: int,
    row: dict[str, str],
    points: dict[str, ServicePoint],
    versions: dict[str, QuestionnaireVersion],
    latest: dict[str, QuestionnaireVersion],
    channel_default: str,
    errors: list[RowError],
) -> Draft | None:
    before = len(errors)
    try:
        submitted_at = parse_time(row["submitted_at"])
    except ValueError:
        errors.append(
            RowError(line, "submitted_at", _("thời điểm không đúng dạng ISO 8601, ví dụ 2026-03-15T09:30:00"))
        )
        submitted_at = datetime.now(UTC)
    point = points.get(row["point"].strip())
    if point is None:
        errors.append(RowError(line, "point", _("không có điểm khảo sát “%(code)s”", code=row["point"])))
        return None
    channel = (row.get("channel") or "").strip() or channel_default
    if channel not in {c.value for c in Channel}:
        errors.append(RowError(line, "channel", _("kênh phải là qr, paper, kiosk hoặc import")))
    version_key = (row.get("questionnaire") or "").strip()
    version = versions.get(version_key) if version_key else latest.get(point.kind)
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
    comment_q = q.comment
    if comment and comment_q and comment_q.max_length and len(comment) > comment_q.max_length:
        errors.append(RowError(line, "comment", _("ý kiến dài quá %(max)s ký tự", max=comment_q.max_length)))
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


def import_csv(data: bytes) -> int:
    """Import a whole CSV or nothing; commits once and returns the number of responses."""
    drafts = prepare_import(data)
    try:
        write_many(drafts)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return len(drafts)


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
    batch: int = 2000,
) -> Iterator[dict[str, str]]:
    """Yield responses as import-compatible text rows, in id order, a batch at a time (spreadsheet guards them)."""
    query = select(Response, ServicePoint.code, QuestionnaireVersion).join(ServicePoint).join(QuestionnaireVersion)
    if day_range:
        query = query.where(Response.day_key >= day_range[0], Response.day_key < day_range[1])
    if kind:
        query = query.where(ServicePoint.kind == kind)
    if point_codes is not None:
        query = query.where(ServicePoint.code.in_(point_codes))
    last_id = 0
    while True:
        chunk = db.session.execute(query.where(Response.id > last_id).order_by(Response.id).limit(batch)).all()
        if not chunk:
            return
        ids = [r.id for r, _, _ in chunk]
        answers: dict[int, list[tuple[str, int]]] = {}
        for rid, code, value in db.session.execute(
            select(Answer.response_id, Question.code, Answer.value)
            .join(Question, Question.id == Answer.question_id)
            .where(Answer.response_id.in_(ids))
        ):
            answers.setdefault(rid, []).append((code, value))
        for response, point_code, version in chunk:
            yield _export_row(response, point_code, qsvc.definition(version), answers.get(response.id, []))
        last_id = ids[-1]
        db.session.expunge_all()


def _export_row(
    response: Response, point_code: str, q: Questionnaire, answers: list[tuple[str, int]]
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
