"""Errors raised while loading a site, and the warnings recorded when something was repaired.

The hierarchy::

    GeodataError                  base of everything geodata raises on bad input
    ├── SiteFileError             a file or folder cannot be read (missing, unknown format, too big)
    ├── LayerError                a layer is unusable: wrong geometry type, missing or bad property,
    │                             empty layer, coordinates that are not lon/lat, too many vertices
    ├── GeometryError             a geometry that cannot be repaired without changing it materially
    └── SiteConsistencyError      layers contradict each other: a station inside a hard no-fly
                                  zone, a patrol area entirely inside no-fly zones

Every error carries ``path``, ``layer``, ``feature`` (0-based index in the layer) and ``field``
when they are known, and its ``str()`` names them, so a person can find the bad spot:

>>> str(LayerError("missing required property", path="nfz.geojson", layer="no_fly_zones",
...                feature=3, field="restriction"))
"nfz.geojson: layer no_fly_zones, feature 3, field 'restriction': missing required property"

Repairs and remarks that do not stop the load are `SiteIssue` records kept on the site:

>>> str(SiteIssue("warning", "self-intersection repaired", layer="patrol_areas", feature=0))
'warning: layer patrol_areas, feature 0: self-intersection repaired'
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

IssueLevel = Literal["warning", "info"]


def _where(path: str | None, layer: str | None, feature: int | None, field: str | None) -> str:
    parts = []
    if layer is not None:
        parts.append(f"layer {layer}")
    if feature is not None:
        parts.append(f"feature {feature}")
    if field is not None:
        parts.append(f"field {field!r}")
    where = ", ".join(parts)
    if path is not None:
        where = f"{path}: {where}" if where else path
    return where


class GeodataError(Exception):
    """Base of every error geodata raises about its input."""

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        layer: str | None = None,
        feature: int | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = str(path) if path is not None else None
        self.layer = layer
        self.feature = feature
        self.field = field

    def __str__(self) -> str:
        where = _where(self.path, self.layer, self.feature, self.field)
        return f"{where}: {self.message}" if where else self.message

    def to_dict(self) -> dict[str, Any]:
        """The error as plain data, for ``--json`` output."""
        return {
            "error": type(self).__name__,
            "message": self.message,
            "path": self.path,
            "layer": self.layer,
            "feature": self.feature,
            "field": self.field,
        }


class SiteFileError(GeodataError):
    """A site file or folder cannot be read."""


class LayerError(GeodataError):
    """A layer is unusable as given (type, properties, emptiness, coordinates, size)."""


class GeometryError(GeodataError):
    """A geometry is invalid and cannot be repaired without changing it materially."""


class SiteConsistencyError(GeodataError):
    """Two layers contradict each other (e.g. the launch station inside a hard no-fly zone)."""


@dataclass(frozen=True, slots=True)
class SiteIssue:
    """A remark about the site that did not stop the load: a repair, a default, a simplification."""

    level: IssueLevel
    message: str
    path: str | None = None
    layer: str | None = None
    feature: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = _where(self.path, self.layer, self.feature, self.field)
        return (
            f"{self.level}: {where}: {self.message}" if where else f"{self.level}: {self.message}"
        )

    def to_dict(self) -> dict[str, Any]:
        """The issue as plain data, for ``--json`` output."""
        return {
            "level": self.level,
            "message": self.message,
            "path": self.path,
            "layer": self.layer,
            "feature": self.feature,
            "field": self.field,
        }
