#!/usr/bin/env bash
# System packages and npm tools Connect Lab needs beyond PyPI. Idempotent; run by `make`.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
sudo_cmd=""
[ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"

# Chromium (Debian's) drives the checkout page in the browser tests.
if ! command -v chromium >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq chromium >/dev/null
  else
    echo "install-system: no apt-get here; install Chromium yourself for the browser tests" >&2
  fi
fi

# The real Stripe CLI, from npm, kept inside the project (node_modules/.bin/stripe).
if command -v npm >/dev/null 2>&1; then
  if [ ! -x "$here/node_modules/.bin/stripe" ]; then
    (cd "$here" && npm install --no-audit --no-fund --silent)
  fi
else
  echo "install-system: npm not found; the Stripe CLI notebooks will be skipped" >&2
fi
