"""The site's local metric frame: WGS84 at the edges, metres (UTM) inside.

>>> from shapely.geometry import Point
>>> frame = LocalFrame.for_lonlat(119.18, 29.05)
>>> frame.epsg
32650
>>> p = frame.to_wgs84(frame.to_local(Point(119.18, 29.05)))
>>> round(p.x, 6), round(p.y, 6)
(119.18, 29.05)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import CRS, Transformer
from pyproj.aoi import AreaOfInterest
from pyproj.database import query_utm_crs_info
from shapely.geometry.base import BaseGeometry

G = TypeVar("G", bound=BaseGeometry)

WGS84 = CRS.from_epsg(4326)


def utm_epsg_for(lon_deg: float, lat_deg: float) -> int:
    """EPSG code of the WGS84 UTM zone containing (lon, lat), e.g. 32650 for Longyou."""
    infos = query_utm_crs_info(
        datum_name="WGS 84",
        area_of_interest=AreaOfInterest(lon_deg, lat_deg, lon_deg, lat_deg),
    )
    if not infos:
        raise ValueError(f"no UTM zone for lon={lon_deg}, lat={lat_deg}")
    return int(infos[0].code)


@dataclass(frozen=True)
class LocalFrame:
    """A pair of transformers between WGS84 lon/lat and one metric CRS."""

    epsg: int
    _fwd: Transformer = field(repr=False, compare=False)
    _inv: Transformer = field(repr=False, compare=False)

    @classmethod
    def from_epsg(cls, epsg: int) -> LocalFrame:
        crs = CRS.from_epsg(epsg)
        return cls(
            epsg=epsg,
            _fwd=Transformer.from_crs(WGS84, crs, always_xy=True),
            _inv=Transformer.from_crs(crs, WGS84, always_xy=True),
        )

    @classmethod
    def for_lonlat(cls, lon_deg: float, lat_deg: float) -> LocalFrame:
        """The UTM frame of the zone containing this point."""
        return cls.from_epsg(utm_epsg_for(lon_deg, lat_deg))

    @classmethod
    def for_geometry(cls, geom_wgs84: BaseGeometry) -> LocalFrame:
        """The UTM frame of the zone containing the geometry's centroid."""
        c = geom_wgs84.centroid
        return cls.for_lonlat(c.x, c.y)

    @property
    def crs(self) -> CRS:
        return CRS.from_epsg(self.epsg)

    def to_local(self, geom: G) -> G:
        """WGS84 lon/lat geometry -> the same geometry in metres."""
        return shapely.transform(geom, self._fwd_coords)

    def to_wgs84(self, geom: G) -> G:
        """Metric geometry -> the same geometry in WGS84 lon/lat."""
        return shapely.transform(geom, self._inv_coords)

    def xy_to_local(self, lon_deg: float, lat_deg: float) -> tuple[float, float]:
        x, y = self._fwd.transform(lon_deg, lat_deg)
        return float(x), float(y)

    def xy_to_wgs84(self, x_m: float, y_m: float) -> tuple[float, float]:
        lon, lat = self._inv.transform(x_m, y_m)
        return float(lon), float(lat)

    def _fwd_coords(self, xy: NDArray[np.float64]) -> NDArray[np.float64]:
        x, y = self._fwd.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    def _inv_coords(self, xy: NDArray[np.float64]) -> NDArray[np.float64]:
        x, y = self._inv.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])
