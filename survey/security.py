"""HTTP security headers for every response, and form data without nameless parts for every request."""

from __future__ import annotations

from collections.abc import Sequence

from flask import Flask, Request, Response

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'"
)


def embed_csp(origins: Sequence[str], style_hash: str) -> str:
    """The policy of a page other sites may frame (the public widget): only `origins`, only its own inline style.

    Without origins it refuses every frame, like every other page.
    """
    ancestors = " ".join(origins) if origins else "'none'"
    return (f"default-src 'none'; style-src '{style_hash}'; img-src 'self' data:; base-uri 'none'; "
            f"form-action 'none'; frame-ancestors {ancestors}")


class FormRequest(Request):
    """Form data without nameless parts (a multipart header with no readable name), on which CSRF checks 500."""

    def _load_form_data(self) -> None:
        super()._load_form_data()
        for attr in ("form", "files"):
            data = self.__dict__[attr]
            if None in data:
                self.__dict__[attr] = type(data)((k, v) for k, v in data.items(multi=True) if k is not None)


def register(app: Flask) -> None:
    app.request_class = FormRequest

    @app.after_request
    def _headers(response: Response) -> Response:
        csp = response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        if "frame-ancestors 'none'" in csp:
            # A page that names the sites allowed to frame it (the widget) says so in its CSP alone: the old
            # X-Frame-Options has no way to allow several origins, and DENY would override nothing but confuse.
            response.headers.setdefault("X-Frame-Options", "DENY")
        if app.config.get("HAILONG_ENV") == "production":
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response
