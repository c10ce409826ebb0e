#!/usr/bin/env bash
# Write filled-in imjoy-hpc modulefiles for this site.
#
#   scripts/install-modulefile.sh PREFIX SITE_CONFIG DEST_DIR [lmod|tcl|both]
#
#   PREFIX       install prefix: PREFIX/bin/imjoy-hpc is the command users get (e.g. a directory holding a
#                symlink to <venv>/bin/imjoy-hpc, so that the venv's python does not land on users' PATH)
#   SITE_CONFIG  the site configuration file (YAML; see configs/slurm-site.yaml), exported as IMJOY_HPC_CONFIG
#   DEST_DIR     a modulefiles directory (on MODULEPATH); writes DEST_DIR/imjoy/<version>.lua (Lmod) and/or
#                DEST_DIR/imjoy/<version> (Tcl Environment Modules). Default: lmod when Lmod is the `module`
#                of this machine ($LMOD_CMD set), else tcl; "both" writes both (Lmod then uses the .lua file).
set -euo pipefail

die() { echo "install-modulefile.sh: $*" >&2; exit 1; }
warn() { echo "install-modulefile.sh: warning: $*" >&2; }

[[ $# -ge 3 && $# -le 4 ]] || die "usage: $0 PREFIX SITE_CONFIG DEST_DIR [lmod|tcl|both]"
PREFIX=$1 SITE_CONFIG=$2 DEST=$3
KIND=${4:-$([[ -n "${LMOD_CMD:-}" ]] && echo lmod || echo tcl)}
case "$KIND" in lmod|tcl|both) ;; *) die "the 4th argument must be lmod, tcl or both, not '$KIND'" ;; esac

HERE="$(cd "$(dirname "$0")/.." && pwd)/configs/modulefiles"
for value in "$PREFIX" "$SITE_CONFIG"; do
    [[ "$value" == /* ]] || die "'$value' must be an absolute path"
    # Characters that Lua strings, Tcl or the sed below would interpret.
    [[ "$value" != *[\"\\\$\[\]\{\}\`\|\&]* && "$value" != *$'\n'* ]] \
        || die "'$value' contains a character not allowed in a modulefile path (\" \\ \$ [ ] { } \` | &)"
done
PREFIX=${PREFIX%/}
[[ -x "$PREFIX/bin/imjoy-hpc" ]] || warn "$PREFIX/bin/imjoy-hpc does not exist (yet)"
[[ -f "$SITE_CONFIG" ]] || warn "$SITE_CONFIG does not exist (yet): imjoy-hpc refuses to start without it"

LUA_TEMPLATE=$(ls "$HERE"/lmod/imjoy/*.lua | head -n 1)
VERSION=$(basename "$LUA_TEMPLATE" .lua)
TCL_TEMPLATE="$HERE/tcl/imjoy/$VERSION"
[[ -f "$TCL_TEMPLATE" ]] || die "$TCL_TEMPLATE is missing"

mkdir -p "$DEST/imjoy"
if [[ "$KIND" != tcl ]]; then
    sed -e "s|^local prefix *= *\"[^\"]*\"|local prefix      = \"$PREFIX\"|" \
        -e "s|^local site_config *= *\"[^\"]*\"|local site_config = \"$SITE_CONFIG\"|" \
        "$LUA_TEMPLATE" > "$DEST/imjoy/$VERSION.lua"
    grep -q "^local prefix *= *\"$PREFIX\"" "$DEST/imjoy/$VERSION.lua" || die "could not fill in $DEST/imjoy/$VERSION.lua"
    echo "$DEST/imjoy/$VERSION.lua"
fi
if [[ "$KIND" != lmod ]]; then
    sed -e "s|^set prefix .*|set prefix      \"$PREFIX\"|" \
        -e "s|^set site_config .*|set site_config \"$SITE_CONFIG\"|" \
        "$TCL_TEMPLATE" > "$DEST/imjoy/$VERSION"
    grep -q "^set prefix *\"$PREFIX\"" "$DEST/imjoy/$VERSION" || die "could not fill in $DEST/imjoy/$VERSION"
    echo "$DEST/imjoy/$VERSION"
fi
