"""The guarded site's row in the store (the site itself is read from its files)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from groundstation.db.models import Site


async def save_site_row(session: AsyncSession, name: str, source: str, crs: str) -> Site:
    """The site's row, added or brought up to date with `source` and `crs` (committed)."""
    row = await session.scalar(select(Site).where(Site.name == name))
    if row is None:
        row = Site(name=name, source=source, crs=crs)
        session.add(row)
    else:
        row.source, row.crs = source, crs
    await session.commit()
    return row
