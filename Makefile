# The two commands a user runs: `make demo` and `make test`. Each sets up everything it needs.
# `make check` is the fast lane while working (format, lint, types, unit and contract tests and
# doctests: nothing that starts a process or a server); `make test` runs everything, with coverage.
# Python packages install at the versions pinned in constraints.txt (`make lock` to refresh).
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test check lint jslint setup system-deps clean lock lock-upgrade

# A checkout that borrows another's venv or node_modules (a git worktree) never installs into
# them (pip would re-point the shared editable install here, npm ci would empty the linked
# folder): it goes on with what is installed, and `make setup` in the owning checkout updates it.
BORROWED = [ -L groundstation/web/node_modules ] || \
	case "$$(realpath -m $(VENV))/" in "$$(pwd)"/*) false;; *) true;; esac

$(STAMP): pyproject.toml constraints.txt scripts/install-system-deps.sh groundstation/web/package-lock.json
	@if $(BORROWED); then \
	  echo "not installing: $(VENV) or node_modules belong to another checkout (make setup there)"; \
	else \
	  set -e; \
	  bash scripts/install-system-deps.sh; \
	  python3 -m venv $(VENV); \
	  $(PY) -m pip install --quiet -c constraints.txt pip; \
	  $(PY) -m pip install --quiet -c constraints.txt -e '.[test]'; \
	  npm ci --prefix groundstation/web --no-audit --no-fund; \
	  touch $(STAMP); \
	fi

setup: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/ecopatrol demo

TYPED := geodata routes simulator groundstation tests bench
PACKAGES := geodata routes simulator groundstation

# The page's JavaScript: Biome (npm, pinned in package-lock.json) lints and checks the layout.
jslint: $(STAMP)
	cd groundstation/web && node_modules/.bin/biome ci --error-on-warnings --colors=off .

test: $(STAMP) jslint
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy $(TYPED)
	$(VENV)/bin/pytest --cov --cov-report=term:skip-covered

check: $(STAMP) jslint
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy $(TYPED)
	$(VENV)/bin/pytest -q tests/unit tests/contract $(PACKAGES)

lint: $(STAMP) jslint
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy $(TYPED)

# constraints.txt: `lock` keeps the pins and adds what pyproject.toml newly needs; `lock-upgrade`
# moves every pin to the newest version pyproject.toml allows. Commit the file after `make test`.
lock: $(STAMP)
	PYTHON=$(PY) bash scripts/lock-deps.sh

lock-upgrade: $(STAMP)
	PYTHON=$(PY) bash scripts/lock-deps.sh --upgrade

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache .coverage
