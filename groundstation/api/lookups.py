"""Path-parameter dependencies shared by several routers: the row an id in the path names.

Each is a thin wrapper over a ``db`` lookup that raises :class:`~groundstation.errors.NotFound`
(404), so the routers that need the same row do not import each other.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from groundstation.api.deps import SessionDep
from groundstation.api.inputs import Id
from groundstation.db.models import Vehicle
from groundstation.db.vehicles import get_vehicle


async def vehicle_in_path(session: SessionDep, vehicle_id: Id) -> Vehicle:
    """The registered vehicle ``{vehicle_id}`` names, else 404."""
    return await get_vehicle(session, vehicle_id)


VehicleDep = Annotated[Vehicle, Depends(vehicle_in_path)]
