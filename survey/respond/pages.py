"""Rendered citizen pages kept per point, version and language: a fresh form differs only in its hidden fields.

Rendering the questionnaire (40-odd fields) is most of the cost of opening the form. A blank form is
rendered once per (point, questionnaire version, language, with/without receipt code); later requests fill
in their own CSRF token, submission key (which carries the time it was served) and receipt code. The key
holds everything the page shows (point code and name, ward name, version checksum), so a renamed point gets
a fresh page; a re-rendered form with errors is never cached.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import TypeVar

from markupsafe import escape

CSRF, KEY, TOKEN = "\x1ahl-csrf\x1a", "\x1ahl-key\x1a", "\x1ahl-t\x1a"
MAX_ENTRIES = 512

_forms: dict[Hashable, str] = {}
_static: dict[Hashable, tuple[float, str]] = {}
T = TypeVar("T")


def _remember(cache: dict[Hashable, T], key: Hashable, value: T) -> None:
    """Store in a bounded cache: emptied when full, which is rare (one entry per point, version and language)."""
    if len(cache) >= MAX_ENTRIES:
        cache.clear()
    cache[key] = value


def blank_form(key: Hashable, render: Callable[[], str], hidden: dict[str, str]) -> str:
    """The fresh form page for `key` with this request's hidden values (csrf from generate_csrf(), key, t)."""
    template = _forms.get(key)
    if template is None:
        # Render with this request's real values, then cut them out to make the reusable page.
        page = render()
        template = page
        for value, mark in ((hidden["csrf"], CSRF), (hidden["key"], KEY), (hidden.get("t") or "", TOKEN)):
            if value and page.count(str(escape(value))) != 1:
                return page  # a value that is not exactly once in the page: do not keep this one
            if value:
                template = template.replace(str(escape(value)), mark)
        _remember(_forms, key, template)
        return page
    return (template.replace(CSRF, str(escape(hidden["csrf"]))).replace(KEY, str(escape(hidden["key"])))
            .replace(TOKEN, str(escape(hidden.get("t") or ""))))


def kept(key: Hashable, max_age: float) -> str | None:
    """A page without per-request content kept by `keep` less than `max_age` seconds ago."""
    entry = _static.get(key)
    if entry is None or time.monotonic() - entry[0] > max_age:
        return None
    return entry[1]


def keep(key: Hashable, page: str) -> str:
    """Keep a page for `kept` and return it."""
    _remember(_static, key, (time.monotonic(), page))
    return page

