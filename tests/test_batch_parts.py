"""Unit tests of the batch parts: argument rules, the output directory, job scripts, job states."""

from __future__ import annotations

import json
from dataclasses import replace
import subprocess

import numpy as np
import pytest

from imjoy_hpc.batch import BatchError
from imjoy_hpc.batch.args import NO_ARGS, absolute_refs, call_arguments, load_args, load_array, resolve_refs
from imjoy_hpc.batch.jobscript import JobScript, render
from imjoy_hpc.batch.results import COMPLETE, RESULT, SUMMARY, OutputDir, read_summary
from imjoy_hpc.batch.allocation import allocation_cores, job_info
from imjoy_hpc.batch.runner import run_settings
from imjoy_hpc.backends.slurm import array_indices as _indices
from imjoy_hpc.batch.status import SchedulerView, job_status
from imjoy_hpc.cluster.profiles import Limits, Profile
from imjoy_hpc.settings import Settings


# ---------------------------------------------------------------- arguments
def test_arguments_follow_the_documented_rules():
    assert call_arguments("run", NO_ARGS) == ([{"config": {}, "data": {}}], {})
    assert call_arguments("render", NO_ARGS) == ([], {})
    assert call_arguments("run", {"steps": 3}) == ([{"config": {"steps": 3}, "data": {}}], {})
    assert call_arguments("compute", {"steps": 3}) == ([], {"steps": 3})
    assert call_arguments("render", [64, 32]) == ([64, 32], {})
    assert call_arguments("run", [1]) == ([1], {})
    assert call_arguments("compute", 5) == ([5], {})
    assert call_arguments("compute", None) == ([None], {})
    with pytest.raises(BatchError, match="'not a name'.*not a valid Python name"):
        call_arguments("compute", {"not a name": 1})


def test_bad_json_names_the_option_and_the_position(tmp_path):
    with pytest.raises(BatchError, match=r"--args is not valid JSON: .* line 1 column 8"):
        load_args("[64, 32")
    bad = tmp_path / "a.json"
    bad.write_text('{"x": }')
    with pytest.raises(BatchError, match=rf"--args-file {bad} is not valid JSON"):
        load_args(file=bad)
    with pytest.raises(BatchError, match="file not found"):
        load_args(file=tmp_path / "missing.json")
    with pytest.raises(BatchError, match="not both"):
        load_args("1", bad)


def test_args_index_picks_one_argument_set(tmp_path):
    f = tmp_path / "sets.json"
    f.write_text("[[1, 2], {\"a\": 3}]")
    assert load_args(file=f, index=1)[0] == {"a": 3}
    with pytest.raises(BatchError, match="--args-index 2 is out of range: .* holds 2 argument sets"):
        load_args(file=f, index=2)
    with pytest.raises(BatchError, match="needs a JSON list"):
        load_args('{"a": 1}', index=0)


def test_array_files_are_checked(tmp_path):
    f = tmp_path / "arr.json"
    f.write_text("{}")
    with pytest.raises(BatchError, match="must hold a JSON list"):
        load_array(f, 10)
    f.write_text("[]")
    with pytest.raises(BatchError, match="empty"):
        load_array(f, 10)
    f.write_text(json.dumps([[1]] * 11))
    with pytest.raises(BatchError, match="11 argument sets exceed the limit of 10"):
        load_array(f, 10)
    f.write_text('[[1], [{"$ndarray": "nope.npy"}]]')
    with pytest.raises(BatchError, match="item 1: array file .*nope.npy.* not found"):
        load_array(f, 10)


def test_ndarray_references_load_arrays_relative_to_the_args_file(tmp_path):
    data = np.arange(6, dtype=np.int16).reshape(2, 3)
    np.save(tmp_path / "a.npy", data)
    f = tmp_path / "args.json"
    f.write_text(json.dumps({"image": {"$ndarray": "a.npy", "dtype": "int16"}, "n": 2}))
    value, base = load_args(file=f)
    loaded = resolve_refs(value, base)
    assert loaded["n"] == 2 and loaded["image"].dtype == np.int16
    np.testing.assert_array_equal(loaded["image"], data)
    assert absolute_refs(value, base)["image"]["$ndarray"] == str(tmp_path / "a.npy")


# ---------------------------------------------------------------- output directory
def test_result_arrays_become_files_and_references(tmp_path):
    out = OutputDir(tmp_path / "out")
    work = out.open()
    value = {"mask": np.ones((2, 2), bool), "stats": {"mean": np.float32(0.5), "hist": [np.arange(3)]},
             "raw": b"\x00\x01", "name": "x"}
    files = out.write_result(value)
    result = json.loads((work / RESULT).read_text())
    assert result["mask"] == {"$ndarray": "mask.npy", "dtype": "bool", "shape": [2, 2]}
    assert result["stats"]["mean"] == 0.5
    assert result["stats"]["hist"][0]["$ndarray"] == "stats.hist.0.npy"
    assert result["raw"] == {"$bytes": "raw.bin", "size": 2}
    assert set(files) == {"mask.npy", "stats.hist.0.npy", "raw.bin", RESULT}
    np.testing.assert_array_equal(np.load(work / "stats.hist.0.npy"), np.arange(3))


def test_a_result_is_complete_only_after_finish(tmp_path):
    target = tmp_path / "out"
    out = OutputDir(target)
    work = out.open()
    out.write_result(np.zeros(3))
    # A crash here leaves only DIR.tmp-*: nothing at DIR, no COMPLETE anywhere.
    assert not target.exists() and work.name.startswith("out.tmp-")
    assert not any(p.name == COMPLETE for p in tmp_path.rglob("*"))
    out.finish({"status": "completed", "finished": "now"}, complete=True)
    assert (target / COMPLETE).is_file() and (target / "result.npy").is_file()
    assert not list(tmp_path.glob("out.tmp-*"))
    assert read_summary(target)["complete"] is True


def test_failed_finish_has_no_marker_and_existing_output_needs_force(tmp_path):
    target = tmp_path / "out"
    out = OutputDir(target)
    out.open()
    out.finish({"status": "failed"}, complete=False)
    assert (target / SUMMARY).is_file() and not (target / COMPLETE).exists()
    with pytest.raises(BatchError, match="already exists; .* --force"):
        OutputDir(target).open()
    again = OutputDir(target, force=True)
    again.open()
    again.finish({"status": "completed"}, complete=True)
    assert (target / COMPLETE).is_file() and not list(tmp_path.glob("out.old-*"))
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "thesis.tex").write_text("keep me")
    with pytest.raises(BatchError, match="not an imjoy-hpc output directory"):
        OutputDir(foreign, force=True).open()
    assert (foreign / "thesis.tex").read_text() == "keep me"


def test_in_place_output_clears_an_earlier_attempt_first(tmp_path):
    target = tmp_path / "job"
    target.mkdir()
    (target / "job.sh").write_text("#!/bin/sh\n")
    (target / COMPLETE).write_text("old\n")
    (target / SUMMARY).write_text(json.dumps({"status": "completed", "files": ["old.npy"]}))
    (target / "old.npy").write_text("x")
    out = OutputDir(target, in_place=True)
    out.open()
    assert not (target / COMPLETE).exists() and not (target / "old.npy").exists()
    assert (target / "job.sh").exists()
    out.write_result([1, 2])
    out.finish({"status": "completed"}, complete=True)
    assert json.loads((target / RESULT).read_text()) == [1, 2] and (target / COMPLETE).is_file()
    assert not list(tmp_path.glob("job.tmp-*"))


# ---------------------------------------------------------------- allocation
def test_allocation_sizes_the_local_profile(monkeypatch):
    assert allocation_cores({"SLURM_CPUS_ON_NODE": "4"}) == 4
    assert allocation_cores({"NCPUS": "6"}) == 6
    assert allocation_cores({"PBS_NUM_PPN": "3"}) == 3
    assert allocation_cores({}) is None
    assert job_info({"SLURM_JOB_ID": "12", "SLURM_ARRAY_JOB_ID": "10", "SLURM_ARRAY_TASK_ID": "2"}) == {
        "scheduler": "slurm", "id": "12", "array_job_id": "10", "array_index": "2"}
    assert job_info({"PBS_JOBID": "7.srv", "PBS_ARRAY_INDEX": "1"})["array_index"] == "1"
    for name in ("SLURM_CPUS_ON_NODE", "SLURM_CPUS_PER_TASK", "NCPUS", "PBS_NCPUS", "PBS_NUM_PPN", "PBS_NP"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SLURM_CPUS_ON_NODE", "48")
    settings = Settings.parse({"profiles": {"local": {"backend": "local", "processes": 2, "plugin-slots": 3}},
                               "limits": {"max-cores": 32}})
    out, name = run_settings(settings, None)
    assert name == "local" and out.default_profile == "local"
    assert out.profiles["local"] == {"backend": "local", "processes": 1, "plugin-slots": 3, "cores": 32}
    with pytest.raises(BatchError, match="unknown profile 'gpu'"):
        run_settings(settings, "gpu")


# ---------------------------------------------------------------- job scripts
def _profile(**kw) -> Profile:
    base = dict(name="cpu", backend="slurm", queue="debug", account="lab", cores=4, memory="2GB",
                walltime="1-02:00:00", gpus=1, job_extra_directives=("--exclusive",),
                job_script_prologue=("module load cuda",), limits=Limits())
    base.update(kw)
    return replace(Settings.of({"profiles": {"cpu": {"backend": "slurm"}}}).profile("cpu"), **base)


def test_slurm_script_carries_the_profile(tmp_path):
    job = JobScript(backend="slurm", job_name="imjoy-batch-x-1", profile=_profile(), output=tmp_path / "o",
                    run_command=["/venv/bin/python", "-m", "imjoy_hpc", "run", "/p/x.py", "--call", "run"],
                    workdir=tmp_path, environment={"IMJOY_HPC_CONFIG": "/etc/site.yaml"})
    text = render(job)
    # The header is dask-jobqueue's SLURMJob header (its short options -J, -p, -A, -t), then the batch logs.
    for line in ("#SBATCH -J imjoy-batch-x-1", "#SBATCH -p debug", "#SBATCH -A lab",
                 "#SBATCH --cpus-per-task=4", "#SBATCH --mem=1908M", "#SBATCH -t 1-02:00:00",
                 "#SBATCH --gres=gpu:1", "#SBATCH --exclusive", f"#SBATCH --output={tmp_path}/o/logs/job.out",
                 "module load cuda", "export IMJOY_HPC_CONFIG=/etc/site.yaml"):
        assert line in text.splitlines(), line
    assert text.splitlines()[-1] == (f"exec /venv/bin/python -m imjoy_hpc run /p/x.py --call run --output "
                                     f"{tmp_path}/o --in-place")
    skipped = render(JobScript(backend="slurm", job_name="n", profile=_profile(), output=tmp_path,
                               run_command=["x"], workdir=tmp_path, directives_skip=("--mem",)))
    assert "--mem" not in skipped
    assert subprocess.run(["bash", "-n"], input=text, text=True).returncode == 0


def test_pbs_array_script_logs_per_task(tmp_path):
    out = tmp_path / "my out"
    job = JobScript(backend="pbs", job_name="ib-x-1", profile=_profile(backend="pbs"), output=out,
                    run_command=["py", "-m", "imjoy_hpc", "run", "p"], workdir=tmp_path, array_size=3)
    text = render(job)
    lines = text.splitlines()
    assert "#PBS -l select=1:ncpus=4:mem=1908MB:ngpus=1" in lines and "#PBS -l walltime=26:00:00" in lines
    assert "#PBS -q debug" in lines and "#PBS -A lab" in lines
    assert "--array" not in text  # given to qsub on the command line
    # The task index, the per-task logs and the per-task output directory, as bash expands them.
    script = tmp_path / "job.sh"
    script.write_text(text.replace("exec py ", "echo py ").replace("module load cuda", ":"))
    (out / "logs").mkdir(parents=True)
    env = {"PATH": "/usr/bin:/bin", "PBS_ARRAY_INDEX": "2"}
    assert subprocess.run(["bash", str(script)], env=env, timeout=20).returncode == 0
    printed = (out / "logs" / "task-2.out").read_text()
    assert f"--args-index 2 --output {out}/2 --force" in printed
    missing = subprocess.run(["bash", str(script)], env={"PATH": "/usr/bin:/bin"}, timeout=20,
                             capture_output=True, text=True)
    assert missing.returncode == 2 and "no array task index" in missing.stderr


# ---------------------------------------------------------------- job states
def _write_summary(directory, status, complete):
    directory.mkdir(parents=True, exist_ok=True)
    (directory / SUMMARY).write_text(json.dumps({"status": status, "error": None if status == "completed"
                                                 else "boom"}))
    if complete:
        (directory / COMPLETE).write_text("x")


def test_job_state_comes_from_the_scheduler_then_from_the_summaries(tmp_path):
    rec = {"id": "5", "output": str(tmp_path / "o"), "array": 3}
    assert _indices("0-2") == [0, 1, 2] and _indices("[1,4-5%2]") == [1, 4, 5] and _indices("N/A") == [None]
    view = SchedulerView(by_index={0: "RUNNING", 1: "PENDING", 2: "PENDING"})
    st = job_status(rec, view)
    assert st["state"] == "RUNNING" and st["active"] and st["counts"] == {"RUNNING": 1, "PENDING": 2}
    _write_summary(tmp_path / "o" / "0", "completed", True)
    _write_summary(tmp_path / "o" / "1", "failed", False)
    gone = job_status(rec, SchedulerView())
    assert gone["tasks"]["0"]["state"] == "COMPLETED" and gone["tasks"]["1"]["state"] == "FAILED"
    assert gone["tasks"]["1"]["error"] == "boom" and gone["tasks"]["2"]["state"] == "UNKNOWN"
    assert gone["state"] == "FAILED" and not gone["active"]
    cancelled = job_status({**rec, "ended": {"2": "CANCELLED"}}, SchedulerView())
    assert cancelled["tasks"]["2"]["state"] == "CANCELLED"
    # A summary claiming success without COMPLETE is not a complete result.
    _write_summary(tmp_path / "single", "completed", False)
    single = job_status({"id": "6", "output": str(tmp_path / "single"), "array": None}, SchedulerView())
    assert single["state"] == "FAILED"
    # PBS array tasks found by name only: unfinished tasks take their state.
    pbs = job_status(rec, SchedulerView(unindexed=["RUNNING", "COMPLETED"]))
    assert pbs["tasks"]["2"]["state"] == "RUNNING" and pbs["state"] == "RUNNING"
    # ... and the job stays active while such a task finishes, though every summary is written.
    _write_summary(tmp_path / "o" / "2", "completed", True)
    finishing = job_status(rec, SchedulerView(unindexed=["RUNNING"]))
    assert finishing["active"] and finishing["state"] == "RUNNING"
    assert job_status(rec, SchedulerView(unindexed=["COMPLETED"]))["state"] == "FAILED"
