# Installing Debian packages for the test command's scripts (install.sh, slurm.sh, gridengine.sh, openpbs.sh):
# source this file, then `apt_install_missing PKG...`. Only packages not yet installed are asked for; the machine's
# package lists are tried first and refreshed only if that fails; package scripts may not start system services
# (sshd, munged, slurmd, postgresql): the project's scripts start private instances of what they need.
# Messages go to stderr prefixed with $APT_LOG_PREFIX.

missing_packages() {
    local pkg status
    for pkg in "$@"; do
        status="$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)"
        [[ "$status" == "installed" ]] || echo "$pkg"
    done
}

# A policy-rc.d answering 101 ("action forbidden") for the duration of the command, if the machine has none.
with_services_blocked() {
    local created=0 rc=0
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
        chmod 0755 /usr/sbin/policy-rc.d
        created=1
    fi
    "$@" || rc=$?
    if [[ "$created" == 1 ]]; then rm -f /usr/sbin/policy-rc.d; fi
    return "$rc"
}

apt_install_missing() {
    local missing
    mapfile -t missing < <(missing_packages "$@")
    [[ "${#missing[@]}" == 0 ]] && return 0
    echo "${APT_LOG_PREFIX:-apt}: installing ${missing[*]}" >&2
    if ! DEBIAN_FRONTEND=noninteractive with_services_blocked \
            apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2; then
        echo "${APT_LOG_PREFIX:-apt}: apt-get install failed with the current package lists; updating them" >&2
        apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive with_services_blocked \
            apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 || return 1
    fi
    mapfile -t missing < <(missing_packages "$@")
    [[ "${#missing[@]}" == 0 ]] || { echo "${APT_LOG_PREFIX:-apt}: still missing: ${missing[*]}" >&2; return 1; }
}
