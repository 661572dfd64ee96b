"""Settings of the freshness grid, read from ``ECOPATROL_FRESHNESS_*`` environment variables.

>>> FreshnessSettings(cell_m=100).cell_m
100.0
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from groundstation.freshness.grid import (
    DEFAULT_CELL_M,
    DEFAULT_HFOV_DEG,
    DEFAULT_MAX_GAP_S,
    DEFAULT_MIN_ALT_M,
)
from groundstation.freshness.ingest import Camera


class FreshnessSettings(BaseSettings):
    """Grid cell size, the patrol area it covers and the camera model of the sweep."""

    model_config = SettingsConfigDict(env_prefix="ECOPATROL_FRESHNESS_", extra="ignore")

    cell_m: float = Field(DEFAULT_CELL_M, gt=0, le=5000)
    area: str | None = Field(None, description="patrol area zone_id; None = patrol_zone or all")
    hfov_deg: float = Field(DEFAULT_HFOV_DEG, gt=0, lt=180)
    min_alt_m: float = Field(DEFAULT_MIN_ALT_M, ge=0)
    max_gap_s: float = Field(DEFAULT_MAX_GAP_S, gt=0)
    max_age_h: float = Field(24.0, gt=0, description="older than this is 'not seen' (red)")
    refresh_s: float = Field(10.0, gt=0, description="how often new track chunks are swept")

    def camera(self) -> Camera:
        return Camera(hfov_deg=self.hfov_deg, min_alt_m=self.min_alt_m, max_gap_s=self.max_gap_s)
