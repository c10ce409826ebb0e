"""`imjoy-hpc submit` and `imjoy-hpc jobs` on the real single-node Grid Engine (scripts/ci/gridengine.sh start)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from gridengine_support import jobs_env, qstat_jobs, require_gridengine
from slurm_support import wait_for
from support import expected_render

pytestmark = pytest.mark.sge

IMAGE = Path(__file__).resolve().parent.parent / "examples" / "image.imjoy.html"
WAIT = 120

TOOLS = '''
import time
from imjoy import api

IMJOY_CONFIG = {"name": "GE Tools", "type": "native-python"}


class Tools:
    def wait(self, seconds=60):
        api.showStatus("waiting")
        time.sleep(seconds)
        return "waited"


api.export(Tools())
'''


class Batch:
    """The CLI with Grid Engine's environment, a test config (own state dir) and a scratch working directory."""

    def __init__(self, tmp_path: Path, env: dict) -> None:
        self.tmp, self.env = tmp_path, {k: v for k, v in env.items() if k not in ("IMJOY_HPC_CONFIG", "JOB_ID")}
        self.cwd = tmp_path / "cwd"
        self.cwd.mkdir()
        self.state = tmp_path / "state"
        self.config = tmp_path / "imjoy-hpc.yaml"
        profile = {"backend": "sge", "cores": 1, "memory": "1GB", "walltime": "00:10:00", "interface": "lo",
                   "job-extra-directives": jobs_env()}
        self.config.write_text(yaml.safe_dump({"imjoy-hpc": {
            "state-dir": str(self.state), "default-profile": "sge", "profiles": {"sge": profile}}}))
        self.tools = tmp_path / "tools.py"
        self.tools.write_text(TOOLS)

    def cli(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "imjoy_hpc", *args, "--config", str(self.config)],
                              capture_output=True, text=True, timeout=timeout, env=self.env, cwd=self.cwd)

    def submit(self, *args: str) -> str:
        p = self.cli("submit", *args)
        assert p.returncode == 0, p.stderr
        assert re.fullmatch(r"\d+", p.stdout.strip()), p.stdout
        return p.stdout.strip()

    def jobs(self) -> dict[str, dict]:
        p = self.cli("jobs", "--json", "--limit", "0")
        assert p.returncode == 0, p.stderr
        return {j["id"]: j for j in json.loads(p.stdout)}

    def wait_ended(self, job_id: str, timeout: float = WAIT) -> dict:
        def ended():
            job = self.jobs()[job_id]
            return job if not job["active"] else None

        return wait_for(ended, timeout, interval=0.5, what=f"job {job_id} to end")


@pytest.fixture
def batch(tmp_path):
    b = Batch(tmp_path, require_gridengine())
    yield b
    ids = [json.loads(p.read_text())["id"] for p in (b.state / "jobs").glob("*.json")] if b.state.is_dir() else []
    left = [i for i in ids if i in qstat_jobs()]
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
    job = batch.wait_ended(many_id)
    assert job["state"] == "COMPLETED" and job["counts"] == {"COMPLETED": 2}, job
    for i, (w, h) in enumerate([(8, 4), (16, 8)]):  # GE's tasks 1 and 2 are argument sets 0 and 1
        np.testing.assert_array_equal(np.load(many / str(i) / "result.npy"), expected_render(w, h))
        assert json.loads((many / str(i) / "summary.json").read_text())["job"]["array_index"] == str(i + 1)
        assert (many / "logs" / f"task-{i}.err").is_file()
    row = next(line for line in batch.cli("jobs").stdout.splitlines() if line.startswith(many_id + " "))
    assert row.split()[:3] == [many_id, "COMPLETED", "2/2"]


def test_cancel_a_running_grid_engine_job(batch):
    out = batch.tmp / "cancelled"
    job_id = batch.submit(str(batch.tools), "--call", "wait", "--args", "[90]", "--output", str(out))
    wait_for(lambda: "status: waiting" in (out / "logs" / "job.err").read_text(errors="replace")
             if (out / "logs" / "job.err").exists() else False, 60, interval=0.3, what="the plugin to be in wait()")
    assert batch.jobs()[job_id]["state"] == "RUNNING"
    p = batch.cli("jobs", "--cancel", job_id)
    assert p.returncode == 0 and f"cancelled job {job_id}" in p.stdout, p.stderr
    wait_for(lambda: job_id not in qstat_jobs(), 30, what="the job to leave qstat")
    job = batch.wait_ended(job_id, timeout=30)
    assert job["state"] == "CANCELLED", job
    assert not (out / "COMPLETE").exists()
    again = batch.cli("jobs", "--cancel", job_id)
    assert again.returncode == 2 and f"job {job_id} already ended (CANCELLED)" in again.stderr
