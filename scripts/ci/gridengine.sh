#!/usr/bin/env bash
# A real single-node Grid Engine (Debian gridengine 8.1.9) for imjoy-hpc's tests, beside the SLURM of slurm.sh.
#
#   scripts/ci/gridengine.sh start    unpack (if missing), configure and start sge_qmaster and sge_execd; wait
#                                     (bounded) until the queue instance accepts jobs
#   scripts/ci/gridengine.sh stop     delete the jobs, stop the daemons this script started (by their pid files)
#   scripts/ci/gridengine.sh status   daemons and queue state; exit 0 when the queue accepts jobs
#   scripts/ci/gridengine.sh env      the shell lines a caller must export to use Grid Engine's commands
#
# Debian's gridengine-client and slurm-wlm-torque both own /usr/bin/qsub, qstat, qdel (slurm-wlm-torque declares
# "Conflicts: gridengine-client"), and the tests need both. So the gridengine packages are never installed: their
# .debs are fetched with `apt-get download` and unpacked with `dpkg-deb -x` under $IMJOY_HPC_GRIDENGINE_DIR
# (default /opt/imjoy-hpc-ci/gridengine), which is laid out as SGE_ROOT; only their shared-library dependencies
# are installed with apt (plain libraries, no conflict). /usr/bin/qsub stays Slurm's wrapper; Grid Engine's
# commands are reached through $SGE_ROOT/bin/lx-amd64 first on PATH (`env` prints the lines, also written to
# $SGE_ROOT/env.sh).
#
# One relocation is needed: Debian's build loads the spooling library from a hard-coded
# "/usr/lib/gridengine/<lib>.so" (sge_qmaster, spoolinit, spooldefaults, spooledit) into a 64-byte buffer. The
# unpacked copies get that format string rewritten to "<lib>.so" (same bytes, NUL-padded; only its start is
# referenced), so dlopen finds the library through the binaries' own RUNPATH $ORIGIN/../../lib/lx-amd64.
#
# Idempotent; needs root (Debian 12). Spool, state, pid and log files live under SGE_ROOT too. Jobs run as the
# submitting user, root included (min_uid/min_gid 0; Debian's default 1000 rejects root's jobs at qsub).
set -euo pipefail

BASE=${IMJOY_HPC_GRIDENGINE_DIR:-/opt/imjoy-hpc-ci/gridengine}
HOST=$(hostname -s)
CELL=default
ARCH=lx-amd64
SLOTS=${IMJOY_HPC_GRIDENGINE_SLOTS:-2}
QMASTER_PORT=${IMJOY_HPC_GRIDENGINE_QMASTER_PORT:-6444}
EXECD_PORT=${IMJOY_HPC_GRIDENGINE_EXECD_PORT:-6445}
DEBS=(gridengine-common gridengine-client gridengine-master gridengine-exec)
# The shared libraries the unpacked binaries link against (Depends: of the four packages, less the packages
# themselves and what the binaries never run: debconf, tcsh, bsd-mailx, cpp, ucf, adduser).
LIBS=(libjemalloc2 libhwloc15 libtirpc3 libdb5.3 libmunge2 libssl3 libcrypt1 libpam0g libtinfo6)
PKG=$BASE/pkg
LIBDIR=$PKG/usr/lib/gridengine
BIN=$BASE/bin/$ARCH
COMMON=$BASE/$CELL/common
SPOOL=$BASE/spool
ENV_FILE=$BASE/env.sh
STAMP=$PKG/.imjoy-hpc-unpacked
CONF_STAMP=$BASE/spool/.imjoy-hpc-config
# user commands and daemons, as in an upstream $SGE_ROOT/bin/<arch> (the utilities stay in utilbin/<arch>)
COMMANDS=(qacct qalter qconf qdel qevent qhold qhost qlogin qmake_sge qmod qping qquota qrdel qresub qrls qrsh
    qrstat qrsub qselect qsh qstat qsub qtcsh sge_coshepherd sge_execd sge_qmaster sge_shadowd sge_share_mon
    sge_shepherd)
WAIT_READY=${IMJOY_HPC_GRIDENGINE_WAIT:-60}

export SGE_ROOT=$BASE SGE_CELL=$CELL SGE_QMASTER_PORT=$QMASTER_PORT SGE_EXECD_PORT=$EXECD_PORT
export PATH=$BIN:$PATH

# shellcheck source=scripts/ci/apt.sh
. "$(dirname "$0")/apt.sh"
APT_LOG_PREFIX=gridengine.sh
log() { echo "gridengine.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }

need_root() { [ "$(id -u)" = 0 ] || die "run as root (it installs packages and starts daemons)"; }

# pid from a pid file if that process runs and is the expected program
pid_of() {
    local file=$1 prog=$2 pid
    [ -s "$file" ] || return 1
    pid=$(tr -dc '0-9' <"$file")
    [ -n "$pid" ] && [ -r "/proc/$pid/comm" ] || return 1
    [ "$(cat "/proc/$pid/comm")" = "$prog" ] || return 1
    alive "$pid" || return 1
    echo "$pid"
}

# a process that runs (a killed daemon stays a zombie until init reaps it, and still has its /proc entry)
alive() {
    local state
    state=$(awk '/^State:/ {print $2}' "/proc/$1/status" 2>/dev/null) || return 1
    [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

qmaster_pidfile() { echo "$SPOOL/qmaster/qmaster.pid"; }

# execd names its spool subdirectory after the host name it resolves for itself (here possibly "localhost")
execd_pidfile() {
    local f
    for f in "$SPOOL"/execd/*/execd.pid; do
        pid_of "$f" sge_execd >/dev/null && { echo "$f"; return 0; }
    done
    echo "$SPOOL/execd/$HOST/execd.pid"
}

install_libs() {
    apt_install_missing "${LIBS[@]}" || die "apt-get install ${LIBS[*]} failed"
}

# "/usr/lib/gridengine/%s%s\0" -> "%s%s\0" + 20 NULs (same length): dlopen("libspoolc.so") then searches RUNPATH.
patch_spool_loader() {
    local f=$1
    perl -0777 -pi -e 's{/usr/lib/gridengine/%s%s\0}{"%s%s" . ("\0" x 21)}e or die "pattern not found\n"' "$f" ||
        die "cannot relocate the spooling loader of $f"
}

unpack_packages() {
    if [ -e "$STAMP" ] && [ -x "$LIBDIR/sge_qmaster" ]; then
        return 0
    fi
    install_libs
    local tmp p
    tmp=$(mktemp -d)
    # apt's download sandbox user must be able to write there.
    if id _apt >/dev/null 2>&1; then chown _apt "$tmp"; fi
    log "downloading ${DEBS[*]}"
    if ! (cd "$tmp" && apt-get download -qq "${DEBS[@]}" >&2); then
        apt-get update -qq
        (cd "$tmp" && apt-get download -qq "${DEBS[@]}" >&2) || die "apt-get download ${DEBS[*]} failed"
    fi
    rm -rf "$PKG.new"
    mkdir -p "$PKG.new"
    local deb
    for deb in "$tmp"/*.deb; do
        dpkg-deb -x "$deb" "$PKG.new"
        dpkg-deb -f "$deb" Package Version | paste -sd' ' >>"$PKG.new/.imjoy-hpc-debs"
    done
    rm -rf "$tmp"
    local lib=$PKG.new/usr/lib/gridengine
    for p in sge_qmaster spoolinit spooldefaults.bin spooledit.bin; do patch_spool_loader "$lib/$p"; done
    # the binaries' RUNPATH is $ORIGIN/../../lib/lx-amd64 (their libspoolc.so, libspoolb.so)
    ln -sfn gridengine "$PKG.new/usr/lib/$ARCH"
    rm -rf "$PKG"
    mv "$PKG.new" "$PKG"
    cp "$PKG/.imjoy-hpc-debs" "$STAMP"
    local unresolved
    unresolved=$(ldd "$LIBDIR/sge_qmaster" "$LIBDIR/sge_execd" "$LIBDIR/sge_shepherd" "$LIBDIR/qsub" \
        "$LIBDIR/spooldefaults.bin" 2>&1 | grep "not found" | sort -u || true)
    [ -z "$unresolved" ] || die "unpacked Grid Engine binaries miss shared libraries: $unresolved"
}

# $SGE_ROOT as Debian lays out /var/lib/gridengine, pointing into the unpacked tree
make_layout() {
    local c
    install -d -m 0755 "$BASE" "$BASE/bin" "$BIN" "$BASE/lib" "$BASE/utilbin"
    for c in "${COMMANDS[@]}"; do ln -sfn "../../pkg/usr/lib/gridengine/$c" "$BIN/$c"; done
    ln -sfn ../pkg/usr/lib/gridengine "$BASE/lib/$ARCH"
    ln -sfn ../pkg/usr/lib/gridengine "$BASE/utilbin/$ARCH"
    ln -sfn pkg/usr/share/gridengine/util "$BASE/util"
}

# The host's other names on the same address (this machine: localhost, runsc and vm all on 127.0.0.1): the
# daemons resolve 127.0.0.1 back to "localhost", so they all become aliases of $HOST.
host_aliases() {
    local ip names
    ip=$(getent hosts "$HOST" | awk '{print $1; exit}')
    names=$(awk -v ip="$ip" -v h="$HOST" '$1 == ip { for (i = 2; i <= NF; i++) if ($i != h) print $i }' /etc/hosts |
        sort -u | tr '\n' ' ')
    case "$ip" in 127.*) case " $names " in *" localhost "*) ;; *) names="$names localhost" ;; esac ;; esac
    echo "$HOST $names" | tr -s ' ' | sed 's/ $//'
}

# All generated configuration, in one place; its hash decides whether the spool must be made anew.
write_templates() {
    TPL=$(mktemp -d)
    mkdir -p "$TPL/global"
    cat >"$TPL/bootstrap" <<EOF
# Version: 8.1.9
admin_user              none
default_domain          none
ignore_fqdn             true
spooling_method         classic
spooling_lib            libspoolc
spooling_params         $COMMON;$SPOOL/qmaster
binary_path             $BASE/bin
qmaster_spool_dir       $SPOOL/qmaster
security_mode           none
listener_threads        2
worker_threads          2
scheduler_threads       1
EOF
    host_aliases >"$TPL/host_aliases"
    # Debian's default-configuration, with: root's jobs allowed (min_uid/min_gid 0), #! lines honoured
    # (unix_behavior), all processes of a job killed by its added group id, no mail, load reports every 10 s,
    # accounting written at once (qacct -j <id> right after a job ends; the accounting file is under $COMMON).
    sed -e "s|^execd_spool_dir .*|execd_spool_dir        $SPOOL/execd|" \
        -e 's|^min_uid .*|min_uid                0|' \
        -e 's|^min_gid .*|min_gid                0|' \
        -e 's|^shell_start_mode .*|shell_start_mode       unix_behavior|' \
        -e 's|^execd_params .*|execd_params           ENABLE_ADDGRP_KILL=TRUE|' \
        -e 's|^mailer .*|mailer                 /bin/true|' \
        -e 's|^load_report_time .*|load_report_time       00:00:10|' \
        -e 's|^reporting_params .*|reporting_params       accounting=true reporting=false flush_time=00:00:15 joblog=false sharelog=00:00:00 accounting_flush_time=00:00:00|' \
        "$PKG/usr/share/gridengine/default-configuration" >"$TPL/global/configuration"
    cat >"$TPL/exechost" <<EOF
hostname              $HOST
load_scaling          NONE
complex_values        NONE
user_lists            NONE
xuser_lists           NONE
projects              NONE
xprojects             NONE
usage_scaling         NONE
report_variables      NONE
EOF
    cat >"$TPL/pe" <<'EOF'
pe_name            smp
slots              9999
user_lists         NONE
xuser_lists        NONE
start_proc_args    NONE
stop_proc_args     NONE
allocation_rule    $pe_slots
control_slaves     FALSE
job_is_first_task  TRUE
urgency_slots      min
accounting_summary FALSE
qsort_args         NONE
EOF
    # No load thresholds: a benchmark on the 2 cores must not put the queue in alarm state.
    cat >"$TPL/queue" <<EOF
qname                 all.q
hostlist              $HOST
seq_no                0
load_thresholds       NONE
suspend_thresholds    NONE
nsuspend              1
suspend_interval      00:05:00
priority              0
min_cpu_interval      00:05:00
processors            UNDEFINED
qtype                 BATCH INTERACTIVE
ckpt_list             NONE
pe_list               smp
rerun                 FALSE
slots                 $SLOTS
tmpdir                /tmp
shell                 /bin/sh
prolog                NONE
epilog                NONE
shell_start_mode      unix_behavior
starter_method        NONE
suspend_method        NONE
resume_method         NONE
terminate_method      NONE
notify                00:00:60
owner_list            NONE
user_lists            NONE
xuser_lists           NONE
subordinate_list      NONE
complex_values        NONE
projects              NONE
xprojects             NONE
calendar              NONE
initial_state         default
s_rt                  INFINITY
h_rt                  INFINITY
s_cpu                 INFINITY
h_cpu                 INFINITY
s_fsize               INFINITY
h_fsize               INFINITY
s_data                INFINITY
h_data                INFINITY
s_stack               INFINITY
h_stack               INFINITY
s_core                INFINITY
h_core                INFINITY
s_rss                 INFINITY
h_rss                 INFINITY
s_vmem                INFINITY
h_vmem                INFINITY
EOF
    # Scheduling 1 s after a submit or a job end (default: every 15 s); "scheduling info:" in qstat -j.
    cat >"$TPL/sconf" <<'EOF'
algorithm                         default
schedule_interval                 0:0:1
maxujobs                          0
queue_sort_method                 seqno
job_load_adjustments              NONE
load_adjustment_decay_time        0:0:0
load_formula                      np_load_avg
schedd_job_info                   true
flush_submit_sec                  1
flush_finish_sec                  1
params                            none
reprioritize_interval             0:0:0
halftime                          168
usage_weight_list                 cpu=1.000000,mem=0.000000,io=0.000000
compensation_factor               5.000000
weight_user                       0.250000
weight_project                    0.250000
weight_department                 0.250000
weight_job                        0.250000
weight_tickets_functional         0
weight_tickets_share              0
share_override_tickets            TRUE
share_functional_shares           TRUE
max_functional_jobs_to_schedule   200
report_pjob_tickets               TRUE
max_pending_tasks_per_job         50
halflife_decay_list               none
policy_hierarchy                  OFS
weight_ticket                     0.500000
weight_waiting_time               0.278000
weight_deadline                   3600000.000000
weight_urgency                    0.500000
weight_priority                   0.000000
max_reservation                   0
default_duration                  INFINITY
EOF
    CONF_HASH=$( (cat "$STAMP"; echo "$QMASTER_PORT $EXECD_PORT"; cat "$TPL/bootstrap" "$TPL/host_aliases" \
        "$TPL/global/configuration" "$TPL/exechost" "$TPL/pe" "$TPL/queue" "$TPL/sconf") | sha256sum | cut -d' ' -f1)
}

# A fresh spool from the templates (as Debian's init_cluster does), before sge_qmaster starts.
init_spool() {
    log "initialising the spool in $SPOOL"
    rm -rf "${SPOOL:?}" "${BASE:?}/${CELL:?}"
    install -d -m 0755 "$COMMON" "$SPOOL" "$SPOOL/qmaster" "$SPOOL/qmaster/job_scripts" "$SPOOL/execd"
    install -m 0644 "$TPL/bootstrap" "$COMMON/bootstrap"
    install -m 0644 "$TPL/host_aliases" "$COMMON/host_aliases"
    echo "$HOST" >"$COMMON/act_qmaster"
    local sd=$LIBDIR/spooldefaults.bin
    "$LIBDIR/spoolinit" classic libspoolc "$COMMON;$SPOOL/qmaster" init >&2
    "$sd" configuration "$TPL/global/configuration" >&2
    "$sd" complexes "$BASE/util/resources/centry" >&2
    "$sd" usersets "$BASE/util/resources/usersets" >&2
    "$sd" managers root >&2
    NEW_SPOOL=1
}

# Exec host, parallel environment, queue and scheduler configuration, through qconf (needs sge_qmaster).
configure_cluster() {
    qconf -as "$HOST" >/dev/null 2>&1 || true
    qconf -Ae "$TPL/exechost" >&2
    qconf -Ap "$TPL/pe" >&2
    qconf -Aq "$TPL/queue" >&2
    qconf -Msconf "$TPL/sconf" >&2
    echo "$CONF_HASH" >"$CONF_STAMP"
}

env_lines() {
    cat <<EOF
export SGE_ROOT=$BASE
export SGE_CELL=$CELL
export SGE_QMASTER_PORT=$QMASTER_PORT
export SGE_EXECD_PORT=$EXECD_PORT
export PATH=$BIN:\$PATH
EOF
}

write_env() {
    { echo "# Grid Engine of imjoy-hpc's scripts/ci/gridengine.sh: source this, or export these lines."; env_lines; } \
        >"$ENV_FILE.tmp"
    mv "$ENV_FILE.tmp" "$ENV_FILE"
}

qmaster_up() { qconf -sh >/dev/null 2>&1; }

# states of the queue instance (empty = accepting jobs); "-" when it does not answer
queue_state() {
    local line
    line=$(qstat -f -q "all.q@$HOST" 2>/dev/null | awk -v q="all.q@$HOST" '$1 == q { print; exit }') || true
    [ -n "$line" ] || { echo "-"; return 0; }
    # queuename qtype resv/used/tot. load_avg arch [states]
    echo "$line" | awk '{ print (NF >= 6 ? $6 : "") }'
}

start_daemons() {
    local i pid
    if ! pid_of "$(qmaster_pidfile)" sge_qmaster >/dev/null; then
        if [ -n "$(ss -Hltn "sport = :$QMASTER_PORT" 2>/dev/null)" ]; then
            die "port $QMASTER_PORT is in use by another program (set IMJOY_HPC_GRIDENGINE_QMASTER_PORT)"
        fi
        log "starting sge_qmaster"
        "$BIN/sge_qmaster"
    fi
    for i in $(seq 1 100); do
        qmaster_up && break
        sleep 0.1
    done
    qmaster_up || die "sge_qmaster does not answer (see $SPOOL/qmaster/messages)"
    if [ "${NEW_SPOOL:-0}" = 1 ]; then configure_cluster; fi
    if ! pid_of "$(execd_pidfile)" sge_execd >/dev/null; then
        log "starting sge_execd"
        "$BIN/sge_execd"
    fi
}

wait_ready() {
    local deadline=$((SECONDS + WAIT_READY)) state cleared=0
    while [ $SECONDS -lt $deadline ]; do
        state=$(queue_state)
        case "$state" in
        "") return 0 ;;
        -) ;;
        *E* | *d* | *s* | *S* | *D*)
            if [ $cleared -lt 3 ]; then
                qmod -c "all.q@$HOST" >/dev/null 2>&1 || true
                qmod -e "all.q@$HOST" >/dev/null 2>&1 || true
                qmod -us "all.q@$HOST" >/dev/null 2>&1 || true
                cleared=$((cleared + 1))
            fi
            ;;
        esac
        sleep 0.2
    done
    die "queue all.q@$HOST is in state '${state}' after ${WAIT_READY}s, not accepting jobs (logs: $SPOOL/*/messages)"
}

stop_pid() {
    local file=$1 prog=$2 wait=${3:-150} pid i
    pid=$(pid_of "$file" "$prog") || { rm -f "$file"; return 0; }
    log "stopping $prog ($pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 "$wait"); do
        alive "$pid" || { rm -f "$file"; return 0; }
        sleep 0.1
    done
    log "$prog ($pid) still runs after $((wait / 10))s: killing it"
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$file"
}

delete_jobs() {
    qmaster_up || return 0
    local i
    [ -z "$(qstat -u '*' 2>/dev/null)" ] && return 0
    log "deleting all jobs"
    qdel -u '*' >/dev/null 2>&1 || true
    for i in $(seq 1 50); do
        [ -z "$(qstat -u '*' 2>/dev/null)" ] && return 0
        if [ "$i" = 25 ]; then qdel -f -u '*' >/dev/null 2>&1 || true; fi
        sleep 0.2
    done
    log "warning: jobs still listed after 10s: $(qstat -u '*' 2>/dev/null | awk 'NR > 2 {print $1}' | tr '\n' ' ')"
}

# Jobs whose execd is gone: their shepherds (started by our execd, recorded in its spool) and process groups.
kill_leftover_jobs() {
    local d pid jpid
    for d in "$SPOOL"/execd/*/active_jobs/*/; do
        [ -d "$d" ] || continue
        jpid=$(tr -dc '0-9' <"$d/job_pid" 2>/dev/null || true)
        if [ -n "$jpid" ] && alive "$jpid" && [ "$(ps -o pgid= -p "$jpid" | tr -d ' ')" = "$jpid" ]; then
            log "killing the processes of leftover job $(basename "$d") (process group $jpid)"
            kill -KILL -- "-$jpid" 2>/dev/null || true
        fi
        if pid=$(pid_of "$d/pid" sge_shepherd); then
            log "killing leftover sge_shepherd ($pid)"
            kill -KILL "$pid" 2>/dev/null || true
        fi
    done
}

stop_gridengine() {
    delete_jobs
    stop_pid "$(execd_pidfile)" sge_execd
    kill_leftover_jobs
    stop_pid "$(qmaster_pidfile)" sge_qmaster 300
}

cmd_start() {
    need_root
    local t0=$SECONDS
    unpack_packages
    make_layout
    write_templates
    NEW_SPOOL=0
    if [ ! -s "$CONF_STAMP" ] || [ "$(cat "$CONF_STAMP")" != "$CONF_HASH" ] || [ ! -s "$COMMON/bootstrap" ]; then
        if pid_of "$(qmaster_pidfile)" sge_qmaster >/dev/null; then
            log "configuration changed: deleting jobs and restarting the daemons"
        fi
        stop_gridengine
        init_spool
    fi
    start_daemons
    rm -rf "$TPL"
    wait_ready
    write_env
    log "ready in $((SECONDS - t0))s: queue all.q@$HOST ($SLOTS slots, pe smp); environment: $ENV_FILE"
}

cmd_stop() {
    need_root
    stop_gridengine
    log "stopped"
}

cmd_status() {
    local ok=0 pid state
    if pid=$(pid_of "$(qmaster_pidfile)" sge_qmaster); then echo "sge_qmaster: running ($pid)"; else echo "sge_qmaster: stopped"; ok=1; fi
    if pid=$(pid_of "$(execd_pidfile)" sge_execd); then echo "sge_execd: running ($pid)"; else echo "sge_execd: stopped"; ok=1; fi
    state=$(queue_state)
    case "$state" in
    "") echo "queue all.q@$HOST: ok" ;;
    -) echo "queue all.q@$HOST: unknown"; ok=1 ;;
    *) echo "queue all.q@$HOST: state $state"; ok=1 ;;
    esac
    echo "environment ($ENV_FILE):"
    env_lines | sed 's/^/  /'
    return $ok
}

cmd_env() { env_lines; }

case "${1:-}" in
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
env) cmd_env ;;
*) echo "usage: $0 start|stop|status|env" >&2; exit 2 ;;
esac
