#!/usr/bin/env bash
# Fetch the TIFF decoder of the workspace (dropped TIFF files, multi-page ones too, become arrays):
# UTIF.js (npm package utif) and the inflate part of pako (its dependency, for Deflate-compressed TIFFs), both
# unmodified with their licenses, into imjoy_hpc/gateway/static/vendor/utif/. Tarballs are checked against their
# published integrity strings. The result is committed: neither the gateway nor the tests need npm.
#
# Usage: bash scripts/vendor-utif.sh
set -euo pipefail

REPO="$(cd "$(dirname "$0")/.." && pwd)"
DEST="$REPO/imjoy_hpc/gateway/static/vendor/utif"
die() { echo "vendor-utif: $*" >&2; exit 1; }
command -v npm >/dev/null || die "npm not found (apt-get install npm, or use the machine's Node.js)"

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
fetch() {  # name version integrity
    (cd "$WORK" && npm pack --silent "$1@$2" >/dev/null) || die "npm pack $1@$2 failed"
    local got
    got="$(python3 -c 'import base64, hashlib, sys
print("sha512-" + base64.b64encode(hashlib.sha512(open(sys.argv[1], "rb").read()).digest()).decode())' \
        "$WORK/$1-$2.tgz")"
    [[ "$got" == "$3" ]] || die "$1@$2: tarball integrity is $got, expected $3"
    mkdir -p "$WORK/$1" && tar -xzf "$WORK/$1-$2.tgz" -C "$WORK/$1"
}
fetch utif 3.1.0 "sha512-WEo4D/xOvFW53K5f5QTaTbbiORcm2/pCL9P6qmJnup+17eYfKaEhDeX9PeQkuyEoIxlbGklDuGl8xwuXYMrrXQ=="
fetch pako 1.0.11 "sha512-4hLB8Py4zZce5s4yd9XzopqwVv/yGNhV1Bl8NTmCq1763HeK2+EwVTv+leGeL13Dnh2wfbqowVPXCIO0z4taYw=="
mkdir -p "$DEST"
install -m 0644 "$WORK/utif/package/UTIF.js" "$DEST/UTIF.js"
install -m 0644 "$WORK/utif/package/LICENSE" "$DEST/LICENSE.utif"
install -m 0644 "$WORK/pako/package/dist/pako_inflate.min.js" "$DEST/pako_inflate.min.js"
install -m 0644 "$WORK/pako/package/LICENSE" "$DEST/LICENSE.pako"
sha256sum "$DEST"/* | sed "s#$DEST/##"
