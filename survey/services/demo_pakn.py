"""A realistic quarter of PAKN items for the demo, in every state, seeded so every demo shows the same register.

Items go through the real state machine (services.pakn), then their times are moved back onto the simulated
timeline (received, classified, assigned, replied...), so the register, deadlines and numbers look lived-in.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select

from hailong.analysis.periods import TZ

from ..extensions import db
from ..models import Organisation, PaknEvent, PaknItem, ServicePoint
from . import pakn

TEXTS: dict[str, tuple[str, ...]] = {
    "thu_tuc": (
        "Tôi nộp hồ sơ đăng ký khai sinh cho con nhưng được yêu cầu bổ sung giấy tờ không có trong danh mục niêm yết.",
        "Đề nghị niêm yết rõ thời gian giải quyết thủ tục chứng thực bản sao.",
        "Hồ sơ chuyển quyền sử dụng đất của gia đình tôi đã quá hẹn trả kết quả 5 ngày, chưa được thông báo lý do.",
        "Mong được hướng dẫn nộp hồ sơ trực tuyến, tôi làm mãi không được. SĐT 0912 345 678.",
    ),
    "thai_do": (
        "Cán bộ quầy tiếp nhận trả lời cộc lốc, không hướng dẫn rõ ràng.",
        "Tôi muốn cảm ơn chị cán bộ quầy 1 đã hướng dẫn rất tận tình.",
        "Nhân viên bảo vệ yêu cầu người dân để xe ngoài đường, không có chỗ gửi.",
    ),
    "phi_le_phi": (
        "Tôi phải nộp thêm tiền photo hồ sơ tại quầy, không có biên lai.",
        "Đề nghị niêm yết mức lệ phí chứng thực ở cửa ra vào.",
    ),
    "co_so_vat_chat": (
        "Phòng chờ thiếu ghế, người già phải đứng lâu.",
        "Máy lấy số thứ tự hay bị hỏng vào buổi sáng.",
        "Nhà vệ sinh khu một cửa không có nước.",
        "Sân trường bị ngập sau mưa, học sinh đi lại khó khăn.",
    ),
    "kham_chua_benh": (
        "Buổi sáng chờ khám quá lâu, chỉ có một bác sĩ.",
        "Đề nghị trạm y tế có lịch tiêm chủng rõ ràng, thông báo qua Zalo.",
    ),
    "chi_phi": ("Tôi chưa rõ vì sao phải trả tiền xét nghiệm khi có bảo hiểm y tế.",),
    "day_hoc": (
        "Con tôi về kể lớp học thêm buổi chiều có thu tiền, mong nhà trường giải thích.",
        "Đề nghị nhà trường gửi kết quả học tập định kỳ cho phụ huynh.",
    ),
    "an_toan": ("Cổng trường giờ tan học xe cộ đông, đề nghị có người phân luồng.",),
    "khoan_thu": ("Các khoản thu đầu năm chưa được họp phụ huynh thống nhất.",),
    "khac": (
        "Đề nghị phường lắp thêm đèn chiếu sáng ngõ 12 tổ dân phố 3.",
        "Khiếu nại về quyết định xử phạt hành chính của đội trật tự đô thị.",
    ),
}
REPLIES: dict[str, str] = {
    "thu_tuc": "Phường đã rà soát hồ sơ, hướng dẫn bổ sung đúng danh mục niêm yết và hẹn trả kết quả; cán bộ đã "
               "xin lỗi Ông/Bà về việc chậm trễ.",
    "thai_do": "Phường đã làm việc với cán bộ liên quan, nhắc nhở về thái độ phục vụ và theo dõi trong quý này. "
               "Cảm ơn Ông/Bà đã phản ánh.",
    "phi_le_phi": "Phường đã niêm yết lại mức phí, lệ phí tại cửa ra vào và trên cổng thông tin điện tử; mọi khoản "
                  "thu đều có biên lai.",
    "co_so_vat_chat": "Phường đã bổ sung ghế chờ, sửa thiết bị và giao lịch vệ sinh hằng ngày; đơn vị sẽ kiểm tra "
                      "định kỳ.",
    "kham_chua_benh": "Trạm y tế đã bố trí thêm một bác sĩ khám buổi sáng và thông báo lịch tiêm chủng qua nhóm Zalo "
                      "của tổ dân phố.",
    "chi_phi": "Trạm y tế đã giải thích: xét nghiệm này nằm ngoài danh mục bảo hiểm y tế chi trả; bảng giá đã được "
               "niêm yết.",
    "day_hoc": "Nhà trường đã họp phụ huynh, dừng thu tiền lớp buổi chiều chưa được thống nhất và gửi kết quả học tập "
               "định kỳ.",
    "an_toan": "Nhà trường phối hợp với công an phường bố trí người phân luồng giờ tan học từ tuần này.",
    "khoan_thu": "Nhà trường đã tổ chức họp phụ huynh để thống nhất các khoản thu và công khai tại bảng tin.",
    "khac": "Phường đã ghi nhận và đưa vào kế hoạch lắp đèn chiếu sáng ngõ trong quý tới.",
}
AGENCIES = ("Thanh tra tỉnh Tuyên Quang", "Công an phường An Tường", "Sở Giáo dục và Đào tạo tỉnh Tuyên Quang")
NAMES = ("Nguyễn Văn Hùng", "Trần Thị Lan", "Lê Thị Hoa", "Phạm Văn Tuấn", "Hoàng Thị Mai")
CHANNELS = (("form", 0.55), ("phone", 0.12), ("paper", 0.1), ("email", 0.08), ("portal", 0.15))
DEMO_ITEMS = 72


def _moment(day: date, rng: random.Random) -> datetime:
    return datetime.combine(day, time(rng.randint(7, 16), rng.randint(0, 59)), tzinfo=TZ).astimezone(UTC)


#: The newest items, youngest first: every early state shows in the register.
RECENT = ("new", "new", "accepted", "assigned", "new", "in_progress", "accepted", "pending_approval", "assigned",
          "in_progress", "pending_approval", "published", "reopened", "published")
#: What became of older items.
OUTCOMES = (("published", 0.42), ("closed", 0.24), ("reopened", 0.06), ("in_progress", 0.08),
            ("pending_approval", 0.03), ("rejected", 0.07), ("transferred", 0.06), ("assigned", 0.04))


def generate(ward: Organisation, today: date, seed: int = 2026) -> int:
    """Add DEMO_ITEMS items received over the last 90 days, in every state; returns how many. Caller commits."""
    if db.session.scalar(select(func.count(PaknItem.id)).where(PaknItem.organisation_id == ward.id)):
        return 0
    rng = random.Random(seed)
    pakn.ensure_units_from_points(ward)
    for unit in pakn.units(ward.id):
        if unit.email is None:
            unit.email = f"{unit.code}@antuong.example"
    pakn.save_unit(ward.id, "demo", "vhxh", "Phòng Văn hóa - Xã hội", "vhxh@antuong.example", True)
    pakn.set_calendar_day(ward.id, "demo", today + timedelta(days=20 + (5 - today.weekday()) % 7), False,
                          "Nghỉ thêm theo quyết định của phường (ví dụ)")
    points = sorted(ward.points, key=lambda p: p.code)
    for n in range(DEMO_ITEMS):
        newest = DEMO_ITEMS - 1 - n
        age = int(90 * newest / DEMO_ITEMS)
        if newest < len(RECENT):
            target = RECENT[newest]
        else:
            target = rng.choices([t for t, _w in OUTCOMES], [w for _t, w in OUTCOMES])[0]
        _one(ward, rng, points, today, age, target)
    db.session.flush()
    return DEMO_ITEMS


def _one(ward: Organisation, rng: random.Random, points: list[ServicePoint], today: date, age: int,
         target: str) -> None:
    """One item received `age` days ago, walked through the state machine to `target`."""
    admin, reviewer = pakn.Actor("admin", "admin"), pakn.Actor("vhxh", "reviewer")
    point = rng.choice(points)
    category = rng.choice([c for c, _label in pakn.categories(point.kind)])
    if target == "transferred":
        category = "khac"
    channel = rng.choices([c for c, _w in CHANNELS], [w for _c, w in CHANNELS])[0]
    received = _moment(today - timedelta(days=age), rng)
    contact = rng.random() < 0.45
    name = rng.choice(NAMES) if contact else ""
    texts = TEXTS.get(category) or TEXTS["khac"]
    text = texts[-1] if target == "transferred" else rng.choice(texts[:-1] if category == "khac" else texts)
    if contact and rng.random() < 0.3:
        text += f" Tôi là {name}."
    item, _code = pakn.register(pakn.Intake(
        ward=ward, category=category, text=text, channel=channel, received_at=received, point=point,
        contact_name=name,
        contact_phone=f"09{rng.randint(10_000_000, 99_999_999)}" if contact and rng.random() < 0.6 else "",
        contact_email=f"nguoidan{rng.randint(1, 999)}@example.com" if contact and rng.random() < 0.5 else "",
        consent=contact, actor="demo", flag_reason="gửi quá nhanh (2 giây)" if rng.random() < 0.03 else None,
    ))
    unit = pakn.Actor(f"{point.unit}-viewer", "viewer", point.unit)
    timeline: list[datetime] = [received]
    span = max(age, 1)

    def at(share: float) -> datetime:
        """A moment `share` of the way from receipt to now, never in the future."""
        moment = received + timedelta(days=span * share, minutes=rng.randint(-90, 240))
        moment = min(max(moment, timeline[-1] + timedelta(minutes=5)), datetime.now(UTC) - timedelta(minutes=5))
        timeline.append(moment)
        return moment

    if target == "new":
        return _retime(item, timeline)
    if target in ("rejected", "transferred"):
        if target == "rejected":
            pakn.classify(item, reviewer, "reject", reason="Nội dung trùng với phản ánh đã được trả lời")
        else:
            pakn.classify(item, reviewer, "transfer", agency=rng.choice(AGENCIES))
        item.classified_at = at(0.1)
        if age > 30 and rng.random() < 0.5:
            pakn.close(item, reviewer)
            item.closed_at = at(0.3)
        return _retime(item, timeline)
    pakn.classify(item, reviewer, "accept")
    item.classified_at = at(0.1)
    if target == "accepted":
        return _retime(item, timeline)
    pakn.assign(item, reviewer, point.unit)
    item.assigned_at = at(0.2)
    if target == "assigned":
        return _retime(item, timeline)
    if target == "in_progress":
        pakn.save_draft(item, unit, "")
        item.drafted_at = at(0.4)
        return _retime(item, timeline)
    pakn.save_draft(item, unit, REPLIES.get(category, REPLIES["khac"]), submit=True)
    item.drafted_at = at(0.5)
    if target == "pending_approval":
        return _retime(item, timeline)
    pakn.publish(item, admin, pakn.masked(item, item.text), pakn.masked(item, item.draft_reply))
    # Most replies come within the deadline; about one in six comes late.
    late = rng.random() < 0.17
    reply_day = min(age, (item.due_on - received.astimezone(TZ).date()).days + (rng.randint(1, 6) if late else
                                                                                  -rng.randint(0, 6)))
    replied = min(received + timedelta(days=max(reply_day, 1), hours=2), datetime.now(UTC) - timedelta(minutes=10))
    timeline.append(replied)
    item.published_at = item.first_replied_at = replied
    item.first_reply_on_time = pakn.local_date(replied) <= item.due_on
    since = (datetime.now(UTC) - replied).days
    if target == "reopened" or (rng.random() < 0.7 and since >= 1):
        satisfied = target != "reopened" and rng.random() < 0.72
        pakn.rate(item, satisfied, "" if satisfied else "Trả lời chung chung, chưa có thời gian khắc phục cụ thể")
        item.rated_at = replied + timedelta(hours=20)
        timeline.append(item.rated_at)
    if target == "reopened" and since < pakn.REOPEN_DAYS:
        pakn.reopen(item, "Đến nay vẫn chưa được khắc phục", replied + timedelta(days=1))
        item.reopened_at = replied + timedelta(days=1)
        timeline.append(item.reopened_at)
    elif target == "closed" and since > 3:
        pakn.close(item, reviewer)
        item.closed_at = replied + timedelta(days=min(since - 1, 10))
        timeline.append(item.closed_at)
    return _retime(item, timeline)


def _retime(item: PaknItem, timeline: list[datetime]) -> None:
    """Put the item's history on its simulated timeline (the events were written with today's time)."""
    db.session.flush()
    events = list(db.session.scalars(select(PaknEvent).where(PaknEvent.item_id == item.id)
                                     .order_by(PaknEvent.id)))
    moments = sorted(timeline)
    for i, event in enumerate(events):
        event.at = moments[min(i, len(moments) - 1)]
