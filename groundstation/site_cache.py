"""The site the station guards, loaded once on first use and kept for the service's lifetime."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from geodata.site import Site


@dataclass(slots=True)
class SiteCache:
    """The loaded site, its row id and its layers' GeoJSON, filled on first use."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    site: Site | None = None
    row_id: int | None = None
    geojson: dict[str, bytes] = field(default_factory=dict)
