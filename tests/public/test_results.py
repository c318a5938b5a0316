"""/cong-khai, its JSON and CSV: the figures equal `hailong indices`, nothing under the minimum n, nothing private."""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
from collections.abc import Callable
from html import unescape
from typing import Any

import pytest
from flask import Flask, render_template_string
from flask.testing import FlaskClient, FlaskCliRunner

from hailong.analysis.formatting import fmt_ci, fmt_int, fmt_num, fmt_pct
from hailong.analysis.planner import about
from hailong.survey.services import publication
from tests.public.conftest import FLAG_REASON, PRIVATE

KEYS_ALLOWED = {
    "schema", "source", "ward", "code", "name", "province", "updated_at", "method", "index", "ci95", "excluded",
    "kinds", "kind", "min_n", "live", "target", "periods", "trend", "period", "status", "start", "end", "through",
    "published", "responses", "overall", "ci_method", "elements", "label", "label_en", "points", "met", "gap", "pakn",
    "call", "more",
    # PAKN: counts of the period and the published replies (masked), never a contact or a tracking code.
    "min_ratings", "received", "replied", "replied_on_time", "on_time_pct", "overdue_now", "median_working_days",
    "rating", "n", "satisfied", "satisfied_pct", "latest", "id", "category", "point_name", "received_on",
    "published_on", "question", "reply", "shortened", "reopened",
}


def indices(runner: FlaskCliRunner, *args: str) -> dict[str, Any]:
    result = runner.invoke(args=["indices", "--json", *args])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert isinstance(data, dict)
    return data


def data(client: FlaskClient) -> dict[str, Any]:
    response = client.get("/cong-khai/du-lieu.json")
    assert response.status_code == 200
    return json.loads(response.get_data(as_text=True))  # type: ignore[no-any-return]


def kind_of(doc: dict[str, Any], kind: str) -> dict[str, Any]:
    return next(k for k in doc["kinds"] if k["kind"] == kind)


def period_of(doc: dict[str, Any], kind: str, label: str) -> dict[str, Any]:
    return next(p for p in kind_of(doc, kind)["periods"] if p["period"] == label)


def text_of(html: str) -> str:
    """The page's text, tags removed and whitespace collapsed."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def row_of(html: str, name: str) -> str:
    """The text of the table row whose header is `name`."""
    for row in re.findall(r"<tr>.*?</tr>", html, flags=re.S):
        if f'<th scope="row">{name}</th>' in row:
            return text_of(row)
    raise AssertionError(f"no row {name!r}")


@pytest.mark.parametrize(("kind", "label"), [("onestop", "2026-Q4"), ("onestop", "2026-Q3"), ("health", "2026-Q3")])
def test_page_and_json_equal_the_indices_command(client: FlaskClient, runner: FlaskCliRunner, world: Any,
                                                 kind: str, label: str) -> None:
    cli = indices(runner, "--period", label, "--kind", kind)
    published = period_of(data(client), kind, label)
    assert published["published"] is True
    assert published["responses"] == cli["responses"]
    assert published["overall"]["index"] == cli["overall"]["index"]
    assert published["overall"]["ci95"] == cli["overall"]["ci95"]
    assert published["overall"]["ci_method"] == cli["overall"]["ci_method"]
    cli_elements = {e["code"]: e for e in cli["elements"]}
    for element in published["elements"]:
        theirs = cli_elements[element["code"]]
        assert (element["index"], element["ci95"], element["responses"]) == (
            theirs["index"], theirs["ci95"], theirs["responses"])
    html = client.get("/cong-khai").get_data(as_text=True)
    page = text_of(html)
    assert f"{fmt_pct(cli['overall']['index'])} hài lòng" in page
    assert f"Khoảng tin cậy 95%: {fmt_ci(cli['overall']['ci95'])} · {fmt_int(cli['responses'])} phiếu" in page
    for element in cli["elements"]:
        assert f"{fmt_pct(element['index'])} {fmt_ci(element['ci95'])} n = {fmt_int(element['responses'])}" in page


@pytest.mark.parametrize(("point", "label"), [("mc-1", "2026-Q4"), ("mc-1", "2026-Q3"), ("mc-2", "2026-Q3"),
                                              ("tram-y-te", "2026-Q3")])
def test_point_figures_equal_the_indices_command(client: FlaskClient, runner: FlaskCliRunner, world: Any,
                                                 point: str, label: str) -> None:
    cli = indices(runner, "--period", label, "--point", point)
    kind = cli["kind"]
    row = next(p for p in period_of(data(client), kind, label)["points"] if p["code"] == point)
    assert row["published"] is True
    assert (row["index"], row["ci95"], row["responses"]) == (
        cli["overall"]["index"], cli["overall"]["ci95"], cli["responses"])
    html = client.get("/cong-khai").get_data(as_text=True)
    name = row["name"]
    assert f"{fmt_pct(cli['overall']['index'])} {fmt_ci(cli['overall']['ci95'])} n = {cli['responses']}" in row_of(
        html, name)


def test_csv_holds_the_json_figures(client: FlaskClient, world: Any) -> None:
    doc = data(client)
    response = client.get("/cong-khai/du-lieu.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    overall = next(r for r in rows if r["period"] == "2026-Q4" and r["kind"] == "onestop" and not r["point"]
                   and r["element"] == "overall")
    q4 = period_of(doc, "onestop", "2026-Q4")
    assert float(overall["index"]) == q4["overall"]["index"]
    assert [float(overall["ci95_low"]), float(overall["ci95_high"])] == q4["overall"]["ci95"]
    assert int(overall["responses"]) == q4["responses"]
    mc1 = next(r for r in rows if r["period"] == "2026-Q4" and r["point"] == "mc-1")
    assert float(mc1["index"]) == next(p for p in q4["points"] if p["code"] == "mc-1")["index"]
    # Only published figures: mc-2's 12 answers of 2026-Q4 and health's 20 are not in it.
    assert not [r for r in rows if r["period"] == "2026-Q4" and r["point"] == "mc-2"]
    assert not [r for r in rows if r["period"] == "2026-Q4" and r["kind"] == "health"]
    health_q3 = next(r for r in rows if r["period"] == "2026-Q3" and r["kind"] == "health" and not r["point"]
                     and r["element"] == "overall")
    call = period_of(doc, "health", "2026-Q3")["target"]["call"]
    assert health_q3["target"] == "90.0" and health_q3["target_call"] == call
    assert health_q3["target_met"] == {"met": "true", "not_met": "false", "undecided": ""}[call]


def test_under_the_minimum_n_no_number_is_shown(client: FlaskClient, runner: FlaskCliRunner, world: Any) -> None:
    doc = data(client)
    mc2 = next(p for p in period_of(doc, "onestop", "2026-Q4")["points"] if p["code"] == "mc-2")
    assert mc2 == {"code": "mc-2", "name": mc2["name"], "published": False}
    health_q4 = period_of(doc, "health", "2026-Q4")
    assert health_q4["published"] is False
    assert not {"responses", "overall", "elements", "target"} & set(health_q4)
    tram = next(p for p in health_q4["points"] if p["code"] == "tram-y-te")
    assert tram == {"code": "tram-y-te", "name": tram["name"], "published": False}

    html = client.get("/cong-khai").get_data(as_text=True)
    cells = row_of(html, mc2["name"])
    assert "chưa đủ phiếu để công bố" in cells
    # The Q3 figure is shown, the Q4 one (12 answers) is not: one percentage and one n in the row.
    assert len(re.findall(r"\d+,\d\d%", cells)) == 1 and cells.count("n = ") == 1
    hidden = indices(runner, "--period", "2026-Q4", "--point", "mc-2")["overall"]
    assert f"{fmt_pct(hidden['index'])} {fmt_ci(hidden['ci95'])}" not in text_of(html)
    health = html.split('id="health"')[1].split("</section>")[0]
    q4_block = health.split("Quý IV/2026")[1].split('<div class="period">')[0]
    assert "Chưa đủ phiếu để công bố" in q4_block and "%" not in text_of(q4_block)
    assert "Kết quả được công bố khi có từ 30 phiếu trở lên." in text_of(q4_block)


def test_a_higher_minimum_hides_more(client: FlaskClient, world: Any, publish: Callable[..., None],
                                     clock: Any) -> None:
    publish(onestop=(True, True, 100))
    clock.advance(60)
    q3 = period_of(data(client), "onestop", "2026-Q3")
    assert q3["published"] is True and q3["responses"] == 100
    assert [p["published"] for p in q3["points"]] == [False, False, False]  # mc-1 60, mc-2 40, mc-3 none


def test_nothing_private_leaves(client: FlaskClient, world: Any) -> None:
    outputs = {
        "page": client.get("/cong-khai").get_data(as_text=True),
        "page_en": client.get("/cong-khai?lang=en").get_data(as_text=True),
        "widget": client.get("/cong-khai/nhung").get_data(as_text=True),
        "json": client.get("/cong-khai/du-lieu.json").get_data(as_text=True),
        "csv": client.get("/cong-khai/du-lieu.csv").get_data(as_text=True),
    }
    for name, body in outputs.items():
        for secret in (PRIVATE, "0912345678", "riengtu", FLAG_REASON):
            assert secret not in body, (name, secret)
        # Education is not published: none of its points is named anywhere.
        assert "Trường Tiểu học An Tường" not in body, name
    doc = json.loads(outputs["json"])

    def keys(node: Any) -> set[str]:
        if isinstance(node, dict):
            return set(node) | {k for v in node.values() for k in keys(v)}
        if isinstance(node, list):
            return {k for v in node for k in keys(v)}
        return set()

    # Aggregates only: no answers, distributions, statements, comments or expectations.
    assert keys(doc) <= KEYS_ALLOWED, keys(doc) - KEYS_ALLOWED
    assert [k["kind"] for k in doc["kinds"]] == ["onestop", "health"]
    # No PAKN item yet: the section has zero counts and no reply.
    assert doc["pakn"]["published"] == 0 and doc["pakn"]["latest"] == []
    assert [p["received"] for p in doc["pakn"]["periods"]] == [0, 0]


def test_flagged_responses_are_not_counted(client: FlaskClient, world: Any) -> None:
    # mc-1 has 45 counted and 2 flagged answers in 2026-Q4.
    q4 = period_of(data(client), "onestop", "2026-Q4")
    assert next(p for p in q4["points"] if p["code"] == "mc-1")["responses"] == 45


def test_fresh_install_publishes_nothing(app: Flask, client: FlaskClient, clock: Any, add: Callable[..., Any]) -> None:
    with app.app_context():
        from hailong.survey.extensions import db
        from hailong.survey.models import Organisation
        from hailong.survey.services import points as point_svc

        point_svc.ensure_demo_points(db.session.query(Organisation).one())
        db.session.commit()
    add("mc-1", 40, clock_day(clock))
    html = client.get("/cong-khai").get_data(as_text=True)
    assert "Phường chưa công bố kết quả khảo sát." in html
    assert not re.search(r"\d+,\d\d%", html)
    assert data(client)["kinds"] == []
    assert "Phường chưa công bố kết quả khảo sát." in client.get("/cong-khai/nhung").get_data(as_text=True)


def clock_day(clock: Any) -> Any:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(clock.now, UTC)


def test_closed_quarters_only(client: FlaskClient, world: Any, publish: Callable[..., None], clock: Any) -> None:
    publish(onestop=(True, False, 30))
    clock.advance(60)
    onestop = kind_of(data(client), "onestop")
    assert [p["period"] for p in onestop["periods"]] == ["2026-Q3"]
    assert [t["period"] for t in onestop["trend"]] == ["2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2",
                                                       "2026-Q3"]
    html = client.get("/cong-khai").get_data(as_text=True)
    section = html.split('id="onestop"')[1].split("</section>")[0]
    assert "Quý IV/2026" not in section and "tạm tính" not in section


def test_trend_and_target(client: FlaskClient, world: Any) -> None:
    health = kind_of(data(client), "health")
    assert health["target"] == 90.0
    assert [t["period"] for t in health["trend"]][-2:] == ["2026-Q3", "2026-Q4"]
    q3 = period_of(data(client), "health", "2026-Q3")
    assert health["trend"][-2] == {"period": "2026-Q3", "index": q3["overall"]["index"], "responses": 50}
    assert health["trend"][-1] == {"period": "2026-Q4", "index": None, "responses": None}  # 20 < 30
    assert kind_of(data(client), "onestop")["target"] is None
    html = client.get("/cong-khai").get_data(as_text=True)
    health_html = html.split('id="health"')[1].split("</section>")[0]
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in health_html and "<desc" in health_html
    # The target is read with the interval, as the office reads it: never the point estimate alone.
    low, high = q3["overall"]["ci95"]
    target = q3["target"]
    assert target["target"] == 90.0
    expected = "met" if low >= 90 else "not_met" if high < 90 else "undecided"
    assert target["call"] == expected
    assert target["met"] == {"met": True, "not_met": False, "undecided": None}[expected]
    wording = {"met": "Đạt mục tiêu 90%: cả khoảng tin cậy 95% từ 90% trở lên",
               "not_met": "Chưa đạt mục tiêu 90%: cả khoảng tin cậy 95% dưới 90%",
               "undecided": "Chưa đủ cơ sở kết luận về mục tiêu 90%"}[expected]
    assert wording in text_of(health_html)


@pytest.mark.parametrize(("index", "ci", "call", "met", "words"), [
    (93.0, [90.5, 95.5], "met", True, "Đạt mục tiêu 90%: cả khoảng tin cậy 95% từ 90% trở lên"),
    (85.0, [80.0, 89.0], "not_met", False, "Chưa đạt mục tiêu 90%: cả khoảng tin cậy 95% dưới 90%"),
    (91.0, [87.0, 94.0], "undecided", None, "Chưa đủ cơ sở kết luận về mục tiêu 90%: cao hơn mục tiêu 1,00 điểm "
                                            "nhưng khoảng tin cậy 95% còn chứa mức 90%"),
    (88.0, [84.0, 92.0], "undecided", None, "Chưa đủ cơ sở kết luận về mục tiêu 90%: thấp hơn mục tiêu 2,00 điểm "
                                            "nhưng khoảng tin cậy 95% còn chứa mức 90%; cần thêm khoảng"),
])
def test_the_target_wording_follows_the_interval(app: Flask, index: float, ci: list[float], call: str,
                                                 met: bool | None, words: str) -> None:
    """Each call's wording, from a period as the snapshot holds it (the point estimate alone never decides)."""
    status = publication.target_status("health", index, ci, 120)
    assert status is not None and (status["call"], status["met"]) == (call, met)
    with app.test_request_context("/cong-khai"):
        html = render_template_string(
            '{% from "public/_target.html" import target_line with context %}{{ target_line(p) }}',
            p={"overall": {"index": index, "ci95": ci}, "target": status}, pct=fmt_pct, num=fmt_num, count=fmt_int,
            about=about)
    assert words in text_of(html)
    assert publication.target_status("onestop", index, ci, 120) is None


def test_english(client: FlaskClient, world: Any) -> None:
    response = client.get("/cong-khai?lang=en")
    html = response.get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "Satisfaction survey results" in html
    assert "Access to services" in html or "Access" in html
    assert "Set-Cookie" not in response.headers
    # The Vietnamese page is unchanged by an English visit (no session involved).
    assert '<html lang="vi">' in client.get("/cong-khai").get_data(as_text=True)


def test_headers_gzip_etag_and_cors(client: FlaskClient, world: Any) -> None:
    plain = client.get("/cong-khai")
    assert plain.headers["Cache-Control"] == "public, max-age=20"
    assert "Set-Cookie" not in plain.headers
    zipped = client.get("/cong-khai", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.get_data()) == plain.get_data()
    assert zipped.headers["ETag"] != plain.headers["ETag"]
    again = client.get("/cong-khai", headers={"Accept-Encoding": "gzip", "If-None-Match": zipped.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    for path in ("/cong-khai/du-lieu.json", "/cong-khai/du-lieu.csv"):
        response = client.get(path, headers={"Origin": "https://bao.example.vn"})
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert response.headers["Cache-Control"] == "public, max-age=20"
        preflight = client.options(path, headers={"Origin": "https://bao.example.vn",
                                                  "Access-Control-Request-Method": "GET"})
        assert preflight.headers["Access-Control-Allow-Origin"] == "*"
        assert "GET" in preflight.headers["Access-Control-Allow-Methods"]
    assert "Access-Control-Allow-Origin" not in plain.headers
    assert client.head("/cong-khai").status_code == 200


def test_unknown_query_and_methods(client: FlaskClient, world: Any) -> None:
    assert client.get("/cong-khai?lang=xx&utm_source=zalo").status_code == 200
    assert client.post("/cong-khai").status_code == 405
    assert client.get("/cong-khai/khong-co").status_code == 404
