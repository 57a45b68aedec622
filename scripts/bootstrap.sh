#!/usr/bin/env bash
# Installs everything slideforge needs on a Debian machine with Python >= 3.11:
# the system libraries the renderer uses (FriBiDi for complex scripts, Noto Color Emoji),
# Chromium for the dashboard's browser tests,
# then a virtual environment in .venv with the project and its test tools.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
need=()
dpkg -s libfribidi0 >/dev/null 2>&1 || need+=(libfribidi0)
dpkg -s fonts-noto-color-emoji >/dev/null 2>&1 || need+=(fonts-noto-color-emoji)
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || need+=(fonts-noto-cjk)
# the dashboard's browser tests drive Debian's Chromium (through Playwright)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "bootstrap: installing system packages: ${need[*]}"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  elif command -v apt-get >/dev/null 2>&1 && command -v sudo >/dev/null 2>&1; then
    echo "bootstrap: installing system packages with sudo: ${need[*]}"
    sudo apt-get update -qq >/dev/null
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "bootstrap: warning: please install ${need[*]} (complex scripts / colour emoji need them)" >&2
  fi
fi

if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip >/dev/null
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".[dev]"
touch .venv/.installed
echo "bootstrap: ready (.venv)"
