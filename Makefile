# The two commands a user runs: `make demo` and `make test`. Each sets up everything it needs.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test lint setup system-deps clean

$(STAMP): pyproject.toml scripts/install-system-deps.sh groundstation/web/package-lock.json
	bash scripts/install-system-deps.sh
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	npm ci --prefix groundstation/web --no-audit --no-fund
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/ecopatrol demo

test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy geodata routes simulator groundstation
	$(VENV)/bin/pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy geodata routes simulator groundstation

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
