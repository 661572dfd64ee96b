"""Base maps in a real browser: the default page asks nothing of anyone but the station; a
vector PMTiles file made here is drawn (its colours read back from the map's tile canvases);
an internet source reaches the page through the station only; the choice is remembered. At
desktop and phone size."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from groundstation.web.basemap_settings import BasemapSettings, BasemapSource
from tests.basemap_files import (
    EARTH_RGB,
    LONGYOU_BOX,
    WATER_RGB,
    png,
    tile_server,
    vector_tile,
    write_pmtiles,
)
from tests.browser.pages import DESKTOP, PHONE, WAIT_MS, log_in, open_page
from tests.browser.station import LiveStation

pytestmark = pytest.mark.e2e

RED = (220, 30, 40)

#: Share of the sampled pixels of the base map's tiles (canvases, or images drawn onto one)
#: that have each colour, within a small tolerance.
COLOUR_SHARES = """([selector, colours]) => {
    const counts = colours.map(() => 0);
    let total = 0;
    const scratch = document.createElement('canvas');
    for (const el of document.querySelectorAll(selector)) {
        let data;
        if (el.tagName === 'CANVAS') {
            if (!el.width) continue;
            data = el.getContext('2d').getImageData(0, 0, el.width, el.height).data;
        } else {
            if (!el.complete || !el.naturalWidth) continue;
            scratch.width = el.naturalWidth; scratch.height = el.naturalHeight;
            const ctx = scratch.getContext('2d');
            ctx.drawImage(el, 0, 0);
            data = ctx.getImageData(0, 0, scratch.width, scratch.height).data;
        }
        for (let i = 0; i < data.length; i += 4 * 7) {
            total++;
            colours.forEach((c, k) => {
                if (Math.abs(data[i] - c[0]) < 8 && Math.abs(data[i + 1] - c[1]) < 8
                    && Math.abs(data[i + 2] - c[2]) < 8) counts[k]++;
            });
        }
    }
    return counts.map((n) => (total ? n / total : 0));
}"""


def wait_for_colours(page: Any, selector: str, colours: list[tuple[int, int, int]]) -> list[float]:
    """Wait until every colour covers at least a tenth of the base map's tiles; the shares."""
    page.wait_for_function(
        f"arg => ({COLOUR_SHARES})(arg).every((share) => share > 0.1)",
        arg=[selector, [list(c) for c in colours]],
        timeout=WAIT_MS,
    )
    shares: list[float] = page.evaluate(COLOUR_SHARES, [selector, [list(c) for c in colours]])
    return shares


@contextmanager
def officer_page(
    browser, station: LiveStation, viewport
) -> Iterator[tuple[Any, list[str], list[str]]]:
    """An officer logged in on the page: the page, every URL it requested, its errors."""
    station.add_user("officer1", "officer")
    context, page, errors = open_page(browser, "about:blank", viewport)
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    try:
        page.goto(station.url)
        log_in(page, "officer1")
        yield page, requests, errors
    finally:
        context.close()


def outside(requests: list[str], station: LiveStation) -> list[str]:
    return [u for u in requests if not u.startswith((station.url + "/", "data:", "blob:"))]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_default_page_asks_nothing_of_the_internet(browser, tmp_path, viewport):
    """With no base map configured the map is the site on grey, "no base map" is the one
    choice, and every request the page makes goes to the station."""
    station = LiveStation(tmp_path / "station").start()
    try:
        with officer_page(browser, station, viewport) as (page, requests, errors):
            page.wait_for_selector("#map[data-basemap='none']", timeout=WAIT_MS)
            page.wait_for_load_state("networkidle")
            names = page.eval_on_selector_all(
                ".leaflet-control-layers-base label", "els => els.map(e => e.textContent.trim())"
            )
            assert names == ["无底图"]
            assert not page.query_selector(".leaflet-tile")
            assert any("/api/map/basemaps" in u for u in requests)
            assert outside(requests, station) == []
            assert errors == [], errors
    finally:
        station.stop()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_vector_pmtiles_file_is_drawn_from_the_station(browser, tmp_path, viewport):
    """A vector PMTiles file made here (earth, and water over each tile's west half) is drawn
    under the site by protomaps-leaflet: the tile canvases hold its land and water colours,
    about half each, and every tile came from the station."""
    path = tmp_path / "longyou.pmtiles"
    write_pmtiles(path, LONGYOU_BOX, range(8, 15), vector_tile())
    station = LiveStation(tmp_path / "station", map_tiles=path).start()
    try:
        with officer_page(browser, station, viewport) as (page, requests, errors):
            page.wait_for_selector("#map[data-basemap='local']", timeout=WAIT_MS)
            earth, water = wait_for_colours(page, ".basemap-vector canvas", [EARTH_RGB, WATER_RGB])
            assert 0.25 < water < 0.75, (earth, water)
            assert 0.25 < earth < 0.75, (earth, water)
            tiles = [u for u in requests if "/tiles/" in u]
            assert tiles
            assert all(u.startswith(f"{station.url}/tiles/local/0/") for u in tiles)
            assert outside(requests, station) == []
            assert errors == [], errors
    finally:
        station.stop()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_an_internet_source_reaches_the_page_through_the_station(browser, tmp_path, viewport):
    """An xyz source on a server (here on loopback, standing in for one on the internet) is
    drawn from tiles the station fetched: the browser asks the station only, the tiles show the
    server's colour, the key in its URL never reaches the page, and its credit is shown as
    text."""
    with tile_server(png(RED, 256)) as (upstream, seen, _):
        source = BasemapSource(id="streets", name_zh="街道图", name_en="Streets", kind="xyz",
                               url=upstream + "/{z}/{x}/{y}.png?key=k-secret",
                               attribution="街道图 <img src=x onerror=alert(1)>")  # fmt: skip
        basemap = BasemapSettings(internet=True, sources=[source])
        station = LiveStation(tmp_path / "station", basemap=basemap).start()
        try:
            with officer_page(browser, station, viewport) as (page, requests, errors):
                page.wait_for_selector("#map[data-basemap='streets']", timeout=WAIT_MS)
                (red,) = wait_for_colours(page, ".basemap-raster img.leaflet-tile-loaded", [RED])
                assert red > 0.9
                assert seen
                assert outside(requests, station) == []
                assert "k-secret" not in page.content()
                credit = ".leaflet-control-attribution"
                assert "街道图 <img src=x" in page.inner_text(credit)  # text, not HTML
                assert not page.query_selector(f"{credit} img")
                assert errors == [], errors
        finally:
            station.stop()


def test_the_chosen_base_map_is_remembered(browser, tmp_path):
    """Picking "no base map" in the layer control takes the base map away, and the choice
    holds after a reload; picking the file again brings it back; in English the choices are
    named in English and the vector map is drawn again."""
    path = tmp_path / "longyou.pmtiles"
    write_pmtiles(path, LONGYOU_BOX, range(8, 15), vector_tile())
    station = LiveStation(tmp_path / "station", map_tiles=path).start()
    try:
        with officer_page(browser, station, DESKTOP) as (page, _, errors):
            page.wait_for_selector("#map[data-basemap='local']", timeout=WAIT_MS)
            page.hover(".leaflet-control-layers")
            page.click(".leaflet-control-layers-base label:has-text('无底图')")
            page.wait_for_selector("#map[data-basemap='none']", timeout=WAIT_MS)
            assert not page.query_selector(".basemap-vector")
            page.reload()
            page.wait_for_selector("body[data-ready='1']", timeout=WAIT_MS)
            page.wait_for_selector("#map[data-basemap='none']", timeout=WAIT_MS)
            page.hover(".leaflet-control-layers")
            page.click(".leaflet-control-layers-base label:has-text('本地底图')")
            page.wait_for_selector("#map[data-basemap='local']", timeout=WAIT_MS)
            wait_for_colours(page, ".basemap-vector canvas", [EARTH_RGB, WATER_RGB])
            page.click("header [data-testid=lang-switch]")
            names = page.eval_on_selector_all(
                ".leaflet-control-layers-base label", "els => els.map(e => e.textContent.trim())"
            )
            assert names == ["No base map", "Local tiles"]
            # the vector map is redrawn for the new language's place names, still drawn
            page.wait_for_function("document.querySelectorAll('.basemap-vector').length === 1")
            wait_for_colours(page, ".basemap-vector canvas", [EARTH_RGB, WATER_RGB])
            assert errors == [], errors
    finally:
        station.stop()
