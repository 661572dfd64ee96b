"""Internet base tiles fetched by the station for the page (Tianditu, any xyz or wmts source).

The browser asks the station, never the tile server: the key in the URL (Tianditu's ``tk=``)
stays on the station, the page's Content-Security-Policy stays "this station only", and phones
on the station's network need no internet of their own. Only the URL templates of configured
sources are ever fetched, for tile addresses inside their zoom range. One pooled HTTP client
serves every tile, so connections and TLS sessions to a tile server are reused.
"""

from __future__ import annotations

import logging
from types import TracebackType

import httpx

from groundstation.web.basemap_settings import BasemapSource
from groundstation.web.tiles import TileSourceError, tile_type

log = logging.getLogger(__name__)

#: some tile servers (Tianditu among them) refuse clients that do not name themselves
USER_AGENT = "ecopatrol-station (base map tiles)"
#: connections open at once to all tile servers together (a map view asks for ~30 tiles)
MAX_CONNECTIONS = 16


class TileFetcher:
    """Fetches tiles of internet sources over one HTTP client; an async context manager that
    closes the client on exit."""

    def __init__(self, timeout_s: float) -> None:
        self._client = httpx.AsyncClient(
            timeout=timeout_s,
            follow_redirects=False,
            headers={"User-Agent": USER_AGENT},
            limits=httpx.Limits(max_connections=MAX_CONNECTIONS),
        )

    async def __aenter__(self) -> TileFetcher:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP client (and its connections)."""
        await self._client.aclose()

    async def fetch(
        self, source: BasemapSource, layer: int, z: int, x: int, y: int
    ) -> tuple[bytes, str] | None:
        """One tile of an internet source and its image type; None when the server has none
        (404, 204). A server that fails or answers with something that is no image raises
        `TileSourceError` (its message names the host, never the URL: it may hold a key)."""
        url = source.tile_url(layer, z, x, y)
        host = httpx.URL(url).host
        try:
            r = await self._client.get(url)
        except httpx.HTTPError as exc:
            raise TileSourceError(
                f"base map {source.id}: {host} failed ({type(exc).__name__})"
            ) from exc
        if r.status_code in (204, 404):
            return None
        if r.status_code != 200:
            raise TileSourceError(f"base map {source.id}: {host} answered HTTP {r.status_code}")
        media_type = tile_type(r.content)
        if media_type is None:
            # Tianditu answers a bad or over-quota key with 200 and an XML/HTML error page
            log.warning("base map %s: %s sent no image (%.80r)", source.id, host, r.content)
            raise TileSourceError(f"base map {source.id}: {host} sent no image (is the key valid?)")
        return r.content, media_type
