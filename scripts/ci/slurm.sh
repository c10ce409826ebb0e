#!/usr/bin/env bash
# A real single-node SLURM (with Slurm's PBS/Torque-compatible commands) for imjoy-hpc's tests and demos.
#
#   scripts/ci/slurm.sh start    install (if missing), configure and start munged, slurmctld, slurmd; wait (bounded)
#                                until the node accepts jobs (idle, or mixed/allocated when jobs already run)
#   scripts/ci/slurm.sh stop     stop the daemons this script started (by their pid files)
#   scripts/ci/slurm.sh status   daemons and node state; exit 0 when the node accepts jobs
#
# Idempotent; needs root (Debian 12). State, spool, pid and log files live under $IMJOY_HPC_SLURM_DIR
# (default /var/tmp/imjoy-hpc-slurm). Facts behind each setting: shared/CLUSTER.md of the project.
set -euo pipefail

BASE=${IMJOY_HPC_SLURM_DIR:-/var/tmp/imjoy-hpc-slurm}
HOST=$(hostname -s)
PACKAGES=(munge slurmctld slurmd slurm-client slurm-wlm-torque)
CONF=/etc/slurm/slurm.conf
CGROUP_CONF=/etc/slurm/cgroup.conf
PLUGSTACK=/etc/slurm/plugstack.conf
PBS_SPANK_CONF=/etc/slurm/plugstack.conf.d/imjoy-hpc-pbs.conf
MARKER="# written by imjoy-hpc scripts/ci/slurm.sh"
WAIT_IDLE=${IMJOY_HPC_SLURM_WAIT:-60}

# shellcheck source=scripts/ci/apt.sh
. "$(dirname "$0")/apt.sh"
APT_LOG_PREFIX=slurm.sh
log() { echo "slurm.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }

need_root() { [ "$(id -u)" = 0 ] || die "run as root (it installs packages and writes /etc/slurm)"; }

# pid from a pid file if that process runs and is the expected program
pid_of() {
    local file=$1 prog=$2 pid
    [ -s "$file" ] || return 1
    pid=$(tr -dc '0-9' <"$file")
    [ -n "$pid" ] && [ -r "/proc/$pid/comm" ] || return 1
    [ "$(cat "/proc/$pid/comm")" = "$prog" ] || return 1
    echo "$pid"
}

install_packages() {
    apt_install_missing "${PACKAGES[@]}" || die "apt-get install ${PACKAGES[*]} failed"
}

start_munge() {
    install -d -m 0700 -o munge -g munge /etc/munge /var/log/munge
    install -d -m 0711 -o munge -g munge /var/lib/munge
    install -d -m 0755 -o munge -g munge /run/munge
    if [ ! -s /etc/munge/munge.key ]; then
        log "creating the munge key"
        mungekey --create --keyfile /etc/munge/munge.key
    fi
    chown munge:munge /etc/munge/munge.key
    chmod 0400 /etc/munge/munge.key
    if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
        return 0
    fi
    log "starting munged"
    runuser -u munge -- /usr/sbin/munged --force
    touch "$BASE/run/munged.ours"
    local i
    for i in $(seq 1 50); do
        munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    die "munged does not answer (see /var/log/munge/munged.log)"
}

proctrack() {
    # proctrack/cgroup needs a writable cgroup v1 freezer; never proctrack/linuxproc (workers escape scancel).
    local probe=/sys/fs/cgroup/freezer/imjoy-hpc-probe.$$
    if [ -d /sys/fs/cgroup/freezer ] && mkdir "$probe" 2>/dev/null; then
        rmdir "$probe"
        echo proctrack/cgroup
    else
        echo proctrack/pgid
    fi
}

write_conf() {
    local mem cpus=8 pt tmp
    mem=$(awk '/^MemTotal:/ {printf "%d", $2 / 1024 * 0.9}' /proc/meminfo)
    pt=$(proctrack)
    tmp=$(mktemp)
    cat >"$tmp" <<EOF
$MARKER
ClusterName=imjoy-hpc
SlurmctldHost=$HOST(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
ProctrackType=$pt
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0,bf_interval=1
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
SlurmdParameters=config_overrides
DefMemPerCPU=512
EnforcePartLimits=ALL
ReturnToService=2
KillWait=5
MinJobAge=60
InactiveLimit=0
StateSaveLocation=$BASE/state
SlurmdSpoolDir=$BASE/spool
SlurmctldPidFile=$BASE/run/slurmctld.pid
SlurmdPidFile=$BASE/run/slurmd.pid
SlurmctldLogFile=$BASE/log/slurmctld.log
SlurmdLogFile=$BASE/log/slurmd.log
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
# debug: the default; long: long jobs; tiny: one CPU in all, so a second job there pends (tests of pending reasons)
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
PartitionName=long Nodes=ALL MaxTime=INFINITE State=UP
PartitionName=tiny Nodes=ALL MaxCPUsPerNode=1 MaxTime=INFINITE State=UP
EOF
    CONF_CHANGED=0
    if ! cmp -s "$tmp" "$CONF"; then
        if [ -e "$CONF" ] && ! grep -qF "$MARKER" "$CONF"; then
            cp -p "$CONF" "$CONF.before-imjoy-hpc"
            log "kept the previous $CONF as $CONF.before-imjoy-hpc"
        fi
        CONF_CHANGED=1
    fi
    NEW_CONF=$tmp
    if [ "$pt" = proctrack/cgroup ]; then
        printf '%s\nCgroupPlugin=cgroup/v1\nCgroupAutomount=yes\nConstrainCores=no\nConstrainRAMSpace=no\nConstrainDevices=no\n' \
            "$MARKER" >"$tmp.cg"
        cmp -s "$tmp.cg" "$CGROUP_CONF" || CONF_CHANGED=1
    fi
}

install_conf() {
    install -d -m 0755 /etc/slurm /etc/slurm/plugstack.conf.d
    install -m 0644 "$NEW_CONF" "$CONF"
    [ -e "$NEW_CONF.cg" ] && install -m 0644 "$NEW_CONF.cg" "$CGROUP_CONF"
    rm -f "$NEW_CONF" "$NEW_CONF.cg"
    # PBS_JOBID and friends inside jobs, through Slurm's spank_pbs plugin.
    [ -e "$PLUGSTACK" ] || echo "include /etc/slurm/plugstack.conf.d/*.conf" >"$PLUGSTACK"
    local so
    so=$(ls /usr/lib/*/slurm-wlm/spank_pbs.so 2>/dev/null | head -n1 || true)
    if [ -n "$so" ]; then
        echo "optional $so" >"$PBS_SPANK_CONF"
    else
        log "warning: spank_pbs.so not found; jobs will not see PBS_JOBID"
    fi
}

node_state() { sinfo -h -n "$HOST" -o %T 2>/dev/null | head -n1; }

wait_idle() {
    local deadline=$((SECONDS + WAIT_IDLE)) state resumed=0
    while [ $SECONDS -lt $deadline ]; do
        state=$(node_state || true)
        case "$state" in
        # idle, or already running jobs (others' tests): the node accepts jobs
        idle | mixed | allocated | completing) return 0 ;;
        down* | drain* | fail*)
            if [ $resumed -lt 3 ]; then
                scontrol update NodeName="$HOST" State=RESUME >/dev/null 2>&1 || true
                resumed=$((resumed + 1))
            fi
            ;;
        esac
        sleep 0.3
    done
    die "node $HOST is '${state:-unknown}' after ${WAIT_IDLE}s, not accepting jobs (logs: $BASE/log/)"
}

start_daemons() {
    if ! pid_of "$BASE/run/slurmctld.pid" slurmctld >/dev/null; then
        log "starting slurmctld"
        /usr/sbin/slurmctld -i
    fi
    local i
    for i in $(seq 1 100); do
        scontrol ping 2>/dev/null | grep -q "UP" && break
        sleep 0.1
    done
    if ! pid_of "$BASE/run/slurmd.pid" slurmd >/dev/null; then
        log "starting slurmd"
        /usr/sbin/slurmd -N "$HOST"
    fi
}

stop_pid() {
    local file=$1 prog=$2 pid i
    pid=$(pid_of "$file" "$prog") || { rm -f "$file"; return 0; }
    log "stopping $prog ($pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 150); do
        [ -d "/proc/$pid" ] || { rm -f "$file"; return 0; }
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$file"
}

stop_slurm() {
    stop_pid "$BASE/run/slurmd.pid" slurmd
    stop_pid "$BASE/run/slurmctld.pid" slurmctld
}

cmd_start() {
    need_root
    install_packages
    install -d -m 0755 "$BASE" "$BASE/state" "$BASE/spool" "$BASE/run" "$BASE/log"
    start_munge
    write_conf
    if [ $CONF_CHANGED = 1 ]; then
        if pid_of "$BASE/run/slurmctld.pid" slurmctld >/dev/null; then
            # A changed node definition would requeue running jobs: cancel them, then restart.
            log "configuration changed: cancelling jobs and restarting the daemons"
            scancel --quiet --full $(squeue -h -o %i 2>/dev/null) 2>/dev/null || true
            stop_slurm
        fi
    fi
    install_conf
    start_daemons
    wait_idle
    log "ready: node $HOST idle; partitions $(sinfo -h -o %P | tr '\n' ' ')"
}

cmd_stop() {
    need_root
    stop_slurm
    if [ -e "$BASE/run/munged.ours" ]; then
        stop_pid /run/munge/munged.pid munged
        rm -f "$BASE/run/munged.ours"
    fi
    log "stopped"
}

cmd_status() {
    local ok=0 p
    for p in slurmctld slurmd; do
        if pid=$(pid_of "$BASE/run/$p.pid" $p); then echo "$p: running ($pid)"; else echo "$p: stopped"; ok=1; fi
    done
    if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then echo "munged: running"; else echo "munged: stopped"; ok=1; fi
    local state
    state=$(node_state || true)
    echo "node $HOST: ${state:-unknown}"
    case "$state" in idle | mixed | allocated | completing) ;; *) ok=1 ;; esac
    return $ok
}

case "${1:-}" in
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
*) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
