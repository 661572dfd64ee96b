"""Where the demo's log goes: always to ``demo.log`` in its folder, and to the terminal too.

Headless runs log INFO and up to stderr (a CI job's log); the live view shows only warnings and
errors, through Rich, above the live tables. The scheduler's per-job chatter stays out.
"""

from __future__ import annotations

import logging
from pathlib import Path

from rich.console import Console
from rich.logging import RichHandler

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
QUIET = ("alembic", "apscheduler", "httpx", "httpcore", "multipart")


class _OnPurpose(logging.Filter):
    """Drops notices of what the demo does on purpose each run (its admin comes from settings)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("created first admin")


def configure(log_file: Path, *, headless: bool, console: Console | None = None) -> None:
    """Send the root logger to `log_file`, plus stderr (headless) or the Rich console."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.setLevel(logging.INFO)
    to_file = logging.FileHandler(log_file, encoding="utf-8")
    to_file.setFormatter(logging.Formatter(FORMAT))
    root.addHandler(to_file)
    terminal: logging.Handler
    if headless or console is None:
        terminal = logging.StreamHandler()
        terminal.setFormatter(logging.Formatter(FORMAT))
    else:
        terminal = RichHandler(console=console, show_path=False, level=logging.WARNING)
        terminal.addFilter(_OnPurpose())
    root.addHandler(terminal)
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)


def close() -> None:
    """Flush and detach the handlers :func:`configure` added."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        handler.close()
        root.removeHandler(handler)
