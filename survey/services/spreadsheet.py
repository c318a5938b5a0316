"""Cells that are safe to open in a spreadsheet and read back exactly: every CSV and XLSX the app writes.

Two reversible transformations, applied to every text cell on the way out (`to_cell`) and undone on import
(`from_cell`):

- characters a worksheet cannot hold or a reader cannot see (C0 controls other than TAB, LF and CR; DEL; C1
  controls; U+FFFE, U+FFFF; lone surrogates) are written as `[U+XXXX]`. So that this stays exact, a `[U+`
  the text itself contains is written `[U+005B]U+`;
- formula guard: a spreadsheet may start a cell at the start of the text, after a CR or LF (a reader that
  splits rows at any newline), after a TAB (pasting, tab-separated reading) and after `;` (Excel whose list
  separator is `;`, as in Vietnamese regional settings, splits our comma file at every `;`). Where, at one of
  those places, after any spaces or double quotes, apostrophes and then `=`, `+`, `-` or `@` follow, one more
  apostrophe is put before them. Reading back removes one apostrophe at the same places, so a text that itself
  has `'=` keeps its apostrophe.

Fields holding a CR, LF, the delimiter or a quote are quoted (CSV lines end in CRLF, as RFC 4180 says, which
also makes Python's csv module quote a bare CR).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

FORMULA_CHARS = "=+-@"
#: Where a spreadsheet may start a new cell inside our text.
_BOUNDARY = ";\t\r\n"
_GUARD_AT = re.compile(rf"(?:^|(?<=[{re.escape(_BOUNDARY)}]))([ \"]*)('*)(?=[{re.escape(FORMULA_CHARS)}])")
_UNGUARD_AT = re.compile(rf"(?:^|(?<=[{re.escape(_BOUNDARY)}]))([ \"]*)'(?='*[{re.escape(FORMULA_CHARS)}])")

#: Characters refused on import and written as [U+XXXX] on export.
CONTROL_CHARS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff"
CONTROL_RE = re.compile(f"[{CONTROL_CHARS}]")
_ESCAPE_RE = re.compile(rf"[{CONTROL_CHARS}]|\[(?=U\+)")
_ESCAPED_TOKEN = re.compile(r"\[U\+([0-9A-F]{4})\]")
CSV_LINE_END = "\r\n"


def guard(text: str) -> str:
    """Put an apostrophe before a formula wherever a spreadsheet could start a cell in `text`."""
    return _GUARD_AT.sub(lambda m: m.group(1) + "'" + m.group(2), text)


def unguard(text: str) -> str:
    """Undo `guard` exactly."""
    return _UNGUARD_AT.sub(lambda m: m.group(1), text)


def escape_controls(text: str) -> str:
    """Write characters a worksheet cannot hold as `[U+XXXX]` (and a literal `[U+` as `[U+005B]U+`)."""
    return _ESCAPE_RE.sub(lambda m: f"[U+{ord(m.group(0)):04X}]", text)


def _decode_token(match: re.Match[str]) -> str:
    char = chr(int(match.group(1), 16))
    return char if char == "[" or CONTROL_RE.fullmatch(char) else match.group(0)


def unescape_controls(text: str) -> str:
    """Undo `escape_controls` exactly (only tokens it writes are read back)."""
    return _ESCAPED_TOKEN.sub(_decode_token, text) if "[U+" in text else text


def to_cell(text: str) -> str:
    """A text as it goes into a CSV or XLSX cell."""
    return guard(escape_controls(text))


def from_cell(text: str) -> str:
    """A cell of our CSV (or of our XLSX saved as CSV) back to the text that was exported."""
    return unescape_controls(unguard(text))


def _cell(value: Any) -> Any:
    """Text goes through `to_cell`; numbers and booleans stay as they are; None is an empty cell."""
    if value is None:
        return ""
    return to_cell(value) if isinstance(value, str) else value


def csv_writer(out: IO[str]) -> Any:
    """Python's csv writer in the one dialect every CSV of the app uses."""
    return csv.writer(out, lineterminator=CSV_LINE_END, quoting=csv.QUOTE_MINIMAL)


def write_csv_rows(out: IO[str], header: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Write a header and rows of cells as CSV, every text cell guarded; returns the number of rows."""
    writer = csv_writer(out)
    writer.writerow([_cell(h) for h in header])
    count = 0
    for row in rows:
        writer.writerow([_cell(v) for v in row])
        count += 1
    return count


def write_csv(out: IO[str], rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> int:
    """Write rows keyed by column as CSV; a key that is not a column is a programming error."""
    known = set(columns)

    def cells(row: Mapping[str, Any]) -> list[Any]:
        if not known.issuperset(row):
            raise ValueError(f"unknown columns: {sorted(set(row) - known)}")
        return [row.get(c) for c in columns]

    return write_csv_rows(out, columns, (cells(r) for r in rows))


def write_xlsx(
    path: Path | io.BytesIO,
    rows: Iterable[Mapping[str, Any]],
    columns: Sequence[str],
    headers: Sequence[str] | None = None,
) -> int:
    """Write rows as one XLSX sheet (streamed): text cells guarded and typed as strings, never formulas.

    A second header row may carry Vietnamese labels.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("responses")

    def cells(values: Iterable[Any]) -> list[Any]:
        out: list[Any] = []
        for value in values:
            value = _cell(value)
            if value == "":
                out.append(None)
            elif isinstance(value, str):
                cell = WriteOnlyCell(ws, value)
                # Typed as a string on purpose: openpyxl would make "=…" a formula and "#N/A" an error value.
                cell.data_type = "s"
                out.append(cell)
            else:
                out.append(value)
        return out

    ws.append(cells(columns))
    if headers:
        ws.append(cells(headers))
    count = 0
    for row in rows:
        ws.append(cells(row.get(c) for c in columns))
        count += 1
    wb.save(path)
    return count
