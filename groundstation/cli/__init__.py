"""Typer sub-apps of the `ecopatrol` command line, one module per command group."""
