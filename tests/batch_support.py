"""`imjoy-hpc submit` / `imjoy-hpc jobs` driven as a user would, for the batch tests of each scheduler."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import yaml

from slurm_support import wait_for

IMAGE = Path(__file__).resolve().parent.parent / "examples" / "image.imjoy.html"
WAIT = 120

TOOLS = '''
import time
from imjoy import api

IMJOY_CONFIG = {"name": "Batch Tools", "type": "native-python"}


class Tools:
    def explode(self, n):
        raise ValueError(f"cannot explode {n} things")

    def wait(self, seconds=60):
        api.showStatus("waiting")
        for _ in range(int(seconds * 10)):
            time.sleep(0.1)
        return "waited"


api.export(Tools())
'''


class Batch:
    """The CLI with a scheduler's environment, a test config (own state dir; `profiles` by name, the first is the
    default) and a scratch working directory; `job_id` is the form the scheduler's submitted ids must have."""

    def __init__(self, tmp_path: Path, env: dict, profiles: dict[str, dict], job_id: str = r"\d+",
                 batch_settings: dict | None = None) -> None:
        drop = ("IMJOY_HPC_CONFIG", "JOB_ID", "PBS_JOBID", "SLURM_JOB_ID")
        self.tmp, self.env = tmp_path, {k: v for k, v in env.items() if k not in drop}
        self.job_id = re.compile(job_id)
        self.cwd = tmp_path / "cwd"
        self.cwd.mkdir()
        self.state = tmp_path / "state"
        self.config = tmp_path / "imjoy-hpc.yaml"
        section = {"state-dir": str(self.state), "default-profile": next(iter(profiles)), "profiles": profiles}
        if batch_settings:
            section["batch"] = batch_settings
        self.config.write_text(yaml.safe_dump({"imjoy-hpc": section}))
        self.tools = tmp_path / "tools.py"
        self.tools.write_text(TOOLS)

    def cli(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "imjoy_hpc", *args, "--config", str(self.config)],
                              capture_output=True, text=True, timeout=timeout, env=self.env, cwd=self.cwd)

    def submit(self, *args: str) -> str:
        p = self.cli("submit", *args)
        assert p.returncode == 0, p.stderr
        assert self.job_id.fullmatch(p.stdout.strip()), p.stdout
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

    def cancel_while_waiting(self, out: Path, *submit_args: str) -> str:
        """Submit the tools' wait(90), cancel it with `imjoy-hpc jobs --cancel` once the plugin is inside wait()
        and the job RUNNING; its id."""
        job_id = self.submit(str(self.tools), *submit_args, "--call", "wait", "--args", "[90]", "--output", str(out))
        wait_for(lambda: "status: waiting" in read(out / "logs" / "job.err"), 60, interval=0.3,
                 what="the plugin to be in wait()")
        assert self.jobs()[job_id]["state"] == "RUNNING"
        p = self.cli("jobs", "--cancel", job_id)
        assert p.returncode == 0 and f"cancelled job {job_id}" in p.stdout, p.stderr
        return job_id

    def recorded_ids(self) -> list[str]:
        jobs_dir = self.state / "jobs"
        return [json.loads(p.read_text())["id"] for p in jobs_dir.glob("*.json")] if jobs_dir.is_dir() else []


def read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""
