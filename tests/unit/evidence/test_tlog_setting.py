"""``link.tlog``: the fleet records .tlog files where evidence export looks for them."""

from __future__ import annotations

from groundstation.config import LinkSettings, Settings
from groundstation.telemetry.fleet_bridge import fleet_from_settings


def test_the_fleet_writes_tlogs_where_the_export_reads_them(tmp_path):
    """With tlog on, the fleet's tlog folder is the one the evidence settings point at."""
    link = LinkSettings(mavlink=["udpin://127.0.0.1:0"], tlog=True)
    settings = Settings(data_dir=tmp_path, link=link)
    fleet = fleet_from_settings(settings)
    assert fleet.tlog_dir == tmp_path / "tlogs"
    assert settings.evidence.tlog_dir(tmp_path) is None  # nothing recorded yet
    (tmp_path / "tlogs").mkdir()
    assert settings.evidence.tlog_dir(tmp_path) == fleet.tlog_dir
    quiet = LinkSettings(mavlink=["udpin://127.0.0.1:0"])
    assert fleet_from_settings(Settings(data_dir=tmp_path, link=quiet)).tlog_dir is None
