"""The `hailong` command: init is idempotent, points list JSON, QR posters as a real PDF."""

from __future__ import annotations

import io
import json
from typing import Any

from pypdf import PdfReader
from sqlalchemy import func, select

from survey.models import Response, ServicePoint


def test_init_demo_twice_is_safe(runner: Any, db: Any) -> None:
    first = runner.invoke(args=["init", "--demo"])
    assert first.exit_code == 0, first.output
    responses = db.session.scalar(select(func.count()).select_from(Response))
    assert responses > 1000
    second = runner.invoke(args=["init", "--demo"])
    assert second.exit_code == 0, second.output
    assert db.session.scalar(select(func.count()).select_from(Response)) == responses
    assert db.session.scalar(select(func.count()).select_from(ServicePoint)) == 7


def test_points_list_json(runner: Any, demo_points: Any) -> None:
    result = runner.invoke(args=["points", "list", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert len(rows) == 7
    by_code = {r["code"]: r for r in rows}
    assert by_code["mc-1"]["kind"] == "onestop"
    assert by_code["mc-1"]["questionnaire"] == "onestop/v1"
    assert by_code["mc-1"]["url"] == "https://hailong.example/s/mc-1"
    assert by_code["tram-y-te"]["name"] == "Trạm Y tế phường An Tường"


def test_qr_posters_pdf(runner: Any, demo_points: Any, tmp_path: Any) -> None:
    out = tmp_path / "posters.pdf"
    result = runner.invoke(args=["qr", "--out", str(out)])
    assert result.exit_code == 0, result.output
    reader = PdfReader(io.BytesIO(out.read_bytes()))
    assert len(reader.pages) == 7
    text = reader.pages[0].extract_text()
    assert "https://hailong.example/s/" in text
    box = reader.pages[0].mediabox
    assert (round(float(box.width) * 25.4 / 72), round(float(box.height) * 25.4 / 72)) == (210, 297)

    one = tmp_path / "one.pdf"
    assert runner.invoke(args=["qr", "--out", str(one), "--point", "tram-y-te"]).exit_code == 0
    only = PdfReader(io.BytesIO(one.read_bytes()))
    assert len(only.pages) == 1
    assert "Trạm Y tế phường An Tường" in only.pages[0].extract_text()

    missing = runner.invoke(args=["qr", "--out", str(one), "--point", "../etc"])
    assert missing.exit_code != 0
    assert "Không có điểm khảo sát" in missing.output


def test_a_database_without_schema_gives_one_clear_line(tmp_path: Any) -> None:
    """`hailong indices` before `hailong init`: a message naming the fix and exit 1, not a traceback."""
    from click.testing import CliRunner

    from survey.cli import main

    env = {"HAILONG_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}", "HAILONG_SECRET_KEY": "k" * 32}
    result = CliRunner().invoke(main, ["indices", "--period", "2026-Q1", "--kind", "health", "--json"], env=env)
    assert result.exit_code == 1
    assert "hailong init" in result.output and "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)
