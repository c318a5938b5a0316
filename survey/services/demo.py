"""Realistic synthetic responses for the demo: seeded, so every demo shows the same numbers."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from hailong.analysis.periods import TZ
from hailong.forms.encoding import Answers
from hailong.forms.questionnaire import NO_OPINION, Questionnaire, QuestionType

from ..models import Channel, QuestionnaireVersion, ServicePoint
from .responses import Draft, write_many

COMMENTS = {
    "onestop": (
        "Cán bộ hướng dẫn tận tình, dễ hiểu. Cảm ơn!",
        "Phòng chờ hơi nóng vào buổi trưa, đề nghị lắp thêm quạt.",
        "Thủ tục nhanh hơn năm ngoái nhiều.",
        "Mong có thêm chỗ để xe cho người dân.",
        "Nên niêm yết phí, lệ phí rõ hơn ở cửa ra vào.",
        "Tôi phải đi lại hai lần vì thiếu giấy tờ, mong được hướng dẫn đầy đủ ngay từ đầu.",
        "Máy lấy số thứ tự hay bị lỗi.",
        "Rất hài lòng, không có ý kiến gì thêm.",
    ),
    "health": (
        "Nhân viên y tế nhiệt tình, chu đáo với người già.",
        "Nhà vệ sinh cần được dọn thường xuyên hơn.",
        "Thời gian chờ khám buổi sáng còn lâu.",
        "Bác sĩ giải thích bệnh rõ ràng, dễ hiểu.",
        "Mong trạm có thêm ghế ngồi chờ và nước uống.",
    ),
    "education": (
        "Cô giáo quan tâm đến các cháu, gia đình rất yên tâm.",
        "Đề nghị nhà trường thông báo sớm hơn các khoản thu đầu năm.",
        "Sân chơi cần thêm bóng mát vào mùa hè.",
        "Nhà trường liên lạc với phụ huynh kịp thời qua Zalo.",
        "Mong có thêm hoạt động ngoại khóa cho các cháu.",
    ),
}


def _answer(rng: random.Random, mood: float, skip: float, no_opinion: float, spread: float) -> int | None:
    roll = rng.random()
    if roll < skip:
        return None
    if roll < skip + no_opinion:
        return NO_OPINION
    return max(1, min(5, round(mood + rng.gauss(0, spread))))


def synthetic_answers(
    rng: random.Random,
    q: Questionnaire,
    mood: float,
    *,
    skip: float = 0.03,
    no_opinion: float = 0.04,
    spread: float = 0.6,
    extra_payment: float = 0.03,
) -> Answers:
    """One plausible respondent: statements scattered around a mood (1..5), the other questions filled in."""
    answers: Answers = {}
    for element in q.elements:
        element_mood = mood + rng.gauss(0, 0.25)
        for st in element.statements:
            value = _answer(rng, element_mood, skip, no_opinion, spread)
            if value is not None:
                answers[st.code] = value
    for question in q.questions:
        if question.type == QuestionType.SCALE:
            answers[question.code] = max(1, min(5, round(mood + rng.gauss(0, 0.5))))
        elif question.type == QuestionType.CHOICE and rng.random() < 0.85:
            # Early options are the common answers ("one visit", "on time", "no" to extra payment...).
            weights = [0.7**i for i in range(len(question.options))]
            if question.code in ("extra_payment", "harassment"):
                weights = [extra_payment, 0.93 - extra_payment, 0.07][: len(question.options)]
            answers[question.code] = rng.choices(range(1, len(question.options) + 1), weights)[0]
        elif question.type == QuestionType.MULTI and rng.random() < 0.7:
            k = rng.randint(1, 3)
            answers[question.code] = sorted(rng.sample(range(1, len(question.options) + 1), k))
        elif question.type == QuestionType.NUMBER and rng.random() < 0.8:
            assert question.max is not None
            answers[question.code] = max(0, min(question.max, round(rng.gauss(60 + 10 * mood, 15))))
    return answers


def generate(
    points: list[ServicePoint],
    versions: dict[str, tuple[QuestionnaireVersion, Questionnaire]],
    today: date,
    seed: int = 2026,
    start: date | None = None,
) -> int:
    """Write responses from the start of the quarter a year before `today` up to today."""
    rng = random.Random(seed)
    start = start or date(today.year - 1, ((today.month - 1) // 3) * 3 + 1, 1)
    days = (today - start).days + 1
    drafts: list[Draft] = []
    for index, point in enumerate(points):
        version, q = versions[point.kind]
        base = {"onestop": 4.2, "health": 4.45, "education": 4.55}[point.kind] + (index % 3 - 1) * 0.15
        per_day = {"onestop": 1.6, "health": 1.2, "education": 0.9}[point.kind]
        for offset in range(days):
            day = start + timedelta(days=offset)
            if day.weekday() >= 5:
                continue
            trend = 0.35 * offset / days  # service improves over the year
            for _ in range(int(per_day + rng.random())):
                moment = datetime.combine(day, time(rng.randint(7, 16), rng.randint(0, 59)), tzinfo=TZ)
                mood = base + trend + rng.gauss(0, 0.55)
                comment = rng.choice(COMMENTS[point.kind]) if rng.random() < 0.12 else None
                channel = rng.choices([Channel.QR, Channel.PAPER, Channel.KIOSK], [0.75, 0.2, 0.05])[0]
                drafts.append(
                    Draft(
                        point=point,
                        version=version,
                        answers=synthetic_answers(rng, q, mood),
                        submitted_at=moment,
                        comment=comment,
                        channel=channel.value,
                    )
                )
    for i in range(0, len(drafts), 1000):
        write_many(drafts[i : i + 1000])
    return len(drafts)
