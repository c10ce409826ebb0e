"""`imjoy-hpc config`: effective values and the layer each came from (real CLI in a clean environment)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

CLI = [sys.executable, "-m", "imjoy_hpc"]


def run_config(tmp_path: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DASK_") and k != "IMJOY_HPC_CONFIG"}
    clean.update({"HOME": str(home)}, **(env or {}))
    return subprocess.run([*CLI, "config", *args], capture_output=True, text=True, env=clean, timeout=60)


def write(path: Path, data: dict) -> Path:
    path.write_text(yaml.safe_dump(data))
    return path


def test_each_value_names_its_layer(tmp_path):
    dask_dir = tmp_path / "dask"
    dask_dir.mkdir()
    write(dask_dir / "site.yaml", {"imjoy-hpc": {"server": {"chunk-bytes": 2097152}},
                                   "jobqueue": {"slurm": {"account": "lab42"}}})
    site = write(tmp_path / "site.yaml", {"imjoy-hpc": {"profiles": {"slurm": {"backend": "slurm", "cores": 2,
                                                                               "memory": "2GB"}}}})
    extra = write(tmp_path / "mine.yaml", {"imjoy-hpc": {"default-profile": "slurm"}})
    proc = run_config(tmp_path, "--json", "--config", str(extra), "--profile", "slurm",
                      env={"DASK_CONFIG": str(dask_dir), "IMJOY_HPC_CONFIG": str(site),
                           "DASK_IMJOY_HPC__SERVER__PORT": "9600"})
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    rows = {r["key"]: r for r in out["values"]}
    assert rows["imjoy-hpc.server.host"]["source"].startswith("built-in default")
    assert rows["imjoy-hpc.server.chunk-bytes"] == {
        "key": "imjoy-hpc.server.chunk-bytes", "value": 2097152,
        "source": f"dask config file {dask_dir / 'site.yaml'}"}
    assert rows["imjoy-hpc.server.port"]["value"] == 9600
    assert rows["imjoy-hpc.server.port"]["source"] == "env DASK_IMJOY_HPC__SERVER__PORT"
    assert rows["imjoy-hpc.profiles.slurm.cores"]["source"] == f"$IMJOY_HPC_CONFIG {site}"
    assert rows["imjoy-hpc.default-profile"] == {"key": "imjoy-hpc.default-profile", "value": "slurm",
                                                 "source": f"--config {extra}"}
    assert rows["jobqueue.slurm.account"]["source"] == f"dask config file {dask_dir / 'site.yaml'}"
    assert "jobqueue.slurm.walltime" not in rows  # dask-jobqueue's own defaults only with --all
    # the resolved profile takes the account from the jobqueue section
    assert out["profile"]["account"] == "lab42" and out["profile"]["cores"] == 2
    assert out["errors"] == []


def test_text_output_and_key_filter(tmp_path):
    proc = run_config(tmp_path, "server.port", env={"DASK_IMJOY_HPC__SERVER__PORT": "9601"})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "imjoy-hpc.server.port = 9601    # env DASK_IMJOY_HPC__SERVER__PORT"
    missing = run_config(tmp_path, "server.nope")
    assert missing.returncode == 1 and "no configuration key 'imjoy-hpc.server.nope'" in missing.stderr


def test_invalid_profile_is_reported_with_the_file_it_came_from(tmp_path):
    site = write(tmp_path / "site.yaml", {"imjoy-hpc": {"profiles": {"broken": {"backend": "slurm",
                                                                                "cpus": 4}}}})
    proc = run_config(tmp_path, env={"IMJOY_HPC_CONFIG": str(site)})
    assert proc.returncode == 1
    assert f"error: profile 'broken': unknown key 'cpus'" in proc.stderr
    assert f"$IMJOY_HPC_CONFIG {site}" in proc.stderr


def test_unreadable_config_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("imjoy-hpc: [unclosed\n")
    proc = run_config(tmp_path, "--config", str(bad))
    assert proc.returncode == 2 and str(bad) in proc.stderr and "not valid YAML" in proc.stderr
