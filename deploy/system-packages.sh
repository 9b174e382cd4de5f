#!/usr/bin/env bash
# The system packages `make test` needs besides python3.10 and make, installed when missing (Debian/Ubuntu,
# apt-get as root or with sudo). One list, used by `make test` and by CI (.ci/run):
#   chromium, fonts-dejavu-core  the browser tests (Playwright drives Debian's chromium; it downloads none)
#   npm                          fetches axe-core for the accessibility test
#   redis-server, nginx-light,   the scale-out and fault tests start real Redis, nginx and PostgreSQL
#   postgresql                   servers (tests/test_scale.py)
# `--check` only lists what is missing (exit 1 when something is).
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium fonts-dejavu-core)
command -v npm >/dev/null 2>&1 || missing+=(npm)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages: all present"
  exit 0
fi
if [ "${1:-}" = "--check" ]; then
  echo "system packages missing: ${missing[*]}"
  exit 1
fi
if [ "$(id -u)" -eq 0 ]; then
  run=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  run=(sudo)
else
  echo "system packages missing: ${missing[*]}" >&2
  echo "install them as root: apt-get install -y ${missing[*]}" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "system packages missing: ${missing[*]}; this script installs them with apt-get (Debian/Ubuntu)" >&2
  exit 1
fi
echo "installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${run[@]}" apt-get update -qq
"${run[@]}" apt-get install -y -qq "${missing[@]}"
