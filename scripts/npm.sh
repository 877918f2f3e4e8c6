#!/usr/bin/env bash
# Installs the npm packages of package-lock.json (browser tests, OpenAPI linter, the charting
# library of the web interface) when they are missing or the lock file changed since; idempotent.
# Then copies the files the web interface serves from node_modules into web/vendor/ (ignored by
# git: they come from the lock file's exact versions). System packages come from scripts/deps.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f package-lock.json ] || exit 0
stamp=node_modules/.package-lock.json
if [ -f "$stamp" ] && [ "$stamp" -nt package-lock.json ]; then
  echo "npm: node_modules up to date"
else
  echo "npm: npm ci (from package-lock.json)"
  npm ci --no-audit --no-fund --loglevel=error
fi

# web/vendor/: Chart.js 4 (MIT), its UMD build and its licence (web/README.md).
mkdir -p web/vendor
for f in node_modules/chart.js/dist/chart.umd.js:chart.umd.js node_modules/chart.js/LICENSE.md:chart.js-LICENSE.md; do
  src=${f%%:*}
  dst=web/vendor/${f##*:}
  if [ ! -f "$src" ]; then
    echo "npm: $src is missing (npm ci did not install chart.js)" >&2
    exit 1
  fi
  cmp -s "$src" "$dst" || { cp "$src" "$dst.tmp" && mv "$dst.tmp" "$dst" && echo "npm: $dst from $src"; }
done
