#!/usr/bin/env bash
# The project's test command (README, .ci/run): install what is missing, start the real single-node SLURM and
# Grid Engine, run the whole pytest suite, stop what was started. Arguments are passed to pytest, e.g.
#   bash scripts/test-all.sh -m "not slow" -x tests/test_browser.py
# Exit status: pytest's (5, "no tests collected" in both parts, counts as a failure like any non-zero status).
# The tests marked openpbs run in a second pytest inside OpenPBS's network namespace; arguments go to both runs.
# Under CI the environment has CI=true: then a test whose real component is missing fails instead of skipping.
set -uo pipefail

REPO="$(cd "$(dirname "$0")/.." && pwd)"
cd "$REPO"

START="$(date +%s)"
elapsed() { echo "$(( $(date +%s) - START ))s"; }
say() { echo "[test-all $(elapsed)] $*"; }

SLURM_SCRIPT="scripts/ci/slurm.sh"
SLURM_STARTED=0
# OpenPBS, built from ../shared/third-party/openpbs (build cached), runs in its own network namespace (PBS refuses
# loopback addresses): the tests marked openpbs run there, in a second pytest run (IMJOY_HPC_TEST_PART).
PBS_SCRIPT="scripts/ci/openpbs.sh"
PBS_STARTED=0
# Grid Engine (scripts/ci/gridengine.sh unpacks it under /opt/imjoy-hpc-ci/gridengine beside Slurm's qsub);
# the tests take its environment from the env.sh it writes. Its stop takes ~12 s.
GE_SCRIPT="scripts/ci/gridengine.sh"
GE_STARTED=0
cleanup() {
    if [[ "$PBS_STARTED" == 1 ]]; then
        PBS_STARTED=0
        say "stopping OpenPBS"
        bash "$PBS_SCRIPT" stop || say "warning: '$PBS_SCRIPT stop' failed"
    fi
    if [[ "$GE_STARTED" == 1 ]]; then
        GE_STARTED=0
        say "stopping Grid Engine"
        bash "$GE_SCRIPT" stop || say "warning: '$GE_SCRIPT stop' failed"
    fi
    if [[ "$SLURM_STARTED" == 1 ]]; then
        SLURM_STARTED=0
        say "stopping SLURM"
        bash "$SLURM_SCRIPT" stop || say "warning: '$SLURM_SCRIPT stop' failed"
    fi
}
trap cleanup EXIT
trap 'say "interrupted"; exit 130' INT
trap 'say "terminated"; exit 143' TERM

say "installing (scripts/ci/install.sh)"
if ! bash scripts/ci/install.sh; then
    say "scripts/ci/install.sh failed: not running the tests"
    echo "test-all: install failed"
    exit 1
fi
INSTALL_TIME="$(elapsed)"

if [[ -f "$SLURM_SCRIPT" ]]; then
    say "starting SLURM ($SLURM_SCRIPT start)"
    # Marked started before the call so that a half-done start is still stopped.
    SLURM_STARTED=1
    if ! bash "$SLURM_SCRIPT" start; then
        say "warning: '$SLURM_SCRIPT start' failed; the SLURM/PBS tests will report it"
    fi
else
    say "$SLURM_SCRIPT does not exist yet: SLURM not started; the SLURM/PBS tests will report it"
fi

say "starting Grid Engine ($GE_SCRIPT start)"
# Marked started before the call so that a half-done start is still stopped.
GE_STARTED=1
if ! bash "$GE_SCRIPT" start; then
    say "warning: '$GE_SCRIPT start' failed; the Grid Engine tests will report it"
fi

say "starting OpenPBS ($PBS_SCRIPT start; builds it on the first run, ~4 min)"
PBS_STARTED=1
if ! bash "$PBS_SCRIPT" start; then
    say "warning: '$PBS_SCRIPT start' failed; the OpenPBS tests will report it"
fi

# Where install.sh unpacked the Tcl Environment Modules modulecmd (Lmod is the installed `module`).
export IMJOY_HPC_TCL_MODULECMD="${IMJOY_HPC_TCL_MODULECMD:-/opt/imjoy-hpc-ci/environment-modules/modulecmd.tcl}"

JUNIT_HOST="$(mktemp --suffix=.xml -t imjoy-hpc-junit.XXXXXX)"
JUNIT_PBS="$(mktemp --suffix=.xml -t imjoy-hpc-junit.XXXXXX)"
PYTEST_START="$(date +%s)"
say "running pytest (all but the OpenPBS tests)"
IMJOY_HPC_TEST_PART=host .venv/bin/python -m pytest -ra --junitxml="$JUNIT_HOST" "$@"
RC_HOST=$?
if bash "$PBS_SCRIPT" status >/dev/null 2>&1; then
    say "running pytest (the OpenPBS tests, inside its network namespace)"
    bash "$PBS_SCRIPT" exec env IMJOY_HPC_TEST_PART=openpbs .venv/bin/python -m pytest -ra --junitxml="$JUNIT_PBS" "$@"
else
    say "running pytest (the OpenPBS tests; OpenPBS does not run, so they report it)"
    IMJOY_HPC_TEST_PART=openpbs .venv/bin/python -m pytest -ra --junitxml="$JUNIT_PBS" "$@"
fi
RC_PBS=$?
PYTEST_TIME="$(( $(date +%s) - PYTEST_START ))s"

cleanup

# Counts from pytest's JUnit reports, for a one-line summary (empty if the reports are missing).
COUNTS="$(.venv/bin/python - "$JUNIT_HOST" "$JUNIT_PBS" <<'EOF' 2>/dev/null
import sys
import xml.etree.ElementTree as ET
n = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
for path in sys.argv[1:]:
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        continue
    for s in [root] if root.tag == "testsuite" else root.findall("testsuite"):
        for k in n:
            n[k] += int(s.get(k, 0))
failed = n["failures"] + n["errors"]
print(f"{n['tests'] - failed - n['skipped']} passed, {failed} failed, {n['skipped']} skipped")
EOF
)"
rm -f "$JUNIT_HOST" "$JUNIT_PBS"

# One part may select nothing (e.g. `test-all.sh tests/test_rpc_codec.py`): exit 5 counts only when both do.
if [[ "$RC_HOST" == 5 && "$RC_PBS" == 5 ]]; then RC=5
elif [[ "$RC_HOST" != 0 && "$RC_HOST" != 5 ]]; then RC=$RC_HOST
elif [[ "$RC_PBS" != 0 && "$RC_PBS" != 5 ]]; then RC=$RC_PBS
else RC=0
fi

if [[ "$RC" == 5 ]]; then
    say "pytest collected no tests (exit 5): that is a failure"
fi
if [[ "$RC" == 0 ]]; then VERDICT="OK"; else VERDICT="FAILED (pytest exit $RC)"; fi
say "$VERDICT; install $INSTALL_TIME, pytest $PYTEST_TIME, total $(elapsed)"
echo "test-all: ${COUNTS:-pytest exit $RC}"
exit "$RC"
