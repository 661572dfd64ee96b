#!/usr/bin/env bash
# Debian packages the project needs on a fresh machine. Idempotent; skipped when not root.
set -euo pipefail
# mosquitto: the federation broker (tests/integration/federation); postgresql-15-postgis-3: the
# command centre's spatial queries (nearest free drone across stations); fonts-wqy-microhei: the
# CJK TrueType font the PDF reports embed (groundstation/reports/pdf.py) and the page's fallback
packages=(postgresql postgresql-15-postgis-3 mosquitto chromium fonts-wqy-microhei nodejs)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
# Debian's nodejs comes without npm (NodeSource's includes it): ask for npm only when absent.
command -v npm >/dev/null 2>&1 || missing+=(npm)
if ((${#missing[@]} == 0)); then exit 0; fi
if [[ $(id -u) -ne 0 ]]; then
  echo "install-system-deps: please install as root: ${missing[*]}" >&2
  exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
