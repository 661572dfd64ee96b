"""The live map page: ``/`` and its files, Leaflet from ``node_modules``, local base tiles.

- ``/``: the page (an error page naming the fix when ``make setup`` has not installed Leaflet);
- ``/static/app/…``: the page's ES modules, styles and icons (``groundstation/web/static``);
- ``/static/vendor/leaflet/…``: Leaflet's ``dist`` folder, installed by ``npm ci`` from the
  committed ``package-lock.json`` (never from a CDN);
- ``/static/vendor/geoman/…``: leaflet-geoman's ``dist`` folder (drawing areas and lines for
  the planner), from ``npm ci`` like Leaflet;
- ``/docs``: the API's Swagger UI, its files from ``swagger-ui-dist`` in ``node_modules``
  (``/static/vendor/swagger-ui/…``) like Leaflet's, so it works offline and where the usual
  CDN cannot be reached;
- ``/web/config.json``: what the page needs before login (language, time zone);
- ``/static/vendor/protomaps-leaflet/…``: protomaps-leaflet's ``dist`` (vector base maps).

Base maps and their tiles are in ``api/basemaps.py``.

The files are public (the page has to load before anyone logs in); every piece of data the page
shows comes from the authenticated API and ``/ws/live``. The page's Content-Security-Policy lets
it load and connect to this station only, so a stray CDN link could not work even by accident.
"""

from __future__ import annotations

import logging
import mimetypes
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import FileResponse, HTMLResponse, Response

from groundstation.errors import NotFound

log = logging.getLogger(__name__)

router = APIRouter(tags=["web"], include_in_schema=False)

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
STATIC_DIR = WEB_DIR / "static"
LEAFLET_DIR = WEB_DIR / "node_modules" / "leaflet" / "dist"
GEOMAN_DIR = WEB_DIR / "node_modules" / "@geoman-io" / "leaflet-geoman-free" / "dist"
PROTOMAPS_DIR = WEB_DIR / "node_modules" / "protomaps-leaflet" / "dist"
SWAGGER_DIR = WEB_DIR / "node_modules" / "swagger-ui-dist"
SWAGGER_URL = "/static/vendor/swagger-ui"

DEFAULT_LANG = "zh-CN"
TIME_ZONE = "Asia/Shanghai"

CSP = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' blob: data:",
        "media-src 'self' blob:",  # live video: a MediaSource object URL (js/video.js)
        "style-src 'self' 'unsafe-inline'",  # Leaflet positions its panes with style attributes
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)
_PAGE_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",
}
_TYPES = {".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css"}

MISSING_VENDOR_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ecopatrol: live map not installed</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 4em auto">
<h1>The live map is not installed</h1>
<p>The map library (Leaflet) is missing from <code>{path}</code>.
It is installed from npm by the setup step: <strong>run <code>make setup</code></strong>
(or <code>npm ci --prefix groundstation/web</code>) on the station, then reload this page.</p>
<p lang="zh-CN">地图组件未安装：请在工作站上运行 <code>make setup</code> 后刷新本页。</p>
</body></html>
"""


def safe_file(root: Path, relative: str) -> Path | None:
    """The file `relative` under `root`, or None if it is missing or would leave `root`.

    >>> safe_file(STATIC_DIR, "../../app.py") is None, safe_file(STATIC_DIR, chr(0)) is None
    (True, True)
    """
    if "\x00" in relative:  # no file name holds NUL (and Path.resolve raises on it)
        return None
    base = root.resolve()
    candidate = (base / relative).resolve()
    if not candidate.is_relative_to(base) or not candidate.is_file():
        return None
    return candidate


def _file_response(root: Path, relative: str) -> FileResponse:
    path = safe_file(root, relative)
    if path is None:
        raise NotFound("file", relative)
    media_type = _TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0]
    return FileResponse(
        path,
        media_type=media_type or "application/octet-stream",
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"},
    )


def vendor_installed() -> bool:
    """True when ``npm ci`` has put Leaflet where the page loads it from."""
    return (LEAFLET_DIR / "leaflet-src.esm.js").is_file()


@router.get("/")
async def index() -> Response:
    """The live map page, or a page saying how to install it (503)."""
    if not vendor_installed():
        return HTMLResponse(
            MISSING_VENDOR_PAGE.format(path=LEAFLET_DIR), status_code=503, headers=_PAGE_HEADERS
        )
    return FileResponse(
        STATIC_DIR / "index.html", media_type="text/html; charset=utf-8", headers=_PAGE_HEADERS
    )


@router.get("/static/app/{path:path}")
async def app_file(path: str) -> FileResponse:
    return _file_response(STATIC_DIR, path)


@router.get("/static/vendor/leaflet/{path:path}")
async def leaflet_file(path: str) -> Response:
    if not vendor_installed():
        return Response(
            "Leaflet is not installed: run make setup", status_code=503, media_type="text/plain"
        )
    return _file_response(LEAFLET_DIR, path)


@router.get("/static/vendor/geoman/{path:path}")
async def geoman_file(path: str) -> Response:
    if not (GEOMAN_DIR / "leaflet-geoman.js").is_file():
        return Response(
            "leaflet-geoman is not installed: run make setup",
            status_code=503,
            media_type="text/plain",
        )
    return _file_response(GEOMAN_DIR, path)


@router.get("/static/vendor/protomaps-leaflet/{path:path}")
async def protomaps_file(path: str) -> Response:
    if not (PROTOMAPS_DIR / "protomaps-leaflet.js").is_file():
        return Response(
            "protomaps-leaflet is not installed: run make setup",
            status_code=503,
            media_type="text/plain",
        )
    return _file_response(PROTOMAPS_DIR, path)


def swagger_installed() -> bool:
    """True when ``npm ci`` has put Swagger UI where ``/docs`` loads it from."""
    return (SWAGGER_DIR / "swagger-ui-bundle.js").is_file()


@router.get("/docs")
async def api_docs(request: Request) -> Response:
    """The API's Swagger UI, from the station's own files (503 naming the fix if missing)."""
    if not swagger_installed():
        return Response(
            f"Swagger UI (npm swagger-ui-dist) is missing from {SWAGGER_DIR}: run make setup "
            "(or npm ci --prefix groundstation/web) on the station, then reload this page.",
            status_code=503,
            media_type="text/plain",
        )
    return get_swagger_ui_html(
        openapi_url=request.app.openapi_url or "/openapi.json",
        title=f"{request.app.title}: API",
        swagger_js_url=f"{SWAGGER_URL}/swagger-ui-bundle.js",
        swagger_css_url=f"{SWAGGER_URL}/swagger-ui.css",
        swagger_favicon_url=f"{SWAGGER_URL}/favicon-32x32.png",
        oauth2_redirect_url="/docs/oauth2-redirect",
    )


@router.get("/docs/oauth2-redirect")
async def api_docs_redirect() -> HTMLResponse:
    return get_swagger_ui_oauth2_redirect_html()


@router.get(SWAGGER_URL + "/{path:path}")
async def swagger_file(path: str) -> Response:
    if not swagger_installed():
        return Response(
            "Swagger UI is not installed: run make setup", status_code=503, media_type="text/plain"
        )
    return _file_response(SWAGGER_DIR, path)


@router.get("/web/config.json")
async def web_config() -> dict[str, Any]:
    """What the page needs before login: language and time zone (base maps come after login,
    from ``/api/map/basemaps``)."""
    return {"default_lang": DEFAULT_LANG, "time_zone": TIME_ZONE}
