"""The formal report's data and wording from indices results: pure, so tables, charts and text agree."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta
from typing import Any

from .charts import Bar
from .formatting import fmt_ci, fmt_int, fmt_num, fmt_pct
from .periods import Period
from .targets import target
from .wording import ci_method_name, kind_name, period_name


def change_phrase(diff: float, digits: int = 2) -> str:
    """A change in points as words: "tăng 1,25 điểm", "giảm 0,40 điểm" or "không thay đổi"."""
    if round(diff, digits) == 0:
        return "không thay đổi"
    return f"{'tăng' if diff > 0 else 'giảm'} {fmt_num(abs(diff), digits)} điểm"


def inline_name(name: str) -> str:
    """A ward's name inside a sentence: "Phường An Tường" becomes "phường An Tường"."""
    return re.sub(r"^(Phường|Xã|Thị trấn)\b", lambda m: m[1].lower(), name)


# --- methods -----------------------------------------------------------------------------------


def window_phrase(period: Period) -> str:
    """Which days a period's figures cover: "số liệu từ ngày 15/09/2026 đến ngày 14/12/2026"."""
    last = period.end - timedelta(days=1)
    return f"số liệu từ ngày {period.start:%d/%m/%Y} đến ngày {last:%d/%m/%Y}"


def method_rows(methods: Iterable[tuple[str, str | None]]) -> list[tuple[str, str]]:
    """(kinds, method in Vietnamese) with kinds that share a method on one row."""
    grouped: dict[str, list[str]] = {}
    for name, method in methods:
        grouped.setdefault(ci_method_name(method, detailed=True), []).append(name)
    return [(", ".join(names), text) for text, names in grouped.items()]


# --- per-kind pieces --------------------------------------------------------------------------


def bars(result: Mapping[str, Any]) -> list[Bar]:
    """The chart of one kind: the overall index first, then each element."""
    overall = result["overall"]
    rows = [
        _bar(
            "Chỉ số hài lòng chung",
            overall.get("index"),
            overall.get("ci95"),
            result["responses"],
            bool(overall.get("low_n")),
        )
    ]
    rows += [_bar(e["label"], e["index"], e["ci95"], e["responses"], bool(e["low_n"])) for e in result["elements"]]
    return rows


def _bar(label: str, value: float | None, ci: list[float] | None, n: int, low_n: bool) -> Bar:
    return Bar(label, value, ci[0] if ci else None, ci[1] if ci else None, int(n), low_n)


def target_clause(call: Mapping[str, Any] | None, year: int) -> str | None:
    """What a target call says, as a clause: the point comparison, then what the 95% interval settles.

    "met" and "not_met" need the whole interval on one side of the target; otherwise the data cannot tell,
    and the clause says about how many more responses would (planner.target_call).
    """
    if not call or call.get("index") is None:
        return None
    target = f"mục tiêu {fmt_pct(call['target'], 0)} của năm {year}"
    ci = fmt_ci(call.get("ci95"))
    index, goal = call["index"], call["target"]
    if call.get("call") == "met":
        return f"đạt {target} (cả khoảng tin cậy 95%, {ci}%, đều từ {fmt_pct(goal, 0)} trở lên)"
    if call.get("call") == "not_met":
        return (f"chưa đạt {target}: thấp hơn {fmt_num(goal - index)} điểm và cả khoảng tin cậy 95% "
                f"({ci}%) đều dưới {fmt_pct(goal, 0)}")
    if call.get("call") is None:  # no interval: only the point comparison
        return f"đạt {target}" if call["point_met"] else f"thấp hơn {fmt_num(goal - index)} điểm so với {target}"
    if index < goal:
        clause = (f"thấp hơn {fmt_num(goal - index)} điểm so với {target}, nhưng khoảng tin cậy 95% ({ci}%) còn chứa "
                  f"mức {fmt_pct(goal, 0)} nên chưa đủ số liệu để kết luận đạt hay chưa đạt")
    elif index > goal:
        clause = (f"cao hơn {fmt_num(index - goal)} điểm so với {target}, nhưng khoảng tin cậy 95% ({ci}%) còn chứa "
                  f"mức {fmt_pct(goal, 0)} nên chưa thể khẳng định đã đạt")
    else:
        return f"bằng {target}; khoảng tin cậy 95% ({ci}%) chưa cho phép kết luận đạt hay chưa đạt"
    if call.get("more"):
        from .planner import about

        clause += f" (nếu chỉ số giữ nguyên, cần thêm khoảng {fmt_int(about(int(call['more'])))} phiếu để kết luận)"
    elif call.get("too_close"):
        clause += " (chỉ số quá sát mức mục tiêu: thu thêm phiếu khó giúp kết luận trong kỳ)"
    return clause


def lowest_statements(results: Sequence[Mapping[str, Any]], limit: int = 5) -> list[dict[str, Any]]:
    """The statements with the lowest item index, ranking only those with enough answers (n ≥ 30)."""
    rows = [
        {"kind": r["kind"], "element": e["label"], **item}
        for r in results
        for e in r["elements"]
        for item in e["items"]
        if item["index"] is not None and not item["low_n"]
    ]
    rows.sort(key=lambda x: (x["index"], -x["n"], x["code"]))
    return rows[:limit]


def top_expectations(result: Mapping[str, Any], limit: int = 3) -> list[dict[str, Any]]:
    """The most chosen expectations of one kind (those chosen at least once)."""
    return [e for e in result.get("expectations", []) if e["count"] > 0][:limit]


def choice_share(options: Sequence[tuple[str, str]], counts: Mapping[str, int]) -> dict[str, Any]:
    """Answers of one choice question: each option's count and % of those who answered it, and the "yes" share."""
    answered = sum(counts.get(code, 0) for code, _ in options)
    rows = [
        {"code": code, "label": label, "count": counts.get(code, 0), "pct": _share(counts.get(code, 0), answered)}
        for code, label in options
    ]
    yes = counts.get("yes", 0)
    return {"answered": answered, "yes": yes, "pct": _share(yes, answered), "rows": rows}


def _share(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 2) if whole else None


# --- comments ---------------------------------------------------------------------------------

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Phone, ID-card or account numbers: 8+ digits, possibly split by spaces, dots or dashes, or +84…
_NUMBER = re.compile(r"(?:\+\s?)?\d(?:[\s.\-()]{0,2}\d){7,}")
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
MASK = "[đã ẩn]"


def _name_patterns(names: Iterable[str]) -> list[re.Pattern[str]]:
    """Patterns for a person's name as a whole word run, and for its last two words when it has three or more
    ("Nguyễn Văn An" is also "Văn An"); a single given name alone is too common a word to hide everywhere."""
    patterns = []
    for name in names:
        words = name.split()
        if not words or len("".join(words)) < 3:
            continue
        forms = [words]
        if len(words) >= 3:
            forms.append(words[-2:])
        for form in forms:
            body = r"\s+".join(re.escape(w) for w in form)
            patterns.append(re.compile(rf"(?<!\w){body}(?!\w)", re.IGNORECASE))
    return patterns


def mask_personal(text: str, names: Iterable[str] = ()) -> str:
    """Hide what looks like an e-mail, a phone or ID number (CMND 9 digits, CCCD 12), a link, and the given
    names (a PAKN sender's), before a citizen's text is printed or published."""
    text = _EMAIL.sub(MASK, text)
    text = _URL.sub(MASK, text)
    text = _NUMBER.sub(MASK, text)
    for pattern in _name_patterns(n for n in names if n):
        text = pattern.sub(MASK, text)
    return text


def pick_comments(
    rows: Iterable[Mapping[str, Any]], *, per_kind: int = 2, limit: int = 6, max_chars: int = 280
) -> list[dict[str, Any]]:
    """A few recent, distinct comments spread over the kinds, masked and shortened; rows come newest first."""
    seen: set[str] = set()
    taken: dict[str, int] = {}
    out: list[dict[str, Any]] = []
    for row in rows:
        text = " ".join(str(row.get("comment") or "").split())
        key = text.casefold()
        if len(text) < 8 or key in seen or taken.get(row["kind"], 0) >= per_kind:
            continue
        seen.add(key)
        taken[row["kind"]] = taken.get(row["kind"], 0) + 1
        text = mask_personal(text)
        if len(text) > max_chars:
            text = text[: max_chars - 1].rsplit(" ", 1)[0] + "…"
        out.append({**row, "comment": text})
        if len(out) >= limit:
            break
    return out


# --- the summary paragraph --------------------------------------------------------------------


def summary(
    period: Period,
    results: Sequence[Mapping[str, Any]],
    *,
    ward: str,
    points_with_responses: int,
    shares: Mapping[str, Mapping[str, Any]] | None = None,
    lowest: Sequence[Mapping[str, Any]] | None = None,
) -> str:
    """A short Vietnamese paragraph of the main findings; every number goes through the table formatters."""
    total = sum(int(r["responses"]) for r in results)
    when = period_name(period, in_sentence=True)
    if period.window != "calendar":
        when += f" ({window_phrase(period)})"
    if total == 0:
        return (
            f"Trong {when}, {inline_name(ward)} chưa ghi nhận phiếu khảo sát hợp lệ nào, "
            "vì vậy chưa có số liệu để đánh giá mức độ hài lòng của người dân."
        )
    ward = inline_name(ward)
    sentences = [
        f"Trong {when}, {ward} đã thu được {fmt_int(total)} phiếu khảo sát hợp lệ "
        f"tại {fmt_int(points_with_responses)} điểm khảo sát."
    ]
    sentences += [_kind_sentence(r, period.start.year if period.kind == "range" else _year(period)) for r in results]
    if lowest:
        worst = lowest[0]
        sentences.append(
            f"Nhận định có chỉ số thấp nhất là “{worst['text']}” ({kind_name(worst['kind'], form='short')}, "
            f"{fmt_pct(worst['index'])}, n = {fmt_int(worst['n'])})."
        )
    if shares:
        sentences.extend(_shares_sentence(shares))
    expectations = [
        f"{kind_name(r['kind'], form='short').lower()}: “{top[0]['label']}” ({fmt_pct(top[0]['pct'])} số phiếu)"
        for r in results
        if (top := top_expectations(r, 1))
    ]
    if expectations:
        sentences.append("Mong đợi được chọn nhiều nhất: " + "; ".join(expectations) + ".")
    return " ".join(sentences)


def _year(period: Period) -> int:
    """The calendar year a quarter, half-year or year belongs to (a window may start in December before)."""
    return int(period.base[:4])


def _kind_sentence(result: Mapping[str, Any], year: int) -> str:
    """One kind's overall index with n, interval, target and change from the previous period."""
    kind = result["kind"]
    name = kind_name(kind, form="in_sentence")
    overall = result["overall"]
    index = overall.get("index")
    if not result["responses"] or index is None:
        return f"Chưa có phiếu khảo sát nào đối với {name}."
    parts = [f"Chỉ số hài lòng chung đối với {name} đạt {fmt_pct(index)} (n = {fmt_int(result['responses'])})"]
    if overall.get("low_n"):
        parts.append("số phiếu còn ít nên kết quả chỉ mang tính tham khảo")
    goal = target(kind)
    if goal is not None:
        from .planner import target_call

        clause = target_clause(target_call(index, overall.get("ci95"), int(result["responses"]), goal), year)
        if clause:
            parts.append(clause)
    previous = result.get("previous") or {}
    prev = previous.get("overall") or {}
    if prev.get("index") is not None and prev.get("diff") is not None:
        when = period_name(previous["period"], in_sentence=True)
        change = f"{change_phrase(prev['diff'])} so với {when} ({fmt_pct(prev['index'])})"
        if prev.get("ci_overlap") and round(prev["diff"], 2) != 0:
            change += ", chưa rõ rệt (khoảng tin cậy hai kỳ còn giao nhau)"
        parts.append(change)
    return "; ".join(parts) + "."


def _shares_sentence(shares: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """The one-stop centre's extra-payment and harassment answers as a sentence."""
    pay, harass = shares.get("extra_payment"), shares.get("harassment")
    bits = []
    if pay and pay["answered"]:
        bits.append(
            f"{fmt_pct(pay['pct'])} người trả lời ({fmt_int(pay['yes'])}/{fmt_int(pay['answered'])}) cho biết "
            "phải trả thêm khoản tiền ngoài phí, lệ phí theo quy định"
        )
    if harass and harass["answered"]:
        bits.append(
            f"{fmt_pct(harass['pct'])} ({fmt_int(harass['yes'])}/{fmt_int(harass['answered'])}) cho biết "
            "bị công chức gây khó khăn, phiền hà"
        )
    if not bits:
        return []
    return ["Tại Trung tâm Phục vụ hành chính công, " + " và ".join(bits) + "."]
