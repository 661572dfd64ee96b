"""The patrol report as PDF, with ReportLab (pure Python).

Every piece of text is set in one TrueType CJK font embedded (subset) in the file, so the report
prints the same on any viewer, with or without Asian font packs, and passes archive checks
(``pdffonts``: every font ``emb yes``). The font is WenQuanYi Micro Hei from Debian's
``fonts-wqy-microhei`` (scripts/install-system-deps.sh); its Latin glyphs cover the English
labels, so no unembedded standard font (Helvetica) is used either.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from groundstation.errors import GroundStationError
from groundstation.reports.codes import event_text, label
from groundstation.reports.facts import PatrolFacts
from groundstation.reports.html import thumbnail_jpeg
from groundstation.reports.labels import local_time, summary_rows

CJK_FONT = "WenQuanYiMicroHei"
#: TrueType CJK fonts ReportLab can embed (glyf outlines, not CFF), first found wins.
CJK_FONT_FILES: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
)


class MissingFontError(GroundStationError):
    """No embeddable CJK font file is installed (``apt-get install fonts-wqy-microhei``)."""


def _register_cjk() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if CJK_FONT in pdfmetrics.getRegisteredFontNames():
        return
    for path, index in CJK_FONT_FILES:
        if Path(path).is_file():
            pdfmetrics.registerFont(TTFont(CJK_FONT, path, subfontIndex=index))
            return
    raise MissingFontError(
        "no CJK TrueType font for the PDF report; install fonts-wqy-microhei "
        f"(looked for {', '.join(p for p, _ in CJK_FONT_FILES)})"
    )


def render_pdf(facts: PatrolFacts, summary: dict[str, Any], map_png: bytes | None) -> bytes:
    """The report as PDF bytes: summary table, map, events, incidents."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    _register_cjk()
    styles = getSampleStyleSheet()
    cjk = ParagraphStyle("cjk", parent=styles["Normal"], fontName=CJK_FONT, fontSize=9)
    small = ParagraphStyle(
        "small", parent=styles["Normal"], fontName=CJK_FONT, fontSize=8, leading=10
    )
    h1 = ParagraphStyle("h1cjk", parent=styles["Heading1"], fontName=CJK_FONT)
    h2 = ParagraphStyle("h2cjk", parent=styles["Heading2"], fontName=CJK_FONT)
    grid = TableStyle(
        [
            ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
            ("BACKGROUND", (0, 0), (0, -1), colors.whitesmoke),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("FONTNAME", (0, 0), (-1, -1), CJK_FONT),
            ("FONTSIZE", (0, 0), (-1, -1), 9),
        ]
    )
    story: list[Any] = [Paragraph(f"Patrol report / 巡逻报告 #{facts.patrol_id}", h1)]
    rows = [
        [Paragraph(f"{en} / {zh}", cjk), Paragraph(_escape(text), cjk)]
        for _key, en, zh, text in summary_rows(summary)
    ]
    story += [Table(rows, colWidths=[6.5 * cm, 10 * cm], style=grid), Spacer(1, 0.4 * cm)]
    if map_png:
        img = Image(io.BytesIO(map_png))
        scale = min(16 * cm / img.imageWidth, 13 * cm / img.imageHeight)
        img.drawWidth, img.drawHeight = img.imageWidth * scale, img.imageHeight * scale
        story += [img, Spacer(1, 0.4 * cm)]
    story.append(Paragraph(f"Events and anomalies / 飞行记录与异常 ({len(facts.events)})", h2))
    ev = [["时间 / Time", "类型 / Kind", "级别 / Level", "内容 / What"]] + [
        [
            local_time(e["at"]) if e["at"] else "",
            Paragraph(_escape(label("event", e["kind"])), small),
            Paragraph(_escape(label("level", e["level"])), small),
            Paragraph(_escape(event_text(e["text"])), small),
        ]
        for e in facts.events
    ]
    story += [Table(ev, colWidths=[3.4 * cm, 3 * cm, 1.8 * cm, 8.3 * cm], style=grid, repeatRows=1)]
    story.append(Paragraph(f"Incidents / 事件 ({len(facts.incidents)})", h2))
    inc = [["#", "类型 / Type", "状态 / Status", "位置 / Position", "描述 / Description"]] + [
        [
            str(i["id"]),
            Paragraph(_escape(label("incident_type", i["type"])), small),
            Paragraph(_escape(label("incident_status", i["status"])), small),
            f"{i['lat_deg']:.6f}, {i['lon_deg']:.6f}",
            Paragraph(_escape(i["description"]), cjk),
        ]
        for i in facts.incidents
    ]
    story += [Table(inc, colWidths=[1 * cm, 3.4 * cm, 1.8 * cm, 4 * cm, 6.3 * cm], style=grid)]
    story += _photo_section(facts, h2, small)
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf, pagesize=A4, title=f"Patrol report {facts.patrol_id}", author="ecopatrol",
        leftMargin=2 * cm, rightMargin=2 * cm, topMargin=1.8 * cm, bottomMargin=1.8 * cm,
        initialFontName=CJK_FONT,  # else every page names an unembedded Helvetica
    )  # fmt: skip
    doc.build(story)
    return buf.getvalue()


def _photo_section(facts: PatrolFacts, h2: Any, small: Any) -> list[Any]:
    """The camera photos as thumbnails, four a row, each with its local time (none: no section)."""
    from reportlab.lib.units import cm
    from reportlab.platypus import Image, Paragraph, Table, TableStyle

    if not facts.camera_photos:
        return []
    cells: list[Any] = []
    for p in facts.camera_photos:
        jpeg = thumbnail_jpeg(p["path"], 320)
        caption = Paragraph(_escape(local_time(p["taken_at"]) if p["taken_at"] else ""), small)
        if jpeg is None:
            cells.append([Paragraph("(文件缺失 / file missing)", small), caption])
            continue
        img = Image(io.BytesIO(jpeg))
        scale = min(3.9 * cm / img.imageWidth, 3.9 * cm / img.imageHeight)
        img.drawWidth, img.drawHeight = img.imageWidth * scale, img.imageHeight * scale
        cells.append([img, caption])
    rows = [cells[i : i + 4] for i in range(0, len(cells), 4)]
    rows[-1] += [""] * (4 - len(rows[-1]))
    style = TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")])
    title = f"Camera photos / 相机照片 ({len(facts.camera_photos)})"
    return [Paragraph(title, h2), Table(rows, colWidths=[4.1 * cm] * 4, style=style)]


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
