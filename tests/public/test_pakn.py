"""PAKN on the public pages: /cong-khai's numbers equal `pakn.stats`, /cong-khai/phan-anh lists only published
replies (masked, never a flagged or unpublished item, never a contact or a tracking code), paginated and searchable;
bad parameters get a Vietnamese 4xx; the snapshot shows a newly published reply within a minute.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from hailong.analysis.formatting import fmt_int, fmt_pct
from hailong.analysis.periods import TZ, parse_period
from hailong.survey.extensions import db as _db
from hailong.survey.models import Organisation, PaknChannel, PaknItem, ServicePoint
from hailong.survey.services import pakn, publication
from tests.public.conftest import NOW, Clock

ADMIN = pakn.Actor("admin", "admin")
REVIEWER = pakn.Actor("reviewer", "reviewer")
UNIT = pakn.Actor("motcua-viewer", "viewer", "motcua")
Q3_RECEIVED = datetime(2026, 8, 3, 9, 0, tzinfo=TZ)
Q4_RECEIVED = datetime(2026, 10, 12, 9, 0, tzinfo=TZ)
# What must never leave the office: the sender's contact, and texts that were never published.
NAME = "Nguyễn Văn Riêngtư"
EMAIL = "nguoigui.riengtu@example.com"
PHONE = "0987654321"
UNPUBLISHED = "Nội dung nháp chưa công khai ZXQ"
DRAFT_REPLY = "Bản trả lời nháp chưa duyệt QWK"
FLAGGED_TEXT = "Phản ánh bị gắn cờ nghi vấn VVB"
FLAGGED_REPLY = "Trả lời của phản ánh bị gắn cờ VVB"


@dataclass
class Register:
    """The items the tests created: their ids and tracking codes."""

    published: list[int] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)
    unpublished: list[int] = field(default_factory=list)
    flagged: int = 0


def _item(ward: Organisation, text: str, when: datetime, category: str = "thu_tuc", point: str = "mc-1",
          **contact: Any) -> tuple[PaknItem, str | None]:
    found = _db.session.query(ServicePoint).filter_by(code=point).one()
    return pakn.register(pakn.Intake(ward=ward, category=category, text=text, channel=PaknChannel.FORM.value,
                                     received_at=when, point=found, **contact))


def _publish(item: PaknItem, question: str, reply: str) -> None:
    pakn.classify(item, REVIEWER, "accept")
    pakn.assign(item, REVIEWER, "motcua")
    pakn.save_draft(item, UNIT, reply, submit=True)
    pakn.publish(item, ADMIN, question, reply)


@pytest.fixture
def ward(app: Flask, world: Any) -> int:
    """The demo ward (publishing onestop and health) with its handling units."""
    with app.app_context():
        org = _db.session.query(Organisation).one()
        pakn.ensure_units_from_points(org)
        _db.session.commit()
        return org.id


@pytest.fixture
def register(app: Flask, ward: int) -> Register:
    """Q4: 23 published replies (10 rated: 7 satisfied), one with the sender's contact in its text; one published
    then flagged; one drafted but not approved; one new with a contact. Q3: one published and rated."""
    made = Register()
    with app.app_context():
        org = _db.session.get(Organisation, ward)
        assert org is not None
        with_contact, code = _item(org, f"Tôi là {NAME}, gọi {PHONE} hoặc {EMAIL}: phòng chờ thiếu ghế.", Q4_RECEIVED,
                                   category="co_so_vat_chat", contact_name=NAME, contact_phone=PHONE,
                                   contact_email=EMAIL, consent=True)
        _publish(with_contact, with_contact.text, f"Phường đã thêm 20 ghế. Cảm ơn {NAME}, số {PHONE}.")
        made.published.append(with_contact.id)
        made.codes.append(code or "")
        for i in range(22):
            category = "thai_do" if i % 4 == 0 else "thu_tuc"
            item, code = _item(org, f"Hồ sơ đất đai số {i} chậm trả kết quả.", Q4_RECEIVED, category=category)
            _publish(item, item.text, f"Đã trả kết quả hồ sơ số {i}, xin lỗi Ông/Bà về sự chậm trễ.")
            made.published.append(item.id)
            made.codes.append(code or "")
        for n, item_id in enumerate(made.published[:10]):
            rated = _db.session.get(PaknItem, item_id)
            assert rated is not None
            pakn.rate(rated, satisfied=n < 7, reason="")
        flagged, _code = _item(org, FLAGGED_TEXT, Q4_RECEIVED)
        _publish(flagged, FLAGGED_TEXT, FLAGGED_REPLY)
        pakn.flag(flagged, REVIEWER, "gửi lặp lại")
        made.flagged = flagged.id
        drafted, _code = _item(org, UNPUBLISHED, Q4_RECEIVED, contact_email=EMAIL, consent=True)
        pakn.classify(drafted, REVIEWER, "accept")
        pakn.assign(drafted, REVIEWER, "motcua")
        pakn.save_draft(drafted, UNIT, DRAFT_REPLY, submit=True)
        fresh, _code = _item(org, UNPUBLISHED + " mới", Q4_RECEIVED, contact_phone=PHONE, consent=True)
        made.unpublished += [drafted.id, fresh.id]
        old, _code = _item(org, "Quý trước: máy lấy số hỏng.", Q3_RECEIVED, category="co_so_vat_chat",
                           point="tram-y-te")
        _publish(old, old.text, "Đã sửa máy lấy số.")
        pakn.rate(old, satisfied=True, reason="")
        made.published.append(old.id)
        _db.session.commit()
    return made


def doc(client: FlaskClient) -> dict[str, Any]:
    response = client.get("/cong-khai/du-lieu.json")
    assert response.status_code == 200
    return json.loads(response.get_data(as_text=True))  # type: ignore[no-any-return]


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&amp;", "&")


def section(html: str) -> str:
    return html.split('id="pakn"')[1].split("</section>")[0]


def test_the_numbers_equal_pakn_stats(app: Flask, client: FlaskClient, register: Register) -> None:
    pakn_doc = doc(client)["pakn"]
    assert [p["period"] for p in pakn_doc["periods"]] == ["2026-Q4", "2026-Q3"]
    assert [p["status"] for p in pakn_doc["periods"]] == ["provisional", "closed"]
    page = text_of(section(client.get("/cong-khai").get_data(as_text=True)))
    with app.app_context():
        ward = _db.session.query(Organisation).one()
        for shown in pakn_doc["periods"]:
            totals = pakn.stats(ward.id, parse_period(shown["period"]), on=NOW.date())["totals"]
            for key in ("received", "replied", "replied_on_time", "on_time_pct", "overdue_now",
                        "median_working_days"):
                assert shown[key] == totals[key], (shown["period"], key)
            assert shown["rating"]["n"] == totals["rating"]["n"]
            if totals["rating"]["n"] >= publication.PAKN_MIN_RATINGS:
                assert shown["rating"]["satisfied_pct"] == totals["rating"]["satisfied_pct"]
            else:
                assert shown["rating"]["satisfied_pct"] is None  # too few ratings to show a share
    q4, q3 = pakn_doc["periods"]
    # 23 published + the flagged one left out + 2 unpublished = 25 received in Q4.
    assert (q4["received"], q4["replied"]) == (25, 23)
    assert q4["rating"] == {"n": 10, "satisfied": 7, "satisfied_pct": 70.0}
    assert (q3["received"], q3["replied"], q3["rating"]["n"], q3["rating"]["satisfied_pct"]) == (1, 1, 1, None)
    assert f"Đã tiếp nhận {fmt_int(q4['received'])}" in page
    assert f"Đã trả lời {fmt_int(q4['replied'])}" in page
    assert f"Người gửi hài lòng với câu trả lời {fmt_pct(70.0, 1)} n = 10" in page
    assert "chưa đủ 10 đánh giá để công bố n = 1" in page
    assert "Quý IV/2026 tạm tính" in page and "Quý III/2026" in page


def test_only_published_masked_replies_and_never_a_contact(app: Flask, client: FlaskClient,
                                                           register: Register) -> None:
    bodies = {
        "page": client.get("/cong-khai").get_data(as_text=True),
        "page_en": client.get("/cong-khai?lang=en").get_data(as_text=True),
        "widget": client.get("/cong-khai/nhung").get_data(as_text=True),
        "json": client.get("/cong-khai/du-lieu.json").get_data(as_text=True),
        "csv": client.get("/cong-khai/du-lieu.csv").get_data(as_text=True),
        "replies_csv": client.get("/cong-khai/phan-anh.csv").get_data(as_text=True),
    }
    for page in (1, 2):
        bodies[f"list{page}"] = client.get(f"/cong-khai/phan-anh?trang={page}").get_data(as_text=True)
    for item_id in [*register.published, register.flagged, *register.unpublished]:
        bodies[f"item{item_id}"] = client.get(f"/cong-khai/phan-anh/{item_id}").get_data(as_text=True)
    codes = [c for c in register.codes if c] + [pakn.format_code(c) for c in register.codes if c]
    for name, body in bodies.items():
        for secret in (NAME, "Riêngtư", EMAIL, "riengtu", PHONE, "987654321", UNPUBLISHED, DRAFT_REPLY, FLAGGED_TEXT,
                       FLAGGED_REPLY, "VVB", *codes):
            assert secret not in body, (name, secret)
    # The published one with the contact in its text is there, masked.
    first = bodies[f"item{register.published[0]}"]
    assert "phòng chờ thiếu ghế" in first and "[đã ẩn]" in first
    # Every published reply is listed once across the two pages; the flagged and unpublished never.
    listed = re.findall(r'id="r-(\d+)"', bodies["list1"] + bodies["list2"])
    assert sorted(map(int, listed)) == sorted(register.published)
    assert client.get(f"/cong-khai/phan-anh/{register.flagged}").status_code == 404
    for item_id in register.unpublished:
        assert client.get(f"/cong-khai/phan-anh/{item_id}").status_code == 404
    rows = list(csv.DictReader(io.StringIO(bodies["replies_csv"].lstrip("\ufeff"))))
    assert sorted(int(r["id"]) for r in rows) == sorted(register.published)
    assert set(rows[0]) == set(publication.PAKN_CSV_COLUMNS)


def test_pages_of_twenty_newest_first(client: FlaskClient, register: Register) -> None:
    first = client.get("/cong-khai/phan-anh")
    assert first.status_code == 200 and first.headers["Cache-Control"] == "public, max-age=20"
    assert "Set-Cookie" not in first.headers
    html = first.get_data(as_text=True)
    ids = [int(i) for i in re.findall(r'id="r-(\d+)"', html)]
    assert len(ids) == 20 and "24 câu trả lời" in text_of(html) and "trang 1/2" in text_of(html)
    assert 'href="/cong-khai/an-tuong/phan-anh?trang=2"' in html and "Trang trước" not in html
    second = client.get("/cong-khai/phan-anh?trang=2").get_data(as_text=True)
    rest = [int(i) for i in re.findall(r'id="r-(\d+)"', second)]
    assert len(rest) == 4 and not set(ids) & set(rest)
    assert 'href="/cong-khai/an-tuong/phan-anh"' in second and "Trang sau" not in second
    # Newest published first: the Q3 item was published last, then the Q4 items in reverse order.
    assert ids[0] == register.published[-1]
    assert rest[-1] == register.published[0]


def test_search_and_category(client: FlaskClient, register: Register) -> None:
    def listed(query: str) -> list[int]:
        response = client.get(f"/cong-khai/phan-anh?{query}")
        assert response.status_code == 200, query
        return [int(i) for i in re.findall(r'id="r-(\d+)"', response.get_data(as_text=True))]

    # Case and diacritics ignored; every word must begin a word of the question or the reply ("7" is not "17").
    assert listed("q=HO+SO+SO+7") == listed("q=hồ+sơ+số+7") == [register.published[8]]
    assert listed("q=ghe") == listed("q=ghế") == [register.published[0]]
    assert listed("q=may+lay+so") == [register.published[-1]]
    thai_do = listed("loai=thai_do")
    assert len(thai_do) == 6  # items 0, 4, ..., 20
    assert listed("loai=thai_do&q=s%E1%BB%91+4") == [register.published[5]]
    # A search that finds nothing says so, and offers the whole list; the filter is kept in the links.
    html = client.get("/cong-khai/phan-anh?q=khongcogi&loai=khac").get_data(as_text=True)
    assert "Không có câu trả lời nào phù hợp với điều kiện tìm." in html
    assert 'value="khongcogi"' in html and '<option value="khac" selected>' in html
    assert "/cong-khai/an-tuong/phan-anh.csv?q=khongcogi&amp;loai=khac" in html
    assert "/cong-khai/an-tuong/phan-anh?lang=en&amp;q=khongcogi&amp;loai=khac" in html or \
        "/cong-khai/an-tuong/phan-anh?q=khongcogi&amp;loai=khac&amp;lang=en" in html
    # A typed tracking code is not looked up here (that is /tra-cuu's, rate-limited): it points there.
    code = pakn.format_code(register.codes[1])
    hint = client.get(f"/cong-khai/phan-anh?q={code}").get_data(as_text=True)
    assert "trang tra cứu" in hint and 'id="r-' not in hint
    # Search through the CSV too.
    rows = list(csv.DictReader(io.StringIO(client.get("/cong-khai/phan-anh.csv?q=ghe").get_data(as_text=True)
                                           .lstrip("\ufeff"))))
    assert [int(r["id"]) for r in rows] == [register.published[0]]


def test_empty_state_and_english(client: FlaskClient, ward: int) -> None:
    html = client.get("/cong-khai/phan-anh").get_data(as_text=True)
    assert "Chưa có câu trả lời nào được công khai." in html and 'id="r-' not in html
    assert "Chưa có câu trả lời nào được công khai." in section(client.get("/cong-khai").get_data(as_text=True))
    english = client.get("/cong-khai/phan-anh?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in english and "Chưa có câu trả lời" not in english


@pytest.mark.parametrize(("query", "status", "message"), [
    ("trang=0", 400, "Số trang không hợp lệ"),
    ("trang=abc", 400, "Số trang không hợp lệ"),
    ("trang=-1", 400, "Số trang không hợp lệ"),
    ("trang=999999", 400, "Số trang không hợp lệ"),
    ("trang=3", 404, "Không có trang 3: danh sách chỉ có 2 trang."),
    ("loai=xyz", 400, "Không có loại phản ánh này."),
    ("loai=%00", 400, "Không có loại phản ánh này."),
    ("q=" + "a" * 101, 400, "Từ khóa tìm kiếm tối đa 100 ký tự."),
    ("q=a%01b", 400, "Từ khóa tìm kiếm có ký tự không hợp lệ."),
])
def test_bad_parameters_are_a_vietnamese_4xx(client: FlaskClient, register: Register, query: str, status: int,
                                            message: str) -> None:
    response = client.get(f"/cong-khai/phan-anh?{query}")
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    if status == 400:
        plain = client.get(f"/cong-khai/phan-anh.csv?{query}")
        assert plain.status_code == 400 and message in plain.get_data(as_text=True)


def test_unknown_parameters_and_items(client: FlaskClient, register: Register) -> None:
    assert client.get("/cong-khai/phan-anh?utm_source=zalo&lang=xx").status_code == 200
    assert client.get("/cong-khai/phan-anh/999999").status_code == 404
    assert client.get(f"/cong-khai/phan-anh/{2**70}").status_code == 404
    assert client.get("/cong-khai/phan-anh/abc").status_code == 404
    assert client.post("/cong-khai/phan-anh").status_code == 405


def test_long_texts_are_shortened_on_the_lists_and_whole_on_their_page(app: Flask, client: FlaskClient,
                                                                       ward: int) -> None:
    question = "Đề nghị phường xem xét " + "việc sửa đường ngõ 12 " * 40 + "KẾT-THÚC-HỎI"
    reply = "Phường đã tiếp nhận và " + "lập kế hoạch sửa đường " * 60 + "KẾT-THÚC-ĐÁP"
    with app.app_context():
        org = _db.session.get(Organisation, ward)
        assert org is not None
        item, _code = _item(org, question, Q4_RECEIVED)
        _publish(item, question, reply)
        _db.session.commit()
        item_id = item.id
    for path in ("/cong-khai", "/cong-khai/phan-anh"):
        html = client.get(path).get_data(as_text=True)
        assert "KẾT-THÚC" not in html and f'href="/cong-khai/an-tuong/phan-anh/{item_id}"' in html, path
    whole = client.get(f"/cong-khai/phan-anh/{item_id}").get_data(as_text=True)
    assert "KẾT-THÚC-HỎI" in whole and "KẾT-THÚC-ĐÁP" in whole
    shown = doc(client)["pakn"]["latest"][0]
    assert shown["shortened"] is True and len(shown["question"]) <= publication.PAKN_QUESTION_CHARS + 1


def test_a_newly_published_reply_shows_within_a_minute(app: Flask, client: FlaskClient, register: Register,
                                                       clock: Clock) -> None:
    before = doc(client)["pakn"]
    with app.app_context():
        org = _db.session.query(Organisation).one()
        item, _code = _item(org, "Đèn hành lang tầng 2 hỏng.", Q4_RECEIVED, category="co_so_vat_chat")
        _publish(item, item.text, "Đã thay đèn mới.")
        _db.session.commit()
        item_id = item.id
    assert doc(client)["pakn"] == before  # the copy kept until its next check
    for _second in range(60):
        clock.advance(1)
        latest = doc(client)["pakn"]
        if latest["latest"][0]["id"] == item_id:
            break
    else:
        pytest.fail("the published reply did not show within a minute")
    assert latest["published"] == before["published"] + 1
    assert latest["periods"][0]["replied"] == before["periods"][0]["replied"] + 1
    assert "Đã thay đèn mới." in client.get("/cong-khai").get_data(as_text=True)
    # Flagging it in the office takes it off again within a minute.
    with app.app_context():
        flagged = _db.session.get(PaknItem, item_id)
        assert flagged is not None
        pakn.flag(flagged, REVIEWER, "trùng")
        _db.session.commit()
    clock.advance(61)
    assert all(r["id"] != item_id for r in doc(client)["pakn"]["latest"])
    assert "Đã thay đèn mới." not in client.get("/cong-khai").get_data(as_text=True)


def test_nothing_of_pakn_while_the_ward_publishes_nothing(app: Flask, client: FlaskClient, register: Register,
                                                          publish: Callable[..., None], clock: Clock) -> None:
    publish(onestop=(False, True, 30), health=(False, True, 30))
    clock.advance(61)
    assert doc(client)["pakn"] is None
    assert 'id="pakn"' not in client.get("/cong-khai").get_data(as_text=True)
    html = client.get("/cong-khai/phan-anh").get_data(as_text=True)
    assert "Phường chưa công khai phản ánh, kiến nghị." in html and 'id="r-' not in html
    assert client.get(f"/cong-khai/phan-anh/{register.published[0]}").status_code == 404
    assert client.get("/cong-khai/phan-anh.csv").get_data(as_text=True).strip("\ufeff\r\n").count("\n") == 0


def test_closed_quarters_only_for_pakn_too(client: FlaskClient, register: Register, publish: Callable[..., None],
                                           clock: Clock) -> None:
    publish(onestop=(True, False, 30), health=(True, False, 30))
    clock.advance(61)
    assert [p["period"] for p in doc(client)["pakn"]["periods"]] == ["2026-Q3"]
    assert "tạm tính" not in section(client.get("/cong-khai").get_data(as_text=True))


def test_fold_ignores_case_and_diacritics() -> None:
    assert pakn.fold("Thủ TỤC  Đất đai, ĐƯỜNG") == "thu tuc dat dai, duong"
    assert pakn.fold("") == ""


def test_overdue_now_is_counted_on_the_snapshots_day(app: Flask, register: Register) -> None:
    """pakn_section counts "overdue now" on the snapshot's day, not the machine's."""
    with app.app_context():
        org = _db.session.query(Organisation).one()
        period = parse_period("2026-Q4")
        early = publication.pakn_section(org, period, date(2026, 10, 13))
        late = publication.pakn_section(org, period, date(2026, 12, 31))
    assert early is not None and late is not None
    assert early["periods"][0]["overdue_now"] == 0
    assert late["periods"][0]["overdue_now"] == 2  # the drafted and the new item, both past their 15 days
