#!/usr/bin/env bash
# Build imjoy_hpc/gateway/static/vendor/codemirror/codemirror.js: CodeMirror 6 for the workspace's plugin editor.
#
# CodeMirror 6 ships as ES modules; the page loads plain scripts and has no internet at run time, so the packages
# (pinned below, fetched with npm) are bundled unmodified by esbuild into one IIFE file exposing the global `CM`
# (the exports of scripts/codemirror/entry.js). Every bundled package's license is copied next to it. The result
# is committed: neither the gateway nor the tests need npm.
#
# Usage: bash scripts/vendor-codemirror.sh
set -euo pipefail

REPO="$(cd "$(dirname "$0")/.." && pwd)"
DEST="$REPO/imjoy_hpc/gateway/static/vendor/codemirror"
PACKAGES=(codemirror@6.0.2 @codemirror/view@6.44.2 @codemirror/state@6.7.6 @codemirror/commands@6.11.2
          @codemirror/lint@6.9.8 @codemirror/lang-python@6.2.1 @codemirror/lang-javascript@6.2.5
          @codemirror/lang-html@6.4.12 @codemirror/lang-json@6.0.2 esbuild@0.28.2)

die() { echo "vendor-codemirror: $*" >&2; exit 1; }
command -v npm >/dev/null || die "npm not found (apt-get install npm, or use the machine's Node.js)"

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cp "$REPO/scripts/codemirror/entry.js" "$WORK/entry.js"
(cd "$WORK" && npm init -y >/dev/null && npm install --silent --no-audit --no-fund "${PACKAGES[@]}") \
    || die "npm install failed"
(cd "$WORK" && npx --no-install esbuild entry.js --bundle --format=iife --global-name=CM --minify \
    --legal-comments=none --outfile=codemirror.js) || die "esbuild failed"

mkdir -p "$DEST"
install -m 0644 "$WORK/codemirror.js" "$DEST/codemirror.js"
# the licenses of every package in the bundle (esbuild itself is not in it)
: > "$DEST/LICENSES.txt"
(cd "$WORK/node_modules" && for dir in $(ls -d */ @*/*/ 2>/dev/null | sed 's#/$##; /^@[^/]*$/d' | sort); do
    name="${dir#./}"
    [[ "$name" == esbuild || "$name" == @esbuild/* ]] && continue
    version="$(node -p "require('./$name/package.json').version")"
    license="$(ls "$name" | grep -i -m1 '^licen[cs]e' || true)"
    { echo "==== $name@$version"; [[ -n "$license" ]] && cat "$name/$license" || \
        echo "(no license file; package.json says: $(node -p "require('./$name/package.json').license"))"; echo; } \
        >> "$DEST/LICENSES.txt"
done)
(cd "$WORK" && npm ls --all --omit=dev 2>/dev/null | tail -n +2 | grep -v esbuild) > "$DEST/PACKAGES.txt" || true
echo "vendor-codemirror: wrote $DEST (sha256 $(sha256sum "$DEST/codemirror.js" | cut -d' ' -f1))"
