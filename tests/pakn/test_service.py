"""The PAKN service: register, tracking codes, the state machine per role, deadlines, masking, rating, reopening,
purge, e-mail through a real local SMTP server, and the numbers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import select

from hailong.analysis.periods import TZ, parse_period
from hailong.survey.models import AuditEvent, Organisation, PaknEvent, PaknItem, PaknMail, PaknStatus
from hailong.survey.services import pakn, pakn_mail

ADMIN = pakn.Actor("admin", "admin")
REVIEWER = pakn.Actor("reviewer", "reviewer")
MOTCUA = pakn.Actor("motcua-viewer", "viewer", "motcua")
SCHOOL = pakn.Actor("school-viewer", "viewer", "th-an-tuong")

AddItem = Callable[..., tuple[PaknItem, str | None]]


def _through_to_pending(db: SQLAlchemy, item: PaknItem, reply: str = "Phường đã bổ sung 20 ghế.") -> None:
    pakn.classify(item, REVIEWER, "accept")
    pakn.assign(item, REVIEWER, "motcua")
    pakn.save_draft(item, MOTCUA, reply, submit=True)
    db.session.commit()


def test_register_with_contact_gives_a_code_and_a_deadline(db: SQLAlchemy, add_item: AddItem) -> None:
    received = datetime(2026, 10, 1, 9, 0, tzinfo=TZ)
    item, code = add_item(when=received, contact_name="Trần Thị Bình", contact_email="binh@example.com",
                          consent=True)
    assert code is not None and len(code) == 10 and set(code) <= set(pakn.CODE_ALPHABET)
    assert pakn.format_code(code)[5] == "-"
    assert item.status == PaknStatus.NEW and item.tracking_hash != code
    # 15 calendar days from 1/10/2026 end on Friday 16/10 (Công điện 89/CĐ-TTg default).
    assert item.due_on == date(2026, 10, 16)
    assert item.contact_purge_on == date(2026, 12, 30)
    assert pakn.find_by_code(code.lower()) is item
    assert pakn.find_by_code(pakn.format_code(code).replace("0", "o")) is item
    events = db.session.scalars(select(PaknEvent).where(PaknEvent.item_id == item.id)).all()
    assert [e.action for e in events] == ["registered"]


def test_a_code_opens_only_its_own_item(db: SQLAlchemy, add_item: AddItem) -> None:
    first, first_code = add_item("Thứ nhất")
    second, second_code = add_item("Thứ hai")
    assert first_code != second_code
    assert pakn.find_by_code(first_code) is first
    assert pakn.find_by_code(second_code) is second
    assert pakn.find_by_code("ZZZZZ-ZZZZZ") is None
    assert pakn.find_by_code("not a code") is None


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"contact_phone": "0912 345 678"}, "consent"),
        ({"contact_email": "not-an-email", "consent": True}, "contact_email"),
        ({"contact_phone": "12", "consent": True}, "contact_phone"),
        ({"text": "   "}, "text"),
        ({"text": "x" * 2001}, "text"),
        ({"text": "Có ký tự\x00 ẩn"}, "text"),
        ({"category": "khong-co"}, "category"),
    ],
)
def test_register_refuses_with_the_field(
    db: SQLAlchemy, ward: Organisation, fields: dict[str, Any], field: str
) -> None:
    args: dict[str, Any] = {"ward": ward, "category": "thai_do", "text": "Cán bộ chưa nhiệt tình.",
                            "channel": "form", "received_at": datetime.now(UTC), "kind": "onestop", **fields}
    with pytest.raises(pakn.PaknError) as raised:
        pakn.register(pakn.Intake(**args))
    assert raised.value.field == field
    assert db.session.query(PaknItem).count() == 0


def test_the_same_form_sent_twice_is_one_item(db: SQLAlchemy, app: Flask, ward: Organisation) -> None:
    point = ward.points[0]
    key = pakn.issue_form_key(point.id)
    assert pakn.form_key_time(key, point.id) is not None
    assert pakn.form_key_time(key, point.id + 1) is None
    assert pakn.form_key_time(key + "x", point.id) is None
    intake = pakn.Intake(ward=ward, category="khac", text="Một lần thôi", channel="form",
                         received_at=datetime.now(UTC), point=point, form_key=key)
    first, code = pakn.register(intake)
    again, code_again = pakn.register(intake)
    assert again is first and code_again == code
    assert db.session.query(PaknItem).count() == 1


def test_whole_loop_by_roles(db: SQLAlchemy, add_item: AddItem) -> None:
    item, _code = add_item("Gọi tôi 0912 345 678, tôi là Nguyễn Văn An.", contact_name="Nguyễn Văn An",
                           contact_phone="0912345678", consent=True)
    assert pakn.allowed(item, REVIEWER) == ["accept", "reject", "transfer", "flag"]
    assert pakn.allowed(item, MOTCUA) == []
    with pytest.raises(pakn.NotAllowed):
        pakn.classify(item, MOTCUA, "accept")
    pakn.classify(item, REVIEWER, "accept", category="thai_do")
    assert item.category == "thai_do" and item.classification == "accepted"
    pakn.assign(item, REVIEWER, "motcua", date.today() + timedelta(days=3))
    assert item.status == PaknStatus.ASSIGNED and item.assigned_unit == "motcua"
    assert not pakn.can_see(SCHOOL, item, item.organisation_id)
    with pytest.raises(pakn.NotAllowed):
        pakn.save_draft(item, SCHOOL, "Không phải việc của tôi")
    pakn.save_draft(item, MOTCUA, "Đang xem xét")
    assert item.status == PaknStatus.IN_PROGRESS
    pakn.save_draft(item, MOTCUA, "Đã liên hệ ông Nguyễn Văn An qua 0912 345 678 và khắc phục.", submit=True)
    assert item.status == PaknStatus.PENDING
    with pytest.raises(pakn.NotAllowed):
        pakn.publish(item, REVIEWER, item.text, item.draft_reply or "")
    pakn.return_draft(item, ADMIN, "Cần nêu rõ ngày khắc phục")
    assert item.status == PaknStatus.IN_PROGRESS
    pakn.save_draft(item, MOTCUA, "Đã liên hệ ông Nguyễn Văn An qua 0912 345 678, khắc phục ngày 5/10.", submit=True)
    question, reply = pakn.masked(item, item.text), pakn.masked(item, item.draft_reply)
    assert "0912" not in question and "Nguyễn Văn An" not in question and "Văn An" not in reply
    pakn.publish(item, ADMIN, question, reply + " Liên hệ: vhxh@antuong.example")
    db.session.commit()
    assert item.status == PaknStatus.PUBLISHED
    assert item.published_reply is not None and "@" not in item.published_reply and "[đã ẩn]" in item.published_reply
    assert item.first_reply_on_time is True
    assert pakn.allowed(item, ADMIN) == ["close", "flag"]
    assert pakn.allowed(item, pakn.Actor.citizen()) == ["reopen", "rate"]
    actions = [e.action for e in pakn.history(item)]
    assert actions == ["registered", "accept", "assign", "draft", "submit", "return", "submit", "publish"]
    audited = db.session.scalars(select(AuditEvent.action).where(AuditEvent.target == f"pakn:{item.id}")).all()
    assert "pakn.publish" in audited and "pakn.assign" in audited
    with pytest.raises(pakn.PaknError):
        pakn.classify(item, REVIEWER, "accept")


def test_refuse_and_transfer_need_their_reason(db: SQLAlchemy, add_item: AddItem) -> None:
    refused, _ = add_item("Khiếu nại quyết định thu hồi đất")
    with pytest.raises(pakn.PaknError) as raised:
        pakn.classify(refused, REVIEWER, "transfer")
    assert raised.value.field == "agency"
    pakn.classify(refused, REVIEWER, "transfer", agency="Thanh tra tỉnh Tuyên Quang")
    assert refused.status == PaknStatus.TRANSFERRED and refused.agency == "Thanh tra tỉnh Tuyên Quang"
    other, _ = add_item("Quảng cáo")
    pakn.classify(other, REVIEWER, "reject", reason="Không phải phản ánh về dịch vụ của phường")
    assert other.classification == "rejected" and other.classification_note
    pakn.close(other, REVIEWER)
    assert other.status == PaknStatus.CLOSED


def test_rate_once_and_reopen_within_30_days(db: SQLAlchemy, add_item: AddItem) -> None:
    item, _ = add_item()
    _through_to_pending(db, item)
    pakn.publish(item, ADMIN, item.text, item.draft_reply or "")
    pakn.rate(item, satisfied=False, reason="Chưa thấy ghế mới")
    with pytest.raises(pakn.PaknError):
        pakn.rate(item, satisfied=True, reason="")
    assert item.status == PaknStatus.PUBLISHED  # a rating closes nothing
    assert item.published_at is not None
    late = item.published_at + timedelta(days=31)
    assert not pakn.reopen_open(item, late)
    with pytest.raises(pakn.PaknError):
        pakn.reopen(item, "muộn", late)
    pakn.reopen(item, "Vẫn thiếu ghế", item.published_at + timedelta(days=29))
    assert item.status == PaknStatus.REOPENED and item.reopen_count == 1
    assert "reopen" not in pakn.allowed(item, pakn.Actor.citizen())
    pakn.assign(item, REVIEWER, "motcua")
    pakn.save_draft(item, MOTCUA, "Đã thêm 20 ghế.", submit=True)
    pakn.publish(item, ADMIN, item.text, "Đã thêm 20 ghế.")
    assert item.rating is None and "rate" in pakn.allowed(item, pakn.Actor.citizen())


def test_deadline_follows_the_ward_rule_and_calendar(db: SQLAlchemy, ward: Organisation, add_item: AddItem) -> None:
    pakn.set_rule(ward.id, "admin", "thu_tuc", 5, True)
    pakn.set_calendar_day(ward.id, "admin", date(2027, 5, 4), False, "Sự kiện của phường")
    db.session.commit()
    # Received Thu 29/4/2027: 30/4, 1–3/5 off, 4/5 the ward's extra day off; five working days end Tue 11/5.
    item, _ = add_item(category="thu_tuc", when=datetime(2027, 4, 29, 10, 0, tzinfo=TZ))
    assert item.due_on == date(2027, 5, 11)
    assert pakn.rules(ward.id)["thu_tuc"] == pakn.Rule(5, True)
    assert pakn.rules(ward.id)["khac"] == pakn.DEFAULT_RULE


def test_purge_deletes_contact_and_is_audited(db: SQLAlchemy, app: Flask, ward: Organisation, add_item: AddItem,
                                              smtp_server: dict[str, Any]) -> None:
    app.config["HAILONG_SMTP_URL"] = smtp_server["url"]
    item, _ = add_item(contact_name="Lê Văn Cường", contact_email="cuong@example.com", consent=True,
                       when=datetime(2026, 1, 5, 9, 0, tzinfo=TZ))
    _through_to_pending(db, item)
    pakn.publish(item, ADMIN, item.text, "Đã xử lý.")
    db.session.commit()
    assert db.session.query(PaknMail).filter_by(purpose="citizen").count() == 1
    assert pakn.purge_contacts(ward.id, date(2026, 4, 4)) == 0
    assert pakn.purge_contacts(ward.id, date(2026, 4, 5)) == 1
    db.session.commit()
    assert item.contact_name is None and item.contact_email is None and item.contact_purged_at is not None
    assert db.session.query(PaknMail).filter_by(purpose="citizen").count() == 0
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "pakn.contact_purged")) is not None
    assert pakn.purge_contacts(ward.id, date(2026, 4, 6)) == 0


def test_mail_goes_out_after_commit_to_a_real_smtp_server(db: SQLAlchemy, app: Flask, add_item: AddItem,
                                                          smtp_server: dict[str, Any]) -> None:
    app.config["HAILONG_SMTP_URL"] = smtp_server["url"]
    item, _ = add_item("Gọi 0987654321", contact_email="dan@example.com", consent=True)
    _through_to_pending(db, item)
    assert pakn_mail.send_pending(item.organisation_id) == (1, 0)
    pakn.publish(item, ADMIN, pakn.masked(item, item.text), "Đã bổ sung ghế.")
    db.session.commit()
    assert pakn_mail.send_pending(item.organisation_id, item.id) == (1, 0)
    db.session.commit()
    to_unit, to_citizen = smtp_server["messages"]
    assert to_unit["To"] == "motcua@antuong.example" and f"/office/pakn/{item.id}" in to_unit.get_content()
    assert "0987654321" not in to_unit.get_content()
    assert to_citizen["To"] == "dan@example.com" and "Đã bổ sung ghế." in to_citizen.get_content()
    assert db.session.query(PaknMail).filter(PaknMail.sent_at.is_(None)).count() == 0


def test_a_failed_send_keeps_the_change_and_the_mail(db: SQLAlchemy, app: Flask, add_item: AddItem) -> None:
    app.config["HAILONG_SMTP_URL"] = "smtp://127.0.0.1:9"  # nothing listens there
    item, _ = add_item()
    pakn.classify(item, REVIEWER, "accept")
    pakn.assign(item, REVIEWER, "motcua")
    db.session.commit()
    assert pakn_mail.send_pending(item.organisation_id) == (0, 1)
    db.session.commit()
    row = db.session.query(PaknMail).one()
    assert row.sent_at is None and row.attempts == 1 and row.last_error
    assert db.session.get(PaknItem, item.id).status == PaknStatus.ASSIGNED


def test_without_smtp_nothing_is_queued(db: SQLAlchemy, add_item: AddItem) -> None:
    item, _ = add_item(contact_email="a@example.com", consent=True)
    _through_to_pending(db, item)
    pakn.publish(item, ADMIN, item.text, "Đã xử lý.")
    db.session.commit()
    assert db.session.query(PaknMail).count() == 0
    assert pakn_mail.send_pending() == (0, 0)


def test_digest_lists_overdue_items(db: SQLAlchemy, app: Flask, ward: Organisation, add_item: AddItem,
                                    smtp_server: dict[str, Any]) -> None:
    app.config["HAILONG_SMTP_URL"] = smtp_server["url"]
    late, _ = add_item(when=datetime(2026, 3, 2, 9, 0, tzinfo=TZ))
    pakn.classify(late, REVIEWER, "accept")
    pakn.assign(late, REVIEWER, "motcua", date(2026, 3, 10))
    db.session.commit()
    pakn_mail.send_pending()
    smtp_server["messages"].clear()
    assert pakn.queue_digest(ward.id, date(2026, 3, 20)) == 2  # the unit and the office (digest_all)
    pakn_mail.send_pending()
    db.session.commit()
    assert sorted(m["To"] for m in smtp_server["messages"]) == ["motcua@antuong.example", "vhxh@antuong.example"]
    assert all(f"/office/pakn/{late.id}" in m.get_content() for m in smtp_server["messages"])


def test_from_comment_keeps_the_link(db: SQLAlchemy, ward: Organisation) -> None:
    from hailong.survey.models import Submission
    from hailong.survey.services import questionnaires as qsvc
    from hailong.survey.services import responses as response_svc

    point = ward.points[0]
    version = qsvc.latest_version(point.kind)
    (rid,) = response_svc.write_many([response_svc.Draft(point=point, version=version, answers={},
                                                         submitted_at=datetime.now(UTC), comment="Máy lấy số hỏng.")])
    submission = db.session.get(Submission, rid)
    item, created = pakn.from_comment(ward, submission, "reviewer")
    again, created_again = pakn.from_comment(ward, submission, "reviewer")
    assert created and not created_again and again is item
    assert item.submission_id == rid and item.channel == "survey" and item.tracking_hash is None


def test_numbers_public_summary_and_published(db: SQLAlchemy, ward: Organisation, add_item: AddItem) -> None:
    q = datetime(2026, 7, 6, 9, 0, tzinfo=TZ)
    on_time, _ = add_item("Một", when=q)
    _through_to_pending(db, on_time)
    on_time.due_on = date.today() + timedelta(days=1)  # as if replied before the deadline
    pakn.publish(on_time, ADMIN, "Một", "Trả lời một")
    pakn.rate(on_time, satisfied=True, reason="")
    late, _ = add_item("Hai", when=q, category="thai_do")
    _through_to_pending(db, late)
    late.due_on = date(2020, 1, 1)  # as if the deadline had passed before the reply
    pakn.publish(late, ADMIN, "Hai", "Trả lời hai")
    open_late, _ = add_item("Ba", when=q)
    pakn.classify(open_late, REVIEWER, "accept")
    refused, _ = add_item("Bốn", when=q)
    pakn.classify(refused, REVIEWER, "reject", reason="Trùng")
    add_item("Năm", when=q, flag_reason="điền vào trường ẩn chống máy tự động")
    db.session.commit()
    found = pakn.stats(ward.id, parse_period("2026-Q3"), on=date(2026, 9, 30))
    totals = found["totals"]
    assert (totals["received"], totals["accepted"], totals["not_accepted"], totals["transferred"]) == (4, 3, 1, 0)
    assert (totals["replied"], totals["replied_on_time"], totals["on_time_pct"]) == (2, 1, 50.0)
    assert totals["overdue_now"] == 1
    assert totals["rating"] == {"n": 1, "satisfied": 1, "satisfied_pct": 100.0}
    assert totals["median_working_days"] is not None
    assert {row["category"]: row["received"] for row in found["by_category"]} == {"thai_do": 1, "co_so_vat_chat": 3}
    assert {row["unit"]: row["received"] for row in found["by_unit"]} == {"motcua": 2, None: 2}
    assert pakn.public_summary(ward, parse_period("2026-Q3"), on=date(2026, 9, 30)) | {"period": "x"} == {
        "period": "x", "received": 4, "replied": 2, "on_time": 1, "on_time_pct": 50.0, "overdue_now": 1,
        "median_working_days": totals["median_working_days"], "rating": totals["rating"]}
    rows, page, pages = pakn.published(ward)
    assert [r.question for r in rows] == ["Hai", "Một"] and (page, pages) == (1, 1)
    assert pakn.published(ward, category="thai_do")[0][0].reply == "Trả lời hai"
    assert pakn.published(ward, code="tram-y-te")[0] == []
    empty = pakn.stats(ward.id, parse_period("2025-Q1"))["totals"]
    assert empty["received"] == 0 and empty["on_time_pct"] is None and empty["median_working_days"] is None
