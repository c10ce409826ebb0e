"""Batch scripts for `imjoy-hpc submit`: the backend's directives, the profile's prologue, then `imjoy-hpc run`.

The script holds no secret: the run inside the job starts its own embedded gateway. Job output goes to
``DIR/logs/`` (``job.out``/``job.err``, or ``task-<index>.out``/``.err`` for the tasks of an array job), never
to the submit directory. What is scheduler-specific (directives, the array index variable) comes from the
profile's backend (imjoy_hpc.backends).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from pathlib import Path

from imjoy_hpc.backends import batch_scheduler
from imjoy_hpc.cluster.profiles import Profile

TASK_VARIABLE = "IMJOY_HPC_TASK"
LOG_DIR = "logs"


@dataclass
class JobScript:
    """Everything a batch script needs."""

    backend: str  # a backend name with batch jobs (slurm, pbs, sge)
    job_name: str
    profile: Profile
    output: Path  # absolute
    run_command: list[str]  # `python -m imjoy_hpc run PLUGIN --call ... [--args-file ...]`, without output options
    workdir: Path  # the job starts here (the directory `submit` was called from)
    array_size: int | None = None
    environment: dict[str, str] = field(default_factory=dict)  # exported before the run (no secrets)
    directives_skip: tuple[str, ...] = ()  # generated directives to leave out (default: jobqueue's config)

    @property
    def log_dir(self) -> Path:
        return self.output / LOG_DIR

    def log_files(self, index: int | None = None) -> tuple[Path, Path]:
        stem = "job" if self.array_size is None else f"task-{index}"
        return self.log_dir / f"{stem}.out", self.log_dir / f"{stem}.err"


def _quoted_log(path: Path, task: bool) -> str:
    """A log path for the shell; the task index variable stays expandable."""
    if not task:
        return shlex.quote(str(path))
    head, _, tail = str(path).partition("{task}")
    return f'{shlex.quote(head)}"${TASK_VARIABLE}"{shlex.quote(tail)}'


def _array_index(variables: tuple[str, ...], base: int) -> list[str]:
    """Shell lines setting TASK_VARIABLE to the 0-based task index from the scheduler's variables."""
    first = "${" + ":-${".join(variables) + ":-" + "}" * len(variables)
    lines = [f'{TASK_VARIABLE}="{first}"',
             f'case "${TASK_VARIABLE}" in ""|*[!0-9]*)',
             f'    echo "imjoy-hpc: no array task index in the environment ({", ".join(variables)})" >&2',
             "    exit 2 ;;",
             "esac"]
    if base:
        lines.append(f"{TASK_VARIABLE}=$(({TASK_VARIABLE} - {base}))")
    return lines


def render(job: JobScript) -> str:
    """The batch script's text."""
    backend = batch_scheduler(job.backend)
    directives = backend.batch_header(job)
    lines = ["#!/usr/bin/env bash",
             f"# imjoy-hpc batch job (written by `imjoy-hpc submit`): profile {job.profile.name}",
             *directives,
             "set -u"]
    array = job.array_size is not None
    if array:
        lines += _array_index(backend.array_index_variables, backend.array_index_base)
    if backend.logs_in_script:
        # Where the scheduler puts array tasks' output differs (and some copy it only at the end): log directly.
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
