"""`imjoy-hpc submit`: prepare the output directory, write the batch script, hand it to the profile's backend
(imjoy_hpc.backends) to submit, record the job in the user's state directory.

A submitted job's directory:  DIR/job.sh (the script), DIR/args.json (the arguments, when given),
DIR/submit.json (what was submitted), DIR/logs/ (the job's stdout/stderr), and the results: for one job
directly in DIR (as `imjoy-hpc run` writes them, COMPLETE last); for an array job in DIR/<index>/.
"""

from __future__ import annotations

import datetime
import json
import re
import shlex
import shutil
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from imjoy_hpc.backends import backend_names, batch_scheduler
from imjoy_hpc.backends.base import SubmitError
from imjoy_hpc.batch import BatchError
from imjoy_hpc.batch.args import NO_ARGS, absolute_refs, load_args, load_array
from imjoy_hpc.batch.jobscript import LOG_DIR, JobScript, render
from imjoy_hpc.batch.records import save as save_record
from imjoy_hpc.batch.results import SUBMIT_RECORD, check_target
from imjoy_hpc.batch.runner import find_spec
from imjoy_hpc.config import site_exports
from imjoy_hpc.settings import Settings


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "plugin"


def job_name(backend: str, plugin_name: str, token: str) -> str:
    """A job name that says what runs and is unique per submission (it finds PBS array tasks again)."""
    return batch_scheduler(backend).batch_job_name(_slug(plugin_name), token)


def submit(settings: Settings, *, plugin: str, function: str = "run", args_text: str | None = None,
           args_file: str | None = None, array_file: str | None = None, profile: str | None = None,
           output: str, force: bool = False, tag: str | None = None, config_file: str | None = None,
           request: dict | None = None, state_dir: Path) -> dict:
    """Submit one batch job (or one array job); its record (id, backend, output, ...)."""
    from imjoy_hpc.cluster.profiles import resolve

    spec = find_spec(plugin, settings, tag)
    array: list | None = None
    if array_file is not None:
        if args_text is not None or args_file is not None:
            raise BatchError("--array holds the argument sets: leave out --args/--args-file")
        array = load_array(array_file, settings.batch.max_array_size)
        args_value: Any = [absolute_refs(item, Path(array_file).expanduser().resolve().parent) for item in array]
    else:
        value, base = load_args(args_text, args_file)
        args_value = NO_ARGS if value is NO_ARGS else absolute_refs(value, base)

    hpc = dict(spec.hpc or {})
    wanted = profile or hpc.pop("profile", None) or settings.default_profile
    hpc.pop("profile", None)
    try:
        prof = resolve(settings, wanted, {**hpc, **{k: v for k, v in (request or {}).items() if v is not None}})
    except ValueError as exc:  # unknown profile, invalid config, over a limit
        raise BatchError(str(exc)) from None
    backend = batch_scheduler(prof.backend)
    if not backend.has_jobs:
        batch_names = ", ".join(n for n in backend_names() if batch_scheduler(n).has_jobs)
        raise BatchError(f"profile {prof.name!r} has backend {prof.backend!r}: submit needs a profile of a "
                         f"batch scheduler ({batch_names}) (use `imjoy-hpc run` to run here)")
    if not backend.available():
        raise BatchError(f"{backend.submit_command} not found on PATH: profile {prof.name!r} needs "
                         f"{prof.backend} commands here")

    target = Path(output).expanduser().absolute()
    if any(c in str(target) for c in '"\n\r'):
        raise BatchError(f"output path {str(target)!r} contains a quote or a line break: batch scripts cannot "
                         "name it safely")
    check_target(target, force=force)
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    submitted: dict[str, Any] = {}
    try:
        return _submit_into(settings, target, spec=spec, function=function, args_value=args_value, array=array,
                            prof=prof, tag=tag, config_file=config_file, state_dir=state_dir, submitted=submitted)
    except BaseException:
        if not submitted:  # nothing runs: leave no directory behind (a resubmit needs no --force)
            shutil.rmtree(target, ignore_errors=True)
        raise


def _submit_into(settings: Settings, target: Path, *, spec: Any, function: str, args_value: Any, array: list | None,
                 prof: Any, tag: str | None, config_file: str | None, state_dir: Path,
                 submitted: dict[str, Any]) -> dict:
    backend = prof.backend
    (target / LOG_DIR).mkdir()
    token = uuid.uuid4().hex[:6]
    name = job_name(backend, spec.name, token)

    run_command = [sys.executable, "-m", "imjoy_hpc", "run", str(spec.source_path), "--call", function, "--plain"]
    if tag:
        run_command += ["--tag", tag]
    if config_file:
        run_command += ["--config", str(Path(config_file).expanduser().resolve())]
    args_path = target / "args.json"
    if args_value is not NO_ARGS:
        args_path.write_text(json.dumps(args_value, indent=2) + "\n")
        run_command += ["--args-file", str(args_path)]
    environment = site_exports()
    job = JobScript(backend=backend, job_name=name, profile=prof, output=target, run_command=run_command,
                    workdir=Path.cwd(), array_size=None if array is None else len(array), environment=environment)
    try:
        text = render(job)
    except ValueError as exc:  # dask-jobqueue refuses the profile (no memory, ...)
        raise BatchError(f"profile {prof.name!r}: {exc}") from None
    script = target / "job.sh"
    script.write_text(text)
    script.chmod(0o755)

    try:
        argv, job_id = batch_scheduler(backend).submit_batch(script, job, settings.batch)
    except SubmitError as exc:
        raise BatchError(f"{exc.command} refused the job of profile {prof.name!r}: {exc.words}") from None
    except (RuntimeError, OSError) as exc:
        raise BatchError(f"cannot submit the job of profile {prof.name!r}: {exc}; is the scheduler up?") from None
    submitted["id"] = job_id

    now = time.time()
    record = {
        "id": job_id, "backend": backend, "profile": prof.name, "job_name": name,
        "plugin": spec.name, "plugin_file": str(spec.source_path), "tag": tag, "call": function,
        "args": None if args_value is NO_ARGS or array is not None else args_value,
        "args_file": str(args_path) if args_value is not NO_ARGS else None,
        "array": None if array is None else len(array), "output": str(target), "script": str(script),
        "logs": str(target / LOG_DIR), "submit_dir": str(Path.cwd()), "submit_command": shlex.join(argv),
        "submitted": now, "submitted_at": datetime.datetime.fromtimestamp(now).astimezone().isoformat(
            timespec="seconds"),
        "cancelled": None, "ended": {},
    }
    (target / SUBMIT_RECORD).write_text(json.dumps(record, indent=2) + "\n")
    save_record(state_dir, record)
    return record
