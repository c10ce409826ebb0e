"""Solve and install one conda environment, as a child process of the environment builder (so that a timeout or an
abandoned start can stop it with its whole process group). Reads a JSON request on stdin:

    {"prefix": ..., "specs": [...], "channels": [...], "cache_dir": ..., "runtime_python": "3.11",
     "runtime_implementation": "cpython",
     "runtime_specs": [...], "old_python": "raise" | "refuse",
     "tool": null | "conda" | "mamba" | "micromamba" | a path}

With no `tool`, py-rattler solves and installs. The plugin runtime runs on Python 3.9 and newer: a Python pin
below that is raised to 3.9 (a ``WARNING:`` line) or refused (`old_python`). When the environment's Python is
not the gateway's (another version than `runtime_python`, or another `runtime_implementation` such as PyPy), the
runtime's own packages (`runtime_specs`) are solved into it with the plugin's. Prints what it does line by line;
a failure is one line starting with ``ERROR:`` naming, when one package is the cause, that package and the
Python it cannot be had for. Exit status: 0 done, 1 solve/install failed, 3 the environment asks for a Python the
site does not raise.
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

from imjoy_hpc.plugins.runtime import MIN_PYTHON, MIN_PYTHON_TEXT, short_version

OLD_PYTHON = 3
SETTING = "imjoy-hpc.plugins.conda.old-python"


def _say(line: str) -> None:
    print(line, flush=True)


def _is_python(spec: str) -> bool:
    from rattler import MatchSpec

    return MatchSpec(spec).name.normalized == "python"


def too_old(spec: str) -> bool:
    """Whether `spec` is a python spec that no Python the runtime runs on (3.9 and newer) satisfies."""
    from rattler import MatchSpec, Version, VersionSpec

    match = MatchSpec(spec)
    if match.name.normalized != "python" or match.version is None:
        return False
    allowed = VersionSpec(str(match.version))
    candidates = [f"{MIN_PYTHON[0]}.{minor}{patch}" for minor in range(MIN_PYTHON[1], 40)
                  for patch in ["", *(f".{p}" for p in range(40))]]
    return not any(allowed.matches(Version(v)) for v in candidates)


class Plan:
    """The specs to solve, and why they differ from the plugin's (for the messages)."""

    def __init__(self, request: dict[str, Any]) -> None:
        self.specs: list[str] = list(request["specs"])
        self.runtime = request["runtime_python"]
        self.implementation = request.get("runtime_implementation") or "cpython"
        self.runtime_specs: list[str] = list(request.get("runtime_specs") or ())
        self.refuse = request.get("old_python") == "refuse"
        self.raised: str | None = None   # what the plugin asked for, when its Python was raised

    def raise_pins(self) -> bool:
        """Raise python pins below 3.9 (saying so), or refuse them; False when refused."""
        old = [s for s in self.specs if too_old(s)]
        if not old:
            return True
        kept = [s for s in self.specs if s not in old]
        return self.raise_python(", ".join(old), kept + [f"python {MIN_PYTHON_TEXT}.*"])

    def raise_python(self, asked: str, specs: list[str]) -> bool:
        if self.refuse:
            _say(f"ERROR: the environment asks for {asked}, but the imjoy-hpc plugin runtime runs on Python "
                 f"{MIN_PYTHON_TEXT} or newer and this site does not raise older pins ({SETTING}: refuse); "
                 f"pin python={MIN_PYTHON_TEXT} or newer")
            return False
        _say(f"WARNING: the environment asks for {asked}, but the imjoy-hpc plugin runtime runs on Python "
             f"{MIN_PYTHON_TEXT} or newer: it gets Python {MIN_PYTHON_TEXT} instead ({SETTING}: raise)")
        self.raised, self.specs = asked, specs
        return True

    def other_python(self, python: tuple[str, str] | None) -> str | None:
        """The env's Python in words when it is not the gateway's (another version, or another implementation
        such as PyPy) and the runtime's packages must be solved into it; else None."""
        if python is None or not self.runtime_specs:
            return None
        version, build = python
        kind = "pypy" if "pypy" in build.lower() else "cpython"
        if ".".join(version.split(".")[:2]) == self.runtime and kind == self.implementation:
            return None
        return f"{version}{' (PyPy)' if kind == 'pypy' else ''}"

    def why(self, python: str) -> str:
        if self.raised:
            return (f" (the environment asked for {self.raised}, raised to {python} because the imjoy-hpc plugin "
                    f"runtime runs on Python {MIN_PYTHON_TEXT} or newer)")
        return ""


class Solver:
    """py-rattler's solver over the request's channels (repodata fetched once)."""

    def __init__(self, request: dict[str, Any]) -> None:
        from rattler import Gateway, Subdir

        self.channels = request["channels"]
        self.gateway = Gateway(cache_dir=Path(request["cache_dir"]) / "repodata")
        self.platforms = [Subdir.current(), Subdir("noarch")]

    async def solve(self, specs: list[str]) -> tuple[list | None, str]:
        """The records of a solution, or None and the solver's message."""
        from rattler import MatchSpec, solve

        try:
            return await solve(sources=self.channels, specs=[MatchSpec(s) for s in specs], gateway=self.gateway,
                               platforms=self.platforms), ""
        except Exception as exc:  # noqa: BLE001 - rattler's SolverError, GatewayError...
            return None, " ".join(str(exc).split())

    async def culprit(self, specs: list[str], python: str) -> tuple[str, str] | None:
        """The first spec that cannot be had with Python `python` on its own, with the solver's message."""
        pin = f"python {python}.*"
        records, message = await self.solve([pin])
        if records is None:
            return f"python {python}", message
        for spec in specs:
            if _is_python(spec):
                continue
            records, message = await self.solve([pin, spec])
            if records is None:
                return spec, message
        return None


def _python_of(records: list) -> tuple[str, str] | None:
    """(version, build) of the Python in a solution."""
    return next(((str(r.version), str(r.build)) for r in records if r.name.normalized == "python"), None)


async def _failed(solver: Solver, plan: Plan, specs: list[str], python: str | None, message: str) -> int:
    found = await solver.culprit(specs, python) if python else None
    if found is None:
        _say(f"ERROR: the conda solver failed: {message}")
    elif _is_python(found[0]):
        _say(f"ERROR: Python {python} cannot be had from {', '.join(solver.channels)}{plan.why(python)}: {found[1]}")
    else:
        spec, detail = found
        whose = " (needed by the imjoy-hpc plugin runtime)" if spec in plan.runtime_specs else ""
        _say(f"ERROR: {spec}{whose} cannot be had for Python {python} from {', '.join(solver.channels)}"
             f"{plan.why(python)}: {detail}")
    return 1


async def _with_rattler(request: dict[str, Any]) -> int:
    from rattler import MatchSpec, install
    from rattler.exceptions import InvalidMatchSpecError

    cache = Path(request["cache_dir"])
    try:
        for spec in request["specs"]:
            MatchSpec(spec)
    except InvalidMatchSpecError as exc:
        _say(f"ERROR: invalid conda package spec: {exc}")
        return 1
    plan = Plan(request)
    if not plan.raise_pins():
        return OLD_PYTHON
    solver = Solver(request)
    _say(f"solving {', '.join(plan.specs)} from {', '.join(solver.channels)}")
    records, message = await solver.solve(plan.specs)
    if records is None:
        return await _failed(solver, plan, plan.specs, MIN_PYTHON_TEXT if plan.raised else None, message)
    python = _python_of(records)
    if python and short_version(python[0]) < MIN_PYTHON:  # no pin, but the packages asked for need an old Python
        asked = f"packages that need Python {python[0]} ({', '.join(plan.specs)})"
        if not plan.raise_python(asked, plan.specs + [f"python >={MIN_PYTHON_TEXT}"]):
            return OLD_PYTHON
        records, message = await solver.solve(plan.specs)
        if records is None:
            return await _failed(solver, plan, plan.specs, MIN_PYTHON_TEXT, message)
        python = _python_of(records)
    other = plan.other_python(python)
    if other:
        _say(f"the environment's Python is {other}, not the gateway's {plan.runtime}: solving the plugin "
             f"runtime's packages ({', '.join(plan.runtime_specs)}) into it")
        specs = plan.specs + plan.runtime_specs
        records, message = await solver.solve(specs)
        if records is None:
            return await _failed(solver, plan, specs, ".".join(python[0].split(".")[:2]), message)
    _say(f"installing {len(records)} conda packages: "
         + ", ".join(f"{r.name.normalized} {r.version}" for r in records))
    try:
        await install(records, target_prefix=request["prefix"], cache_dir=cache / "pkgs", show_progress=False)
    except Exception as exc:  # noqa: BLE001
        _say(f"ERROR: installing the conda packages failed: {' '.join(str(exc).split())}")
        return 1
    return 0


def _tool_create(tool: str, request: dict[str, Any], specs: list[str]) -> int:
    shutil.rmtree(request["prefix"], ignore_errors=True)
    command = [tool, "create", "--yes", "--prefix", request["prefix"], "--override-channels"]
    for channel in request["channels"]:
        command += ["--channel", channel]
    command += specs
    _say(f"running {' '.join(command)}")
    try:
        rc = subprocess.run(command, stdin=subprocess.DEVNULL).returncode
    except OSError as exc:
        _say(f"ERROR: cannot run the site's conda command {tool}: {exc.strerror}")
        return 1
    if rc != 0:
        _say(f"ERROR: {Path(tool).name} create exited with {rc} (its reason is above)")
        return 1
    return 0


def _tool_python(prefix: str) -> tuple[str, str] | None:
    """(version, build) of the Python the site's conda installed."""
    for path in (Path(prefix) / "conda-meta").glob("python-[0-9]*.json"):
        record = json.loads(path.read_text())
        return str(record.get("version")), str(record.get("build") or "")
    return None


def _with_tool(request: dict[str, Any]) -> int:
    tool = shutil.which(request["tool"]) or request["tool"]
    plan = Plan(request)
    if not plan.raise_pins():
        return OLD_PYTHON
    rc = _tool_create(tool, request, plan.specs)
    python = _tool_python(request["prefix"]) if rc == 0 else None
    if python and short_version(python[0]) < MIN_PYTHON:
        if not plan.raise_python(f"packages that need Python {python[0]} ({', '.join(plan.specs)})",
                                 plan.specs + [f"python >={MIN_PYTHON_TEXT}"]):
            return OLD_PYTHON
        rc = _tool_create(tool, request, plan.specs)
        python = _tool_python(request["prefix"]) if rc == 0 else None
    other = plan.other_python(python)
    if other:
        _say(f"the environment's Python is {other}, not the gateway's {plan.runtime}: creating it again with the "
             f"plugin runtime's packages ({', '.join(plan.runtime_specs)})")
        rc = _tool_create(tool, request, plan.specs + plan.runtime_specs)
    return rc


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
