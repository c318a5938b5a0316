"""The command line with two wards: `hailong wards`, and --ward required (one line listing the codes)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner

from hailong.survey.extensions import db as _db
from hailong.survey.models import AuditEvent, Organisation, User
from tests.tenancy.conftest import B_COMMENT, Wards


def test_wards_add_and_list(app: Flask, runner: FlaskCliRunner) -> None:
    added = runner.invoke(args=["wards", "add", "minh-xuan", "--name", "Phường Minh Xuân", "--province",
                                "Tuyên Quang"])
    assert added.exit_code == 0, added.output
    again = runner.invoke(args=["wards", "add", "minh-xuan", "--name", "Phường Minh Xuân"])
    assert again.exit_code == 1 and "đã có" in again.output
    bad = runner.invoke(args=["wards", "add", "Minh Xuân", "--name", "x"])
    assert bad.exit_code == 2
    listed = runner.invoke(args=["wards", "list", "--json"])
    assert [w["code"] for w in json.loads(listed.output)] == ["an-tuong", "minh-xuan"]
    with app.app_context():
        event = _db.session.query(AuditEvent).filter_by(action="ward.created").one()
        ward = _db.session.query(Organisation).filter_by(code="minh-xuan").one()
        assert event.organisation_id == ward.id


COMMANDS = [
    ["indices", "--period", "2026-Q1"],
    ["points", "list"],
    ["points", "add", "mc-9", "--kind", "onestop", "--name", "Quầy 9"],
    ["pakn", "list"],
    ["margins", "show"],
    ["plan", "--kind", "onestop", "--margin", "5"],
    ["sdg", "--period", "2026-Q1"],
]


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_with_two_wards_the_ward_must_be_named(runner: FlaskCliRunner, two_wards: Wards, args: list[str]) -> None:
    result = runner.invoke(args=args)
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "an-tuong" in lines[0] and "minh-xuan" in lines[0]
    named = runner.invoke(args=[*args, "--ward", "minh-xuan"])
    assert named.exit_code == 0, named.output


def test_report_and_export_need_the_ward(runner: FlaskCliRunner, two_wards: Wards, tmp_path: Path) -> None:
    out = tmp_path / "r.csv"
    assert runner.invoke(args=["responses", "export", "--out", str(out)]).exit_code == 2
    a = runner.invoke(args=["responses", "export", "--out", str(out), "--ward", "an-tuong"])
    assert a.exit_code == 0, a.output
    assert B_COMMENT not in out.read_text(encoding="utf-8")
    both = runner.invoke(args=["responses", "export", "--out", str(out), "--all-wards"])
    assert both.exit_code == 0, both.output
    text = out.read_text(encoding="utf-8")
    assert text.startswith("ward,") and B_COMMENT in text
    assert runner.invoke(args=["report", "--period", "2026-Q1", "--out", str(tmp_path / "r.pdf")]).exit_code == 2


def test_indices_per_ward_and_province_wide(runner: FlaskCliRunner, two_wards: Wards) -> None:
    def n(*extra: str) -> int:
        result = runner.invoke(args=["indices", "--period", "2026-Q1", "--kind", "onestop", *extra])
        assert result.exit_code == 0, result.output
        return int(json.loads(result.output)["responses"])

    assert (n("--ward", "an-tuong"), n("--ward", "minh-xuan"), n("--all-wards")) == (3, 3, 6)
    # mc-1 is a point of both wards: --point reads it within the ward named.
    point = runner.invoke(args=["indices", "--period", "2026-Q1", "--point", "mx-rieng", "--ward", "an-tuong"])
    assert point.exit_code == 2


def test_users_create_in_a_ward_or_for_the_province(app: Flask, runner: FlaskCliRunner, two_wards: Wards) -> None:
    made = runner.invoke(args=["users", "create", "mx-viewer", "--role", "reviewer", "--ward", "minh-xuan"])
    assert made.exit_code == 0, made.output
    assert runner.invoke(args=["users", "create", "x-reviewer", "--role", "reviewer"]).exit_code == 2
    province = runner.invoke(args=["users", "create", "tinh", "--role", "province", "--province", "Tuyên Quang"])
    assert province.exit_code == 0, province.output
    refused = runner.invoke(args=["users", "create", "tinh2", "--role", "province", "--province", "Hà Giang"])
    assert refused.exit_code == 1 and "Tuyên Quang" in refused.output
    with app.app_context():
        by_name = {u.username: u for u in _db.session.query(User)}
        assert by_name["mx-viewer"].organisation_id == two_wards.b
        assert by_name["tinh"].organisation_id is None and by_name["tinh"].province == "Tuyên Quang"
