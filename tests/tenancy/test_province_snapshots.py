"""The province roll-up served from stored figures: equal to the live roll-up, stale after a new response, a flag
or an erasure, refreshed by `hailong worker` (real Redis, database 13) with one job however many visits, computed
inline without a queue, a 503 or the last figures when Redis does not answer; each province sees only its own."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, inspect, select, text
from werkzeug.security import generate_password_hash

from hailong.analysis.periods import TZ, parse_period
from hailong.forms.questionnaire import KINDS
from hailong.survey.extensions import db as _db
from hailong.survey.models import FiguresToken, ProvinceSnapshot, ServicePoint, User
from hailong.survey.office import province as province_view
from hailong.survey.services import province as province_svc
from hailong.survey.services import province_snapshots as snap
from hailong.survey.services import questionnaires as qsvc
from hailong.survey.services import responses as response_svc
from hailong.survey.services import users as user_svc
from hailong.survey.services import wards as ward_svc
from tests.fixtures.office import Q1_DAY, sign_in
from tests.tenancy.conftest import ALL_PASSWORDS, B_NAME, QUEUE_REDIS_URL, Wards

PROVINCE = "Tuyên Quang"
PERIOD = "2026-Q1"
PAGE = f"/office/tinh/?period={PERIOD}"



@pytest.fixture
def province(client: FlaskClient, two_wards: Wards) -> FlaskClient:
    assert sign_in(client, "so-noi-vu", ALL_PASSWORDS["so-noi-vu"]).status_code == 303
    return client


def _respond(app: Flask, ward_id: int, value: int, days: int = 0) -> int:
    """One more one-stop response of the ward in 2026-Q1, through the app's write path; its id."""
    with app.app_context():
        point = _db.session.scalars(select(ServicePoint).where(ServicePoint.organisation_id == ward_id,
                                                               ServicePoint.kind == "onestop")).first()
        assert point is not None
        version = qsvc.latest_version("onestop")
        answers = {s.code: value for s in qsvc.definition(version).statements}
        when = datetime.combine(Q1_DAY.date() + timedelta(days=days), time(10), tzinfo=TZ)
        [rid] = response_svc.write_many([response_svc.Draft(point=point, version=version, answers=answers,
                                                            submitted_at=when)])
        _db.session.commit()
        return int(rid)


def _live(app: Flask) -> dict[str, list[dict[str, Any]]]:
    with app.app_context():
        wards = ward_svc.of_province(PROVINCE)
        return {k: [snap.row_data(r) for r in province_svc.rollup(parse_period(PERIOD), k, wards)] for k in KINDS}


def _stored(app: Flask) -> snap.Snapshot | None:
    with app.app_context():
        return snap.load(PROVINCE, parse_period(PERIOD))


def _current(app: Flask) -> bool:
    with app.app_context():
        stored = snap.load(PROVINCE, parse_period(PERIOD))
        assert stored is not None
        wards = ward_svc.of_province(PROVINCE)
        return snap.current(stored, [w.id for w in wards], parse_period(PERIOD))


def _bodies(page: str) -> list[str]:
    return re.findall(r"<tbody>.*?</tbody>", page, re.S)


def _n_of(page: str, name: str, kind: str = "onestop") -> str:
    """The n shown for a ward in a kind's table."""
    section = page.split(f'id="h-{kind}"', 1)[1].split("</section>", 1)[0]
    row = section.split(name, 1)[1].split("</tr>", 1)[0]
    return re.findall(r'data-label="n">([^<]*)<', row)[0]


def _work(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["worker", "--burst"])
    assert result.exit_code == 0, result.output


def _queued(name: str) -> int:
    from redis import Redis

    with Redis.from_url(QUEUE_REDIS_URL) as conn:
        return int(conn.llen(f"rq:queue:{name}"))


# --- the figures --------------------------------------------------------------------------------------------


def test_the_stored_figures_equal_the_live_roll_up_and_render_the_same(app: Flask, province: FlaskClient,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    page = province.get(PAGE)  # no queue: computed inline and stored
    assert page.status_code == 200
    stored = _stored(app)
    assert stored is not None and stored.kinds == _live(app)
    assert {r["ward"]["name"] for r in stored.kinds["onestop"]} == {"Phường An Tường", B_NAME}
    text = page.get_data(as_text=True)
    assert "Số liệu tính lúc" in text and 'data-stale="no"' in text
    # The page rendered from the live WardRows is the page rendered from the stored rows, row for row.
    with app.app_context():
        live = {k: province_svc.rollup(parse_period(PERIOD), k, ward_svc.of_province(PROVINCE)) for k in KINDS}
    monkeypatch.setattr(snap.Snapshot, "rows", lambda self, kind: live[kind])
    monkeypatch.setattr(province_view, "_rendered", {})  # the tables are kept per snapshot: render them again
    from_live = province.get(PAGE).get_data(as_text=True)
    assert len(_bodies(text)) == len(KINDS) and _bodies(from_live) == _bodies(text)


def test_a_new_response_a_flag_and_an_erasure_make_the_figures_stale(app: Flask, province: FlaskClient,
                                                                      two_wards: Wards) -> None:
    page = province.get(PAGE).get_data(as_text=True)
    assert _n_of(page, B_NAME) == "3" and _current(app)
    province.get(PAGE)
    assert _current(app)  # visits alone change nothing

    added = _respond(app, two_wards.b, 5)
    assert not _current(app)
    page = province.get(PAGE).get_data(as_text=True)  # no queue: recomputed in the visit
    assert _n_of(page, B_NAME) == "4" and _current(app)

    with app.app_context():
        response_svc.set_flag(added, "trùng phiếu")
        _db.session.commit()
    assert not _current(app)
    page = province.get(PAGE).get_data(as_text=True)
    assert _n_of(page, B_NAME) == "3" and _current(app)

    with app.app_context():
        assert response_svc.erase([two_wards.a_response]) == 1
        _db.session.commit()
    assert not _current(app)
    page = province.get(PAGE).get_data(as_text=True)
    assert _n_of(page, "Phường An Tường") == "2" and _current(app)
    assert _stored(app).kinds == _live(app)  # type: ignore[union-attr]


def test_a_response_of_another_period_or_province_leaves_them_current(app: Flask, province: FlaskClient,
                                                                       two_wards: Wards) -> None:
    province.get(PAGE)
    _respond(app, two_wards.b, 4, days=200)  # 2026-Q3: outside 2026-Q1 and its trend
    assert _current(app)
    with app.app_context():
        other = ward_svc.add("xa-khac", "Xã Khác", "Hà Giang")
        _db.session.commit()
        other_id = other.id
    province.get(PAGE)  # a ward added anywhere changes the 'citizen' token: recomputed once
    assert _current(app)
    with app.app_context():
        from hailong.survey.services import points as point_svc

        point_svc.create(_db.session.get(ward_svc.Organisation, other_id), "kh-1", "Quầy Khác", "onestop", "kh")
        _db.session.commit()
    province.get(PAGE)
    other_response = _respond(app, other_id, 5)
    assert _current(app)
    with app.app_context():  # a flag in another province's ward: its token, not this province's
        response_svc.set_flag(other_response, "trùng phiếu")
        _db.session.commit()
    assert _current(app)


def test_old_figures_are_refreshed_after_max_age(app: Flask, province: FlaskClient) -> None:
    province.get(PAGE)
    stored = _stored(app)
    assert stored is not None
    with app.app_context():
        wards = [w.id for w in ward_svc.of_province(PROVINCE)]
        period = parse_period(PERIOD)
        assert snap.current(stored, wards, period, stored.computed_at + snap.MAX_AGE)
        assert not snap.current(stored, wards, period, stored.computed_at + snap.MAX_AGE + timedelta(seconds=1))


def test_the_triggers_are_there_and_fire_on_sql_typed_by_hand(app: Flask, two_wards: Wards) -> None:
    with app.app_context():
        def tokens() -> dict[int, int]:
            return dict(_db.session.execute(select(FiguresToken.organisation_id, FiguresToken.token)).tuples().all())

        wanted = {"tr_responses_figures_delete", "tr_responses_figures_update"}
        if _db.engine.dialect.name == "postgresql":
            names = set(_db.session.scalars(text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")))
            wanted.add("tr_responses_figures_truncate")
        else:
            names = set(_db.session.scalars(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")))
        assert wanted <= names
        a, b = two_wards.a, two_wards.b
        before = tokens()
        _db.session.execute(text("UPDATE responses SET comment_handled = :t WHERE id = :id"),
                            {"t": True, "id": two_wards.b_response})
        assert tokens() == before  # not a counted column
        _db.session.execute(text("UPDATE responses SET flagged = :t WHERE id = :id"),
                            {"t": True, "id": two_wards.b_response})
        flagged = tokens()
        assert flagged[b] != before.get(b) and flagged.get(a) == before.get(a)  # B's only
        _db.session.execute(text("DELETE FROM responses WHERE id = :id"), {"id": two_wards.b_response})
        deleted = tokens()
        assert deleted[b] != flagged[b] and deleted.get(a) == before.get(a)
        # A response moved to another ward (by hand: the app never does) changes both wards' figures.
        _db.session.execute(text("UPDATE responses SET organisation_id = :b WHERE id = :id"),
                            {"b": b, "id": two_wards.a_response})
        moved = tokens()
        assert moved[a] != before.get(a) and moved[b] != deleted[b]
        if _db.engine.dialect.name == "postgresql":
            _db.session.execute(text("TRUNCATE responses CASCADE"))
            assert all(tokens()[w] != moved[w] for w in (a, b))
        _db.session.rollback()


# --- the queue ------------------------------------------------------------------------------------------------


def test_first_visit_waits_for_the_worker_then_shows_the_table(app: Flask, province: FlaskClient, queue: str,
                                                                two_wards: Wards) -> None:
    first = province.get(PAGE)
    assert first.status_code == 200
    text = first.get_data(as_text=True)
    assert 'http-equiv="refresh"' in text and "Đang tính số liệu toàn tỉnh" in text and "<tbody>" not in text
    for _visit in range(20):
        assert province.get(PAGE).status_code == 200
    assert _queued(queue) == 1  # twenty visits, one job
    assert _stored(app) is None

    _work(app)

    page = province.get(PAGE).get_data(as_text=True)
    assert 'http-equiv="refresh"' not in page and "Số liệu tính lúc" in page and 'data-stale="no"' in page
    assert _n_of(page, B_NAME) == "3"
    assert _stored(app).kinds == _live(app)  # type: ignore[union-attr]
    assert _queued(queue) == 0

    # A new response: the last figures stay on the page, marked, while one refresh is queued.
    _respond(app, two_wards.b, 5)
    for _visit in range(5):
        stale = province.get(PAGE).get_data(as_text=True)
        assert 'data-stale="yes"' in stale and 'id="refreshing"' in stale and _n_of(stale, B_NAME) == "3"
    assert _queued(queue) == 1
    _work(app)
    fresh = province.get(PAGE).get_data(as_text=True)
    assert 'data-stale="no"' in fresh and _n_of(fresh, B_NAME) == "4"
    assert _queued(queue) == 0


def test_redis_down_serves_the_stored_figures_or_says_503(app: Flask, province: FlaskClient, two_wards: Wards,
                                                         tmp_path: Path) -> None:
    app.config.update(HAILONG_QUEUE_URL="redis://127.0.0.1:1/13", HAILONG_INSTANCE_PATH=tmp_path / "instance")
    down = province.get(PAGE)
    assert down.status_code == 503 and down.headers["Retry-After"] == "60"
    assert "Không kết nối được hàng đợi công việc nền (Redis)" in down.get_data(as_text=True)
    assert _stored(app) is None

    result = app.test_cli_runner().invoke(args=["province", "refresh", "--period", PERIOD])
    assert result.exit_code == 0, result.output
    page = province.get(PAGE)
    assert page.status_code == 200 and 'data-stale="no"' in page.get_data(as_text=True)  # current: Redis unused

    _respond(app, two_wards.b, 5)
    stale = province.get(PAGE)
    text = stale.get_data(as_text=True)
    assert stale.status_code == 200 and 'data-stale="yes"' in text and 'id="not-refreshing"' in text
    assert _n_of(text, B_NAME) == "3"


# --- who sees what, the command -------------------------------------------------------------------------------


def test_each_province_reads_only_its_own_figures(app: Flask, client: FlaskClient, two_wards: Wards) -> None:
    with app.app_context():
        ward_svc.add("xa-khac", "Xã Khác", "Hà Giang")
        _db.session.add(User(organisation_id=None, province="Hà Giang", username="so-ha-giang", role="province",
                             password_hash=generate_password_hash("hagiang-password-1",
                                                                  method=user_svc.HASH_METHOD), active=True))
        _db.session.commit()
    assert sign_in(client, "so-noi-vu", ALL_PASSWORDS["so-noi-vu"]).status_code == 303
    assert B_NAME in client.get(PAGE).get_data(as_text=True)
    client.post("/office/logout", data={"csrf_token": _csrf(client)})
    assert sign_in(client, "so-ha-giang", "hagiang-password-1").status_code == 303
    page = client.get(PAGE).get_data(as_text=True)
    assert "Xã Khác" in page and B_NAME not in page and "Phường An Tường" not in page
    with app.app_context():
        rows = _db.session.execute(select(ProvinceSnapshot.province, func.count(), func.max(
            ProvinceSnapshot.organisation_id)).where(ProvinceSnapshot.period == PERIOD)
            .group_by(ProvinceSnapshot.province)).all()
    assert sorted(rows) == [("Hà Giang", 3, None), (PROVINCE, 3, None)]
    client.post("/office/logout", data={"csrf_token": _csrf(client)})
    assert sign_in(client, "admin", ALL_PASSWORDS["admin"]).status_code == 303
    assert client.get(PAGE).status_code == 403


def _csrf(client: FlaskClient) -> str:
    from tests.fixtures.office import token

    return token(client, "/office/tinh/")


def test_the_command_stores_the_figures_and_skips_current_ones(app: Flask, two_wards: Wards) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["province", "refresh", "--province", PROVINCE, "--period", PERIOD])
    assert result.exit_code == 0, result.output
    assert f"{PROVINCE}, {PERIOD}: đã tính và lưu số liệu của 2 phường, xã" in result.output
    assert _stored(app).kinds == _live(app)  # type: ignore[union-attr]
    again = runner.invoke(args=["province", "refresh", "--period", PERIOD, "--if-stale"])
    assert again.exit_code == 0 and "vẫn còn mới, không tính lại" in again.output
    rebuilt = runner.invoke(args=["rollups", "rebuild"])
    assert rebuilt.exit_code == 0 and "hailong province refresh" in rebuilt.output
    assert not _current(app)  # a rebuild makes stored figures stale whatever their marks
    for args, message in ((["--period", "2026-Q5"], "--period: Kỳ không hợp lệ."),
                          (["--province", "Không Có", "--period", PERIOD], "--province: Không có tỉnh “Không Có”")):
        bad = runner.invoke(args=["province", "refresh", *args])
        assert bad.exit_code == 2 and bad.stderr.startswith("Lỗi: ") and message in bad.stderr, bad.stderr


def test_the_migration_goes_down_and_up(app: Flask) -> None:
    from flask_migrate import downgrade, upgrade

    with app.app_context():
        directory = app.extensions["migrate"].directory
        downgrade(directory=directory, revision="0013_writepath")
        assert "province_snapshots" not in inspect(_db.engine).get_table_names()
        with _db.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM cache_versions WHERE name = 'figures'")).scalar() == 0
        upgrade(directory=directory)
        assert "province_snapshots" in inspect(_db.engine).get_table_names()
        with _db.engine.connect() as conn:  # the token is per ward since 0017_ward_figures
            assert conn.execute(text("SELECT count(*) FROM cache_versions WHERE name = 'figures'")).scalar() == 0
            assert conn.execute(text("SELECT count(*) FROM figures_tokens")).scalar() == 1  # the fixture's ward
