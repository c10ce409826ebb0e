"""Solve and install one conda environment, as a child process of the environment builder (so that a timeout or an
abandoned start can stop it with its whole process group). Reads a JSON request on stdin:

    {"prefix": ..., "specs": [...], "channels": [...], "cache_dir": ..., "runtime_python": "3.11",
     "tool": null | "conda" | "mamba" | "micromamba" | a path}

With no `tool`, py-rattler solves and installs. Prints what it does line by line; a failure is one line starting
with ``ERROR:`` naming the solver's or installer's message. Exit status: 0 done, 1 solve/install failed, 3 the
environment's Python is one the plugin runtime cannot run on.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

PYTHON_MISMATCH = 3


def _say(line: str) -> None:
    print(line, flush=True)


def _python_mismatch(version: str | None, runtime: str) -> str | None:
    if version is None or ".".join(version.split(".")[:2]) == runtime:
        return None
    return (f"ERROR: the environment asks for Python {version}, but the imjoy-hpc plugin runtime runs on Python "
            f"{runtime} (the Python imjoy-hpc is installed with); pin python={runtime} or leave Python out")


async def _with_rattler(request: dict[str, Any]) -> int:
    from rattler import Gateway, MatchSpec, Subdir, install, solve
    from rattler.exceptions import InvalidMatchSpecError

    cache = Path(request["cache_dir"])
    try:
        specs = [MatchSpec(s) for s in request["specs"]]
    except InvalidMatchSpecError as exc:
        _say(f"ERROR: invalid conda package spec: {exc}")
        return 1
    _say(f"solving {', '.join(request['specs'])} from {', '.join(request['channels'])}")
    try:
        records = await solve(sources=request["channels"], specs=specs, gateway=Gateway(cache_dir=cache / "repodata"),
                              platforms=[Subdir.current(), Subdir("noarch")])
    except Exception as exc:  # noqa: BLE001 - rattler's SolverError, GatewayError...
        _say(f"ERROR: the conda solver failed: {' '.join(str(exc).split())}")
        return 1
    python = next((str(r.version) for r in records if r.name.normalized == "python"), None)
    problem = _python_mismatch(python, request["runtime_python"])
    if problem:
        _say(problem)
        return PYTHON_MISMATCH
    _say(f"installing {len(records)} conda packages: "
         + ", ".join(f"{r.name.normalized} {r.version}" for r in records))
    try:
        await install(records, target_prefix=request["prefix"], cache_dir=cache / "pkgs", show_progress=False)
    except Exception as exc:  # noqa: BLE001
        _say(f"ERROR: installing the conda packages failed: {' '.join(str(exc).split())}")
        return 1
    return 0


def _with_tool(request: dict[str, Any]) -> int:
    tool = shutil.which(request["tool"]) or request["tool"]
    command = [tool, "create", "--yes", "--prefix", request["prefix"], "--override-channels"]
    for channel in request["channels"]:
        command += ["--channel", channel]
    command += list(request["specs"])
    _say(f"running {' '.join(command)}")
    try:
        rc = subprocess.run(command, stdin=subprocess.DEVNULL).returncode
    except OSError as exc:
        _say(f"ERROR: cannot run the site's conda command {tool}: {exc.strerror}")
        return 1
    if rc != 0:
        _say(f"ERROR: {Path(tool).name} create exited with {rc}")
        return 1
    versions = [json.loads(p.read_text()).get("version") for p in
                (Path(request["prefix"]) / "conda-meta").glob("python-[0-9]*.json")]
    problem = _python_mismatch(versions[0] if versions else None, request["runtime_python"])
    if problem:
        _say(problem)
        return PYTHON_MISMATCH
    return 0


def main() -> None:
    request = json.loads(sys.stdin.read())
    if request.get("tool"):
        code = _with_tool(request)
    else:
        async def run() -> int:
            try:
                return await _with_rattler(request)
            finally:
                await asyncio.sleep(0.2)  # let py-rattler's threads release their objects before we exit
        code = asyncio.run(run())
    sys.stdout.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
