"""The command centre's base maps: the station's routes over the centre's own settings."""

from __future__ import annotations

import asyncio

from fastapi.testclient import TestClient
from pydantic import SecretStr

from groundstation.centre_app import create_centre_app
from groundstation.config import Settings
from groundstation.web.basemap_settings import BasemapSettings, BasemapSource
from tests.basemap_files import png, tile_server
from tests.integration.federation.centre_web import PASSWORD, add_users

PNG = png((32, 160, 64))


def test_the_centre_offers_and_fetches_base_maps_too(pg_cluster, tmp_path):
    """The centre's users list the centre's base maps, and its internet tiles are fetched by
    the centre (the browser asks only the centre)."""
    with tile_server(PNG) as (upstream, seen, _):
        source = BasemapSource(id="streets", name_zh="街道图", name_en="Streets", kind="xyz",
                               url=upstream + "/{z}/{x}/{y}.png")  # fmt: skip
        settings = Settings(
            data_dir=tmp_path / "centre", jwt_secret=SecretStr("c" * 48),
            password_hash_profile="cheapest",
            basemap=BasemapSettings(internet=True, sources=[source]),
        )  # fmt: skip
        db_url = pg_cluster.create_database()
        with TestClient(create_centre_app(settings, db_url, None)) as client:
            asyncio.run(add_users(db_url))
            body = {"username": "chief", "password": PASSWORD}
            token = client.post("/api/auth/login", json=body).json()["access_token"]
            r = client.get("/api/map/basemaps", headers={"Authorization": f"Bearer {token}"})
            assert [s["id"] for s in r.json()["data"]] == ["streets"]
            assert client.get("/api/map/basemaps").status_code == 401
            r = client.get("/tiles/streets/0/12/3400/1700")
            assert (r.status_code, r.content) == (200, PNG)
            assert seen == ["/12/3400/1700.png"]
