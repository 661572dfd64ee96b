"""The Chinese report prints translated labels and local times, never the store's raw codes."""

from __future__ import annotations

import io
import re

import pytest
from lxml import html as lxml_html

from groundstation.reports.builder import render
from tests.unit.reports.factsfixtures import facts

#: codes the store keeps that must not appear as cell text on their own
RAW = {"tour", "coverage", "reported", "preflight", "link_lost", "info", "warning",
       "illegal_fishing", "preflight passed"}  # fmt: skip

SHOWN = (
    "重点部位巡查 / hotspot tour",
    "已完成并出报告 / completed, reported",
    "飞行前检查通过 / preflight passed",
    "非法捕捞 / illegal fishing",
    "待处理 / open",
)


def _cells(page: str) -> list[str]:
    tree = lxml_html.fromstring(page)
    return [td.text_content().strip() for td in tree.xpath("//td")]


def test_html_report_cells_are_labels_not_codes() -> None:
    """Plan kind, state, event kinds and levels, incident type and status are translated."""
    f = facts(plan_kind="tour", state="reported", planned_stops=[])
    cells = _cells(render(f, "html").body.decode())
    assert not RAW & set(cells), RAW & set(cells)
    for shown in SHOWN:
        assert shown in cells, shown


def test_html_report_times_are_local() -> None:
    """Event times are printed in Asia/Shanghai (UTC 01:00 is 09:00 there)."""
    cells = _cells(render(facts(), "html").body.decode())
    assert "2026-12-06 09:00:00" in cells
    assert not any(re.search(r"\+00:00|T\d\d:", c) for c in cells)


def test_pdf_report_prints_labels_not_codes() -> None:
    """The PDF's text holds the Chinese labels and no bare code as a cell."""
    pypdf = pytest.importorskip("pypdf")
    body = render(facts(plan_kind="tour", state="reported", planned_stops=[]), "pdf").body
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(body)).pages)
    assert "重点部位巡查" in text
    assert "链路中断" in text
    assert "非法捕捞" in text
    lines = {line.strip() for line in text.splitlines()}
    assert not {"tour", "reported", "link_lost", "illegal_fishing", "preflight passed"} & lines
