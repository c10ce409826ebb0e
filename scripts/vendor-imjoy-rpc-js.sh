#!/usr/bin/env bash
# Re-create imjoy_hpc/gateway/static/vendor/ from the published imjoy-rpc npm package.
#
# The web page uses the real, unmodified ImJoy RPC socket.io client (dist/imjoy-rpc-socketio.js, UMD global
# `imjoyRPCSocketIO`). This script fetches exactly imjoy-rpc@0.5.59 with `npm pack`, checks the tarball
# against the registry's pinned sha512 integrity string, extracts the client and the package's LICENSE
# unmodified, and checks their pinned sha256 sums. It needs node/npm and network access to the npm registry;
# the result is committed, so neither the tests nor the gateway need npm.
#
# Usage: bash scripts/vendor-imjoy-rpc-js.sh [--check]
#   --check  only verify the files already in the vendor directory (no network).
set -euo pipefail

PACKAGE="imjoy-rpc"
VERSION="0.5.59"
# `npm view imjoy-rpc@0.5.59 dist.integrity`
INTEGRITY="sha512-6eM7MG+A49K7n3rL+F8dQxCZP7YsH3ufNbtJr+EioeSUxHmHTFj1AGtSa/tO895MASXKfqHv1zWAUwr4j/q/2w=="
JS_FILE="imjoy-rpc-socketio.js"
JS_SHA256="89e3e007a9e72e3597b476bdc46ac6c9c16368b3cae5dc4670e0a2fceb2bf26e"
LICENSE_SHA256="a100cf06865260b98a1e8adc000ca163e13b46a5d969f1c06b620aa73af25b04"

REPO="$(cd "$(dirname "$0")/.." && pwd)"
DEST="$REPO/imjoy_hpc/gateway/static/vendor"

die() { echo "vendor-imjoy-rpc-js: $*" >&2; exit 1; }

check_sha256() {  # file expected
    local got
    got="$(sha256sum "$1" | cut -d' ' -f1)"
    [[ "$got" == "$2" ]] || die "sha256 of $1 is $got, expected $2"
}

if [[ "${1:-}" == "--check" ]]; then
    check_sha256 "$DEST/$JS_FILE" "$JS_SHA256"
    check_sha256 "$DEST/LICENSE.imjoy-rpc" "$LICENSE_SHA256"
    echo "vendor-imjoy-rpc-js: $DEST is $PACKAGE@$VERSION (hashes match)"
    exit 0
fi

command -v npm >/dev/null || die "npm not found (apt-get install npm, or use the machine's Node.js)"

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

(cd "$WORK" && npm pack --silent "$PACKAGE@$VERSION" >/dev/null) || die "npm pack $PACKAGE@$VERSION failed"
TARBALL="$WORK/$PACKAGE-$VERSION.tgz"
[[ -f "$TARBALL" ]] || die "npm pack did not produce $TARBALL"

# Subresource-integrity form: "sha512-" + base64 of the raw digest.
GOT_INTEGRITY="$(python3 -c 'import base64, hashlib, sys
print("sha512-" + base64.b64encode(hashlib.sha512(open(sys.argv[1], "rb").read()).digest()).decode())' "$TARBALL")"
[[ "$GOT_INTEGRITY" == "$INTEGRITY" ]] || die "tarball integrity is $GOT_INTEGRITY, expected $INTEGRITY"

tar -xzf "$TARBALL" -C "$WORK" "package/dist/$JS_FILE" "package/LICENSE"
check_sha256 "$WORK/package/dist/$JS_FILE" "$JS_SHA256"
check_sha256 "$WORK/package/LICENSE" "$LICENSE_SHA256"

mkdir -p "$DEST"
install -m 0644 "$WORK/package/dist/$JS_FILE" "$DEST/$JS_FILE"
install -m 0644 "$WORK/package/LICENSE" "$DEST/LICENSE.imjoy-rpc"
echo "vendor-imjoy-rpc-js: wrote $DEST/$JS_FILE and LICENSE.imjoy-rpc from $PACKAGE@$VERSION"
