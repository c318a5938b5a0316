"""Kiosk tablets and desk ratings on the server: pairing codes (single use, expiry, attempts), the device cookie and
its revocation, the officer on duty from the roster, the shared device's flags, the reset that leaves nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from hailong.analysis.periods import TZ
from hailong.survey.extensions import db
from hailong.survey.models import AuditEvent, Desk, FormDraft, KioskDevice, OfficerRating, ServicePoint, Submission
from hailong.survey.services import kiosk as kiosk_svc
from hailong.survey.services import officers as officer_svc
from hailong.survey.transaction import boundary
from tests.fixtures.citizen import PagedForm
from tests.fixtures.kiosk import add_desk, pair, pairing_code, ward
from tests.fixtures.pages import form_tokens, retry_after

REFRESH = 'http-equiv="refresh" content="'


@pytest.fixture(autouse=True)
def _people(app: Flask) -> None:
    """Citizens here answer in no time and one after the other: neither flag unless a test sets it."""
    app.config["HAILONG_MIN_FILL_SECONDS"] = 0
    app.config["HAILONG_KIOSK_MIN_GAP_SECONDS"] = 0


def _ratings(app: Flask) -> list[OfficerRating]:
    with app.app_context():
        rows = list(db.session.scalars(select(OfficerRating).order_by(OfficerRating.id)))
        db.session.expunge_all()
        return rows


def _rate(client: FlaskClient, url: str = "/kiosk", level: str = "satisfied", **extra: Any) -> Any:
    page = client.get(url)
    assert page.status_code == 200, page.get_data(as_text=True)[:500]
    return client.post(url, data={**form_tokens(page.get_data(as_text=True)), "level": level, **extra})


def _paired(app: Flask, client: FlaskClient, desk_id: int | None = None) -> None:
    assert pair(client, pairing_code(app, desk_id=desk_id)).status_code == 303


# --- pairing ------------------------------------------------------------------------------------


def test_a_pairing_code_pairs_one_tablet_once(app: Flask, client: FlaskClient, points: Any) -> None:
    code = pairing_code(app)
    assert client.get("/kiosk").headers["Location"].endswith("/kiosk/ghep")  # not paired yet
    done = pair(client, code)
    assert done.status_code == 303 and done.headers["Location"].endswith("/kiosk")
    cookie = done.headers["Set-Cookie"]
    assert cookie.startswith(f"{kiosk_svc.COOKIE}=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Max-Age=" in cookie
    start = client.get("/kiosk")
    assert start.status_code == 200 and "Rất hài lòng" in start.get_data(as_text=True)
    assert start.headers["Cache-Control"] == "no-store"
    again = pair(app.test_client(), code)  # the same code on a second tablet
    assert again.status_code == 400 and "đã dùng" in again.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(KioskDevice.name)) == "Máy quầy 1"
        actions = set(db.session.scalars(select(AuditEvent.action)))
        assert {"kiosk.pairing", "kiosk.paired"} <= actions
        # The code itself is stored nowhere in clear.
        assert not db.session.scalars(select(AuditEvent).where(AuditEvent.detail.contains(code))).first()


def test_a_pairing_code_expires_after_ten_minutes(app: Flask, client: FlaskClient, points: Any) -> None:
    with app.app_context(), boundary():
        point = db.session.scalars(select(ServicePoint).filter_by(code="mc-1")).one()
        _p, code = kiosk_svc.create_pairing(ward(), "admin", point, None, "Máy cũ",
                                            now=datetime.now(UTC) - timedelta(minutes=10, seconds=1))
    refused = pair(client, code)
    assert refused.status_code == 400 and "hết hạn" in refused.get_data(as_text=True)
    assert kiosk_svc.COOKIE not in refused.headers.get("Set-Cookie", "")


def test_wrong_codes_are_refused_and_attempts_are_limited(app: Flask, client: FlaskClient, points: Any) -> None:
    real = pairing_code(app)
    wrong = "000000" if real != "000000" else "111111"
    assert pair(client, "12ab").status_code == 400
    for _ in range(9):
        assert pair(client, wrong).status_code == 400
    limited = pair(client, real)  # the 11th attempt from this network, even with the right code
    assert limited.status_code == 429 and "quá nhiều lần" in limited.get_data(as_text=True)
    retry_after(limited, 600)  # PAIRING_ATTEMPTS: 10 per 10 minutes


def test_a_forged_cookie_is_sent_to_pairing(app: Flask, client: FlaskClient, points: Any) -> None:
    client.set_cookie(kiosk_svc.COOKIE, "WzEsImFiYyJd.forged")
    assert client.get("/kiosk").headers["Location"].endswith("/kiosk/ghep")
    assert client.post("/kiosk", data={"level": "satisfied"}).status_code == 303
    assert _ratings(app) == []


def test_a_revoked_tablet_at_once_gets_a_clear_page_and_stores_nothing(
    app: Flask, client: FlaskClient, points: Any
) -> None:
    _paired(app, client)
    page = client.get("/kiosk")
    with app.app_context(), boundary():
        device = db.session.scalars(select(KioskDevice)).one()
        assert kiosk_svc.revoke(ward(), "admin", device) is True
        assert kiosk_svc.revoke(ward(), "admin", device) is False  # twice: recorded once
    refused = client.post("/kiosk", data={**form_tokens(page.get_data(as_text=True)), "level": "satisfied"})
    assert refused.status_code == 403
    text = refused.get_data(as_text=True)
    assert "đã bị thu hồi" in text and "mã ghép mới" in text and "/kiosk/ghep" in text
    assert client.get("/kiosk").status_code == 403 and client.get("/kiosk/phieu/mc-1").status_code == 403
    assert _ratings(app) == []
    with app.app_context():
        assert len(db.session.scalars(select(AuditEvent).filter_by(action="kiosk.revoked")).all()) == 1
    # A new pairing brings the tablet back.
    _paired(app, client)
    assert client.get("/kiosk").status_code == 200


# --- the rating ---------------------------------------------------------------------------------


def test_a_kiosk_rating_stores_the_desk_and_the_officer_on_duty(app: Flask, client: FlaskClient, points: Any) -> None:
    desk_id = add_desk(app)
    _paired(app, client, desk_id)
    start = client.get("/kiosk").get_data(as_text=True)
    assert "Nguyễn Thị Lan" in start and REFRESH + "120;url=/kiosk" in start
    done = _rate(client, level="very_satisfied", reason=["fast", "polite", "bogus"], comment="Rất chu đáo")
    assert done.status_code == 303 and done.headers["Location"].endswith("/kiosk/cam-on")
    (row,) = _ratings(app)
    assert (row.channel, row.desk_id, row.officer_name, row.level) == ("kiosk", desk_id, "Nguyễn Thị Lan",
                                                                         "very_satisfied")
    assert (row.reasons, row.comment, row.flagged) == ("fast,polite", "Rất chu đáo", False)
    assert row.device_id is not None and row.submitted_at.second == 0
    thanks = client.get("/kiosk/cam-on")
    html = thanks.get_data(as_text=True)
    assert thanks.headers["Cache-Control"] == "no-store" and REFRESH + "8;url=/kiosk" in html
    # Nothing of the answer on the thank-you page (the next citizen may read it).
    for shown in ("Rất hài lòng", "Rất chu đáo", "Nhanh chóng"):
        assert shown not in html
    assert "Đánh giá đầy đủ" in html


def test_a_rating_without_a_level_comes_back_with_its_reasons(app: Flask, client: FlaskClient, points: Any) -> None:
    _paired(app, client, add_desk(app))
    back = _rate(client, level="great", reason=["slow"], comment="Chờ lâu quá")
    assert back.status_code == 422
    html = back.get_data(as_text=True)
    assert "chọn một trong ba mức" in html and 'value="slow" checked' in html and "Chờ lâu quá" in html
    assert _ratings(app) == []


def test_a_page_replayed_stores_one_rating(app: Flask, client: FlaskClient, points: Any) -> None:
    _paired(app, client)
    hidden = form_tokens(client.get("/kiosk").get_data(as_text=True))
    for _ in range(2):
        assert client.post("/kiosk", data={**hidden, "level": "unsatisfied"}).status_code == 303
    assert len(_ratings(app)) == 1


def test_the_roster_resolves_the_officer_of_the_vietnam_local_day(app: Flask, points: Any) -> None:
    desk_id = add_desk(app, officer="An", start=date(2026, 3, 1), end=date(2026, 3, 31))
    with app.app_context(), boundary():
        desk = db.session.get(Desk, desk_id)
        officer_svc.add_duty(ward(), "test", desk, officer_svc.Duty("Bình", None, date(2026, 3, 10), date(2026, 3, 10)))
        # 2026-03-09 17:30 UTC is 00:30 on the 10th in Vietnam: Bình's day (a one-day replacement over An's month).
        assert officer_svc.on_duty(desk, datetime(2026, 3, 9, 17, 30, tzinfo=UTC)).officer_name == "Bình"
        assert officer_svc.on_duty(desk, datetime(2026, 3, 9, 16, 59, tzinfo=UTC)).officer_name == "An"
        assert officer_svc.on_duty(desk, datetime(2026, 3, 10, 17, 0, tzinfo=UTC)).officer_name == "An"
        assert officer_svc.on_duty(desk, datetime(2026, 4, 1, 0, 0, tzinfo=TZ)) is None
        rating = officer_svc.parse_rating("satisfied", [], None)
        point = desk.point
        row, created = officer_svc.rate(point, desk, rating, "k1", "qr", now=datetime(2026, 3, 9, 17, 30, tzinfo=UTC))
        assert created and row.officer_name == "Bình" and row.day_key == 20260310
        # A later edit of the roster does not move a rating already given.
        entry = officer_svc.on_duty(desk, datetime(2026, 3, 10, 3, 0, tzinfo=TZ))
        officer_svc.change_duty(ward(), "test", entry, officer_svc.Duty("Chi", None, date(2026, 3, 10),
                                                                           date(2026, 3, 10)))
        db.session.flush()
        assert row.officer_name == "Bình"


def test_roster_dates_are_checked(app: Flask) -> None:
    with app.app_context():
        with pytest.raises(officer_svc.OfficerError, match="Ngày kết thúc"):
            officer_svc.duty("An", "", "2026-03-10", "2026-03-09")
        with pytest.raises(officer_svc.OfficerError, match="năm-tháng-ngày"):
            officer_svc.duty("An", "", "10/03/2026", "2026-03-09")
        with pytest.raises(officer_svc.OfficerError, match="họ tên"):
            officer_svc.duty("  ", "", "2026-03-10", "2026-03-10")


# --- a shared device's flags --------------------------------------------------------------------


def test_answers_too_close_together_on_one_tablet_are_flagged_not_dropped(
    app: Flask, client: FlaskClient, points: Any
) -> None:
    app.config["HAILONG_KIOSK_MIN_GAP_SECONDS"] = 20
    _paired(app, client)
    assert _rate(client).status_code == 303 and _rate(client).status_code == 303
    first, second = _ratings(app)
    assert not first.flagged and second.flagged and "cách lần trước dưới 20 giây" in second.flag_reason


def test_a_burst_on_one_tablet_is_flagged_and_no_per_browser_flag(
    app: Flask, client: FlaskClient, points: Any
) -> None:
    app.config["HAILONG_KIOSK_BURST"] = 3
    _paired(app, client)
    for _ in range(4):
        assert _rate(client).status_code == 303
    rows = _ratings(app)
    assert [r.flagged for r in rows] == [False, False, False, True]
    assert "dồn dập" in rows[3].flag_reason
    assert not any("trình duyệt" in (r.flag_reason or "") for r in rows)


def test_the_full_form_on_a_kiosk_is_channel_kiosk_without_the_per_browser_flag(
    app: Flask, client: FlaskClient, points: Any
) -> None:
    _paired(app, client)
    for _ in range(2):
        form = PagedForm(app, client, "/kiosk/phieu/mc-1")
        assert form.status == 200 and "kiosk" in form.html
        sent = form.press("send", {"overall": "5"})
        assert sent.status_code == 303 and sent.headers["Location"].endswith("/kiosk/phieu/mc-1/cam-on")
    with app.app_context():
        rows = list(db.session.scalars(select(Submission)))
        assert [r.channel for r in rows] == ["kiosk", "kiosk"] and not any(r.flagged for r in rows)
    thanks = client.get("/kiosk/phieu/mc-1/cam-on").get_data(as_text=True)
    assert REFRESH + "8;url=/kiosk" in thanks and "Đánh giá đầy đủ" not in thanks


def test_the_form_on_a_kiosk_over_the_limit_comes_back_with_when_to_retry(
    app: Flask, client: FlaskClient, points: Any
) -> None:
    app.config["HAILONG_RATELIMIT_SUBMIT"] = "1 per minute"
    _paired(app, client)
    assert PagedForm(app, client, "/kiosk/phieu/mc-1").press("send", {"overall": "5"}).status_code == 303
    refused = PagedForm(app, client, "/kiosk/phieu/mc-1").press("send", {"overall": "4"})
    retry_after(refused, 60)
    assert "quá nhiều phiếu gửi từ cùng một mạng" in refused.get_data(as_text=True)


def test_a_kiosk_opens_only_its_own_point(app: Flask, client: FlaskClient, points: Any) -> None:
    _paired(app, client)
    other = client.get("/kiosk/phieu/mc-2")
    assert other.status_code == 303 and other.headers["Location"].endswith("/kiosk/phieu/mc-1")


# --- the reset ----------------------------------------------------------------------------------


def test_the_reset_discards_the_draft_and_back_shows_nothing(app: Flask, client: FlaskClient, points: Any) -> None:
    _paired(app, client)
    form = PagedForm(app, client, "/kiosk/phieu/mc-1")
    key = form.hidden["submission_key"]
    moved = form.press("next", {"overall": "2"})
    page2 = moved.headers["Location"]
    assert parse_qs(urlsplit(page2).query)["p"] == ["2"]
    assert f'{REFRESH}120;url=/kiosk/moi?k={key}"' in form.html
    with app.app_context():
        assert db.session.scalar(select(FormDraft.answers)) == {"overall": ["2"]}
    reset = client.get(f"/kiosk/moi?k={key}")
    assert reset.status_code == 303 and reset.headers["Location"].endswith("/kiosk")
    assert reset.headers["Cache-Control"] == "no-store"
    with app.app_context():
        assert db.session.scalars(select(FormDraft)).all() == []
    # The browser's Back asks again (no-store): a fresh first page, nothing of the answer.
    back = client.get(page2)
    html = back.get_data(as_text=True)
    assert back.status_code == 200 and back.headers["Cache-Control"] == "no-store"
    assert "Phần 1/" in html and 'value="2" checked' not in html and key not in html
    with app.app_context():
        assert db.session.scalars(select(Submission)).all() == []


def test_a_reset_with_another_points_key_discards_nothing(app: Flask, client: FlaskClient, points: Any) -> None:
    phone = PagedForm(app, app.test_client(), "/s/mc-1")
    phone.press("next", {"overall": "4"})
    _paired(app, client, None)
    with app.app_context(), boundary():
        # The tablet of another point cannot discard a citizen's draft at mc-1.
        db.session.scalars(select(KioskDevice)).one().point_id = db.session.scalars(
            select(ServicePoint.id).filter_by(code="mc-2")).one()
    client.get(f"/kiosk/moi?k={phone.hidden['submission_key']}")
    with app.app_context():
        assert len(db.session.scalars(select(FormDraft)).all()) == 1


# --- a desk's QR code on a phone ----------------------------------------------------------------


def test_a_desk_rating_on_a_phone(app: Flask, client: FlaskClient, points: Any) -> None:
    desk_id = add_desk(app)
    assert client.get("/s/mc-1/quay/khong-co").status_code == 404
    assert client.get("/s/khong-co/quay/quay-1").status_code == 404
    page = client.get("/s/mc-1/quay/quay-1")
    assert page.status_code == 200 and "Nguyễn Thị Lan" in page.get_data(as_text=True)
    assert REFRESH not in page.get_data(as_text=True)  # a phone does not reset itself
    done = _rate(client, "/s/mc-1/quay/quay-1", "unsatisfied", reason="slow")
    assert done.status_code == 303 and done.headers["Location"].endswith("/s/mc-1/quay/quay-1/cam-on")
    assert client.get(done.headers["Location"]).status_code == 200
    assert _rate(client, "/s/mc-1/quay/quay-1").status_code == 303  # the same browser again today
    first, second = _ratings(app)
    assert (first.channel, first.desk_id, first.officer_name, first.flagged) == ("qr", desk_id, "Nguyễn Thị Lan",
                                                                                  False)
    assert second.flagged and "trùng trình duyệt" in second.flag_reason


def test_desk_ratings_over_the_limit_say_when_to_retry(app: Flask, client: FlaskClient, points: Any) -> None:
    app.config["HAILONG_RATELIMIT_SUBMIT"] = "1 per minute"
    add_desk(app)
    assert _rate(client, "/s/mc-1/quay/quay-1").status_code == 303
    refused = _rate(client, "/s/mc-1/quay/quay-1")
    retry_after(refused, 60)
    assert "quá nhiều lần" in refused.get_data(as_text=True)
    assert len(_ratings(app)) == 1
