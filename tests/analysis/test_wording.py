"""Each fact in words has one function, parametrised by the reader's gettext (the report's is the msgid itself)."""

from __future__ import annotations

from typing import Any

import pytest

from hailong.analysis import targets
from hailong.analysis.intervals import DELTA_METHOD, bootstrap_method
from hailong.analysis.periods import parse_period
from hailong.analysis.wording import channel_name, ci_method_name, kind_name, period_name


def marked(text: str, **values: Any) -> str:
    """A gettext that shows it was asked: every text it returns is in brackets."""
    return f"[{text % values if values else text}]"


@pytest.mark.parametrize(
    ("label", "name"),
    [
        ("2026-Q1", "Quý I/2026"),
        ("2026-Q4", "Quý IV/2026"),
        ("2026-H1", "6 tháng đầu năm 2026"),
        ("2026-H2", "6 tháng cuối năm 2026"),
        ("2026", "Năm 2026"),
        ("2026-01-01..2026-03-31", "Từ 01/01/2026 đến 31/03/2026"),
        ("not a period", "not a period"),
    ],
)
def test_period_labels_of_the_office(label: str, name: str) -> None:
    assert period_name(label) == name


def test_a_period_label_and_its_in_sentence_form_are_one_function() -> None:
    q1 = parse_period("2026-Q1")
    assert period_name(q1) == period_name("2026-Q1") == "Quý I/2026"
    assert period_name(q1, in_sentence=True) == "quý I năm 2026"
    assert period_name(q1, marked) == "[Quý I/2026]"
    assert period_name("2026-01-01..2026-01-31", marked, in_sentence=True) == "[từ ngày 01/01/2026 đến ngày 31/01/2026]"


def test_interval_methods_short_and_detailed() -> None:
    assert ci_method_name(None) == ""
    assert ci_method_name(DELTA_METHOD) == "xấp xỉ chuẩn theo phương pháp delta"
    short = ci_method_name(bootstrap_method(2000, seed=7, adjust="percentile"))
    assert short == "bootstrap phân vị, 2000 lần lấy mẫu lại theo phiếu, hạt giống 7"
    detailed = ci_method_name(bootstrap_method(2000, adjust="percentile"), detailed=True)
    assert "2.000 lần" in detailed and "2,5% và 97,5%" in detailed
    # The default since the coverage simulation (bench/coverage.py): the small-sample expanded BCa.
    assert ci_method_name(bootstrap_method(2000, seed=7)) == (
        "bootstrap BCa mở rộng cho mẫu nhỏ, 2000 lần lấy mẫu lại theo phiếu, hạt giống 7")
    assert "Hesterberg" in ci_method_name(bootstrap_method(2000), detailed=True)
    assert ci_method_name(DELTA_METHOD, marked, detailed=True).startswith("[xấp xỉ chuẩn")
    assert ci_method_name("an unknown method", marked) == "an unknown method"


def test_kinds_in_each_form() -> None:
    labels = [kind_name(k) for k in ("onestop", "health", "education")]
    assert labels == ["Hành chính công (một cửa)", "Y tế", "Giáo dục"]
    assert kind_name("onestop", form="short") == "Hành chính công"
    assert kind_name("health", form="title") == "Dịch vụ y tế công"
    assert kind_name("education", form="in_sentence") == "dịch vụ giáo dục công"
    assert kind_name("health", marked) == "[Y tế]"
    assert kind_name("police") == "police"


def test_channels() -> None:
    assert channel_name("qr") == "Quét mã QR, trả lời trên điện thoại"
    assert channel_name("paper", marked).startswith("[Phiếu giấy")
    assert channel_name("fax") == "fax"


def test_targets_have_one_home() -> None:
    assert targets.target("health") == targets.TARGETS["health"] == 90.0
    assert targets.target("onestop") is None
    assert targets.target_gap("education", 87.16) == {"target": 90.0, "met": False, "gap": 2.84}


def test_table_headings_name_a_period_without_its_code() -> None:
    """A report's table heading says "Quý III/2026", never the parser's "2026-Q3@report"."""
    from hailong.analysis.wording import period_short

    assert period_short("2026-Q3@report") == "Quý III/2026"
    assert period_short("2026-Q3") == "Quý III/2026"
    assert period_short("2026-01-01..2026-03-31") == "01/01–31/03/2026"
    assert period_short("not a period") == "not a period"
