"""`imjoy-hpc submit` and `imjoy-hpc jobs` on the real single-node OpenPBS server (these tests run inside its
network namespace): ids `N.server`, `-J` arrays with PBS_ARRAY_INDEX, failures with the traceback, cancel."""

from __future__ import annotations

import json

import numpy as np
import pytest

from batch_support import IMAGE, Batch
from openpbs_support import HOST, jobs_env, qdel, qstat_jobs, require_openpbs
from support import expected_render

pytestmark = pytest.mark.openpbs


@pytest.fixture
def batch(tmp_path):
    profile = {"backend": "pbs", "cores": 1, "memory": "1GB", "walltime": "00:10:00", "interface": "lo",
               "job-extra-directives": jobs_env()}
    b = Batch(tmp_path, require_openpbs(), {"pbs": profile}, job_id=rf"\d+(\[\])?\.{HOST}")
    yield b
    active = {j for j, rec in qstat_jobs().items() if rec.get("job_state") not in ("F", "X")}
    left = [i for i in b.recorded_ids() if i in active]
    qdel(*left)
    assert not left, f"jobs left in qstat: {left}"
    assert not list(b.cwd.iterdir()), "batch jobs wrote into the submit directory"


def test_submit_one_job_and_an_array_of_three_to_pbs(batch):
    one, many = batch.tmp / "one", batch.tmp / "array out"
    sets = batch.tmp / "sets.json"
    sizes = [(8, 4), (16, 8), (24, 12)]
    sets.write_text(json.dumps(sizes))
    one_id = batch.submit(str(IMAGE), "--call", "render", "--args", "[64, 32]", "--output", str(one))
    many_id = batch.submit(str(IMAGE), "--call", "render", "--array", str(sets), "--output", str(many))
    assert many_id.endswith(f"[].{HOST}")  # a PBS array job
    script = (one / "job.sh").read_text().splitlines()
    assert "#PBS -l select=1:ncpus=1:mem=954MB" in script and "#PBS -l walltime=00:10:00" in script
    assert " -J 0-2 " in batch.jobs()[many_id]["submit_command"]
    job = batch.wait_ended(one_id)
    assert job["state"] == "COMPLETED", job
    np.testing.assert_array_equal(np.load(one / "result.npy"), expected_render(64, 32))
    assert (one / "COMPLETE").is_file()
    summary = json.loads((one / "summary.json").read_text())
    assert summary["job"] == {"scheduler": "pbs", "id": one_id, "array_job_id": None, "array_index": None}
    assert "Image Filter plugin is ready" in (one / "logs" / "job.err").read_text()
    # PBS's own figures (qstat -x: the job history's resources_used) beside what the plugin used, kept
    detail = batch.cli("jobs", one_id)
    assert detail.returncode == 0, detail.stderr
    assert "PBS (qstat -x): " in detail.stdout and " 1 core on 1 node" in detail.stdout, detail.stdout
    resources = json.loads((one / "summary.json").read_text())["resources"]
    acct, used = resources["scheduler"], resources["used"]
    assert acct["job_id"] == one_id and acct["state"] == "COMPLETED" and acct["cores"] == 1, acct
    assert acct["elapsed"] >= used["elapsed"] - 1 and acct["core_hours"] == round(acct["elapsed"] / 3600, 4)
    if acct["cpu_seconds"] or acct["max_rss"]:  # the job's Python processes, when MOM sampled them
        assert acct["cpu_seconds"] >= 1 and acct["max_rss"] > 50 * 2**20, acct
    else:  # MOM measured nothing (here even for a 25 s job): PBS's zeros, said in words
        assert "PBS counted no CPU time or memory for this job" in acct["note"], acct
    job = batch.wait_ended(many_id)
    assert job["state"] == "COMPLETED" and job["counts"] == {"COMPLETED": 3}, job
    for i, (w, h) in enumerate(sizes):
        np.testing.assert_array_equal(np.load(many / str(i) / "result.npy"), expected_render(w, h))
        summary = json.loads((many / str(i) / "summary.json").read_text())
        assert summary["job"]["array_index"] == str(i) and summary["job"]["array_job_id"] == many_id
        assert summary["job"]["id"] == many_id.replace("[]", f"[{i}]")
    row = next(line for line in batch.cli("jobs").stdout.splitlines() if line.startswith(many_id + " "))
    assert row.split()[:3] == [many_id, "COMPLETED", "3/3"]
    batch.cli("jobs", many_id)  # each subjob's own record
    acct = json.loads((many / "2" / "summary.json").read_text())["resources"]["scheduler"]
    assert acct["job_id"] == many_id.replace("[]", "[2]") and acct["state"] == "COMPLETED", acct


def test_a_failing_plugin_makes_a_failed_pbs_job(batch):
    out = batch.tmp / "failed"
    job_id = batch.submit(str(batch.tools), "--call", "explode", "--args", "[7]", "--output", str(out))
    job = batch.wait_ended(job_id)
    assert job["state"] == "FAILED", job
    assert job["tasks"]["-"]["error"] == "explode() raised: ValueError: cannot explode 7 things"
    assert not (out / "COMPLETE").exists() and not (out / "result.json").exists()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "failed" and "Traceback" in summary["traceback"]
    assert "ValueError: cannot explode 7 things" in (out / "logs" / "job.err").read_text()
    history = qstat_jobs(history=True)[job_id]
    assert history["job_state"] == "F" and history["Exit_status"] != 0  # PBS saw the job fail too


def test_cancel_a_running_pbs_job(batch):
    out = batch.tmp / "cancelled"
    job_id = batch.cancel_while_waiting(out)
    job = batch.wait_ended(job_id, timeout=60)
    assert job["state"] == "CANCELLED", job
    assert not (out / "COMPLETE").exists()
    assert json.loads((out / "summary.json").read_text())["status"] == "cancelled"
    again = batch.cli("jobs", "--cancel", job_id)
    assert again.returncode == 2 and f"job {job_id} already ended (CANCELLED)" in again.stderr
