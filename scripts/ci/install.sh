#!/usr/bin/env bash
# Install what the test suite needs, from nothing, on a Debian 12 machine (run as root).
#
# Idempotent: when everything is present it only checks (a second or two). It installs
#   * Debian packages: SLURM + munge, Slurm's PBS/Torque-style commands, OpenSSH server and client, Lmod,
#     Chromium (for the headless browser tests), Tcl, and PyPy (pypy3: a Python 3.9 other than the venv's, for
#     plugins whose conda env has its own Python; its pip is Debian's python3-pip);
#   * the Tcl "Environment Modules" modulecmd, unpacked beside Lmod (see install_tcl_modules below);
#   * the project's virtualenv .venv with `pip install -e ".[test]"`.
# It starts no service: scripts/ci/slurm.sh and the tests start (and stop) what they use.
# Browsers are never downloaded: Playwright drives Debian's /usr/bin/chromium.
set -euo pipefail

REPO="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$REPO"

APT_PACKAGES=(
    munge slurmctld slurmd slurm-client slurm-wlm-torque
    openssh-server openssh-client
    lmod tcl8.6
    chromium
    pypy3 python3-pip
)
# Chromium's fonts: libfontconfig1 -> fontconfig-config depends on fonts-dejavu-core, which renders the page's
# text, so no extra font package is needed.

# Where the Tcl Environment Modules implementation is unpacked (outside the repo, reused across runs).
ENVMOD_DIR="${IMJOY_HPC_ENVMOD_DIR:-/opt/imjoy-hpc-ci/environment-modules}"

START_NS="$(date +%s%N)"
say() {
    local now
    now="$(date +%s%N)"
    printf '[install %6.1fs] %s\n' "$(( (now - START_NS) / 1000000 ))e-3" "$*"
}
die() { echo "install.sh: $*" >&2; exit 1; }

[[ "$(id -u)" == 0 ]] || die "must run as root (it installs Debian packages)"
export DEBIAN_FRONTEND=noninteractive

# shellcheck source=scripts/ci/apt.sh
. "$(dirname "$0")/apt.sh"
APT_LOG_PREFIX=install.sh

install_debian_packages() {
    local missing
    mapfile -t missing < <(missing_packages "${APT_PACKAGES[@]}")
    if [[ "${#missing[@]}" == 0 ]]; then
        say "Debian packages present (${#APT_PACKAGES[@]})"
        return
    fi
    say "installing Debian packages: ${missing[*]}"
    apt_install_missing "${missing[@]}" || die "apt-get install ${missing[*]} failed"
    say "Debian packages installed"
}

# Environment Modules (the Tcl `module`, Debian package environment-modules 5.2) declares "Conflicts: lmod":
# `apt-get install environment-modules` removes lmod (checked with apt-get -s on Debian 12). Both must be
# tested, so Lmod stays the installed `module` and the Tcl implementation is unpacked with `apt-get download` +
# `dpkg-deb -x` under $ENVMOD_DIR, touching nothing of Lmod's. Its modulecmd.tcl is a pure Tcl program that runs
# from there with tclsh8.6 (its optional C extension is simply not found and not needed):
#   MODULEPATH=<dir> tclsh8.6 $ENVMOD_DIR/modulecmd.tcl bash load imjoy   # prints shell code to eval
#   MODULEPATH=<dir> tclsh8.6 $ENVMOD_DIR/modulecmd.tcl python load imjoy # prints Python code
# test-all.sh exports IMJOY_HPC_TCL_MODULECMD=$ENVMOD_DIR/modulecmd.tcl for the tests.
install_tcl_modules() {
    local link="$ENVMOD_DIR/modulecmd.tcl"
    if [[ -f "$link" ]] && tclsh8.6 "$link" bash --version >/dev/null 2>&1; then
        say "Tcl Environment Modules present ($link)"
        return
    fi
    say "unpacking Tcl Environment Modules (environment-modules) into $ENVMOD_DIR"
    local tmp
    tmp="$(mktemp -d)"
    # apt's download sandbox user must be able to write there.
    if id _apt >/dev/null 2>&1; then chown _apt "$tmp"; fi
    if ! (cd "$tmp" && apt-get download -q environment-modules); then
        apt-get update -q
        (cd "$tmp" && apt-get download -q environment-modules)
    fi
    rm -rf "$ENVMOD_DIR"
    mkdir -p "$ENVMOD_DIR"
    dpkg-deb -x "$tmp"/environment-modules_*.deb "$ENVMOD_DIR/root"
    rm -rf "$tmp"
    local cmd
    cmd="$(find "$ENVMOD_DIR/root/usr/lib" -name modulecmd.tcl -type f | head -n 1)"
    [[ -n "$cmd" ]] || die "modulecmd.tcl not found in the environment-modules package"
    ln -sfn "$cmd" "$link"
    tclsh8.6 "$link" bash --version >/dev/null 2>&1 || die "$link does not run with tclsh8.6"
    say "Tcl Environment Modules unpacked ($link)"
}

install_python() {
    local py="$REPO/.venv/bin/python"
    if [[ ! -x "$py" ]]; then
        say "creating virtualenv .venv"
        python3 -m venv "$REPO/.venv"
    fi
    # Re-install when the package metadata changed (or the venv is not this checkout's).
    local want stamp="$REPO/.venv/.imjoy-hpc-install"
    want="$(cat setup.cfg pyproject.toml | sha256sum | cut -d' ' -f1) $REPO"
    if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]] && "$py" - "$REPO" <<'EOF' 2>/dev/null
import os, sys
import imjoy_hpc, pytest, pytest_timeout, hypothesis, playwright, imjoy_rpc, aiohttp  # noqa: F401
sys.exit(0 if os.path.realpath(imjoy_hpc.__file__).startswith(os.path.realpath(sys.argv[1]) + os.sep) else 1)
EOF
    then
        say "Python environment present (.venv)"
        return
    fi
    say "pip install -e .[test] into .venv"
    # pip's build backend is chatty on stderr; show its output only when it fails.
    local log
    log="$(mktemp -t imjoy-hpc-pip.XXXXXX)"
    if ! "$py" -m pip install -q --disable-pip-version-check -e ".[test]" >"$log" 2>&1; then
        cat "$log" >&2
        rm -f "$log"
        die "pip install -e .[test] failed (output above)"
    fi
    rm -f "$log"
    echo "$want" > "$stamp"
    say "Python environment installed"
}

install_debian_packages
install_tcl_modules
install_python
say "chromium: $(/usr/bin/chromium --version 2>/dev/null || echo 'not runnable')"
say "done"
