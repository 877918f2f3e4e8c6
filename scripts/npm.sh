#!/usr/bin/env bash
# Installs the npm packages of package-lock.json (browser tests, OpenAPI linter) when they are
# missing or the lock file changed since; idempotent. System packages come from scripts/deps.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f package-lock.json ] || exit 0
stamp=node_modules/.package-lock.json
if [ -f "$stamp" ] && [ "$stamp" -nt package-lock.json ]; then
  echo "npm: node_modules up to date"
  exit 0
fi
echo "npm: npm ci (from package-lock.json)"
npm ci --no-audit --no-fund --loglevel=error
