"""`imjoy-hpc submit` and `imjoy-hpc jobs` on the real single-node Grid Engine (scripts/ci/gridengine.sh start)."""

from __future__ import annotations

import json
import subprocess

import numpy as np
import pytest

from batch_support import IMAGE, Batch
from gridengine_support import jobs_env, qstat_jobs, require_gridengine
from slurm_support import wait_for
from support import expected_render

pytestmark = pytest.mark.sge


@pytest.fixture
def batch(tmp_path):
    profile = {"backend": "sge", "cores": 1, "memory": "1GB", "walltime": "00:10:00", "interface": "lo",
               "job-extra-directives": jobs_env()}
    b = Batch(tmp_path, require_gridengine(), {"sge": profile})
    yield b
    left = [i for i in b.recorded_ids() if i in qstat_jobs()]
    if left:
        subprocess.run(["qdel", *left], capture_output=True, timeout=20, env=b.env)
    assert not left, f"jobs left in qstat: {left}"
    assert not list(b.cwd.iterdir()), "batch jobs wrote into the submit directory"


def test_submit_one_job_and_an_array_to_grid_engine(batch):
    one, many = batch.tmp / "one", batch.tmp / "array out"
    sets = batch.tmp / "sets.json"
    sets.write_text("[[8, 4], [16, 8]]")
    one_id = batch.submit(str(IMAGE), "--call", "render", "--args", "[64, 32]", "--output", str(one))
    many_id = batch.submit(str(IMAGE), "--call", "render", "--array", str(sets), "--output", str(many))
    script = (one / "job.sh").read_text().splitlines()
    assert "#$ -N " + batch.jobs()[one_id]["job_name"] in script and "#$ -l h_rt=00:10:00" in script
    assert " -t 1-2 " in batch.jobs()[many_id]["submit_command"]  # GE's task ids start at 1
    assert batch.jobs()[one_id]["state"] in ("PENDING", "RUNNING", "COMPLETED")
    job = batch.wait_ended(one_id)
    assert job["state"] == "COMPLETED", job
    np.testing.assert_array_equal(np.load(one / "result.npy"), expected_render(64, 32))
    summary = json.loads((one / "summary.json").read_text())
    assert summary["job"] == {"scheduler": "sge", "id": one_id, "array_job_id": None, "array_index": None}
    assert "Image Filter plugin is ready" in (one / "logs" / "job.err").read_text()
    # Grid Engine's accounting (qacct) beside what the plugin used, asked once the job ended and kept
    detail = batch.cli("jobs", one_id)
    assert detail.returncode == 0, detail.stderr
    assert "Grid Engine (qacct): " in detail.stdout and " 1 core on 1 node" in detail.stdout, detail.stdout
    resources = json.loads((one / "summary.json").read_text())["resources"]
    acct, used = resources["scheduler"], resources["used"]
    assert acct["job_id"] == one_id and acct["state"] == "COMPLETED" and acct["cores"] == 1, acct
    assert acct["elapsed"] >= used["elapsed"] - 1 and acct["core_hours"] == round(acct["elapsed"] / 3600, 4)
    assert acct["cpu_seconds"] >= used["cpu_seconds"] > 0  # the job's CPU includes the plugin's
    assert 50 * 2**20 < acct["max_rss"] < 4 * 2**30, acct  # Python with Dask and numpy: tens of MB at least
    job = batch.wait_ended(many_id)
    assert job["state"] == "COMPLETED" and job["counts"] == {"COMPLETED": 2}, job
    for i, (w, h) in enumerate([(8, 4), (16, 8)]):  # GE's tasks 1 and 2 are argument sets 0 and 1
        np.testing.assert_array_equal(np.load(many / str(i) / "result.npy"), expected_render(w, h))
        assert json.loads((many / str(i) / "summary.json").read_text())["job"]["array_index"] == str(i + 1)
        assert (many / "logs" / f"task-{i}.err").is_file()
    batch.cli("jobs", many_id)  # each task's own record: qacct -j N -t T
    for i in range(2):
        acct = json.loads((many / str(i) / "summary.json").read_text())["resources"]["scheduler"]
        assert acct["job_id"] == f"{many_id}.{i + 1}" and acct["state"] == "COMPLETED", acct
    row = next(line for line in batch.cli("jobs").stdout.splitlines() if line.startswith(many_id + " "))
    assert row.split()[:3] == [many_id, "COMPLETED", "2/2"]


def test_cancel_a_running_grid_engine_job(batch):
    out = batch.tmp / "cancelled"
    job_id = batch.cancel_while_waiting(out)
    wait_for(lambda: job_id not in qstat_jobs(), 30, what="the job to leave qstat")
    job = batch.wait_ended(job_id, timeout=30)
    assert job["state"] == "CANCELLED", job
    assert not (out / "COMPLETE").exists()
    again = batch.cli("jobs", "--cancel", job_id)
    assert again.returncode == 2 and f"job {job_id} already ended (CANCELLED)" in again.stderr
