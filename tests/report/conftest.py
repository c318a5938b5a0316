"""Report fixtures: realistic responses written the way the application writes them."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from flask_sqlalchemy import SQLAlchemy

from hailong.analysis.periods import TZ
from hailong.survey.services import questionnaires as qsvc
from hailong.survey.services.demo import synthetic_answers
from hailong.survey.services.responses import Draft, write_many
from tests.fixtures.report import Seeder


@pytest.fixture
def seed(db: SQLAlchemy, demo_points: list[Any]) -> Seeder:
    """seed(start, end, per_point={code: n}, comments={code: [...]}, flagged_comments=[...]) writes and commits."""

    def _seed(
        start: date,
        end: date,
        per_point: dict[str, int],
        *,
        comments: dict[str, Sequence[str]] | None = None,
        flagged: dict[str, Sequence[str]] | None = None,
        mood: float = 4.2,
        seed: int = 7,
    ) -> int:
        rng = random.Random(seed)
        points = {p.code: p for p in demo_points}
        drafts: list[Draft] = []
        days = (end - start).days
        for code, n in per_point.items():
            point = points[code]
            version = qsvc.latest_version(point.kind)
            q = qsvc.definition(version)
            texts = list((comments or {}).get(code, ()))
            bad = list((flagged or {}).get(code, ()))
            for i in range(n + len(bad)):
                day = start + timedelta(days=rng.randrange(days))
                moment = datetime.combine(day, time(8 + i % 9, i % 60), tzinfo=TZ)
                is_flagged = i >= n
                comment = bad[i - n] if is_flagged else (texts[i] if i < len(texts) else None)
                drafts.append(
                    Draft(
                        point=point,
                        version=version,
                        answers=synthetic_answers(rng, q, mood + rng.gauss(0, 0.5)),
                        submitted_at=moment,
                        comment=comment,
                        channel=rng.choices(["qr", "paper", "kiosk"], [0.7, 0.25, 0.05])[0],
                        flag_reason="Nghi trùng lặp" if is_flagged else None,
                    )
                )
        write_many(drafts)
        db.session.commit()
        return len(drafts)

    return _seed
