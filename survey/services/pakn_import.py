"""`hailong pakn import`: items from other channels (paper, phone, e-mail, portals) from a CSV, all or nothing.

The file is read with the responses import's strict reader (UTF-8, closed quotes, one cell per column, rows
numbered as a spreadsheet does); every problem is reported with its line and column and nothing is imported.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import IO

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..models import Organisation, PaknChannel, ServicePoint
from . import pakn, spreadsheet
from .responses import ImportRefused, RowError, _in_window, _opened, _RecordError, _records, parse_time, time_window

REQUIRED = ("received_at", "channel", "category", "text")
OPTIONAL = ("point", "kind", "contact_name", "contact_phone", "contact_email", "consent")
COLUMNS = REQUIRED + OPTIONAL
CHANNELS = tuple(c.value for c in pakn.TYPED_CHANNELS)
CELL_MAX = 5000
MAX_ERRORS = 200


@dataclass(frozen=True)
class Imported:
    line: int
    item_id: int
    code: str


def _header_errors(header: list[str]) -> list[RowError]:
    errors = [RowError(1, name, _("thiếu cột bắt buộc")) for name in REQUIRED if name not in header]
    errors += [RowError(1, name[:60], _("cột không dùng cho phản ánh")) for name in header if name not in COLUMNS]
    if len(set(header)) != len(header):
        errors.append(RowError(1, "-", _("tên cột bị lặp")))
    return errors


def _intake(line: int, row: dict[str, str], ward: Organisation, points: dict[str, ServicePoint],
            errors: list[RowError]) -> pakn.Intake | None:
    before = len(errors)
    window = time_window()
    received = None
    try:
        received = parse_time(row["received_at"])
    except ValueError:
        errors.append(RowError(line, "received_at", _("thời điểm không đúng dạng ISO 8601, ví dụ 2026-03-15T09:30")))
    else:
        if not _in_window(received, window):
            errors.append(RowError(line, "received_at", _("thời điểm phải từ 01/01/2015 đến hết ngày mai")))
    channel = row["channel"].strip()
    if channel not in CHANNELS:
        errors.append(RowError(line, "channel", _("kênh phải là một trong: %(list)s", list=", ".join(CHANNELS))))
    point = None
    if code := (row.get("point") or "").strip():
        point = points.get(code)
        if point is None:
            errors.append(RowError(line, "point", _("không có điểm khảo sát “%(code)s”", code=code[:40])))
    consent = (row.get("consent") or "").strip().lower()
    if consent not in ("", "0", "1", "true", "false"):
        errors.append(RowError(line, "consent", _("phải là 1 hoặc 0")))
    if len(errors) > before or received is None:
        return None
    intake = pakn.Intake(
        ward=ward, category=row["category"].strip(), text=row["text"], channel=channel or PaknChannel.PAPER.value,
        received_at=received, point=point, kind=(row.get("kind") or "").strip() or None,
        contact_name=row.get("contact_name") or "", contact_phone=row.get("contact_phone") or "",
        contact_email=row.get("contact_email") or "", consent=consent in ("1", "true"), actor="cli",
    )
    errors.extend(RowError(line, problem.field or "-", str(problem)) for problem in pakn.check(intake))
    return intake if len(errors) == before else None


def import_csv(ward: Organisation, source: bytes | Path | IO[bytes]) -> list[Imported]:
    """Register every row of the file as an item, or none (ImportRefused with each error); the caller commits."""
    limit = int(current_app.config["MAX_IMPORT_BYTES"])
    points = {p.code: p for p in db.session.scalars(select(ServicePoint).where(
        ServicePoint.organisation_id == ward.id))}
    errors: list[RowError] = []
    ready: list[tuple[int, pakn.Intake]] = []
    with _opened(source) as binary:
        here = binary.tell()
        size = binary.seek(0, 2)
        binary.seek(here)
        if size > limit:
            raise ImportRefused([RowError(0, "-", _("Tệp có %(size)s byte, quá giới hạn %(limit)s byte.",
                                                    size=size, limit=limit))])
        records = _records(binary)
        try:
            first = next(records, None)
            if first is None:
                raise ImportRefused([RowError(1, "-", _("tệp trống"))])
            header = first[1]
            if problems := _header_errors(header):
                raise ImportRefused(problems)
            for line, cells in records:
                if not cells:
                    continue
                if len(cells) != len(header):
                    errors.append(RowError(line, "-", _("dòng có %(n)s ô thay vì %(m)s", n=len(cells), m=len(header))))
                    continue
                row: dict[str, str] = {}
                before = len(errors)
                for column, raw in zip(header, cells, strict=True):
                    value = spreadsheet.from_cell(raw)
                    if bad := spreadsheet.CONTROL_RE.search(value):
                        errors.append(RowError(line, column, _("có ký tự điều khiển U+%(code)s; hãy xóa ký tự đó",
                                                               code=f"{ord(bad.group(0)):04X}")))
                    elif len(value) > CELL_MAX:
                        errors.append(RowError(line, column, _("dài quá %(max)s ký tự", max=CELL_MAX)))
                    row[column] = value
                if len(errors) == before:
                    intake = _intake(line, {**dict.fromkeys(OPTIONAL, ""), **row}, ward, points, errors)
                    if intake is not None:
                        ready.append((line, intake))
                if len(errors) >= MAX_ERRORS:
                    errors.append(RowError(line, "-", _("quá nhiều lỗi, dừng kiểm tra ở dòng này")))
                    break
        except _RecordError as exc:
            errors.append(exc.error)
    if errors:
        raise ImportRefused(errors)
    done = []
    for line, intake in ready:
        item, code = pakn.register(intake)
        assert code is not None
        done.append(Imported(line, item.id, pakn.format_code(code)))
    return done
