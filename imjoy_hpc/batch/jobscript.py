"""Batch scripts for `imjoy-hpc submit`: the profile's directives, its prologue, then `imjoy-hpc run`.

The script holds no secret: the run inside the job starts its own embedded gateway. Job output goes to
``DIR/logs/`` (``job.out``/``job.err``, or ``task-<index>.out``/``.err`` for the tasks of an array job), never
to the submit directory.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from pathlib import Path

from dask.utils import parse_bytes

from imjoy_hpc.cluster.profiles import Profile, format_walltime, parse_walltime

TASK_VARIABLE = "IMJOY_HPC_TASK"
# Where each scheduler family puts the array task index (SLURM; PBS Pro/OpenPBS; Torque).
INDEX_VARIABLES = ("SLURM_ARRAY_TASK_ID", "PBS_ARRAY_INDEX", "PBS_ARRAYID")
LOG_DIR = "logs"


@dataclass
class JobScript:
    """Everything a batch script needs."""

    backend: str  # slurm | pbs
    job_name: str
    profile: Profile
    output: Path  # absolute
    run_command: list[str]  # `python -m imjoy_hpc run PLUGIN --call ... [--args-file ...]`, without output options
    workdir: Path  # the job starts here (the directory `submit` was called from)
    array_size: int | None = None
    environment: dict[str, str] = field(default_factory=dict)  # exported before the run (no secrets)
    directives_skip: tuple[str, ...] = ()  # jobqueue's job-directives-skip: generated directives to leave out
    resource_spec: str | None = None  # PBS: jobqueue.pbs.resource-spec replaces the select statement

    @property
    def log_dir(self) -> Path:
        return self.output / LOG_DIR

    def log_files(self, index: int | None = None) -> tuple[Path, Path]:
        stem = "job" if self.array_size is None else f"task-{index}"
        return self.log_dir / f"{stem}.out", self.log_dir / f"{stem}.err"


def memory_mib(memory: str) -> int:
    """A profile's memory in MiB, rounded up (what both --mem=<n>M and mem=<n>MB mean)."""
    return max(1, -(-parse_bytes(memory) // 2**20))


def _slurm_directives(job: JobScript) -> list[str]:
    p = job.profile
    out = [f"--job-name={job.job_name}"]
    if p.queue:
        out.append(f"--partition={p.queue}")
    if p.account:
        out.append(f"--account={p.account}")
    out += ["--nodes=1", "--ntasks=1", f"--cpus-per-task={p.cores}"]
    if p.memory:
        out.append(f"--mem={memory_mib(p.memory)}M")
    if p.walltime:
        out.append(f"--time={p.walltime}")
    if p.gpus:
        out.append(f"--gres=gpu:{p.gpus}")
    if job.array_size is None:
        out_file, err_file = job.log_files()
    else:
        out_file, err_file = (job.log_dir / f"task-%a.{ext}" for ext in ("out", "err"))
        out.append(f"--array=0-{job.array_size - 1}")
    out += [f"--output={_directive_path(out_file)}", f"--error={_directive_path(err_file)}"]
    return out


def _directive_path(path: Path) -> str:
    """A path in an #SBATCH line: sbatch splits those at blanks unless the value is in double quotes."""
    text = str(path)
    return f'"{text}"' if any(c.isspace() for c in text) else text


def _pbs_directives(job: JobScript) -> list[str]:
    p = job.profile
    out = [f"-N {job.job_name}"]
    if p.queue:
        out.append(f"-q {p.queue}")
    if p.account:
        out.append(f"-A {p.account}")
    if job.resource_spec:
        out.append(f"-l {job.resource_spec}")
    else:
        select = f"select=1:ncpus={p.cores}"
        if p.memory:
            select += f":mem={memory_mib(p.memory)}MB"
        if p.gpus:
            select += f":ngpus={p.gpus}"
        out.append(f"-l {select}")
    if p.walltime:
        out.append(f"-l walltime={format_walltime(parse_walltime(p.walltime))}")
    return out


def _quoted_log(path: Path, task: bool) -> str:
    """A log path for the shell; the task index variable stays expandable."""
    if not task:
        return shlex.quote(str(path))
    head, _, tail = str(path).partition("{task}")
    return f'{shlex.quote(head)}"${TASK_VARIABLE}"{shlex.quote(tail)}'


def render(job: JobScript) -> str:
    """The batch script's text."""
    if job.backend == "slurm":
        prefix, generated = "#SBATCH", _slurm_directives(job)
    elif job.backend == "pbs":
        prefix, generated = "#PBS", _pbs_directives(job)
    else:
        raise ValueError(f"no batch scripts for backend {job.backend!r} (slurm or pbs)")
    generated = [d for d in generated if not any(skip in d for skip in job.directives_skip)]
    directives = generated + list(job.profile.job_extra_directives)
    lines = ["#!/usr/bin/env bash",
             f"# imjoy-hpc batch job (written by `imjoy-hpc submit`): profile {job.profile.name}",
             *(f"{prefix} {d}" for d in directives),
             "set -u"]
    array = job.array_size is not None
    if array:
        first = "${" + ":-${".join(INDEX_VARIABLES) + ":-" + "}" * len(INDEX_VARIABLES)
        lines += [f'{TASK_VARIABLE}="{first}"',
                  f'if [ -z "${TASK_VARIABLE}" ]; then',
                  f'    echo "imjoy-hpc: no array task index in the environment ({", ".join(INDEX_VARIABLES)})" >&2',
                  "    exit 2",
                  "fi"]
    if job.backend == "pbs":
        # PBS flavours differ in where -o/-e go for array tasks and copy them only at the end: log directly.
        if array:
            out_file, err_file = (job.log_dir / f"task-{{task}}.{ext}" for ext in ("out", "err"))
        else:
            out_file, err_file = job.log_files()
        lines.append(f"exec >>{_quoted_log(out_file, array)} 2>>{_quoted_log(err_file, array)}")
    lines += list(job.profile.job_script_prologue)
    lines.append(f"cd {shlex.quote(str(job.workdir))} || exit 1")
    for key, value in sorted(job.environment.items()):
        lines.append(f"export {key}={shlex.quote(value)}")
    command = shlex.join(job.run_command)
    if array:
        command += (f' --args-index "${TASK_VARIABLE}" --output {shlex.quote(str(job.output))}/"${TASK_VARIABLE}"'
                    " --force")
    else:
        command += f" --output {shlex.quote(str(job.output))} --in-place"
    lines.append(f"exec {command}")
    return "\n".join(lines) + "\n"
