#!/usr/bin/env bash
# Writes constraints.txt: every Python package `pip install -e '.[test]'` brings in, pinned (==).
# Both README commands install through it (Makefile: pip install -c constraints.txt), so a new
# release on the registry changes nothing until the lock is refreshed and committed.
#
#   scripts/lock-deps.sh            keep the current pins, add what pyproject.toml newly needs
#                                   (`make lock`, after adding a dependency)
#   scripts/lock-deps.sh --upgrade  resolve everything afresh to the newest allowed versions
#                                   (`make lock-upgrade`; then run `make test` before committing)
#
# pip resolves without installing (--dry-run --report), so the venv is left as it is. The pins
# are for this machine's Python and platform (CPython 3.11, Linux x86_64): pip picks the same
# versions on any Python the project supports as long as each has a wheel or sdist for it.
set -euo pipefail
cd "$(dirname "$0")/.."
py=${PYTHON:-.venv/bin/python}
keep=(-c constraints.txt)
if [[ ${1:-} == --upgrade ]]; then keep=(); fi
if [[ ! -f constraints.txt ]]; then keep=(); fi
report=$(mktemp)
out=$(mktemp)
trap 'rm -f "$report" "$out"' EXIT
"$py" -m pip install --quiet --dry-run --ignore-installed --report "$report" "${keep[@]}" \
  -e '.[test]'
"$py" - "$report" >"$out" <<'EOF'
import json
import sys

import pip

report = json.load(open(sys.argv[1], encoding="utf-8"))
pins = {
    item["metadata"]["name"]: item["metadata"]["version"]
    for item in report["install"]
    if item["metadata"]["name"] != "ecopatrol"
}
pins["pip"] = pip.__version__
env = report["environment"]
print("# Pinned Python dependencies of ecopatrol (the project and its [test] extra), used as")
print("# `pip install -c constraints.txt -e '.[test]'` by the Makefile. Do not edit by hand:")
print("# `make lock` adds what pyproject.toml newly needs, `make lock-upgrade` moves every pin.")
print(f"# Resolved on CPython {env['python_full_version']}, {env['sys_platform']} "
      f"{env['platform_machine']}.")
for name in sorted(pins, key=str.lower):
    print(f"{name}=={pins[name]}")
EOF
mv "$out" constraints.txt
echo "constraints.txt: $(grep -c '==' constraints.txt) pins"
