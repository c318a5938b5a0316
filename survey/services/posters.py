"""A4 posters with a point's QR code, printed through WeasyPrint."""

from __future__ import annotations

import base64

from flask import render_template

from ..models import Desk, ServicePoint
from .points import point_url, qr_svg


def render_pdf(points: list[ServicePoint], base_url: str) -> bytes:
    """One A4 page per point: ward, point name, QR code, short URL, one line of instructions, and the PAKN form's QR."""
    from weasyprint import HTML

    items = []
    for p in points:
        url = point_url(base_url, p)
        svg = base64.b64encode(qr_svg(url)).decode("ascii")
        # The point's PAKN form, under the survey's code (a smaller QR of its own).
        pakn_url = f"{url}/phan-anh"
        pakn_svg = base64.b64encode(qr_svg(pakn_url)).decode("ascii")
        items.append({"point": p, "url": url, "qr": f"data:image/svg+xml;base64,{svg}", "pakn_url": pakn_url,
                      "pakn_qr": f"data:image/svg+xml;base64,{pakn_svg}"})
    html = render_template("posters/posters.html", items=items)
    return HTML(string=html).write_pdf()


def render_desk_pdf(desks: list[Desk], base_url: str) -> bytes:
    """One A4 page per desk: the QR code of its three-level officer rating (/s/<point>/quay/<desk>)."""
    from flask_babel import gettext as _
    from weasyprint import HTML

    items = []
    for desk in desks:
        url = f"{point_url(base_url, desk.point)}/quay/{desk.code}"
        svg = base64.b64encode(qr_svg(url)).decode("ascii")
        items.append({"point": desk.point, "url": url, "qr": f"data:image/svg+xml;base64,{svg}",
                      "title": _("Mời Ông/Bà đánh giá cán bộ tại quầy"), "name": f"{desk.point.name} · {desk.name}",
                      "how": _("Quét mã QR, chọn một trong ba mức: Rất hài lòng, Hài lòng, Không hài lòng.")})
    html = render_template("posters/posters.html", items=items)
    return HTML(string=html).write_pdf()
