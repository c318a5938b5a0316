"""`hailong pakn`: list (no contact details), stats (the report's numbers), import (all or nothing, line and column),
purge and digest."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskCliRunner
from flask_sqlalchemy import SQLAlchemy

from hailong.analysis.periods import TZ, parse_period
from hailong.survey.models import Organisation, PaknItem
from hailong.survey.services import pakn

AddItem = Callable[..., tuple[PaknItem, str | None]]
ADMIN = pakn.Actor("admin", "admin")


def test_list_never_shows_contact_details(runner: FlaskCliRunner, db: SQLAlchemy, add_item: AddItem) -> None:
    item, _ = add_item("Nội dung riêng", contact_name="Đỗ Thị Em", contact_phone="0911222333", consent=True,
                       when=datetime(2025, 12, 20, 9, 0, tzinfo=TZ))
    pakn.classify(item, ADMIN, "accept")
    pakn.assign(item, ADMIN, "motcua", date(2026, 1, 2))
    add_item("Khác")
    db.session.commit()
    out = runner.invoke(args=["pakn", "list", "--json"])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.output)
    assert {r["id"] for r in rows} == {item.id, item.id + 1}
    assert set(rows[0]) == {"id", "status", "category", "channel", "point", "unit", "received_at", "due",
                            "replied_at"}
    assert "0911222333" not in out.output and "Đỗ Thị Em" not in out.output and "Nội dung" not in out.output
    overdue = json.loads(runner.invoke(args=["pakn", "list", "--overdue", "--json"]).output)
    assert [r["id"] for r in overdue] == [item.id]
    assert json.loads(runner.invoke(args=["pakn", "list", "--status", "new", "--json"]).output)[0]["id"] == item.id + 1
    assert runner.invoke(args=["pakn", "list", "--status", "bogus"]).exit_code == 2
    plain = runner.invoke(args=["pakn", "list"])
    assert plain.exit_code == 0 and str(item.id) in plain.output


def test_stats_equal_the_service(runner: FlaskCliRunner, db: SQLAlchemy, ward: Organisation, add_item: AddItem) -> None:
    add_item(when=datetime(2026, 8, 3, 9, 0, tzinfo=TZ))
    out = runner.invoke(args=["pakn", "stats", "--period", "2026-Q3", "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output) == json.loads(json.dumps(pakn.stats(ward.id, parse_period("2026-Q3")),
                                                           ensure_ascii=False))
    assert json.loads(out.output)["totals"]["received"] == 1
    assert json.loads(runner.invoke(args=["pakn", "stats", "--period", "2026-Q3", "--kind", "health"]).output)[
        "totals"]["received"] == 0
    assert runner.invoke(args=["pakn", "stats", "--period", "2026-Q5"]).exit_code == 2
    assert runner.invoke(args=["pakn", "stats", "--period", "2026-Q3", "--ward", "nowhere"]).exit_code == 2


def test_import_all_or_nothing(runner: FlaskCliRunner, db: SQLAlchemy, ward: Organisation, tmp_path: Path) -> None:
    good = tmp_path / "pakn.csv"
    good.write_text(
        "received_at,channel,category,text,point,contact_phone,consent\r\n"
        "2026-10-05T09:00,phone,thu_tuc,Hỏi thủ tục đăng ký kết hôn,mc-1,0912 000 111,1\r\n"
        "2026-10-06,portal,khac,\"Đề nghị, lắp đèn\",,,\r\n", encoding="utf-8")
    out = runner.invoke(args=["pakn", "import", str(good)])
    assert out.exit_code == 0, out.output
    assert "Đã nhập 2 phản ánh." in out.output and out.output.count("mã tra cứu") == 2
    assert db.session.query(PaknItem).count() == 2
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "received_at,channel,category,text,contact_email\r\n"
        "2026-10-05,fax,thu_tuc,Một,\r\n"
        "hôm qua,phone,nope,Hai,a@b.vn\r\n"
        "2026-10-07,phone,khac,,\r\n", encoding="utf-8")
    refused = runner.invoke(args=["pakn", "import", str(bad)])
    assert refused.exit_code == 1
    assert "dòng 2, cột channel" in refused.output
    assert "dòng 3, cột received_at" in refused.output
    assert "dòng 4, cột text" in refused.output
    assert "dòng 3, cột consent" not in refused.output
    assert db.session.query(PaknItem).count() == 2
    header = tmp_path / "header.csv"
    header.write_text("received_at,text,ghost\r\n", encoding="utf-8")
    out = runner.invoke(args=["pakn", "import", str(header)])
    assert out.exit_code == 1 and "cột channel" in out.output and "ghost" in out.output


def test_purge_and_digest(runner: FlaskCliRunner, app: Flask, db: SQLAlchemy, add_item: AddItem,
                          smtp_server: dict[str, Any]) -> None:
    assert "chưa được đặt" in runner.invoke(args=["pakn", "digest"]).output
    old, _ = add_item(contact_email="old@example.com", consent=True, when=datetime(2025, 1, 2, 9, 0, tzinfo=TZ))
    pakn.classify(old, ADMIN, "accept")
    pakn.assign(old, ADMIN, "motcua", date(2025, 1, 10))
    db.session.commit()
    out = runner.invoke(args=["pakn", "purge"])
    assert out.exit_code == 0 and "1 phản ánh" in out.output
    assert db.session.get(PaknItem, old.id).contact_email is None
    app.config["HAILONG_SMTP_URL"] = smtp_server["url"]
    out = runner.invoke(args=["pakn", "digest"])
    assert out.exit_code == 0, out.output
    assert sorted(m["To"] for m in smtp_server["messages"]) == ["motcua@antuong.example", "vhxh@antuong.example"]
    app.config["HAILONG_SMTP_URL"] = "smtp://127.0.0.1:9"
    assert runner.invoke(args=["pakn", "digest"]).exit_code == 1


def test_init_gives_every_point_unit_a_handling_unit(runner: FlaskCliRunner, db: SQLAlchemy,
                                                     demo_points: Any) -> None:
    ward = db.session.query(Organisation).one()
    assert pakn.units(ward.id) == []
    assert runner.invoke(args=["init"]).exit_code == 0
    assert {u.code for u in pakn.units(ward.id)} == {p.unit for p in demo_points}
    assert runner.invoke(args=["init"]).exit_code == 0
    assert len(pakn.units(ward.id)) == len({p.unit for p in demo_points})
