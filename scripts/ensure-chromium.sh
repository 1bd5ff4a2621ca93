#!/bin/sh
# Installs Debian's chromium (used headless by the streaming tests and `quadstream bench stream`)
# when it is missing. Idempotent: does nothing when /usr/bin/chromium is already there.
# Needs root (or sudo) and network access to the Debian mirrors the first time.
set -eu
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends chromium
command -v chromium >/dev/null 2>&1
