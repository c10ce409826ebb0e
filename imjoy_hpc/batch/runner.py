"""One headless plugin call: an embedded gateway (no front door) starts the plugin exactly as for a browser,
the named function is called with the batch arguments, and the outcome goes to an OutputDir.

By default the plugin runs on a local Dask cluster of one worker process sized to this machine or, inside a
SLURM/PBS job, to the job's allocation (SLURM_CPUS_ON_NODE, PBS NCPUS...). With a profile it runs wherever
that profile places plugins (e.g. in a job of its own, through dask-jobqueue).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import os
import shutil
import signal
import socket
import sys
import tempfile
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from imjoy_hpc import __version__
from imjoy_hpc.batch import BatchError
from imjoy_hpc.batch.allocation import allocation_cores, job_info, machine_cores
from imjoy_hpc.batch.args import NO_ARGS, call_arguments, resolve_refs
from imjoy_hpc.batch.progress import Reporter
from imjoy_hpc.batch.results import PLUGIN_LOG, RESULT, OutputDir
from imjoy_hpc.plugins.parser import PluginSpec
from imjoy_hpc.settings import Settings

LOCAL_PROFILE = "local"
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
SIGNAL_EXIT = {signal.SIGINT: 130, signal.SIGTERM: 143}


def find_spec(name_or_path: str, settings: Settings, tag: str | None = None) -> PluginSpec:
    """The parsed plugin for a path or a catalog name (the examples and `plugins.directories`)."""
    from imjoy_hpc.plugins.catalog import find_plugin
    from imjoy_hpc.plugins.parser import PluginError, parse_plugin

    try:
        return parse_plugin(find_plugin(name_or_path, list(settings.plugins.directories)), tag=tag)
    except PluginError as exc:
        raise BatchError(str(exc)) from None


def run_settings(settings: Settings, profile: str | None) -> tuple[Settings, str]:
    """Settings for the embedded gateway of a batch run and the profile it uses.

    Without `profile`: the local profile (the configured one's options, one worker process) sized to the
    job's allocation, or to this machine outside a job, within the site's max-cores.
    """
    from imjoy_hpc.cluster.profiles import resolve

    try:
        if profile is None:
            base = settings.profiles.get(LOCAL_PROFILE) or {}
            local = dict(base) if isinstance(base, Mapping) and base.get("backend", "local") == "local" else {}
            local.update({"backend": "local", "processes": 1})
            limit = settings.with_profile(LOCAL_PROFILE, local).profile(LOCAL_PROFILE).limits.max_cores
            cores = int(allocation_cores() or local.get("cores") or machine_cores())
            local["cores"] = min(cores, limit) if limit else cores
            settings, profile = settings.with_profile(LOCAL_PROFILE, local), LOCAL_PROFILE
        out = dataclasses.replace(settings, default_profile=profile)
        resolve(out, profile)
    except ValueError as exc:  # unknown profile, invalid profile (ConfigError), over a limit
        raise BatchError(str(exc)) from None
    return out, profile


def _now() -> str:
    return datetime.datetime.now().astimezone().isoformat(timespec="seconds")


@dataclass
class BatchCall:
    """What to run and where its output goes."""

    spec: PluginSpec
    function: str
    args: Any  # the JSON value (NO_ARGS when none was given)
    args_base: Path  # directory relative $ndarray paths are read from
    output: OutputDir
    profile: str | None = None  # None: local, sized to the allocation
    call_timeout: float | None = None


@dataclass
class Outcome:
    status: str = "failed"
    error: str | None = None
    traceback: str | None = None
    exit_code: int = EXIT_FAILED
    files: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    instance: Any = None
    profile: str | None = None
    show_traceback: bool = True  # print the traceback (the plugin's own) on stderr

    def fail(self, error: str, tb: str | None = None, status: str = "failed", exit_code: int = EXIT_FAILED) -> None:
        self.status, self.error, self.traceback, self.exit_code = status, error, tb, exit_code


def _available(api: Any) -> list[str]:
    items = api.items() if isinstance(api, dict) else ((k, getattr(api, k, None)) for k in dir(api))
    return sorted(k for k, v in items if callable(v) and not str(k).startswith("_"))


def _function(api: Any, name: str) -> Any:
    fn = api.get(name) if isinstance(api, dict) else getattr(api, name, None)
    if not callable(fn):
        raise BatchError(f"the plugin has no function {name!r} (it exports: {', '.join(_available(api)) or 'none'})")
    return fn


async def _until_ended(instance: Any) -> str:
    """Returns when the plugin instance has ended (its process died or was stopped): the instance manager sets
    its `ended` event."""
    await instance.ended.wait()
    return instance.error or f"the plugin {instance.state}"


async def _call(gateway: Any, call: BatchCall, reporter: Reporter, outcome: Outcome) -> Any:
    from imjoy_hpc.gateway.embedded import HeadlessClient, load_headless

    t0 = time.monotonic()
    spec = call.spec if call.profile else dataclasses.replace(call.spec, hpc={})
    client = HeadlessClient(f"imjoy-hpc run ({spec.name})", reporter.handlers())
    instance = await load_headless(gateway, spec, client, {"profile": outcome.profile})
    outcome.instance = instance
    outcome.timings["start_s"] = round(time.monotonic() - t0, 3)
    fn = _function(instance.api, call.function)
    positional, keywords = call_arguments(call.function, resolve_refs(call.args, call.args_base)
                                          if call.args is not NO_ARGS else NO_ARGS)
    t1 = time.monotonic()
    pending = asyncio.ensure_future(fn(*positional, **keywords))
    watchdog = asyncio.ensure_future(_until_ended(instance))
    try:
        done, _ = await asyncio.wait({pending, watchdog}, timeout=call.call_timeout,
                                     return_when=asyncio.FIRST_COMPLETED)
    finally:
        watchdog.cancel()
        if not pending.done():
            pending.cancel()
    outcome.timings["call_s"] = round(time.monotonic() - t1, 3)
    if pending in done:
        return pending.result()
    if watchdog in done:
        raise RuntimeError(f"the plugin ended during {call.function}(): {watchdog.result()}")
    raise TimeoutError(f"{call.function}() did not return within {call.call_timeout:g} s "
                       "(imjoy-hpc.batch.call-timeout / --timeout)")


async def _final_usage(gateway: Any, outcome: Outcome, wait: float = 5.0) -> None:
    """Stop the plugin once its call is over and wait (briefly) for the summary of what it used."""
    instance = outcome.instance
    if instance is None:
        return
    if instance.state.active:
        await gateway.instances.kill(instance, "its batch call is over")
    deadline = time.monotonic() + wait
    while (not instance.usage or instance.usage.get("live")) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)


def _plugin_log(outcome: Outcome, reporter: Reporter) -> str:
    parts = []
    log_file = getattr(outcome.instance, "log_file", None)
    if log_file is not None:
        try:
            parts.append(Path(log_file).read_text(errors="replace"))
        except OSError:
            parts.append(f"(the plugin process log {log_file} could not be read)\n")
    else:
        parts.append("(the plugin process did not start)\n")
    if reporter.lines:
        parts.append("\n--- plugin messages (api.log, api.showStatus, api.showMessage, ...) ---\n")
        parts.append("\n".join(reporter.lines) + "\n")
    if outcome.error:
        parts.append(f"\n--- {outcome.status} ---\n{outcome.traceback or outcome.error}\n")
    return "".join(parts)


def _summary(call: BatchCall, outcome: Outcome, started: str, t_start: float) -> dict:
    spec = call.spec
    outcome.timings["total_s"] = round(time.monotonic() - t_start, 3)
    return {
        "status": outcome.status,
        "plugin": {"name": spec.name, "version": spec.version, "file": str(spec.source_path or spec.filename),
                   "sha256": spec.source_hash, "tag": spec.tag},
        "function": call.function,
        "args": None if call.args is NO_ARGS else call.args,
        "error": outcome.error,
        "traceback": outcome.traceback,
        "exit_code": outcome.exit_code,
        "profile": outcome.profile,
        "host": socket.gethostname(),
        "job": job_info(),
        "cores": allocation_cores() or machine_cores(),
        "started": started,
        "finished": _now(),
        "timings": outcome.timings,
        "resources": _resources(outcome.instance),
        "files": outcome.files,
        "output": str(call.output.target),
        "imjoy_hpc": __version__,
        "python": sys.version.split()[0],
    }


def _resources(instance: Any) -> dict | None:
    """What the plugin's job asked for and what the plugin used (its usage summary, with a suggestion)."""
    if instance is None:
        return None
    usage = instance.usage if instance.usage and not instance.usage.get("live") else None
    return {"asked": instance.asked(), "used": usage}


def _finish(call: BatchCall, outcome: Outcome, reporter: Reporter, started: str, t_start: float) -> None:
    """Write plugin.log, summary.json (and COMPLETE on success) and move them to the output directory."""
    out = call.output
    if out.finished or out.path is None:
        return
    if outcome.status != "completed":
        out.remove(RESULT)
    try:
        out.write_text(PLUGIN_LOG, _plugin_log(outcome, reporter))
        if PLUGIN_LOG not in outcome.files:
            outcome.files.append(PLUGIN_LOG)
    except OSError as exc:
        reporter.note(f"could not write {PLUGIN_LOG}: {exc}")
    out.finish(_summary(call, outcome, started, t_start), complete=outcome.status == "completed")


async def _run(settings: Settings, call: BatchCall, reporter: Reporter, outcome: Outcome,
               interrupted: dict[str, int]) -> None:
    from imjoy_hpc.gateway.embedded import embedded_gateway
    from imjoy_hpc.rpc import RemoteError

    gw_settings, outcome.profile = run_settings(settings, call.profile)
    local = call.profile is None
    user_state = settings.state_path()
    env_cache = Path(os.path.expanduser(gw_settings.plugins.env_cache or user_state / "envs"))
    gw_settings = dataclasses.replace(gw_settings, plugins=dataclasses.replace(gw_settings.plugins,
                                                                               env_cache=str(env_cache)))
    # A local run keeps its gateway's session files in a private temporary directory (node-local in a job);
    # a run through a batch profile needs the shared state directory, which its workers' jobs can reach.
    state_dir = Path(tempfile.mkdtemp(prefix="imjoy-hpc-run-")) if local else user_state
    t_start, started = time.monotonic(), _now()
    reporter.start()
    try:
        async with embedded_gateway(gw_settings, state_dir) as gateway:
            try:
                result = await _call(gateway, call, reporter, outcome)
                t_write = time.monotonic()
                outcome.files = call.output.write_result(result)
                outcome.timings["write_s"] = round(time.monotonic() - t_write, 3)
                outcome.status, outcome.exit_code = "completed", EXIT_OK
            except RemoteError as exc:
                text = str(exc).rstrip()
                first = text.splitlines()[0] if text else "the plugin raised an exception"
                outcome.fail(f"{call.function}() raised: {first}", text)
            except (BatchError, TimeoutError) as exc:
                outcome.fail(str(exc))
            except asyncio.CancelledError:
                # Write the outcome before the gateway stops: a cancelled job has seconds before SIGKILL.
                _interrupted(outcome, interrupted)
                reporter.stop()
                _finish(call, outcome, reporter, started, t_start)
                raise
            except Exception as exc:  # noqa: BLE001 - start failures, a lost plugin, unwritable results
                outcome.fail(f"{type(exc).__name__}: {exc}", traceback.format_exc())
                outcome.show_traceback = False
            await _final_usage(gateway, outcome)
            reporter.stop()
            _finish(call, outcome, reporter, started, t_start)
    finally:
        reporter.stop()
        if local:
            shutil.rmtree(state_dir, ignore_errors=True)


def _interrupted(outcome: Outcome, interrupted: dict[str, int]) -> None:
    sig = interrupted.get("signal", signal.SIGTERM)
    why = " (job cancelled or out of walltime)" if sig == signal.SIGTERM and job_info() else ""
    outcome.fail(f"interrupted by {signal.Signals(sig).name}{why}", status="cancelled", exit_code=SIGNAL_EXIT[sig])


def run_call(settings: Settings, call: BatchCall, reporter: Reporter) -> int:
    """Run `call` to the end (SIGINT/SIGTERM end it as "cancelled"); the exit status for the command."""
    outcome = Outcome()
    got: dict[str, int] = {}

    async def main() -> None:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        for sig in SIGNAL_EXIT:
            try:
                loop.add_signal_handler(sig, lambda s=sig: (got.setdefault("signal", s), task.cancel()))
            except (NotImplementedError, RuntimeError):  # not the main thread
                pass
        t_start, started = time.monotonic(), _now()
        try:
            await _run(settings, call, reporter, outcome, got)
        except asyncio.CancelledError:
            if not call.output.finished:  # interrupted while the gateway started
                _interrupted(outcome, got)
                _finish(call, outcome, reporter, started, t_start)

    try:
        asyncio.run(main())
    except BaseException as exc:  # noqa: BLE001 - the gateway failed to start or stop
        if not call.output.finished and call.output.path is not None:
            outcome.fail(f"{type(exc).__name__}: {exc}", traceback.format_exc())
            outcome.show_traceback = False
            _finish(call, outcome, reporter, _now(), time.monotonic())
        if not isinstance(exc, Exception):
            raise
        reporter.note(f"error: {type(exc).__name__}: {exc}")
    finally:
        reporter.stop()
    if outcome.error:
        reporter.note(f"{outcome.status}: {outcome.error}")
        if outcome.traceback and outcome.status == "failed" and outcome.show_traceback:
            print(outcome.traceback.rstrip(), file=sys.stderr)
    return outcome.exit_code
