"""What the station's commands share: settings from options and environment, clean failures."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import typer
from pydantic import ValidationError

from groundstation.config import Settings
from groundstation.errors import GroundStationError, StoreError

T = TypeVar("T")


def load_settings(*, db: str | None = None, data_dir: Path | None = None, **top: Any) -> Settings:
    """Settings from the environment, overridden by the options that were given."""
    try:
        settings = Settings()
        update = {k: v for k, v in top.items() if v is not None}
        if data_dir is not None:
            update["data_dir"] = data_dir
        if db is not None:
            update["db"] = settings.db.model_validate({**settings.db.model_dump(), "url": db})
        return Settings.model_validate({**settings.model_dump(), **update}).resolved()
    except (ValidationError, GroundStationError) as exc:
        fail(f"invalid settings: {exc}")


def fail(message: str, code: int = 2) -> NoReturn:
    """Print `message` to stderr and stop with `code` (never returns)."""
    typer.secho(message, fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def run_on_store(job: Coroutine[Any, Any, T]) -> T:
    """Run a command's async `job`; a database that cannot be used stops it with one line."""
    try:
        return asyncio.run(job)
    except StoreError as exc:
        fail(str(exc), code=1)
