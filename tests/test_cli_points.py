"""`hailong points add|rename|deactivate|activate|rotate|list`: audited like the office, one line for each refusal."""

from __future__ import annotations

import os
import pwd
from typing import Any

import pytest
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import select

from hailong.survey.models import AuditEvent, Organisation, RetiredCode, ServicePoint
from hailong.survey.services import points as point_svc

#: The audit log's actor for a command run by this process's (effective) system user.
ACTOR = f"cli:{pwd.getpwuid(os.geteuid()).pw_name}"


def _events(db: SQLAlchemy) -> list[tuple[str | None, str, str | None, str | None]]:
    db.session.rollback()  # only what the command committed
    return [(e.actor, e.action, e.target, e.detail)
            for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def _point(db: SQLAlchemy, code: str) -> ServicePoint | None:
    db.session.rollback()
    return db.session.scalar(select(ServicePoint).filter_by(code=code))


def _one_line_error(result: Any, status: int, message: str) -> None:
    """The command refused with one line on stderr, nothing on stdout, and this exit status."""
    assert result.exit_code == status, result.output
    assert isinstance(result.exception, SystemExit)
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert message in lines[0], lines[0]


def test_add_creates_an_audited_point_whose_form_opens(runner: Any, db: SQLAlchemy, client: FlaskClient) -> None:
    result = runner.invoke(args=["points", "add", "mc-4", "--kind", "onestop", "--name", "Quầy 4 (Kinh doanh)"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["Đã tạo điểm khảo sát “Quầy 4 (Kinh doanh)” (mã mc-4).",
                                          "https://hailong.example/s/mc-4"]
    point = _point(db, "mc-4")
    assert point is not None
    assert (point.kind, point.unit, point.active, point.organisation.code) == ("onestop", "mc-4", True, "an-tuong")
    assert _events(db) == [(ACTOR, "point.created", "point:mc-4", "onestop; mc-4; Quầy 4 (Kinh doanh)")]
    assert client.get("/s/mc-4").status_code == 200

    school = runner.invoke(args=["points", "add", "th-b", "--kind", "education", "--name", "Trường B",
                                 "--unit", "truong-b"])
    assert school.exit_code == 0, school.output
    added = _point(db, "th-b")
    assert added is not None and added.unit == "truong-b"
    assert _events(db)[-1] == (ACTOR, "point.created", "point:th-b", "education; truong-b; Trường B")


def test_rename_keeps_the_code_and_is_audited(runner: Any, db: SQLAlchemy, demo_points: Any) -> None:
    result = runner.invoke(args=["points", "rename", "mc-2", "Quầy 2 (Đất đai)"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "Đã đổi tên điểm thành “Quầy 2 (Đất đai)”."
    point = _point(db, "mc-2")
    assert point is not None and point.name == "Quầy 2 (Đất đai)"
    assert _events(db) == [(ACTOR, "point.renamed", "point:mc-2",
                            "Trung tâm Phục vụ hành chính công - Quầy 2 (Đất đai - Xây dựng) → Quầy 2 (Đất đai)")]


def test_deactivate_and_activate(runner: Any, db: SQLAlchemy, demo_points: Any, client: FlaskClient) -> None:
    result = runner.invoke(args=["points", "deactivate", "tram-y-te"])
    assert result.exit_code == 0, result.output
    assert "Đã ngừng điểm “Trạm Y tế phường An Tường”" in result.output
    point = _point(db, "tram-y-te")
    assert point is not None and not point.active
    assert client.get("/s/tram-y-te").status_code == 404  # the QR code no longer opens the form

    again = runner.invoke(args=["points", "deactivate", "tram-y-te"])  # nothing to do: said, not audited
    assert again.exit_code == 0 and "đã ngừng từ trước" in again.output

    result = runner.invoke(args=["points", "activate", "tram-y-te"])
    assert result.exit_code == 0, result.output
    assert "Đã mở lại điểm" in result.output
    point = _point(db, "tram-y-te")
    assert point is not None and point.active
    assert client.get("/s/tram-y-te").status_code == 200
    assert runner.invoke(args=["points", "activate", "tram-y-te"]).exit_code == 0
    assert _events(db) == [(ACTOR, "point.deactivated", "point:tram-y-te", None),
                           (ACTOR, "point.activated", "point:tram-y-te", None)]


def test_rotate_retires_the_old_code(runner: Any, db: SQLAlchemy, demo_points: Any, client: FlaskClient) -> None:
    result = runner.invoke(args=["points", "rotate", "mc-3"])
    assert result.exit_code == 0, result.output
    db.session.rollback()
    point = db.session.scalar(select(ServicePoint).filter_by(name=demo_points[2].name))
    assert point is not None and point.code.startswith("mc-3-")
    assert f"Đã đổi mã điểm từ mc-3 sang {point.code}." in result.output
    assert db.session.get(RetiredCode, (point.organisation_id, "mc-3")) is not None
    assert _events(db) == [(ACTOR, "point.rotated", f"point:{point.code}", f"mc-3 → {point.code}")]
    assert client.get("/s/mc-3").status_code == 410
    assert client.get(f"/s/{point.code}").status_code == 200
    # The old code now names nothing; a new point cannot take it either.
    _one_line_error(runner.invoke(args=["points", "rename", "mc-3", "x"]), 2, "Không có điểm khảo sát “mc-3”")
    _one_line_error(runner.invoke(args=["points", "add", "mc-3", "--kind", "onestop", "--name", "x"]), 1,
                    "Mã điểm “mc-3” đã được dùng.")


REFUSALS = [
    (["add", "mc-1", "--kind", "onestop", "--name", "Trùng"], 1, "Mã điểm “mc-1” đã được dùng."),
    (["add", "MC 9", "--kind", "onestop", "--name", "x"], 2, "Mã điểm chỉ gồm chữ thường"),
    (["add", "mc-9", "--kind", "bank", "--name", "x"], 2, "--kind: Loại điểm không hợp lệ. (onestop, health, "
                                                          "education)"),
    (["add", "mc-9", "--kind", "onestop", "--name", " "], 2, "Tên điểm không được để trống"),
    (["add", "mc-9", "--kind", "onestop", "--name", "x" * 201], 2, "tối đa 200 ký tự"),
    (["add", "mc-9", "--kind", "onestop", "--name", "x", "--unit", "Đơn Vị"], 2, "Mã đơn vị chỉ gồm"),
    (["add", "mc-9", "--kind", "onestop", "--name", "x", "--ward", "khong-co"], 2,
     "--ward: Không có phường “khong-co” (có: an-tuong)."),
    (["rename", "khong-co", "Tên mới"], 2, "Không có điểm khảo sát “khong-co”."),
    (["rename", "mc-1", ""], 2, "Tên điểm không được để trống"),
    (["deactivate", "khong-co"], 2, "Không có điểm khảo sát “khong-co”."),
    (["activate", "../etc"], 2, "Không có điểm khảo sát “../etc”."),
    (["rotate", "khong-co"], 2, "Không có điểm khảo sát “khong-co”."),
    (["list", "--ward", "khong-co"], 2, "--ward: Không có phường"),
]


@pytest.mark.parametrize(("args", "status", "message"), REFUSALS,
                         ids=[" ".join(a[:12] for a in args) for args, *_ in REFUSALS])
def test_refusals_are_one_line_and_change_nothing(runner: Any, db: SQLAlchemy, demo_points: Any, args: list[str],
                                                  status: int, message: str) -> None:
    before = [(p.code, p.name, p.active) for p in point_svc.all_points()]
    _one_line_error(runner.invoke(args=["points", *args]), status, message)
    assert [(p.code, p.name, p.active) for p in point_svc.all_points()] == before
    assert _events(db) == []


def test_ward_defaults_to_the_only_one_and_must_be_named_among_several(runner: Any, db: SQLAlchemy,
                                                                       demo_points: Any) -> None:
    point_svc.ensure_organisation("binh-an", "Phường Bình An", "Tuyên Quang")
    db.session.commit()
    for args in (["list"], ["add", "mc-9", "--kind", "onestop", "--name", "x"], ["rename", "mc-1", "x"],
                 ["deactivate", "mc-1"], ["activate", "mc-1"], ["rotate", "mc-1"]):
        _one_line_error(runner.invoke(args=["points", *args]), 2,
                        "--ward: Cơ sở dữ liệu có 2 phường (an-tuong, binh-an); hãy chọn một bằng --ward.")
    _one_line_error(runner.invoke(args=["qr", "--out", "x.pdf"]), 2, "--ward:")

    added = runner.invoke(args=["points", "add", "ba-1", "--kind", "onestop", "--name", "Quầy Bình An",
                                "--ward", "binh-an"])
    assert added.exit_code == 0, added.output
    point = _point(db, "ba-1")
    assert point is not None and point.organisation.code == "binh-an"
    listed = runner.invoke(args=["points", "list", "--json", "--ward", "binh-an"])
    assert listed.exit_code == 0 and '"code": "ba-1"' in listed.output and "mc-1" not in listed.output
    assert "ba-1" not in runner.invoke(args=["points", "list", "--ward", "an-tuong"]).output
    # A point is found only in its own ward.
    _one_line_error(runner.invoke(args=["points", "rename", "mc-1", "x", "--ward", "binh-an"]), 2,
                    "Không có điểm khảo sát “mc-1”.")


def test_without_a_ward_the_command_says_to_run_init(runner: Any, db: SQLAlchemy) -> None:
    db.session.execute(Organisation.__table__.delete())
    db.session.commit()
    _one_line_error(runner.invoke(args=["points", "add", "mc-9", "--kind", "onestop", "--name", "x"]), 1,
                    "hailong init")
