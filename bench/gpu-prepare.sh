#!/usr/bin/env bash
# Prepares what bench/gpu-check.sh needs on a GPU machine without internet or Node. Run
# it here, on the CPU machine, from the repository root; then run there
#   bash bench/gpu-check.sh        carrying .device, dist and dist-bench
# It writes: dist/ and dist-bench/ (compiled TypeScript), .device/node.xz (this node),
# .device/npm.tar.xz (npm), .device/node_modules.tar.xz (dpl-torch's dependencies without
# the dev tools, better-sqlite3 compiled for this node).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .device
npx tsc -p tsconfig.json && npx tsc -p bench/tsconfig.json
node=$(readlink -f "$(command -v node)")
xz -T0 -6 -c "$node" > .device/node.xz
npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")   # .../node_modules/npm
tar -C "$(dirname "$npm_dir")" -cJf .device/npm.tar.xz "$(basename "$npm_dir")"
tmp=$(mktemp -d)
cp package.json package-lock.json "$tmp/"
cp -a node_modules "$tmp/"
(cd "$tmp" && npm prune --omit=dev --offline --ignore-scripts --no-audit --no-fund >/dev/null)
# better-sqlite3 needs its compiled binary only.
rm -rf "$tmp/node_modules/better-sqlite3/deps" "$tmp/node_modules/better-sqlite3/src" "$tmp/node_modules/better-sqlite3/build/Release/obj"* \
  "$tmp/node_modules/better-sqlite3/build/Release/.deps" "$tmp/node_modules/better-sqlite3/build/Release/test_extension.node"
tar -C "$tmp" -cJf .device/node_modules.tar.xz node_modules
rm -rf "$tmp"
du -sh .device/* dist dist-bench
