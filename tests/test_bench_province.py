"""bench.province's bulk loader stores exactly what the app stores (PostgreSQL only: it loads with COPY)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fixtures.database import USE_PG


@pytest.mark.skipif(not USE_PG, reason="bench.province loads with PostgreSQL's COPY")
def test_province_bulk_rows_equal_write_many_rows(db: Any) -> None:
    """Every kind's sample, loaded column by column from the table metadata, equals write_many's rows."""
    from sqlalchemy import func, select

    from bench import province
    from hailong.survey.models import Organisation, ServicePoint

    built = province.setup_province(3, 12, first=1)  # the fixture already has An Tường
    assert set(built["layouts"]) == {"onestop", "health", "education"}
    assert db.session.scalar(select(func.count()).select_from(Organisation).where(
        Organisation.province == province.PROVINCE)) >= 3
    assert db.session.scalar(select(func.count()).select_from(ServicePoint)) >= 12
    province.check_sample(province.Loader(), built["layouts"], built["ward_of_point"])  # raises on any difference
    # The ward of each row (for the organisation_id columns) is its point's ward.
    layout = built["layouts"]["health"]
    (chunk,) = province.build_db.generate(layout, 50, seed=3, chunk=50)
    rows = province.Rows(layout, chunk, built["ward_of_point"])
    wards = {p.id: p.organisation_id for p in db.session.scalars(select(ServicePoint))}
    assert rows.ward_ids.tolist() == [wards[p] for p in rows.point_ids.tolist()]
    assert rows.answer_ward.tolist() == [wards[p] for p in rows.answer_column("point_id").tolist()]
