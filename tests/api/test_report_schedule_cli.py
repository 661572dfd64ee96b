"""`ecopatrol report` and `ecopatrol schedule`: files written, schedules stored, clear errors."""

from __future__ import annotations

import json

import pytest
from lxml import html as lxml_html
from typer.testing import CliRunner

from groundstation.cli.main import app as cli
from groundstation.config import DbSettings
from groundstation.db.migrate import upgrade_to_head
from tests.integration.reports.patrol_data import store_patrol

runner = CliRunner()


@pytest.fixture
def db(tmp_path, monkeypatch) -> str:
    monkeypatch.setenv("ECOPATROL_DATA_DIR", str(tmp_path / "data"))
    url = f"sqlite:///{tmp_path / 'station.db'}"
    upgrade_to_head(DbSettings(url=url))
    return url


def test_report_html_pdf_geojson_to_files(db, tmp_path):
    """Each format lands in its file with the patrol's numbers."""
    p = store_patrol(DbSettings(url=db))
    out = tmp_path / "r.html"
    r = runner.invoke(cli, ["report", str(p.patrol_id), "--db", db, "-o", str(out)])
    assert r.exit_code == 0, r.output
    page = lxml_html.fromstring(out.read_bytes())
    assert page.xpath("//td[@id='photos']/@data-value") == [str(p.photos)]
    pdf = tmp_path / "r.pdf"
    r = runner.invoke(cli, ["report", str(p.patrol_id), "--db", db, "-f", "pdf", "-o", str(pdf)])
    assert r.exit_code == 0, r.output
    assert pdf.read_bytes().startswith(b"%PDF-")
    r = runner.invoke(cli, ["report", str(p.patrol_id), "--db", db, "-f", "geojson"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["properties"]["incidents"] == 2


def test_report_errors_are_one_line(db, tmp_path):
    """Unknown format, unknown patrol and a missing folder fail with exit 2 and a reason."""
    p = store_patrol(DbSettings(url=db))
    r = runner.invoke(cli, ["report", str(p.patrol_id), "--db", db, "-f", "docx"])
    assert r.exit_code == 2
    assert "unknown report format 'docx'" in r.output
    r = runner.invoke(cli, ["report", "999", "--db", db])
    assert r.exit_code == 2
    assert "patrol" in r.output
    assert "999" in r.output
    r = runner.invoke(
        cli, ["report", str(p.patrol_id), "--db", db, "-o", str(tmp_path / "no" / "x.html")]
    )
    assert r.exit_code == 2
    assert "does not exist" in r.output


def test_schedule_add_list_disable(db):
    """A schedule added on the command line is listed with its next run and can be disabled."""
    p = store_patrol(DbSettings(url=db))
    r = runner.invoke(cli, ["schedule", "add", "--plan", str(p.plan_id), "--time", "07:30",
                            "--time", "16:00", "--months", "6-9", "--name", "summer shore",
                            "--drone", str(p.vehicle_id), "--db", db])  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "schedule 1 added" in r.output
    listed = runner.invoke(cli, ["schedule", "list", "--db", db])
    assert "summer shore" in listed.output
    assert "6,7,8,9" in listed.output
    assert "T07:30" in listed.output or "T16:00" in listed.output
    r = runner.invoke(cli, ["schedule", "disable", "1", "--db", db])
    assert r.exit_code == 0, r.output
    assert "disabled  next -" in runner.invoke(cli, ["schedule", "list", "--db", db]).output


def test_schedule_add_refuses_bad_timing(db):
    """A bad cron or season fails with the reason, and nothing is stored."""
    p = store_patrol(DbSettings(url=db))
    r = runner.invoke(cli, ["schedule", "add", "--plan", str(p.plan_id), "--cron", "61 * * * *",
                            "--db", db])  # fmt: skip
    assert r.exit_code == 2
    assert "invalid cron expression" in r.output
    r = runner.invoke(cli, ["schedule", "add", "--plan", str(p.plan_id), "--time", "08:00",
                            "--months", "summer", "--db", db])  # fmt: skip
    assert r.exit_code == 2
    assert "expected e.g. 6-9" in r.output
    assert "summer" not in runner.invoke(cli, ["schedule", "list", "--db", db]).output
