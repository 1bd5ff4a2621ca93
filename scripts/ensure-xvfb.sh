#!/bin/sh
# Installs Xvfb (a virtual X server) when it is missing; used to test `quadstream serve --source
# screen` on machines without a display. Idempotent. Needs root (or sudo) and network access the
# first time.
set -eu
if command -v Xvfb >/dev/null 2>&1; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends xvfb x11-xserver-utils
command -v Xvfb >/dev/null 2>&1
