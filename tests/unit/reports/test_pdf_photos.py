"""The PDF report shows the camera photos it counts, as thumbnails with their local time."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from groundstation.reports.builder import render
from tests.unit.reports.factsfixtures import START, facts

pypdf = pytest.importorskip("pypdf")


def _photo(path: Path, colour: tuple[int, int, int]) -> str:
    Image.new("RGB", (640, 480), colour).save(path, "JPEG")
    return str(path)


def _images(pdf: bytes) -> int:
    return sum(len(p.images) for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)


def test_pdf_embeds_one_thumbnail_per_photo(tmp_path: Path) -> None:
    """Five stored photos add five pictures to the PDF (beside the map); a gone file is listed."""
    photos = [
        {"id": k, "taken_at": START.isoformat(), "lat_deg": 29.05, "lon_deg": 119.18,
         "sha256": "ab" * 32, "path": _photo(tmp_path / f"{k}.jpg", (40 * k, 90, 120))}
        for k in range(5)
    ]  # fmt: skip
    gone = {**photos[0], "id": 9, "path": str(tmp_path / "gone.jpg")}
    without = _images(render(facts(), "pdf").body)
    body = render(facts(camera_photos=[*photos, gone]), "pdf").body
    assert _images(body) == without + 5
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(body)).pages)
    assert "相机照片 (6)" in text
    assert "file missing" in text
    assert "2026-12-06 09:00:00" in text  # the photos' time, in Asia/Shanghai
