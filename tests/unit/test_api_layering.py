"""The API's routers stay thin: no SQL of their own, and no router leaning on another.

A route module (one that builds an ``APIRouter``) parses the request, authorises, calls one
function of the ``db`` query modules or a service, and shapes the answer. So it imports nothing
from SQLAlchemy but the session types, calls no query method on a session, and imports no other
route module: what two routers share lives in a module that is not a router (``api.deps``,
``api.lookups``, ``api.site_deps``, ``api.incident_views``, a service). Read from the source
(no app is built).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

import groundstation

API_DIR = Path(groundstation.__file__).parent / "api"

#: SQLAlchemy modules a route module may import: the session types, which carry no SQL.
ALLOWED_SQLALCHEMY = frozenset({"sqlalchemy.ext.asyncio"})

#: Session methods that run or stage SQL; commit and rollback stay with the request's
#: unit of work (e.g. giving back the pooled connection before planning).
QUERY_METHODS = frozenset(
    {"execute", "scalar", "scalars", "get", "add", "add_all", "delete", "merge", "flush", "stream"}
)

#: Route module -> route modules it may still import, each with its reason (none now).
ALLOWED_ROUTER_IMPORTS: dict[str, dict[str, str]] = {}

#: Route module -> SQLAlchemy modules and query calls it may still use, each with its reason.
ALLOWED_SQL_IMPORTS: dict[str, dict[str, str]] = {}
ALLOWED_QUERIES: dict[str, dict[str, str]] = {}


@dataclass(frozen=True, slots=True)
class Findings:
    """What one module's source shows about its layering."""

    is_router: bool
    sqlalchemy_imports: frozenset[str]
    api_imports: frozenset[str]
    session_calls: frozenset[str]


def scan(source: str) -> Findings:
    """The router flag, SQLAlchemy imports, ``groundstation.api`` modules imported, and the
    ``session.<method>`` query calls of a module's source.

    >>> f = scan("from sqlalchemy import select\\nrouter = APIRouter()\\nsession.execute(q)")
    >>> f.is_router, sorted(f.sqlalchemy_imports), sorted(f.session_calls)
    (True, ['sqlalchemy'], ['execute'])
    """
    is_router = False
    sqlalchemy: set[str] = set()
    api: set[str] = set()
    calls: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id == "APIRouter":
                is_router = True
            if (
                isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Name)
                and func.value.id == "session"
                and func.attr in QUERY_METHODS
            ):
                calls.add(func.attr)
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            names = [node.module]
            if node.module == "groundstation.api":
                names = [f"groundstation.api.{alias.name}" for alias in node.names]
        for name in names:
            if name == "sqlalchemy" or name.startswith("sqlalchemy."):
                sqlalchemy.add(name)
            if name.startswith("groundstation.api."):
                api.add(name.removeprefix("groundstation.api.").split(".")[0])
    return Findings(is_router, frozenset(sqlalchemy), frozenset(api), frozenset(calls))


FINDINGS = {path.stem: scan(path.read_text()) for path in sorted(API_DIR.glob("*.py"))}
ROUTERS = sorted(name for name, found in FINDINGS.items() if found.is_router)


def test_the_scan_finds_the_routers() -> None:
    """The scan sees the routers the app mounts (a renamed APIRouter would hide them all)."""
    assert {"patrols", "incidents", "vehicles", "vehicle_commands", "plans", "live"} <= set(ROUTERS)
    assert "deps" not in ROUTERS
    assert {"lookups", "site_deps", "incident_views"}.isdisjoint(ROUTERS)


def test_the_scan_flags_sql_and_router_imports() -> None:
    """A module with a query and an import of another router is caught on both counts."""
    source = (
        "from sqlalchemy import func, select\n"
        "from groundstation.api import vehicles\n"
        "from groundstation.api.incidents import incident_public\n"
        "router = APIRouter()\n"
        "async def f(session):\n"
        "    return await session.scalar(select(func.count()))\n"
    )
    found = scan(source)
    assert found.sqlalchemy_imports == {"sqlalchemy"}
    assert found.api_imports == {"vehicles", "incidents"}
    assert found.session_calls == {"scalar"}


@pytest.mark.parametrize("module", ROUTERS)
def test_route_module_builds_no_sql(module: str) -> None:
    """A route module imports no SQL construct from SQLAlchemy."""
    allowed = ALLOWED_SQLALCHEMY | set(ALLOWED_SQL_IMPORTS.get(module, {}))
    assert FINDINGS[module].sqlalchemy_imports <= allowed


@pytest.mark.parametrize("module", ROUTERS)
def test_route_module_runs_no_query(module: str) -> None:
    """A route module calls no query method on a session: the db modules do."""
    allowed = set(ALLOWED_QUERIES.get(module, {}))
    assert FINDINGS[module].session_calls <= allowed


@pytest.mark.parametrize("module", ROUTERS)
def test_route_module_imports_no_other_router(module: str) -> None:
    """A route module imports no other route module."""
    others = (FINDINGS[module].api_imports & set(ROUTERS)) - {module}
    assert others <= set(ALLOWED_ROUTER_IMPORTS.get(module, {}))


def test_allow_lists_name_only_what_is_still_there() -> None:
    """Every allowed exception still exists: one that was fixed leaves the allow-list."""
    for module, imports in ALLOWED_ROUTER_IMPORTS.items():
        assert set(imports) <= FINDINGS[module].api_imports, module
    for module, modules in ALLOWED_SQL_IMPORTS.items():
        assert set(modules) <= FINDINGS[module].sqlalchemy_imports, module
    for module, calls in ALLOWED_QUERIES.items():
        assert set(calls) <= FINDINGS[module].session_calls, module
