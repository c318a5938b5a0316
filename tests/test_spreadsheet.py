"""Every cell the app writes to CSV or XLSX: no formula where a spreadsheet may start a cell, read back exactly."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from hailong.survey.services.spreadsheet import CONTROL_RE, from_cell, to_cell

#: Characters that matter to the guard and the escape, mixed with ordinary text.
TRICKY = st.text(alphabet=st.sampled_from(list("=+-@'\" ;\t\r\n,aá[]U0B+\x00\x01\x0b\x7f\x85\ufffe")), max_size=12)
ANY_TEXT = st.one_of(TRICKY, st.text(max_size=40))


@given(ANY_TEXT)
def test_cells_read_back_exactly(text: str) -> None:
    assert from_cell(to_cell(text)) == text


@given(ANY_TEXT)
def test_no_formula_where_a_spreadsheet_may_start_a_cell(text: str) -> None:
    cell = to_cell(text)
    for piece in re.split(r"[;\t\r\n]", cell):
        assert not piece.lstrip(" \"").startswith(("=", "+", "-", "@")), (text, cell)


@given(ANY_TEXT)
def test_no_control_character_reaches_a_cell(text: str) -> None:
    assert CONTROL_RE.search(to_cell(text)) is None


def test_examples() -> None:
    assert to_cell("Tot lam\r=1+1*cmd|x") == "Tot lam\r'=1+1*cmd|x"
    assert to_cell("'=1+1") == "''=1+1"
    assert to_cell("a;-b") == "a;'-b"
    assert to_cell("Tốt\x01lắm\x00") == "Tốt[U+0001]lắm[U+0000]"
    assert to_cell("[U+0001]") == "[U+005B]U+0001]"
    assert to_cell("cảm ơn, tốt; 5 sao") == "cảm ơn, tốt; 5 sao"
    assert from_cell("[U+00E9]") == "[U+00E9]"  # only tokens the export writes are read back
