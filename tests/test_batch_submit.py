"""`imjoy-hpc submit` and `imjoy-hpc jobs` on the real single-node SLURM (scripts/ci/slurm.sh start), with
sbatch and with Slurm's PBS-style qsub/qstat/qdel."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time

import numpy as np
from support import expected_render
import pytest

from batch_support import IMAGE, WAIT, Batch
from slurm_support import require_slurm, wait_for

pytestmark = pytest.mark.slurm

PROFILE = {"queue": "debug", "cores": 1, "memory": "1GB", "walltime": "00:10:00", "interface": "lo"}
PROFILES = {"slurm": {"backend": "slurm", **PROFILE}, "pbs": {"backend": "pbs", **PROFILE},
            "nowhere": {"backend": "slurm", "queue": "no-such-partition", "cores": 1, "memory": "1GB"},
            "local": {"backend": "local", "processes": 1}}
expected_image = expected_render


def squeue_active(ids: list[str]) -> list[str]:
    if not ids:
        return []
    out = subprocess.run(["squeue", "-h", "-j", ",".join(ids), "-o", "%i|%T"], capture_output=True, text=True,
                         timeout=20)
    return [line for line in out.stdout.splitlines() if line.strip()]


def node_state() -> str:
    host = socket.gethostname().split(".")[0]
    try:
        out = subprocess.run(["sinfo", "-h", "-n", host, "-o", "%T"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return "unreachable"
    return (out.stdout.split() or ["unknown"])[0]


@pytest.fixture(scope="module")
def slurm():
    # Jobs of earlier tests may still be completing (node state "completing" or "mixed+completing"):
    # give them a bounded while before asking for an idle node.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and shutil.which("sinfo") and node_state().startswith(("comp", "alloc")):
        time.sleep(0.5)
    require_slurm()


@pytest.fixture
def batch(slurm, tmp_path):
    """The CLI with a private state dir; afterwards every job it submitted is gone from squeue."""
    b = Batch(tmp_path, dict(os.environ), PROFILES, batch_settings={"pbs-array-option": "-t"})  # Torque's
    yield b
    ids = b.recorded_ids()
    left = squeue_active(ids)
    if left:
        subprocess.run(["scancel", *ids], capture_output=True, timeout=20)
        wait_for(lambda: not squeue_active(ids), 60, what=f"jobs {ids} to leave squeue")
    assert not left, f"jobs left in squeue: {left}"
    assert not list(b.cwd.iterdir()), "batch jobs wrote into the submit directory"


def test_submit_one_slurm_job(batch):
    out = batch.tmp / "render"
    t0 = time.monotonic()
    job_id = batch.submit(str(IMAGE), "--profile", "slurm", "--call", "render", "--args", "[64, 32]",
                          "--output", str(out))
    submit_s = time.monotonic() - t0
    early = batch.jobs()[job_id]
    assert early["state"] in ("PENDING", "CONFIGURING", "RUNNING"), early  # the plugin takes seconds to start
    assert submit_s < 15
    script = (out / "job.sh").read_text()
    for line in ("#SBATCH -p debug", "#SBATCH --cpus-per-task=1", "#SBATCH --mem=954M",  # dask-jobqueue's header
                 "#SBATCH -t 00:10:00", f"#SBATCH --output={out}/logs/job.out"):
        assert line in script.splitlines()
    assert f"{sys.executable} -m imjoy_hpc run {IMAGE} --call render" in script
    assert "token" not in script.lower() and "secret" not in script.lower()
    job = batch.wait_ended(job_id)
    assert job["state"] == "COMPLETED", job
    assert (out / "COMPLETE").is_file()
    np.testing.assert_array_equal(np.load(out / "result.npy"), expected_image(64, 32))
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "completed" and summary["job"]["id"] == job_id
    assert summary["job"]["scheduler"] == "slurm" and summary["cores"] == 1  # local cluster = the allocation
    assert "log: Image Filter plugin is ready" in (out / "logs" / "job.err").read_text()
    p = batch.cli("jobs")
    row = next(line for line in p.stdout.splitlines() if line.startswith(job_id + " "))
    assert row.split()[:3] == [job_id, "COMPLETED", "-"] and str(out) in row
    # The scheduler's accounting beside ours: this SLURM runs without slurmdbd, and sacct's own words say so.
    detail = batch.cli("jobs", job_id)
    assert detail.returncode == 0, detail.stderr
    assert ("SLURM (sacct): SLURM keeps no accounting here: sacct says 'Slurm accounting storage is disabled'"
            in detail.stdout), detail.stdout
    assert "used " in detail.stdout  # our own figures stay beside it
    kept = json.loads((out / "summary.json").read_text())["resources"]["scheduler"]
    assert kept == {"scheduler": "slurm", "job_id": job_id, "source": "sacct",
                    "note": "SLURM keeps no accounting here: sacct says 'Slurm accounting storage is disabled'"}


def test_slurm_array_job_writes_one_result_per_task(batch):
    sets = batch.tmp / "sets.json"
    sizes = [(16, 8), (24, 12), (40, 20)]
    sets.write_text(json.dumps([list(s) for s in sizes]))
    out = batch.tmp / "array out"  # a blank in the path, as users have
    job_id = batch.submit("image", "--profile", "slurm", "--call", "render", "--array", str(sets),
                          "--output", str(out))
    assert "#SBATCH --array=0-2" in (out / "job.sh").read_text()
    job = batch.wait_ended(job_id)
    assert job["state"] == "COMPLETED" and job["counts"] == {"COMPLETED": 3}, job
    for i, (w, h) in enumerate(sizes):
        assert (out / str(i) / "COMPLETE").is_file()
        np.testing.assert_array_equal(np.load(out / str(i) / "result.npy"), expected_image(w, h))
        summary = json.loads((out / str(i) / "summary.json").read_text())
        assert summary["args"] == [w, h] and summary["job"]["array_job_id"] == job_id
        assert summary["job"]["array_index"] == str(i)
        assert (out / "logs" / f"task-{i}.err").is_file()
    row = next(line for line in batch.cli("jobs").stdout.splitlines() if line.startswith(job_id + " "))
    assert row.split()[:3] == [job_id, "COMPLETED", "3/3"]


@pytest.mark.torque
def test_torque_style_job_and_t_array_through_qsub(batch):
    require_slurm(pbs=True)
    sets = batch.tmp / "sets.json"
    sets.write_text("[[8, 4], [16, 8]]")
    one, many = batch.tmp / "pbs one", batch.tmp / "pbs array"  # blanks: qsub wrappers pass paths to a shell
    one_id = batch.submit(str(IMAGE), "--profile", "pbs", "--call", "render", "--args", "[64, 32]",
                          "--output", str(one))
    many_id = batch.submit(str(IMAGE), "--profile", "pbs", "--call", "render", "--array", str(sets),
                           "--output", str(many))
    records = batch.jobs()
    assert records[one_id]["submit_command"].startswith("qsub ")
    assert records[many_id]["submit_command"].startswith("qsub ") and " -t 0-1 " in records[many_id]["submit_command"]
    script = (one / "job.sh").read_text().splitlines()
    assert "#PBS -l select=1:ncpus=1:mem=954MB" in script and "#PBS -l walltime=00:10:00" in script
    assert "#PBS -q debug" in script
    assert batch.wait_ended(one_id)["state"] == "COMPLETED"
    np.testing.assert_array_equal(np.load(one / "result.npy"), expected_image(64, 32))
    assert "Image Filter plugin is ready" in (one / "logs" / "job.err").read_text()
    job = batch.wait_ended(many_id)
    assert job["state"] == "COMPLETED" and job["counts"] == {"COMPLETED": 2}, job
    for i, (w, h) in enumerate([(8, 4), (16, 8)]):
        np.testing.assert_array_equal(np.load(many / str(i) / "result.npy"), expected_image(w, h))
        assert (many / "logs" / f"task-{i}.err").is_file()


def test_a_failing_plugin_makes_a_failed_job(batch):
    out = batch.tmp / "failed"
    job_id = batch.submit(str(batch.tools), "--profile", "slurm", "--call", "explode", "--args", "[7]",
                          "--output", str(out))
    job = batch.wait_ended(job_id)
    assert job["state"] == "FAILED", job
    assert job["tasks"]["-"]["error"] == "explode() raised: ValueError: cannot explode 7 things"
    assert not (out / "COMPLETE").exists() and not (out / "result.json").exists()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "failed" and "Traceback" in summary["traceback"]
    err = (out / "logs" / "job.err").read_text()
    assert "Traceback" in err and "ValueError: cannot explode 7 things" in err
    detail = batch.cli("jobs", job_id)
    assert "state      FAILED" in detail.stdout and "error: explode() raised: ValueError" in detail.stdout


def test_cancel_a_running_job(batch):
    out = batch.tmp / "cancelled"
    job_id = batch.cancel_while_waiting(out, "--profile", "slurm")
    job = batch.wait_ended(job_id, timeout=60)
    assert job["state"] == "CANCELLED", job
    assert not squeue_active([job_id])
    assert not (out / "COMPLETE").exists()
    summary = json.loads((out / "summary.json").read_text())  # written on SIGTERM, before the kill
    assert summary["status"] == "cancelled"
    again = batch.cli("jobs", "--cancel", job_id)
    assert again.returncode == 2 and f"job {job_id} already ended (CANCELLED)" in again.stderr
    unknown = batch.cli("jobs", "--cancel", "999999")
    assert unknown.returncode == 2 and "no imjoy-hpc batch job '999999'" in unknown.stderr
    assert job_id in unknown.stderr  # the known ids are named


def test_run_with_a_slurm_profile_places_the_plugin_in_a_job(batch):
    """`imjoy-hpc run --profile P` keeps the gateway here and runs the plugin where P places it."""
    out = batch.tmp / "remote"
    p = batch.cli("run", str(IMAGE), "--profile", "slurm", "--call", "render", "--args", "[16, 8]",
                  "--output", str(out), timeout=WAIT)
    assert p.returncode == 0, p.stderr
    np.testing.assert_array_equal(np.load(out / "result.npy"), expected_image(16, 8))
    summary = json.loads((out / "summary.json").read_text())
    assert summary["profile"] == "slurm" and summary["job"] is None
    worker_job = re.search(r"starting plugin Image Filter on \S+ \(job (\d+)\)", (out / "plugin.log").read_text())
    assert worker_job, (out / "plugin.log").read_text()
    wait_for(lambda: not squeue_active([worker_job.group(1)]), 30, what="the worker job to end")


def test_submit_refuses_bad_requests(batch):
    out = batch.tmp / "never"
    p = batch.cli("submit", str(IMAGE), "--profile", "local", "--output", str(out))
    assert p.returncode == 2 and "profile 'local' has backend 'local'" in p.stderr and "imjoy-hpc run" in p.stderr
    p = batch.cli("submit", str(IMAGE), "--profile", "gpu", "--output", str(out))
    assert p.returncode == 2 and "unknown profile 'gpu'" in p.stderr
    p = batch.cli("submit", str(IMAGE), "--profile", "nowhere", "--output", str(out))
    assert p.returncode == 2 and "sbatch refused the job of profile 'nowhere'" in p.stderr
    assert "partition" in p.stderr.lower()
    p = batch.cli("submit", str(IMAGE), "--profile", "slurm", "--args", "{oops", "--output", str(out))
    assert p.returncode == 2 and "--args is not valid JSON" in p.stderr
    assert not out.exists() and batch.recorded_ids() == []
    out.mkdir()
    p = batch.cli("submit", str(IMAGE), "--profile", "slurm", "--output", str(out))
    assert p.returncode == 2 and "already exists" in p.stderr
