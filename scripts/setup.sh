#!/usr/bin/env bash
# Sets up everything Qadam needs on a fresh Debian machine that has Python: the Debian packages
# (gettext for message catalogues, Pango for PDF, fonts, Chromium for browser tests), uv, and the
# locked Python dependencies. Safe to run again: it only installs what is missing.
# Usage: source scripts/setup.sh   (exports UV, the uv command to use)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

need_debs=()
command -v msgfmt >/dev/null 2>&1 || need_debs+=(gettext)
ldconfig -p 2>/dev/null | grep -q libpango-1.0 || need_debs+=(libpango-1.0-0 libpangoft2-1.0-0)
[ -d /usr/share/fonts/truetype/dejavu ] || need_debs+=(fonts-dejavu-core)
if [ "${QADAM_WITH_BROWSER:-0}" = "1" ] && [ ! -x /usr/bin/chromium ]; then need_debs+=(chromium); fi
if [ ${#need_debs[@]} -gt 0 ]; then
  echo "Installing Debian packages: ${need_debs[*]}"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${need_debs[@]}" >/dev/null
fi

# uv: use a working one on PATH, else install it with pip for this user.
if command -v uv >/dev/null 2>&1 && uv --version >/dev/null 2>&1; then
  UV="uv"
else
  if ! python3 -m uv --version >/dev/null 2>&1; then
    echo "Installing uv"
    python3 -m pip install --quiet --user uv 2>/dev/null \
      || python3 -m pip install --quiet --user --break-system-packages uv 2>/dev/null \
      || python3 -m pip install --quiet uv
  fi
  UV="python3 -m uv"
fi
export UV

$UV sync --frozen --quiet
# Compile the kk/ru/en message catalogues (the .mo files are build output, not committed).
(cd src/qadam && ../../.venv/bin/django-admin compilemessages --ignore=.venv >/dev/null)
