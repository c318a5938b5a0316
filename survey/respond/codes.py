"""The code in a citizen URL: /s/<ward>/<point> for new posters, /s/<point> for a point owning its bare code."""

from __future__ import annotations

from werkzeug.routing import BaseConverter

CODE = r"[a-z0-9][a-z0-9-]{0,39}"
#: The words after a code (/s/<code>/cam-on, /s/<code>/phan-anh, /s/<code>/quay/<desk>) are never a point's code
#: (points.RESERVED_CODES).
RESERVED = r"(?:cam-on|phan-anh|quay)(?![a-z0-9-])"


class CitizenCodeConverter(BaseConverter):
    """"<point>" or "<ward>/<point>", one value with its slash, so every view and url_for keeps one `code`."""

    regex = rf"{CODE}(?:/(?!{RESERVED}){CODE})?"
    part_isolating = False

    def to_url(self, value: str) -> str:
        return value  # the slash stays a slash
