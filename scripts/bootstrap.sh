#!/usr/bin/env bash
# Install what the Work Portal needs on a fresh Debian/Ubuntu machine, then sync the
# Python environment. Safe to run again: it only installs what is missing.
#   scripts/bootstrap.sh            runtime needs (uv, xmlsec1)
#   scripts/bootstrap.sh --browser  also Debian's chromium, for the browser tests
set -euo pipefail
cd "$(dirname "$0")/.."

want_browser=0
[ "${1:-}" = "--browser" ] && want_browser=1

missing=()
command -v xmlsec1 >/dev/null 2>&1 || missing+=(xmlsec1)
if [ "$want_browser" = 1 ] && [ ! -x /usr/bin/chromium ]; then missing+=(chromium); fi

if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "Missing system packages: ${missing[*]}." >&2
    echo "Install them with your package manager (Debian/Ubuntu: sudo apt-get install ${missing[*]})" >&2
    echo "and run this again." >&2
    exit 1
  fi
fi

if ! command -v uv >/dev/null 2>&1; then
  echo "Installing uv"
  python3 -m pip install --quiet --disable-pip-version-check uv \
    || { echo "Could not install uv: see https://docs.astral.sh/uv/ and run this again." >&2; exit 1; }
fi

export UV_PYTHON_DOWNLOADS=never
uv sync --frozen --quiet
