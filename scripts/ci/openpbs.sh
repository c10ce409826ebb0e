#!/usr/bin/env bash
# A real single-node OpenPBS server for imjoy-hpc's PBS tests, built from the source tarball in
# ../shared/third-party/openpbs (AGPL, a test tool only: never shipped with or linked into imjoy-hpc).
#
#   scripts/ci/openpbs.sh build     check SHA256SUMS, build OpenPBS into the cache (skipped when already built)
#   scripts/ci/openpbs.sh start     build if needed, install under /opt/pbs, create the network namespace, start
#                                   the server, scheduler, comm, MOM and datastore in it; wait (bounded) for a free node
#   scripts/ci/openpbs.sh stop      delete the jobs, stop the daemons, remove everything start set up (/opt/pbs,
#                                   /etc/pbs.conf, /var/spool/pbs, init and unit files, the namespace); the cache stays
#   scripts/ci/openpbs.sh status    exit 0 when the server answers inside the namespace and the node is free
#   scripts/ci/openpbs.sh env       the shell lines a caller must export to use PBS's commands (inside the namespace)
#   scripts/ci/openpbs.sh exec CMD  run CMD inside the namespace with PBS's environment
#
# PBS refuses loopback addresses for its host name, and test traffic must stay on this machine's own test hosts,
# so PBS, its datastore and everything that talks to it (the gateway and the tests) run inside a network
# namespace ($NETNS) with a non-127 address on the namespace's own loopback; the PBS host name resolves to it
# there only (/etc/netns/$NETNS/hosts, bind-mounted over /etc/hosts by `ip netns exec`).
# Slurm's slurm-wlm-torque owns /usr/bin/qsub too: `env` puts /opt/pbs/bin first on PATH.
#
# Needs root (Debian 12). The build (~3.5 min on 2 cores) is kept in $CACHE, so a second run skips it.
set -euo pipefail

REPO="$(cd "$(dirname "$0")/../.." && pwd)"
# The shared source tarball: ../shared/third-party/openpbs beside the checkout (or beside one of its parents), or
# beside the repository it was cloned from when that is a local path (a clone made elsewhere, e.g. in /tmp).
find_source() {
    local start dir origin
    origin=$(git -C "$REPO" remote get-url origin 2>/dev/null || true)
    for start in "$REPO" "$origin"; do
        [ -d "$start" ] || continue
        dir=$(cd "$start" && pwd)
        while [ "$dir" != / ]; do
            dir=$(dirname "$dir")
            [ -d "$dir/shared/third-party/openpbs" ] && { echo "$dir/shared/third-party/openpbs"; return; }
        done
    done
    echo "$REPO/../shared/third-party/openpbs"
}
SRC_DIR=${IMJOY_HPC_OPENPBS_SRC:-$(find_source)}
CACHE=${IMJOY_HPC_OPENPBS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/imjoy-hpc-ci/openpbs}
PREFIX=/opt/pbs
NETNS=${IMJOY_HPC_PBS_NETNS:-imjoy-hpc-pbs}
HOST=${IMJOY_HPC_PBS_HOST:-pbshost}
ADDR=${IMJOY_HPC_PBS_ADDR:-198.18.0.1}
WAIT_READY=${IMJOY_HPC_PBS_WAIT:-90}
# Build and run-time packages (../shared/CLUSTER.md, "A real PBS server").
BUILD_DEPS=(gcc g++ make perl python3-dev tcl-dev tk-dev libx11-dev libxt-dev libxext-dev libexpat1-dev libssl-dev
    libtool libhwloc-dev libedit-dev libical-dev libncurses-dev postgresql-server-dev-all swig autoconf automake
    libcjson-dev)
RUN_DEPS=(libical3 libcjson1 postgresql postgresql-contrib)
STAGE=$CACHE/stage
STAMP=$CACHE/.built
SET_UP=$CACHE/.installed-by-openpbs-sh

# shellcheck source=scripts/ci/apt.sh
. "$REPO/scripts/ci/apt.sh"
APT_LOG_PREFIX=openpbs.sh
log() { echo "openpbs.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }
need_root() { [ "$(id -u)" = 0 ] || die "run as root (it installs packages, builds and starts daemons)"; }

tarball() {
    local t
    t=$(cd "$SRC_DIR" 2>/dev/null && ls openpbs-*.tar.gz 2>/dev/null | head -1) || true
    [ -n "$t" ] || die "no openpbs-*.tar.gz in $SRC_DIR (set IMJOY_HPC_OPENPBS_SRC to the directory that holds it)"
    echo "$SRC_DIR/$t"
}

build() {
    need_root
    local tar version
    tar=$(tarball)
    version=$(basename "$tar" .tar.gz)
    if [ -e "$STAMP" ] && [ "$(cat "$STAMP")" = "$version" ] && [ -x "$STAGE$PREFIX/sbin/pbs_server.bin" ]; then
        log "$version already built in $CACHE"
        return 0
    fi
    (cd "$SRC_DIR" && sha256sum --check --quiet SHA256SUMS) || die "SHA256SUMS check of $SRC_DIR failed"
    apt_install_missing "${BUILD_DEPS[@]}" "${RUN_DEPS[@]}" || die "installing the build packages failed"
    rm -rf "$CACHE/src" "$STAGE" "$STAMP"
    mkdir -p "$CACHE/src"
    tar -xzf "$tar" -C "$CACHE/src"
    # `git archive` packs the tree at the top level; accept one top directory as well.
    if [ ! -e "$CACHE/src/autogen.sh" ] && [ "$(ls "$CACHE/src" | wc -l)" = 1 ]; then
        local top
        top=$(ls "$CACHE/src")
        mv "$CACHE/src/$top" "$CACHE/src.tmp" && rmdir "$CACHE/src" && mv "$CACHE/src.tmp" "$CACHE/src"
    fi
    [ -e "$CACHE/src/autogen.sh" ] || die "no autogen.sh in $tar"
    local t0=$SECONDS
    log "building $version in $CACHE/src (about 3.5 minutes on 2 cores)"
    (
        cd "$CACHE/src"
        ./autogen.sh >"$CACHE/autogen.log" 2>&1 || { tail -20 "$CACHE/autogen.log" >&2; exit 1; }
        log "configure"
        # Without PYTHON configure may pick another interpreter than Debian's.
        PYTHON=/usr/bin/python3 ./configure --prefix=$PREFIX >"$CACHE/configure.log" 2>&1 ||
            { tail -20 "$CACHE/configure.log" >&2; exit 1; }
        log "make (log: $CACHE/make.log)"
        make -j"$(nproc)" >"$CACHE/make.log" 2>&1 || { tail -30 "$CACHE/make.log" >&2; exit 1; }
        make install DESTDIR="$STAGE" >"$CACHE/install.log" 2>&1 || { tail -20 "$CACHE/install.log" >&2; exit 1; }
    ) || die "building OpenPBS failed (logs in $CACHE)"
    rm -rf "$CACHE/src"
    echo "$version" >"$STAMP"
    log "built $version in $((SECONDS - t0)) s"
}

ns() { ip netns exec "$NETNS" "$@"; }

env_lines() {
    echo "export PBS_CONF_FILE=/etc/pbs.conf"
    echo "export PATH=$PREFIX/bin:$PREFIX/sbin:\$PATH"
    echo "export IMJOY_HPC_PBS_NETNS=$NETNS"
    echo "export IMJOY_HPC_PBS_HOST=$HOST"
}

in_ns_env() { ns env PBS_CONF_FILE=/etc/pbs.conf PATH="$PREFIX/bin:$PREFIX/sbin:$PATH" "$@"; }

node_free() {
    local out
    out=$(in_ns_env pbsnodes "$HOST" 2>/dev/null) || return 1
    grep -qE '^\s*state = free' <<<"$out" && grep -qE 'resources_available.ncpus = [1-9]' <<<"$out"
}

make_namespace() {
    if ! ip netns list | grep -qw "$NETNS"; then
        ip netns add "$NETNS"
    fi
    ns ip link set lo up
    ns ip addr show dev lo | grep -q "inet $ADDR/" || ns ip addr add "$ADDR/32" dev lo
    mkdir -p "/etc/netns/$NETNS"
    { grep -v -w "$HOST" /etc/hosts || true; echo "$ADDR $HOST"; } >"/etc/netns/$NETNS/hosts"
}

install_tree() {
    [ -e "$SET_UP" ] && [ -x "$PREFIX/sbin/pbs_server.bin" ] && return 0
    [ -e "$PREFIX" ] && die "$PREFIX exists but is no OpenPBS install of this script: not touching it"
    cp -a "$STAGE$PREFIX" "$PREFIX"
    touch "$SET_UP"
}

configure_server() {
    # pbs_postinstall writes /etc/pbs.conf and the init script; its systemctl calls fail harmlessly without systemd.
    ns "$PREFIX/libexec/pbs_postinstall" >"$CACHE/postinstall.log" 2>&1 || true
    [ -e /etc/pbs.conf ] || die "pbs_postinstall wrote no /etc/pbs.conf (log: $CACHE/postinstall.log)"
    sed -i -e "s/^PBS_SERVER=.*/PBS_SERVER=$HOST/" -e "s/^PBS_START_MOM=.*/PBS_START_MOM=1/" \
        -e '/^PBS_LEAF_NAME=/d' -e '/^PBS_MOM_NODE_NAME=/d' /etc/pbs.conf
    printf 'PBS_LEAF_NAME=%s\nPBS_MOM_NODE_NAME=%s\n' "$HOST" "$HOST" >>/etc/pbs.conf
    chmod 4755 "$PREFIX/sbin/pbs_iff" "$PREFIX/sbin/pbs_rcp"
}

configure_mom() {
    local conf=/var/spool/pbs/mom_priv/config
    [ -e "$conf" ] || return 0
    # Deliver job output with cp: there is no scp here.
    grep -q '^\$usecp' "$conf" || echo '$usecp *:/ /' >>"$conf"
}

qmgr_set() { echo "set server $1" | in_ns_env qmgr >/dev/null; }

start() {
    need_root
    build
    apt_install_missing "${RUN_DEPS[@]}" || die "installing the run-time packages failed"
    if status >/dev/null 2>&1; then
        log "OpenPBS already runs in namespace $NETNS"
        return 0
    fi
    local t0=$SECONDS
    install_tree
    make_namespace
    configure_server
    ns /etc/init.d/pbs start >"$CACHE/start.log" 2>&1 || { tail -20 "$CACHE/start.log" >&2; die "pbs start failed"; }
    configure_mom
    # Apply the MOM setting (it reads its config at start): HUP it by its pid file.
    local mompid
    mompid=$(tr -dc '0-9' </var/spool/pbs/mom_priv/mom.lock 2>/dev/null || true)
    [ -n "$mompid" ] && kill -HUP "$mompid" 2>/dev/null || true
    local deadline=$((SECONDS + WAIT_READY))
    until node_free; do
        [ $SECONDS -lt $deadline ] || die "node $HOST not free after ${WAIT_READY} s (pbsnodes: $(in_ns_env pbsnodes "$HOST" 2>&1 | tr '\n' ' '))"
        sleep 0.5
    done
    qmgr_set "job_history_enable = True"
    qmgr_set "scheduler_iteration = 2"
    qmgr_set "acl_roots = root"
    qmgr_set "scheduling = True"
    log "OpenPBS runs in namespace $NETNS as $HOST ($ADDR), node free, in $((SECONDS - t0)) s"
}

status() {
    ip netns list 2>/dev/null | grep -qw "$NETNS" || { echo "no namespace $NETNS"; return 1; }
    [ -x "$PREFIX/bin/qstat" ] || { echo "no $PREFIX/bin/qstat"; return 1; }
    in_ns_env qstat -B "$HOST" || return 1
    node_free || { echo "node $HOST is not free"; return 1; }
}

stop() {
    need_root
    if ip netns list 2>/dev/null | grep -qw "$NETNS"; then
        if [ -x "$PREFIX/bin/qdel" ]; then
            local jobs
            jobs=$(in_ns_env qselect 2>/dev/null || true)
            [ -z "$jobs" ] || in_ns_env qdel -W force $jobs >/dev/null 2>&1 || true
        fi
        [ -x /etc/init.d/pbs ] && { ns /etc/init.d/pbs stop >/dev/null 2>&1 || true; }
        # Whatever still runs in the namespace (a job's leftovers, a datastore that did not stop): by PID.
        local pids deadline=$((SECONDS + 10))
        while pids=$(ip netns pids "$NETNS" 2>/dev/null) && [ -n "$pids" ] && [ $SECONDS -lt $deadline ]; do
            kill $pids 2>/dev/null || true
            sleep 0.5
        done
        pids=$(ip netns pids "$NETNS" 2>/dev/null || true)
        [ -z "$pids" ] || kill -9 $pids 2>/dev/null || true
        ip netns del "$NETNS" || log "warning: cannot delete namespace $NETNS"
    fi
    rm -rf "/etc/netns/$NETNS"
    rmdir /etc/netns 2>/dev/null || true  # only if empty (ip netns may have made it for us)
    # Only what this script installed (its marker): a site's own PBS under /opt/pbs is never touched.
    if [ -e "$SET_UP" ]; then
        rm -rf "$PREFIX" /var/spool/pbs /etc/pbs.conf /etc/init.d/pbs /etc/profile.d/pbs.sh /etc/profile.d/pbs.csh \
            /usr/lib/systemd/system/pbs.service /lib/systemd/system/pbs.service /etc/systemd/system/pbs.service
        find /etc/rc?.d -name '*pbs' -delete 2>/dev/null || true
        rm -f "$SET_UP"
    fi
    log "OpenPBS stopped and removed"
}

case "${1:-}" in
    build) build ;;
    start) start ;;
    stop) stop ;;
    status) status ;;
    env) env_lines ;;
    exec) shift; in_ns_env "$@" ;;
    *) echo "usage: $0 build|start|stop|status|env|exec CMD..." >&2; exit 2 ;;
esac
