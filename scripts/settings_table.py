"""Print the README's settings table from the settings model, or rewrite it in README.md with --write.

    python scripts/settings_table.py [--write]

tests/test_settings.py fails when the README's table and the model (survey/settings.py) disagree.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from hailong.survey.settings import markdown_table

README = Path(__file__).resolve().parent.parent / "README.md"
BEGIN = "<!-- settings table: generated from survey/settings.py by scripts/settings_table.py -->\n"
END = "<!-- end of settings table -->\n"
BLOCK = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.DOTALL)


def readme_table(text: str) -> str | None:
    """The table between the markers in the README's text, or None without markers."""
    match = BLOCK.search(text)
    return match.group(0)[len(BEGIN):-len(END)] if match else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="replace the table in README.md")
    if not parser.parse_args().write:
        sys.stdout.write(markdown_table())
        return 0
    text = README.read_text(encoding="utf-8")
    if readme_table(text) is None:
        print(f"README.md has no block between {BEGIN.strip()} and {END.strip()}", file=sys.stderr)
        return 1
    README.write_text(BLOCK.sub(lambda _m: BEGIN + markdown_table() + END, text, count=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
