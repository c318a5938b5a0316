"""The English catalogue covers every user-facing text (Vietnamese msgids are the source)."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
METHODS = [("survey/**.py", "python"), ("forms/**.py", "python"), ("analysis/**.py", "python"),
           ("templates/**.html", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}


def _extracted() -> set[str]:
    found: set[str] = set()
    for _, _, message, _, _ in extract_from_dir(str(ROOT), method_map=METHODS, keywords=KEYWORDS):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_english_catalogue_is_complete() -> None:
    with (ROOT / "translations/en/LC_MESSAGES/messages.po").open("rb") as f:
        catalog = read_po(f)
    translated = {m.id for m in catalog if m.id and m.string}
    missing = sorted(_extracted() - translated)
    assert not missing, "untranslated (run `make translations-update`):\n" + "\n".join(missing)
