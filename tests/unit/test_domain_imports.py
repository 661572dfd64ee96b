"""The station's domain packages and its services object do not depend on the web layer.

Only ``groundstation/api/`` and ``groundstation/app.py`` (and the CLI and demo that serve them)
may import FastAPI or Starlette; the patrol lifecycle, reports, scheduler, freshness, telemetry,
link and store are reached through ``groundstation.services`` and never through HTTP objects.
The check reads each module's imports with :mod:`ast` (also those inside functions and under
``TYPE_CHECKING``), so it needs no import of the modules themselves.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "groundstation"
DOMAIN = [
    "patrol",
    "reports",
    "schedule",
    "freshness",
    "telemetry",
    "link",
    "db",
    "evidence",
    "safety",
    "weather",
    "video",
]
ROOT_MODULES = ["services.py", "tasks.py", "site_cache.py", "config.py", "security.py"]
WEB = ("fastapi", "starlette", "groundstation.api", "groundstation.app")


def imported_names(path: Path) -> set[str]:
    """Every module name `path` imports, absolute (relative imports resolved)."""
    package = ".".join(path.relative_to(ROOT.parent).with_suffix("").parts[:-1])
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def modules() -> list[Path]:
    found = [p for d in DOMAIN for p in sorted((ROOT / d).rglob("*.py"))]
    found += [ROOT / name for name in ROOT_MODULES]
    return [p for p in found if "migrations" not in p.parts]


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_module_does_not_import_the_web_layer(path: Path) -> None:
    """A domain module imports neither FastAPI/Starlette nor the station's API or app."""
    web = sorted(n for n in imported_names(path) if n.split(".")[0] in WEB or n.startswith(WEB))
    assert web == [], f"{path.relative_to(ROOT)} imports {web}"


def test_the_check_sees_imports() -> None:
    """The scan finds a FastAPI import where there is one (it is not vacuously green)."""
    names = imported_names(ROOT / "api" / "deps.py")
    assert "fastapi" in names
    assert "groundstation.services.Services" in names
    assert len(modules()) > 40
