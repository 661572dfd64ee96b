"""The PDF report embeds every font it uses, so Chinese prints on any viewer."""

from __future__ import annotations

import io

import pytest

from groundstation.reports.builder import render
from tests.unit.reports.factsfixtures import facts

pypdf = pytest.importorskip("pypdf")


def _fonts(pdf: bytes) -> dict[str, bool]:
    """Every font resource of every page: base name -> embedded (a FontFile* stream present)."""
    out: dict[str, bool] = {}
    for page in pypdf.PdfReader(io.BytesIO(pdf)).pages:
        fonts = page["/Resources"].get_object().get("/Font", {})
        for ref in fonts.get_object().values():
            font = ref.get_object()
            descs = [font]
            if "/DescendantFonts" in font:
                descs = [d.get_object() for d in font["/DescendantFonts"]]
            embedded = all(
                any(k in d["/FontDescriptor"].get_object() for k in
                    ("/FontFile", "/FontFile2", "/FontFile3"))
                if "/FontDescriptor" in d else False
                for d in descs
            )  # fmt: skip
            out[str(font["/BaseFont"])] = embedded
    return out


def test_every_font_in_the_pdf_is_embedded() -> None:
    """The report's fonts (Chinese and Latin text) all carry their font file."""
    fonts = _fonts(render(facts(), "pdf").body)
    assert fonts, "the PDF names no font at all"
    assert all(fonts.values()), fonts


def test_chinese_text_is_extractable_from_the_pdf() -> None:
    """The embedded font maps its glyphs back to Unicode: the Chinese plan name can be found."""
    reader = pypdf.PdfReader(io.BytesIO(render(facts(), "pdf").body))
    text = "".join(p.extract_text() for p in reader.pages)
    assert "衢江北岸" in text
    assert "巡逻报告" in text
