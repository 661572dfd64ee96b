"""Tests that start another process or a server on this machine but fly nothing: PostgreSQL
clusters (db/, reports/), the CLI in a subprocess, planning worker processes, the offline
verifier. `make test` runs them; `make check` (unit tests only) does not."""
