"""Every join between two ward tables carries the ward: `a.organisation_id = b.organisation_id` beside the key.

Citus (README, "Beyond one machine") runs a join of two distributed tables on one shard only when the join says the
distribution column is equal on both sides. Every SQL statement is captured while ward B's admin walks every office
route (GET and POST), the province account opens ward B, the public pages, the citizen form, a report, the exports,
`hailong indices` and `hailong sdg` run on a two-ward database; each equality between columns of two ward tables
(tables with an `organisation_id` column, from the models' metadata) must come with the ward's equality in the same
ON clause.

The reader is a regular expression over the SQL the driver gets, not a parser. What it cannot see:
* a join to a derived table (a subquery, CTE or VALUES list named `anon_1`), even if its rows come from a ward table;
* a join written without `=` between two columns (`a.x >= b.y`, `IN (SELECT …)`, `USING`, `NATURAL JOIN`);
* outside ON clauses (a correlated subquery, `FROM a, b WHERE …`) the ward's equality may be anywhere else in the
  statement, not necessarily in the same WHERE;
* statements the walk does not run (the kiosk, PAKN by e-mail, the worker's jobs, other commands): their code is
  written the same way, but only what runs here is checked.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, update

from hailong.survey.extensions import db as _db
from hailong.survey.models import Submission
from hailong.survey.services import publication, reports
from tests.fixtures.office import sign_in, token
from tests.tenancy.conftest import ALL_PASSWORDS, Wards, office_requests

#: Every table with a ward column, from the models.
WARD_TABLES = frozenset(t.name for t in _db.metadata.tables.values() if "organisation_id" in t.c)

_LITERAL = re.compile(r"'(?:[^']|'')*'")
_NAME = r'"?(\w+)"?'
#: "answers AS sdg_gender": SQLAlchemy always writes AS before a table's alias (a column's label follows a dot).
_ALIAS = re.compile(rf'(?<![\w."]){_NAME}\s+AS\s+{_NAME}', re.IGNORECASE)
_EQUAL = re.compile(rf"{_NAME}\.{_NAME}\s*=\s*{_NAME}\.{_NAME}")
_ON = re.compile(r"\bON\b(?!\s+CONFLICT\b)", re.IGNORECASE)
#: What ends an ON clause at its own depth of parentheses.
_ON_END = re.compile(r",|\b(?:(?:LEFT|RIGHT|FULL|INNER|CROSS)\s+(?:OUTER\s+)?)?JOIN\b|\b(?:WHERE|GROUP\s+BY|ORDER\s+BY|"
                     r"HAVING|LIMIT|OFFSET|UNION|EXCEPT|INTERSECT|RETURNING|WINDOW)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Join:
    """Two ward tables' rows matched by an equality of their columns, and whether the ward's equality is beside it."""

    tables: frozenset[str]
    warded: bool
    what: str


def _on_clauses(sql: str) -> list[tuple[int, int]]:
    """(start, end) of each ON clause's condition."""
    spans = []
    for found in _ON.finditer(sql):
        depth, i = 0, found.end()
        while i < len(sql):
            if sql[i] == "(":
                depth += 1
            elif sql[i] == ")":
                if depth == 0:
                    break
                depth -= 1
            elif depth == 0 and _ON_END.match(sql, i):
                break
            i += 1
        spans.append((found.end(), i))
    return spans


def joins(sql: str) -> list[Join]:
    """The matches between two ward tables' rows in one statement: each ON clause on its own, the rest together."""
    sql = _LITERAL.sub("''", sql)
    aliases = {name: name for name in WARD_TABLES}
    aliases.update({alias: table for table, alias in _ALIAS.findall(sql) if table in WARD_TABLES})
    spans = _on_clauses(sql)
    rest = sql
    for start, end in spans:
        rest = rest[:start] + " " * (end - start) + rest[end:]
    found = []
    for scope in [sql[start:end] for start, end in spans] + [rest]:
        linked: dict[frozenset[str], str] = {}
        warded: set[frozenset[str]] = set()
        for a, a_column, b, b_column in _EQUAL.findall(scope):
            if a == b or a not in aliases or b not in aliases:
                continue
            pair = frozenset((a, b))
            if a_column == b_column == "organisation_id":
                warded.add(pair)
            else:
                linked.setdefault(pair, f"{a}.{a_column} = {b}.{b_column}")
        found += [Join(frozenset(aliases[a] for a in pair), pair in warded, what) for pair, what in linked.items()]
    return found


@contextmanager
def captured(app: Flask) -> Iterator[list[str]]:
    """Every SQL statement sent to the database while inside, as the driver got it."""
    seen: list[str] = []

    def keep(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    with app.app_context():
        engine = _db.engine
    event.listen(engine, "before_cursor_execute", keep)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", keep)


# --- the reader itself ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("sql", "expected"), [
    ("SELECT 1 FROM responses JOIN service_points ON service_points.id = responses.point_id WHERE x = 1",
     [("responses", "service_points", False)]),
    ("SELECT 1 FROM responses JOIN service_points ON service_points.id = responses.point_id "
     "AND service_points.organisation_id = responses.organisation_id WHERE responses.organisation_id = 3",
     [("responses", "service_points", True)]),
    # The ward's equality in the WHERE does not count for the ON clause.
    ("SELECT 1 FROM responses JOIN service_points ON service_points.id = responses.point_id "
     "WHERE service_points.organisation_id = responses.organisation_id", [("responses", "service_points", False)]),
    # Aliases: a self-join of answers, each ON clause on its own.
    ("SELECT 1 FROM answers AS a LEFT OUTER JOIN answers AS b ON b.response_id = a.response_id AND "
     "b.question_id IN (%(q_1)s, %(q_2)s) AND b.organisation_id = a.organisation_id LEFT OUTER JOIN answers AS c "
     "ON c.response_id = a.response_id AND c.question_id IN (?)", [("answers", "answers", True),
                                                                   ("answers", "answers", False)]),
    # A correlated subquery and a comma join; a reference table and a derived table are not ward tables.
    ("SELECT (SELECT count(*) FROM answers WHERE answers.response_id = responses.id) FROM responses",
     [("answers", "responses", False)]),
    ("SELECT 1 FROM tokens, responses WHERE tokens.response_id = responses.id AND "
     "tokens.organisation_id = responses.organisation_id", [("responses", "tokens", True)]),
    ("SELECT 1 FROM answers JOIN questions ON questions.id = answers.question_id JOIN (SELECT responses.id AS id "
     "FROM responses) AS anon_1 ON anon_1.id = answers.response_id", []),
    # ON CONFLICT is no join; a literal holding SQL is not read.
    ("INSERT INTO answer_rollups (organisation_id) SELECT t.o FROM unnest(?) AS t(o) ON CONFLICT (organisation_id) "
     "DO UPDATE SET n = answer_rollups.n + excluded.n", []),
    ("SELECT 'x JOIN y ON y.id = responses.point_id' FROM responses", []),
])
def test_the_reader(sql: str, expected: list[tuple[str, str, bool]]) -> None:
    found = [(*sorted(j.tables) * (2 if len(j.tables) == 1 else 1), j.warded) for j in joins(sql)]
    assert found == expected


# --- the walk -------------------------------------------------------------------------------------------------

#: Pairs of ward tables the walk must see joined (so it cannot pass by running none of them).
EXPECTED = {frozenset(p) for p in (("responses", "service_points"), ("answers", "responses"), ("answers",),
                                   ("pakn_items", "service_points"), ("retired_codes", "service_points"))}


def _get(client: FlaskClient, url: str) -> int:
    response = client.get(url)
    response.close()  # runs what the view left for after the response (the public page's recompute)
    return response.status_code


def _walk_office(app: Flask, ids: Wards) -> None:
    """Ward B's admin: every office route with B's ids, GET and POST; then the exports and a report."""
    client = app.test_client()
    password = ALL_PASSWORDS["minhxuan-admin"]
    assert sign_in(client, "minhxuan-admin", password).status_code == 303
    form = {"csrf_token": token(client), "name": "Đổi tên", "active": "0", "reason": "thử", "note": "thử",
            "action": "handle", "unit": "motcua", "role": "admin", "code": "mc-9", "kind": "onestop"}
    for _rule, method, url, _by_id in office_requests(app, ids):
        response = client.get(url) if method == "GET" else client.post(url, data=form)
        response.close()
        assert response.status_code != 500, f"{method} {url}"
        if "/login" in response.headers.get("Location", ""):  # the admin deactivated itself: back in
            sign_in(client, "minhxuan-admin", password)
            form["csrf_token"] = token(client)
    for url in ("/office/export?what=responses&format=csv&period=2026-Q1",
                "/office/export?what=indices&format=xlsx&period=2026-Q1",
                "/office/report?period=2026-Q1", "/office/comments?period=2026-Q1&q=phường",
                *(f"/office/?period=2026-Q1&kind={kind}" for kind in ("onestop", "health"))):
        assert _get(client, url) == 200, url
    province = app.test_client()
    assert sign_in(province, "so-noi-vu", ALL_PASSWORDS["so-noi-vu"]).status_code == 303
    for url in ("/office/tinh/", "/office/tinh/minh-xuan/?period=2026-Q1",
                "/office/tinh/export.csv?period=2026-Q1"):
        assert _get(province, url) == 200, url


def _walk_public(app: Flask) -> None:
    """The public pages of ward B and the citizen's form, by a current and by a retired code (rotated above)."""
    client = app.test_client()
    for tail in ("", "/nhung", "/du-lieu.json", "/du-lieu.csv", "/phan-anh", "/phan-anh.csv"):
        assert _get(client, f"/cong-khai/minh-xuan{tail}") == 200, tail
    assert _get(client, "/s/minh-xuan/mc-1") == 200
    assert _get(client, "/s/minh-xuan/mx-rieng") in (200, 404, 410)


def _run_commands(app: Flask, tmp: str) -> None:
    runner = app.test_cli_runner()
    for args in (["indices", "--period", "2026-Q1", "--ward", "minh-xuan", "--convention", "all", "--weighted"],
                 ["indices", "--period", "2026-Q1", "--ward", "minh-xuan", "--verified-only", "--weighted"],
                 ["indices", "--period", "2026-Q1", "--ward", "minh-xuan", "--point", "tram-mx"],
                 ["indices", "--period", "2026-Q1", "--all-wards", "--convention", "all"],
                 ["sdg", "--period", "2026-Q1", "--ward", "minh-xuan"],
                 ["responses", "export", "--ward", "minh-xuan", "--out", f"{tmp}/b.csv"],
                 ["responses", "export", "--all-wards", "--out", f"{tmp}/all.csv"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 0, (args, result.output)


def test_every_join_of_two_ward_tables_carries_the_ward(app: Flask, two_wards: Wards, tmp_path: Any,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reports, "write_pdf", lambda _html: b"%PDF-1.7 test")  # the queries are all in the HTML
    with app.app_context():
        publication.publish_all(two_wards.b, "test")
        # Verified responses and population margins, so the verified-only and weighted counts run too.
        _db.session.execute(update(Submission).where(Submission.organisation_id == two_wards.b).values(verified=True))
        _db.session.commit()
    margins = app.test_cli_runner().invoke(args=["margins", "set", "gender", "male=4900", "female=5100",
                                                 "--ward", "minh-xuan"])
    assert margins.exit_code == 0, margins.output
    with captured(app) as statements:
        _walk_office(app, two_wards)
        _walk_public(app)
        _run_commands(app, str(tmp_path))
    found = [(j, sql) for sql in dict.fromkeys(statements) for j in joins(sql)]
    missing = {f"{j.what} without the ward's equality in:\n{sql}" for j, sql in found if not j.warded}
    assert not missing, "\n\n".join(sorted(missing))
    assert {j.tables for j, _sql in found} >= EXPECTED
