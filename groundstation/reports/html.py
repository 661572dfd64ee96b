"""The patrol report as one self-contained HTML page (Jinja2, map embedded as a data URI)."""

from __future__ import annotations

import base64
import io
from datetime import datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, Template, select_autoescape
from PIL import Image, UnidentifiedImageError

from groundstation.reports.codes import event_text, label
from groundstation.reports.facts import PatrolFacts
from groundstation.reports.labels import local_time, summary_rows


@cache
def _template(name: str) -> Template:
    env = Environment(
        loader=PackageLoader("groundstation.reports", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template(name)


def render_html(facts: PatrolFacts, summary: dict[str, Any], map_png: bytes | None) -> str:
    """The report page; every summary number also sits in a ``data-value`` attribute."""
    now = datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")
    return _template("report.html.j2").render(
        s=summary,
        rows=summary_rows(summary),
        local=local_time,
        label=label,
        event_text=event_text,
        generated=now,
        map_png=base64.b64encode(map_png).decode() if map_png else None,
        events=facts.events,
        incidents=facts.incidents,
        camera_photos=[{**p, "thumb": thumbnail(p["path"])} for p in facts.camera_photos],
    )


def thumbnail_jpeg(path: str, width: int = 240) -> bytes | None:
    """A camera photo shrunk to fit `width` pixels, as JPEG bytes (None if its file is gone)."""
    try:
        with Image.open(path) as img:
            img.thumbnail((width, width))
            out = io.BytesIO()
            img.convert("RGB").save(out, "JPEG", quality=80)
    except (OSError, UnidentifiedImageError):
        return None
    return out.getvalue()


def thumbnail(path: str, width: int = 240) -> str | None:
    """A camera photo as a small JPEG data URI for the page (None if its file is gone)."""
    jpeg = thumbnail_jpeg(path, width)
    return None if jpeg is None else "data:image/jpeg;base64," + base64.b64encode(jpeg).decode()
