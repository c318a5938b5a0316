"""What a citizen's POST carries, read without trusting it: its text fields, whether it had file parts, and which
fields were not valid UTF-8, so that any refusal can send the form back with every answer kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote_to_bytes

from flask import request
from werkzeug.datastructures import MultiDict
from werkzeug.sansio.multipart import Data, Epilogue, Field, MultipartDecoder

REPLACEMENT = "\ufffd"


@dataclass(frozen=True)
class Posted:
    #: Text fields as sent; bytes that were not UTF-8 are shown as U+FFFD.
    fields: MultiDict[str, str]
    #: Some field came as a file part (a browser never does that with this form).
    files: bool
    #: Fields whose bytes were not valid UTF-8 (a correctly encoded U+FFFD is valid and not listed).
    undecodable: frozenset[str]


def read() -> Posted | None:
    """The posted form, or None when the body is not form data at all (JSON, raw bytes, nothing)."""
    raw = request.get_data(cache=True, parse_form_data=False)  # kept: request.form parses it again below
    # Werkzeug keeps undecodable %XX escapes as literal text (or drops the field), which would alter the answer;
    # so the rare urlencoded body that is not UTF-8 is decoded here, field by field.
    if request.mimetype == "application/x-www-form-urlencoded" and not _utf8(unquote_to_bytes(raw.replace(b"+", b" "))):
        decoded, bad = _urlencoded(raw)
        return Posted(decoded, False, bad) if decoded else None
    files = bool(request.files)
    fields: MultiDict[str, str] = MultiDict(request.form.items(multi=True))
    if not fields and not files:
        return None if raw else Posted(fields, False, frozenset())
    undecodable: frozenset[str] = frozenset()
    suspects = frozenset(k for k, v in fields.items(multi=True) if REPLACEMENT in v)
    if suspects and request.mimetype == "multipart/form-data":
        # Werkzeug decodes a multipart field's invalid bytes to U+FFFD, like a correctly encoded U+FFFD: the
        # field's own bytes tell which.
        undecodable = _undecodable_parts(raw, request.mimetype_params.get("boundary", ""), suspects)
    return Posted(fields, files, undecodable)


def _utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _urlencoded(raw: bytes) -> tuple[MultiDict[str, str], frozenset[str]]:
    fields: MultiDict[str, str] = MultiDict()
    undecodable = set()
    for pair in raw.split(b"&"):
        if not pair:
            continue
        name_raw, _, value_raw = pair.partition(b"=")
        name = unquote_to_bytes(name_raw.replace(b"+", b" ")).decode("utf-8", "replace")
        value = unquote_to_bytes(value_raw.replace(b"+", b" "))
        if not _utf8(value):
            undecodable.add(name)
        fields.add(name, value.decode("utf-8", "replace"))
    return fields, frozenset(undecodable)


def _undecodable_parts(raw: bytes, boundary: str, suspects: frozenset[str]) -> frozenset[str]:
    """The text parts whose bytes are not UTF-8; all `suspects` if this stricter pass cannot read the body."""
    decoder = MultipartDecoder(boundary.encode("latin-1", "replace"))
    decoder.receive_data(raw)
    decoder.receive_data(None)
    bad: set[str] = set()
    name: str | None = None
    chunks: list[bytes] = []
    try:
        while not isinstance(event := decoder.next_event(), Epilogue):
            if isinstance(event, Field):
                name, chunks = event.name, []
            elif isinstance(event, Data):
                if name is not None:
                    chunks.append(event.data)
                    if not event.more_data and not _utf8(b"".join(chunks)):
                        bad.add(name)
            else:
                name = None  # the preamble or a file part
    except ValueError:
        return suspects
    return frozenset(bad)
