#!/usr/bin/env bash
# Installs Debian's Chromium and ChromeDriver when missing (packages
# `chromium` and `chromium-driver`: /usr/bin/chromium, /usr/bin/chromedriver).
# Browser tests never download a browser of their own.
set -euo pipefail
if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
  exit 0
fi
sudo=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || { echo "ensure-chromium: need root or sudo to install chromium" >&2; exit 1; }
  sudo="sudo"
fi
echo "installing Debian's chromium and chromium-driver (once)" >&2
# Another apt run (say, a second test target) may hold the lock: wait for it.
for _ in $(seq 1 60); do
  if ! command -v fuser >/dev/null || ! fuser /var/lib/dpkg/lock-frontend >/dev/null 2>&1; then break; fi
  sleep 5
done
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get install -y -q --no-install-recommends chromium chromium-driver >&2 \
  || { $sudo apt-get update -q >&2 && $sudo apt-get install -y -q --no-install-recommends chromium chromium-driver >&2; }
[ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ] \
  || { echo "ensure-chromium: chromium or chromedriver still missing" >&2; exit 1; }
