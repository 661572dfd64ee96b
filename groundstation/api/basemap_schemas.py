"""What the live map learns about its base maps (``GET /api/map/basemaps``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class BasemapPublic(BaseModel):
    """One base map as the page draws it: tile URLs on this station only, never the upstream
    URL (which may hold a key)."""

    id: str
    name_zh: str
    name_en: str
    kind: Literal["xyz", "wmts", "mbtiles", "pmtiles", "folder"]
    format: Literal["raster", "vector"] = Field(description="vector: Mapbox Vector Tiles")
    tiles: list[str] = Field(description="URL templates on this station, bottom layer first")
    attribution: str
    min_zoom: int
    max_zoom: int = Field(description="the deepest zoom the tiles exist at (drawn larger past it)")
    internet: bool = Field(description="the station fetches these tiles from the internet")


class BasemapProblem(BaseModel):
    """A configured base map the station cannot serve (missing or damaged file)."""

    id: str
    detail: str


class BasemapsPublic(BaseModel):
    data: list[BasemapPublic]
    default: str | None = Field(description="the id shown first when the user has not chosen")
    problems: list[BasemapProblem]
