"""`imjoy-hpc run`: real plugin processes on the embedded gateway's local Dask cluster, results on disk."""

from __future__ import annotations

import json
import os
import pty
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from support import expected_render
import pytest

REPO = Path(__file__).resolve().parent.parent
IMAGE = REPO / "examples" / "image.imjoy.html"
PROGRESS = REPO / "examples" / "progress.py"

TOOLS = '''
import time
from imjoy import api

IMJOY_CONFIG = {"name": "Batch Tools", "type": "native-python"}


class Tools:
    def setup(self):
        api.log("tools ready")

    def describe(self, image, scale=1, label="x"):
        return {"sum": float(image.sum()) * scale, "shape": list(image.shape), "label": label,
                "doubled": image * 2}

    def explode(self, n):
        print("about to explode", flush=True)
        raise ValueError(f"cannot explode {n} things")

    def wait(self, seconds=60):
        for _ in range(int(seconds * 10)):
            time.sleep(0.1)
        return "waited"


api.export(Tools())
'''


expected_image = expected_render


@pytest.fixture
def cfg(tmp_path) -> Path:
    path = tmp_path / "imjoy-hpc.yaml"
    path.write_text(f"imjoy-hpc:\n  state-dir: {tmp_path / 'state'}\n"
                    "  profiles:\n    local: {backend: local, processes: 2, plugin-slots: 2}\n")
    return path


@pytest.fixture
def tools(tmp_path) -> Path:
    path = tmp_path / "tools.py"
    path.write_text(TOOLS)
    return path


def env() -> dict:
    out = dict(os.environ)
    out.pop("IMJOY_HPC_CONFIG", None)
    for name in ("SLURM_JOB_ID", "SLURM_CPUS_ON_NODE", "PBS_JOBID", "NCPUS"):
        out.pop(name, None)
    return out


def cli(*args: str, cfg: Path, timeout: float = 120, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "imjoy_hpc", *args, "--config", str(cfg)], capture_output=True,
                          text=True, timeout=timeout, env=env(), cwd=cwd)


def test_render_writes_the_array_result_and_summary(tmp_path, cfg):
    out = tmp_path / "render"
    t0 = time.monotonic()
    p = cli("run", str(IMAGE), "--call", "render", "--args", "[64, 32]", "--output", str(out), cfg=cfg)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == str(out)
    assert (out / "COMPLETE").is_file()
    result = json.loads((out / "result.json").read_text())
    assert result == {"$ndarray": "result.npy", "dtype": "uint8", "shape": [32, 64, 3]}
    image = np.load(out / result["$ndarray"])
    assert image.dtype == np.uint8 and image.shape == (32, 64, 3)
    np.testing.assert_array_equal(image, expected_image(64, 32))
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "completed" and summary["exit_code"] == 0
    assert summary["plugin"]["name"] == "Image Filter" and summary["plugin"]["file"] == str(IMAGE)
    assert summary["function"] == "render" and summary["args"] == [64, 32]
    assert summary["profile"] == "local" and summary["job"] is None and summary["host"]
    assert 0 < summary["timings"]["total_s"] <= time.monotonic() - t0
    assert {"start_s", "call_s", "write_s"} <= set(summary["timings"])
    assert set(summary["files"]) == {"result.npy", "result.json", "plugin.log"}
    used = summary["resources"]["used"]  # what the plugin's process used, summed up when it ended
    assert summary["resources"]["asked"]["cores"] >= 1
    assert used["peak_rss"] > 10 * 2**20 and 0 < used["elapsed"] <= summary["timings"]["total_s"] + 1, used
    assert used["cpu_seconds"] > 0 and "core_hours" not in used  # local: no allocation charged
    log = (out / "plugin.log").read_text()
    assert "starting plugin Image Filter" in log and "log: Image Filter plugin is ready" in log
    assert not list(tmp_path.glob("render.tmp-*"))


def test_run_ctx_and_progress_lines(tmp_path, cfg):
    out = tmp_path / "progress"
    p = cli("run", str(PROGRESS), "--args", '{"steps": 4}', "--output", str(out), cfg=cfg)
    assert p.returncode == 0, p.stderr
    assert json.loads((out / "result.json").read_text()) == 0 + 1 + 4 + 9  # run(ctx) read ctx.config.steps
    lines = p.stderr.splitlines()
    progress = [line for line in lines if line.startswith("progress: ")]
    assert progress == ["progress: 25%", "progress: 50%", "progress: 75%", "progress: 100%"]
    assert "status: step 4/4" in lines
    assert "status: step 4/4" in (out / "plugin.log").read_text()


def test_progress_bar_on_a_terminal(tmp_path, cfg):
    out = tmp_path / "bar"
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen([sys.executable, "-m", "imjoy_hpc", "run", str(PROGRESS), "--call", "compute",
                                 "--args", "[6]", "--output", str(out), "--config", str(cfg)],
                                stdin=slave, stdout=slave, stderr=slave, env={**env(), "COLUMNS": "100"})
        os.close(slave)
        chunks = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                data = os.read(master, 65536)
            except OSError:  # the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        os.close(master)
    text = b"".join(chunks).decode(errors="replace")
    assert proc.returncode == 0, text
    assert "\x1b[" in text and "━" in text and "100%" in text  # rich's bar, drawn with escape codes
    assert "progress: " not in text  # no plain lines on a terminal
    assert json.loads((out / "result.json").read_text()) == sum(i * i for i in range(6))


def test_keyword_arguments_and_array_files(tmp_path, cfg, tools):
    data = np.arange(12, dtype=np.float32).reshape(3, 4)
    np.save(tmp_path / "input.npy", data)
    args = tmp_path / "args.json"
    args.write_text(json.dumps({"image": {"$ndarray": "input.npy"}, "scale": 2, "label": "demo"}))
    out = tmp_path / "kw"
    p = cli("run", str(tools), "--call", "describe", "--args-file", str(args), "--output", str(out), cfg=cfg)
    assert p.returncode == 0, p.stderr
    result = json.loads((out / "result.json").read_text())
    assert result["sum"] == float(data.sum()) * 2 and result["shape"] == [3, 4] and result["label"] == "demo"
    assert result["doubled"] == {"$ndarray": "doubled.npy", "dtype": "float32", "shape": [3, 4]}
    np.testing.assert_array_equal(np.load(out / "doubled.npy"), data * 2)


def test_a_failing_plugin_leaves_a_failed_summary_and_no_result(tmp_path, cfg, tools):
    out = tmp_path / "failed"
    p = cli("run", str(tools), "--call", "explode", "--args", "[3]", "--output", str(out), cfg=cfg)
    assert p.returncode == 1
    assert "ValueError: cannot explode 3 things" in p.stderr and "Traceback" in p.stderr
    assert not (out / "COMPLETE").exists() and not (out / "result.json").exists()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "failed" and summary["exit_code"] == 1
    assert summary["error"] == "explode() raised: ValueError: cannot explode 3 things"
    assert "Traceback" in summary["traceback"] and f'File "{tools}"' in summary["traceback"]
    log = (out / "plugin.log").read_text()
    assert "about to explode" in log and "ValueError: cannot explode 3 things" in log
    # An unknown function is a failure of the same kind, naming what the plugin exports.
    p = cli("run", str(tools), "--call", "nope", "--output", str(tmp_path / "nope"), cfg=cfg)
    assert p.returncode == 1
    summary = json.loads((tmp_path / "nope" / "summary.json").read_text())
    assert "no function 'nope' (it exports: describe, explode, setup, wait)" in summary["error"]


def test_sigterm_ends_the_run_as_cancelled(tmp_path, cfg, tools):
    out = tmp_path / "term"
    proc = subprocess.Popen([sys.executable, "-m", "imjoy_hpc", "run", str(tools), "--call", "wait",
                             "--args", "[60]", "--output", str(out), "--config", str(cfg)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env())
    try:
        deadline = time.monotonic() + 60
        # The output's temporary directory appears before the gateway starts; the plugin is in wait() soon after.
        while time.monotonic() < deadline and not list(tmp_path.glob("term.tmp-*")):
            time.sleep(0.1)
        time.sleep(3)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    assert proc.returncode == 143, err
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "cancelled" and summary["error"].startswith("interrupted by SIGTERM")
    assert not (out / "COMPLETE").exists() and not (out / "result.json").exists()


def test_timeout_fails_a_call_that_takes_too_long(tmp_path, cfg, tools):
    out = tmp_path / "slow"
    t0 = time.monotonic()
    p = cli("run", str(tools), "--call", "wait", "--args", "[60]", "--timeout", "2", "--output", str(out), cfg=cfg)
    assert p.returncode == 1 and time.monotonic() - t0 < 45
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "failed" and "wait() did not return within 2 s" in summary["error"]
    assert not (out / "COMPLETE").exists()


def test_bad_input_is_refused_before_anything_starts(tmp_path, cfg):
    out = tmp_path / "never"
    p = cli("run", str(IMAGE), "--call", "render", "--args", "[64, 32", "--output", str(out), cfg=cfg)
    assert p.returncode == 2
    assert "--args is not valid JSON: Expecting ',' delimiter at line 1 column 8" in p.stderr
    bad = tmp_path / "bad.json"
    bad.write_text("{'single': 'quotes'}")
    p = cli("run", str(IMAGE), "--args-file", str(bad), "--output", str(out), cfg=cfg)
    assert p.returncode == 2 and f"--args-file {bad} is not valid JSON" in p.stderr
    p = cli("run", "no-such-plugin", "--output", str(out), cfg=cfg)
    assert p.returncode == 2 and "unknown plugin 'no-such-plugin'; available plugins:" in p.stderr
    assert "Image Filter" in p.stderr
    p = cli("run", str(IMAGE), "--profile", "gpu", "--output", str(out), cfg=cfg)
    assert p.returncode == 2 and "unknown profile 'gpu'" in p.stderr
    assert not out.exists() and not list(tmp_path.glob("never*"))
    existing = tmp_path / "existing"
    existing.mkdir()
    (existing / "notes.txt").write_text("mine")
    p = cli("run", str(IMAGE), "--output", str(existing), cfg=cfg)
    assert p.returncode == 2 and f"output directory {existing} already exists" in p.stderr and "--force" in p.stderr
    p = cli("run", str(IMAGE), "--output", str(existing), "--force", cfg=cfg)
    assert p.returncode == 2 and "not an imjoy-hpc output directory" in p.stderr
    assert (existing / "notes.txt").read_text() == "mine"


def test_an_array_larger_than_a_chunk_is_written_intact(tmp_path, cfg):
    """big(24) is 24 MiB: it reaches the headless gateway out of band (streamed, spooled), not as one message."""
    out = tmp_path / "big"
    p = cli("run", str(IMAGE), "--call", "big", "--args", "[24]", "--output", str(out), cfg=cfg)
    assert p.returncode == 0, p.stderr
    result = json.loads((out / "result.json").read_text())
    assert result == {"$ndarray": "result.npy", "dtype": "float32", "shape": [6144, 1024]}
    np.testing.assert_array_equal(np.load(out / "result.npy").ravel(), np.arange(6144 * 1024, dtype=np.float32))
