#!/usr/bin/env bash
# Re-create imjoy_hpc/gateway/static/vendor/imjoy-core/ from the published imjoy-core npm package.
#
# The workspace page and the plugin frames run the real, unmodified ImJoy core. This script fetches exactly
# imjoy-core@0.14.5 with `npm pack`, checks the tarball against the pinned sha512 integrity string, and copies
# unmodified the files the gateway serves: the core bundle, the loader and the imjoy-rpc bundle that ImJoy's base
# frame loads, the base frame itself, and the package's LICENSE. The bundle contains other npm packages (listed
# below from its webpack module paths); their licenses are collected into THIRD-PARTY-LICENSES.txt from the
# exact versions of the package's own dist/package-lock.json, each tarball checked against that lockfile's
# integrity. It needs node/npm and network access to the npm registry; the result is committed, so neither the
# tests nor the gateway need npm.
#
# Usage: bash scripts/vendor-imjoy-core.sh [--check]
#   --check  only verify the files already in the vendor directory (no network).
# VENDOR_PRINT_HASHES=1 prints the sha256 of each file instead of checking it (to pin a new version).
set -euo pipefail

PACKAGE="imjoy-core"
VERSION="0.14.5"
# `npm view imjoy-core@0.14.5 dist.integrity`
INTEGRITY="sha512-G0ybhLq57vOSM+4DhJ7A/3WSjJdbzk+WoEqg4+c5clkRhLOYY5VfI6oJ4MI664ZsVVgIinswsEJWbHAWQOBxFg=="
FILES="imjoy-core.min.js imjoy-loader.js imjoy-rpc.min.js default_base_frame.html"
# sha256 of each served file, of the package's LICENSE and of the generated third-party notice
SHA256_imjoy_core_min_js="863409272f71b5aeac644ca4fcdaf490145c5361cc9007a7247de18310c4665d"
SHA256_imjoy_loader_js="826833738a544568232cabf56bfbecdc55adb3bb44fc4bf1871c7bd7ea9ba733"
SHA256_imjoy_rpc_min_js="97d5869d567d472c8332360ee392084aa2dac16e9ba46d858c45dcfbd3f4734c"
SHA256_default_base_frame_html="583e510f12384d0b0b744832c7bcc512fed800af7aebc130584877dfef08edef"
LICENSE_SHA256="26b83af68d0d9f051c8c271d709d8c7dd6843c7b917b59423c3ad1f3c5d6de6b"
NOTICE_SHA256="33461b0980ed9f4fb9cfb9cce77f7364face4ee564955e1cd0c7d5b85a1f7c01"
# npm packages inside dist/imjoy-core.min.js (and the webpack runtime and worker loader inside all three bundles),
# as lockfile paths: "a" is node_modules/a, "a/b" is node_modules/a/node_modules/b; "a=1.2.3" for the two the
# lockfile lacks (the bundle was built from a newer tree than the lockfile it ships: engine.io 6's helpers).
BUNDLED="@socket.io/base64-arraybuffer=1.0.2 @socket.io/component-emitter=3.1.0 ajv argsarray axios backo2 base64-js buffer
dompurify engine.io-client engine.io-parser esprima events fast-deep-equal fast-json-stable-stringify file-saver
has-cors ieee754 imjoy-rpc immediate isarray js-yaml json-schema-traverse lodash lz-string minibus parseqs parseuri
pouchdb-browser pouchdb-browser/inherits pouchdb-browser/spark-md5 pouchdb-browser/uuid process socket.io-client
socket.io-client/socket.io-parser spark-md5 uri-js vuvuzela webpack worker-loader yeast"

REPO="$(cd "$(dirname "$0")/.." && pwd)"
DEST="$REPO/imjoy_hpc/gateway/static/vendor/imjoy-core"

die() { echo "vendor-imjoy-core: $*" >&2; exit 1; }

check_sha256() {  # file expected
    local got
    got="$(sha256sum "$1" | cut -d' ' -f1)"
    if [[ "${VENDOR_PRINT_HASHES:-}" == 1 ]]; then echo "$(basename "$1") $got"; return; fi
    [[ "$got" == "$2" ]] || die "sha256 of $1 is $got, expected $2"
}

pinned_sha256() {  # served file name -> its pinned sha256
    local var="SHA256_${1//[.-]/_}"
    echo "${!var}"
}

check_all() {  # directory
    for f in $FILES; do check_sha256 "$1/$f" "$(pinned_sha256 "$f")"; done
    check_sha256 "$1/LICENSE" "$LICENSE_SHA256"
    check_sha256 "$1/THIRD-PARTY-LICENSES.txt" "$NOTICE_SHA256"
}

if [[ "${1:-}" == "--check" ]]; then
    check_all "$DEST"
    echo "vendor-imjoy-core: $DEST is $PACKAGE@$VERSION (hashes match)"
    exit 0
fi

command -v npm >/dev/null || die "npm not found (apt-get install npm, or use the machine's Node.js)"

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

integrity_of() {  # tarball algorithm -> subresource-integrity string
    python3 -c 'import base64, hashlib, sys
print(sys.argv[2] + "-" + base64.b64encode(hashlib.new(sys.argv[2], open(sys.argv[1], "rb").read()).digest()).decode())' "$1" "$2"
}

(cd "$WORK" && npm pack --silent "$PACKAGE@$VERSION" >/dev/null) || die "npm pack $PACKAGE@$VERSION failed"
TARBALL="$WORK/$PACKAGE-$VERSION.tgz"
[[ -f "$TARBALL" ]] || die "npm pack did not produce $TARBALL"
[[ "$(integrity_of "$TARBALL" sha512)" == "$INTEGRITY" ]] || die "tarball integrity differs from $INTEGRITY"
mkdir "$WORK/core"
tar -xzf "$TARBALL" -C "$WORK/core"
SRC="$WORK/core/package"

# The third-party notice: for each bundled package, its version and integrity from the lockfile, then its license
# file(s) verbatim from the tarball of that exact version.
NOTICE="$WORK/THIRD-PARTY-LICENSES.txt"
{
    echo "Third-party software inside $PACKAGE@$VERSION (dist/imjoy-core.min.js, dist/imjoy-loader.js,"
    echo "dist/imjoy-rpc.min.js), with versions from that package's dist/package-lock.json."
} > "$NOTICE"
for path in $BUNDLED; do
    read -r name version integrity < <(python3 - "$SRC/dist/package-lock.json" "$path" <<'PY'
import json, sys
lock = json.load(open(sys.argv[1]))
def find(deps, parts):
    entry = deps.get(parts[0])
    if entry is None:
        return None
    if len(parts) == 1:
        return entry
    return find(entry.get("dependencies") or {}, parts[1:])
def anywhere(deps, name):  # a package only nested somewhere (first match, depth first)
    for key, entry in deps.items():
        if key == name:
            return entry
        found = anywhere(entry.get("dependencies") or {}, name)
        if found:
            return found
parts = []
for part in sys.argv[2].split("/"):
    if parts and parts[-1].startswith("@") and "/" not in parts[-1]:
        parts[-1] += "/" + part
    else:
        parts.append(part)
if "=" in parts[-1]:
    name, version = parts[-1].split("=")
    print(name, version, "-")
    sys.exit(0)
entry = find(lock["dependencies"], parts) or anywhere(lock["dependencies"], parts[-1])
if entry is None:
    sys.exit(f"{sys.argv[2]} is not in the lockfile")
print(parts[-1], entry["version"], entry["integrity"])
PY
)
    [[ -n "${name:-}" ]] || die "no lockfile entry for $path"
    (cd "$WORK" && npm pack --silent "$name@$version" >"$WORK/packed.txt") || die "npm pack $name@$version failed"
    tgz="$WORK/$(tail -n1 "$WORK/packed.txt")"
    if [[ "$integrity" == "-" ]]; then
        integrity="$(integrity_of "$tgz" sha512)"
    else
        [[ "$(integrity_of "$tgz" "${integrity%%-*}")" == "$integrity" ]] || die "$name@$version differs from the lockfile"
    fi
    rm -rf "$WORK/dep" && mkdir "$WORK/dep" && tar --warning=no-unknown-keyword -xzf "$tgz" -C "$WORK/dep"
    top="$(ls "$WORK/dep")"
    licenses="$(cd "$WORK/dep/$top" && ls | grep -iE '^(licen[cs]e|copying|notice)' | sort || true)"
    {
        printf '\n%s\n%s@%s (%s)\n' "================================================================" "$name" "$version" "$integrity"
        if [[ -z "$licenses" ]]; then
            printf 'license (from its package.json): %s\n' \
                "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("license"))' "$WORK/dep/$top/package.json")"
        fi
        for f in $licenses; do printf -- '--- %s ---\n' "$f"; cat "$WORK/dep/$top/$f"; echo; done
    } >> "$NOTICE"
    rm -f "$tgz"
done

mkdir -p "$WORK/out"
for f in $FILES; do install -m 0644 "$SRC/dist/$f" "$WORK/out/$f"; done
install -m 0644 "$SRC/LICENSE" "$WORK/out/LICENSE"
install -m 0644 "$NOTICE" "$WORK/out/THIRD-PARTY-LICENSES.txt"
check_all "$WORK/out"
mkdir -p "$DEST"
cp "$WORK/out/"* "$DEST/"
echo "vendor-imjoy-core: wrote $DEST from $PACKAGE@$VERSION"
