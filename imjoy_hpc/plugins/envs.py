"""Cached environments for plugin `requirements` and conda `env`.

pip requirements are installed into a virtualenv under `cache_dir`, named by a hash of the normalized
requirements, the Python version and the base interpreter's site directories, and reused by every later
plugin start with the same requirements. The env is made with ``--system-site-packages`` from the given
Python and a ``.pth`` file that adds that Python's own site directories (a virtualenv's, the user site), so the
plugin still imports everything the runtime has (numpy, dask, imjoy-hpc); packages the plugin asks for shadow
them.

A conda request (`env`, `conda:` requirements; see :mod:`imjoy_hpc.plugins.conda`) is solved and installed by a
real solver (:mod:`imjoy_hpc.plugins.conda_build`) into ``conda-<key>``. If the env has a Python, the plugin runs
on it: on the base Python's version with the runtime added by the same ``.pth``; on another (3.9 or newer) with
the runtime's packages solved into the env and its modules on PYTHONPATH (:mod:`imjoy_hpc.plugins.runtime`).
Otherwise the plugin runs on the base Python with the env activated (PATH, CONDA_PREFIX, libraries, activate.d
scripts).

An environment counts as complete only when its marker file exists; the marker is written last (an atomic
rename). Builders take an exclusive lock (``<key>.lock``) so concurrent starts, also on other nodes sharing the
path, build once; a half-built env left by a crash is removed and rebuilt. Every build step runs in its own
process group, stopped on timeout or when the start is abandoned.

When there is no cached env and the base Python already satisfies every pip requirement, no env is made.
`cmd:` and `repo:` run only when `allow_commands` is true (they execute code from the plugin file at install
time), in the env's work directory, which is then the plugin's working directory.
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import re
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import filelock

from imjoy_hpc.files import write_atomic

from .parser import PluginError
from .processes import die_with_parent, stop_group
from .requirements import Requirement, Requirements, normalized_pip, parse_requirements
from .uv_install import install_command, uv_binary, uv_variables

if TYPE_CHECKING:
    from imjoy_hpc.settings import CondaSettings

MARKER = ".imjoy-hpc-env.json"
PARENT_PTH = "_imjoy_hpc_parent_site.pth"
SITE_CONFIG_KEY = "imjoy-hpc.plugins.install-requirements"
COMMANDS_CONFIG_KEY = "imjoy-hpc.plugins.allow-requirement-commands"
WORK_DIR = "work"
UV_CACHE = ".uv-cache"  # uv's cache, beside the environments it fills (same file system: installs are hardlinks)

Log = Callable[[str], Any]


class EnvError(PluginError):
    """An environment for a plugin's requirements cannot be provided."""


class EnvRefused(EnvError):
    """The requirements are not allowed (installs disabled, commands disabled) or not supported (conda)."""


class EnvBuildError(EnvError):
    """Building the environment failed (pip error, timeout); nothing is left marked complete."""


class EnvAbandoned(EnvBuildError):
    """The start was abandoned (plugin killed, client gone, gateway stopping) while its environment was built."""


@dataclass
class EnvInfo:
    """Where a plugin's Python is. `path` is None when the base Python is used as it is."""

    python: str
    path: Path | None = None
    key: str | None = None
    created: bool = False            # this call built the env
    requirements: Requirements = field(default_factory=Requirements)
    repos: dict[str, Path] = field(default_factory=dict)
    work_dir: Path | None = None     # where repos were cloned and commands ran: the plugin's working directory
    variables: dict[str, str] = field(default_factory=dict)  # environment of the plugin process (conda activation)


# Facts about the target Python (stable for a given interpreter): version and site directories.
_INFO = r"""
import json, site, sys
dirs = list(site.getsitepackages()) if hasattr(site, "getsitepackages") else []
if site.ENABLE_USER_SITE and site.getusersitepackages() in sys.path:
    dirs.append(site.getusersitepackages())
print(json.dumps({
    "version": "%s-%d.%d.%d" % (sys.implementation.name, *sys.version_info[:3]),
    "short": "py%d%d" % sys.version_info[:2],
    "site_dirs": dirs,
}))
"""

# Which pip specs the target Python already satisfies (installed distributions, version specifiers, markers).
_SATISFIED = r"""
import json, sys
from importlib import metadata
try:
    from packaging.requirements import Requirement
except ImportError:
    try:
        from pip._vendor.packaging.requirements import Requirement
    except ImportError:
        Requirement = None
def satisfied(spec):
    if Requirement is None:
        return False
    try:
        req = Requirement(spec)
    except Exception:
        return False
    if req.url or req.extras:
        return False
    if req.marker is not None and not req.marker.evaluate():
        return True
    try:
        version = metadata.version(req.name)
    except metadata.PackageNotFoundError:
        return False
    return req.specifier.contains(version, prereleases=True)
print(json.dumps({s: satisfied(s) for s in json.load(sys.stdin)}))
"""

# Which of the modules named on the command line a Python cannot import (printed, one a line).
RUNTIME_IMPORTS = r"""
import importlib, sys
for name in sys.argv[1:]:
    try:
        importlib.import_module(name)
    except Exception:
        print(name)
"""

_info_cache: dict[tuple, dict] = {}


def _run_probe(python: str, code: str, stdin: str = "", timeout: float = 60) -> Any:
    try:
        out = subprocess.run([python, "-c", code], input=stdin, capture_output=True, text=True, timeout=timeout,
                             check=True, cwd="/")
    except (FileNotFoundError, PermissionError):
        raise EnvError(f"Python interpreter not found or not executable: {python}") from None
    except subprocess.TimeoutExpired:
        raise EnvError(f"Python interpreter {python} did not answer within {timeout:.0f} s") from None
    except subprocess.CalledProcessError as exc:
        tail = (exc.stderr or "").strip().splitlines()[-1:] or ["no output"]
        raise EnvError(f"cannot inspect Python interpreter {python}: {tail[0]}") from None
    return json.loads(out.stdout)


def python_info(python: str) -> dict:
    """Version and site directories of `python` (asked once per interpreter and process)."""
    try:
        st = os.stat(python)
        ident = (python, os.path.realpath(python), st.st_mtime_ns, st.st_ino)
    except OSError:
        raise EnvError(f"Python interpreter not found: {python}") from None
    if ident not in _info_cache:
        _info_cache[ident] = _run_probe(python, _INFO)
    return _info_cache[ident]


_SATISFIED_TTL = 300.0
_satisfied_cache: dict[tuple, tuple[float, dict[str, bool]]] = {}


def _satisfied(python: str, specs: list[str]) -> dict[str, bool]:
    """Which `specs` the base Python meets; remembered for a few minutes (packages rarely change under it)."""
    if not specs:
        return {}
    key = (python, tuple(sorted(specs)))
    now = time.monotonic()
    hit = _satisfied_cache.get(key)
    if hit is None or now - hit[0] > _SATISFIED_TTL:
        hit = (now, _run_probe(python, _SATISFIED, json.dumps(specs)))
        _satisfied_cache[key] = hit
    return hit[1]


def _env_python(env_dir: Path) -> Path:
    return env_dir / "bin" / "python"


# Lines of pip's output that are framing, not the cause of a failure.
_GENERIC = ("subprocess-exited-with-error", "note: this error originates", "see above for output",
            "failed to build", "error: failed-wheel-build", "metadata-generation-failed", "×", "╰─>", "│")
_ERROR_LINE = re.compile(r"^\s*(ERROR:|error:|cause:|fatal:|E:|[A-Za-z_.]*(Error|Exception)\b:?)")
_CREDENTIALS = re.compile(r"(\b[a-z][a-z0-9+.-]*://[^/\s:@]+):[^@\s/]+@", re.I)


def masked(text: str) -> str:
    """`text` with the passwords of URLs (https://user:secret@host) replaced by ****, as pip shows them."""
    return _CREDENTIALS.sub(r"\1:****@", text)


def _generic(text: str) -> bool:
    return any(g in text.lower() for g in _GENERIC)


def failing_line(lines: list[str]) -> str:
    """The line of a tool's output that names the cause of its failure (the last specific error line, else the
    last line that is not framing), passwords in URLs masked."""
    texts = [t.strip() for t in reversed(lines) if t.strip()]
    chosen = next((t for t in texts if _ERROR_LINE.match(t) and not _generic(t)), None) \
        or next((t for t in texts if not _generic(t)), None) or next(iter(texts), "no output")
    return masked(chosen)


def _run_logged(cmd: list[str], *, log: Log, prefix: str, timeout: float, cwd: Path | None = None,
                env: dict | None = None, shell_text: str | None = None, stop: threading.Event | None = None,
                stdin_text: str | None = None) -> tuple[int, list[str]]:
    """Run `cmd` in its own process group, passing each output line to `log`; stop the whole group after `timeout`
    seconds or when `stop` is set. Returns (rc, last lines)."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            stdin=subprocess.PIPE if stdin_text is not None else subprocess.DEVNULL,
                            text=True, cwd=cwd, env=env, start_new_session=True, preexec_fn=die_with_parent)
    ended, why = threading.Event(), []
    stop = stop or threading.Event()

    def watchdog() -> None:
        deadline = time.monotonic() + timeout
        while not ended.is_set():
            if stop.is_set() or time.monotonic() > deadline:
                why.append("stopped" if stop.is_set() else "timeout")
                stop_group(proc, grace=0)
                return
            ended.wait(0.2)

    threading.Thread(target=watchdog, daemon=True, name="imjoy-hpc-install-watchdog").start()
    tail: list[str] = []
    try:
        if stdin_text is not None:
            assert proc.stdin is not None
            proc.stdin.write(stdin_text)
            proc.stdin.close()
        assert proc.stdout is not None
        for line in proc.stdout:
            line = line.rstrip()
            if line:
                log(f"{prefix}{masked(line)}")
                tail = (tail + [line])[-40:]
        rc = proc.wait(timeout=30)
    finally:
        ended.set()
        if proc.poll() is None:
            stop_group(proc, grace=0)
            proc.wait(timeout=30)
    what = masked(shell_text or " ".join(shlex.quote(c) for c in cmd[:4]))
    if why == ["timeout"]:
        raise EnvBuildError(f"{what} did not finish within {timeout:.0f} s (imjoy-hpc.plugins.install-timeout)")
    if why == ["stopped"]:
        raise EnvAbandoned(f"{what} was stopped: the plugin's start was abandoned")
    return rc, tail


class _Lock:
    """An exclusive lock file (filelock) for building one environment, waited for at most `timeout` seconds."""

    def __init__(self, path: Path, timeout: float, log: Log, label: str, stop: threading.Event | None = None):
        self.lock = filelock.FileLock(str(path))
        self.path, self.timeout, self.log, self.label, self.stop = path, timeout, log, label, stop

    def __enter__(self) -> "_Lock":
        deadline = time.monotonic() + self.timeout
        told = False
        while True:
            try:
                self.lock.acquire(timeout=0.2)
                return self
            except filelock.Timeout:
                if self.stop is not None and self.stop.is_set():
                    raise EnvAbandoned(f"{self.label}: the start was abandoned while waiting for {self.path}") \
                        from None
                if time.monotonic() > deadline:
                    raise EnvBuildError(f"{self.label}: another process has been building this environment for "
                                        f"over {self.timeout:.0f} s (lock {self.path})") from None
                if not told:
                    self.log(f"{self.label}: waiting for another process building the same environment")
                    told = True

    def __exit__(self, *exc: Any) -> None:
        self.lock.release()


def _is_complete(env_dir: Path) -> bool:
    return (env_dir / MARKER).is_file()


def _read_marker(env_dir: Path) -> dict:
    try:
        return json.loads((env_dir / MARKER).read_text())
    except (OSError, ValueError):
        return {}


def _work_dir(env_dir: Path, reqs: Requirements) -> Path | None:
    """Where `repo:` clones go and `cmd:` commands run (the plugin's working directory, as in the legacy engine)."""
    return env_dir / WORK_DIR if reqs.repos or reqs.commands else None


def environment_key(reqs: Requirements, probe: dict, conda: dict | None = None,
                    resolve_as_of: str | None = None) -> str:
    """The cache directory name for `reqs` (and a conda request, and a resolution date) on the probed Python."""
    payload = json.dumps({
        **({"resolve_as_of": resolve_as_of} if resolve_as_of else {}),
        "pip": normalized_pip(reqs.pip),
        "repos": [list(r) for r in reqs.repos],
        "commands": list(reqs.commands),
        "python": probe["version"],
        "site": sorted(os.path.realpath(d) for d in probe["site_dirs"]),
        **({"conda": conda} if conda else {}),
    }, sort_keys=True)
    kind = "conda-" if conda else ""
    return f"{kind}{probe['short']}-{hashlib.sha256(payload.encode()).hexdigest()[:20]}"


class _Builder:
    """Builds one environment directory (which must not exist yet); the marker file is written last."""

    def __init__(self, env_dir: Path, *, python: str, probe: dict, reqs: Requirements, log: Log, label: str,
                 timeout: float, stop: threading.Event | None, progress: Log, warn: Log | None = None,
                 resolve_as_of: str | None = None) -> None:
        self.env_dir, self.python, self.probe, self.reqs = env_dir, python, probe, reqs
        self.resolve_as_of = resolve_as_of
        self.log, self.label, self.stop, self.progress = log, label, stop, progress
        self.warn = warn or (lambda text: log(f"{label}: {text}"))
        self.deadline = time.monotonic() + timeout
        self.timeout = timeout

    def run(self, cmd: list[str], prefix: str, **kwargs: Any) -> tuple[int, list[str]]:
        left = max(1.0, self.deadline - time.monotonic())
        try:
            return _run_logged(cmd, log=kwargs.pop("log", self.log), prefix=prefix, timeout=left, stop=self.stop,
                               **kwargs)
        except EnvBuildError as exc:
            if isinstance(exc, EnvAbandoned):
                raise
            raise EnvBuildError(f"{self.label}: building its environment took longer than {self.timeout:.0f} s "
                                f"(imjoy-hpc.plugins.install-timeout): {exc}") from None

    def stage(self, text: str) -> None:
        self.log(f"{self.label}: {text}")
        self.progress(text)

    def venv(self, target: Path) -> Path:
        """A virtualenv on the base Python that still sees the runtime's own packages."""
        self.stage(f"creating environment {target}")
        rc, tail = self.run([self.python, "-m", "venv", "--system-site-packages", "--without-pip", str(target)],
                            "venv: ")
        if rc != 0:
            raise EnvBuildError(f"{self.label}: creating the virtual environment failed: {failing_line(tail)}")
        env_py = _env_python(target)
        self.add_runtime(env_py)
        return env_py

    def add_runtime(self, env_py: Path) -> bool:
        """Make the imjoy-hpc runtime importable from `env_py`; the environment's own packages come first.

        On the base Python's version this installation's packages are added (a .pth: True). On another Python the
        environment must hold the runtime's own packages (solved into it); its code comes from a directory of
        this installation's runtime modules on the plugin's PYTHONPATH when it starts (False)."""
        from .runtime import IMPORT_NAMES

        check = subprocess.run([str(env_py), "-c", "import sys, sysconfig; print(sysconfig.get_paths()['purelib']); "
                                "print('%s-py%d%d' % (sys.implementation.name, *sys.version_info[:2]))"],
                               capture_output=True, text=True, timeout=60)
        if check.returncode != 0:
            raise EnvBuildError(f"{self.label}: the environment's Python does not start: "
                                f"{check.stderr.strip()[-300:]}")
        purelib, python = check.stdout.split()[-2:]
        if python != f"{self.probe['version'].split('-')[0]}-{self.probe['short']}":  # another version or kind
            missing = subprocess.run([str(env_py), "-c", RUNTIME_IMPORTS, *IMPORT_NAMES], capture_output=True,
                                     text=True, timeout=120).stdout.split()
            if missing:
                raise EnvBuildError(f"{self.label}: the environment's Python ({env_py}) lacks {', '.join(missing)}, "
                                    "which the imjoy-hpc plugin runtime imports; add them to the environment")
            return False
        Path(purelib).mkdir(parents=True, exist_ok=True)
        lines = "".join(f"import site; site.addsitedir({d!r})\n" for d in self.probe["site_dirs"])
        (Path(purelib) / PARENT_PTH).write_text(lines)
        return True

    def environ(self, bin_dir: Path) -> dict:
        env = dict(os.environ, VIRTUAL_ENV=str(bin_dir.parent),
                   PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
        env.pop("PYTHONHOME", None)
        return env

    def pip(self, env_py: Path, env: dict, specs: tuple[str, ...]) -> None:
        """Install pip packages into the environment of `env_py`: by uv (its cache beside the environments), or by
        pip where this installation has no uv."""
        uv = uv_binary()
        if uv is None:
            return self.pip_by_pip(env_py, env, specs)
        self.stage(f"installing pip packages {masked(', '.join(specs))}"
                   + (f" as of {self.resolve_as_of}" if self.resolve_as_of else ""))
        variables = uv_variables(self.env_dir.parent / UV_CACHE, self.resolve_as_of)
        rc, tail = self.run(install_command(uv, env_py, specs), "uv: ", env={**env, **variables})
        if rc != 0:
            raise EnvBuildError(f"{self.label}: could not install pip packages {masked(', '.join(specs))}: "
                                f"{failing_line(tail)}")

    def pip_by_pip(self, env_py: Path, env: dict, specs: tuple[str, ...]) -> None:
        if self.resolve_as_of:
            raise EnvBuildError(f"{self.label}: resolve-as-of {self.resolve_as_of} needs uv, which this "
                                "installation lacks (pip install uv)")
        has_pip = subprocess.run([str(env_py), "-c", "import pip"], capture_output=True, timeout=60).returncode == 0
        if not has_pip:
            rc, tail = self.run([str(env_py), "-m", "ensurepip", "--default-pip"], "ensurepip: ", env=env)
            if rc != 0:
                raise EnvBuildError(f"{self.label}: pip is not available for {env_py} and ensurepip failed: "
                                    f"{failing_line(tail)}")
        self.stage(f"installing pip packages {masked(', '.join(specs))}")
        rc, tail = self.run([str(env_py), "-m", "pip", "install", "--disable-pip-version-check", "--no-input",
                             "--progress-bar", "off", *specs], "pip: ", env=env)
        if rc != 0:
            raise EnvBuildError(f"{self.label}: could not install pip packages {masked(', '.join(specs))}: "
                                f"{failing_line(tail)}")

    def repos_and_commands(self, env: dict) -> None:
        work = _work_dir(self.env_dir, self.reqs)
        if work is None:
            return
        work.mkdir(parents=True, exist_ok=True)
        for url, name in self.reqs.repos:
            target = work / name
            self.stage(f"cloning {url} into {target}")
            rc, tail = self.run(["git", "clone", "--depth", "1", "--", url, str(target)], "git: ",
                                env=dict(env, GIT_TERMINAL_PROMPT="0"))
            if rc != 0:
                raise EnvBuildError(f"{self.label}: cloning {url} failed: {failing_line(tail)}")
        for command in self.reqs.commands:
            self.stage(f"running requirement command: {masked(command)}")
            rc, tail = self.run(["/bin/sh", "-c", command], "cmd: ", cwd=work, env=env, shell_text=command)
            if rc != 0:
                raise EnvBuildError(f"{self.label}: requirement command {masked(command)!r} exited with {rc}: "
                                    f"{failing_line(tail)}")

    def conda(self, request: dict, cache_dir: Path) -> tuple[str | None, bool]:
        """Solve and install the conda packages into env_dir: the env's Python (None when it has none) and whether
        the runtime's packages are the base Python's (see add_runtime)."""
        from .runtime import CONDA_SPECS

        self.stage(f"solving and installing conda packages {', '.join(request['specs'])}")
        job = {"prefix": str(self.env_dir), "specs": request["specs"], "channels": request["channels"],
               "cache_dir": str(cache_dir / ".conda-cache"), "tool": request.get("tool"),
               "runtime_python": ".".join(self.probe["version"].split("-")[1].split(".")[:2]),
               "runtime_implementation": self.probe["version"].split("-")[0],
               "runtime_specs": list(CONDA_SPECS), "old_python": request.get("old_python", "raise")}

        def log(line: str) -> None:  # the builder's warnings go to `warn` (which logs them once)
            if line.startswith("conda: WARNING: "):
                self.warn(line.removeprefix("conda: WARNING: "))
            else:
                self.log(line)

        rc, tail = self.run([self.python, "-m", "imjoy_hpc.plugins.conda_build"], "conda: ", log=log,
                            stdin_text=json.dumps(job))
        if rc != 0:
            raise EnvBuildError(f"{self.label}: {failing_line(tail).removeprefix('ERROR: ')}")
        env_py = _env_python(self.env_dir)
        if not env_py.exists():
            return None, True
        return str(env_py), self.add_runtime(env_py)

    def finish(self, marker: dict) -> None:
        marker = {"requirements": self.reqs.to_list(), "pip": list(self.reqs.pip), "python": self.probe["version"],
                  "base": self.python, "created": time.time(), **marker}
        write_atomic(self.env_dir / MARKER, json.dumps(marker, indent=1), mode=0o666)  # the umask decides


def _build_venv(b: _Builder) -> dict:
    env_py = b.venv(b.env_dir)
    env = b.environ(env_py.parent)
    if b.reqs.pip:
        b.pip(env_py, env, b.reqs.pip)
    b.repos_and_commands(env)
    return {"plugin_python": str(env_py)}


def _build_conda(b: _Builder, request: dict, cache_dir: Path) -> dict:
    b.env_dir.mkdir(parents=True)
    env_py, base_runtime = b.conda(request, cache_dir)
    pip = tuple(dict.fromkeys(b.reqs.pip + tuple(request.get("pip") or ())))
    if env_py is None and pip:  # no Python in the conda env: pip packages go to a venv on the base Python
        venv_py = b.venv(b.env_dir / "venv")
        b.pip(venv_py, b.environ(venv_py.parent), pip)
        plugin_python = str(venv_py)
    elif env_py is not None:
        if pip:
            b.pip(Path(env_py), b.environ(Path(env_py).parent), pip)
        plugin_python = env_py
    else:
        plugin_python = b.python
    env = b.environ(b.env_dir / "bin")
    b.repos_and_commands(env)
    return {"plugin_python": plugin_python, "conda_prefix": str(b.env_dir), "conda_python": env_py is not None,
            "conda_name": request.get("name"), "runtime_dir": not base_runtime}


def activation(prefix: Path, name: str | None, with_python: bool, runtime_short: str) -> dict[str, str]:
    """Environment variables of an activated conda env (PATH, CONDA_PREFIX, libraries, its activate.d scripts).
    Without a Python of its own the plugin runs on the base Python, so the env's libraries and the
    site-packages for that Python are added as well."""
    env = {"CONDA_PREFIX": str(prefix), "CONDA_DEFAULT_ENV": name or prefix.name,
           "PATH": f"{prefix / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"}
    if not with_python:
        env["LD_LIBRARY_PATH"] = os.pathsep.join(p for p in (str(prefix / "lib"), os.environ.get("LD_LIBRARY_PATH"))
                                                 if p)
        site = prefix / "lib" / f"python{runtime_short[2]}.{runtime_short[3:]}" / "site-packages"
        if site.is_dir():
            env["PYTHONPATH"] = os.pathsep.join(p for p in (str(site), os.environ.get("PYTHONPATH")) if p)
    scripts = sorted((prefix / "etc" / "conda" / "activate.d").glob("*.sh"))
    if not scripts:
        return env
    source = "".join(f'. "{s}"\n' for s in scripts)
    out = subprocess.run(["/bin/sh", "-c", f"{source}env -0"], capture_output=True, timeout=60,
                         env={**os.environ, **env})
    if out.returncode != 0:
        raise EnvBuildError(f"activating conda environment {prefix} failed: "
                            f"{out.stderr.decode(errors='replace').strip()[-300:]}")
    after = dict(item.split("=", 1) for item in out.stdout.decode(errors="replace").split("\0") if "=" in item)
    return {k: v for k, v in after.items() if os.environ.get(k) != v}


def _info(env_dir: Path, key: str, reqs: Requirements, created: bool, probe: dict,
          variables: dict[str, str]) -> EnvInfo:
    marker = _read_marker(env_dir)
    work = _work_dir(env_dir, reqs)
    extra = dict(variables)
    if marker.get("conda_prefix"):
        extra.update(activation(Path(marker["conda_prefix"]), marker.get("conda_name"),
                                bool(marker.get("conda_python")), probe["short"]))
    if marker.get("runtime_dir"):  # another Python than the base's: the runtime's code from this installation
        from .runtime import runtime_dir

        inherited = extra.get("PYTHONPATH", os.environ.get("PYTHONPATH"))
        extra["PYTHONPATH"] = os.pathsep.join(p for p in (str(runtime_dir(env_dir.parent)), inherited) if p)
    return EnvInfo(python=marker.get("plugin_python") or str(_env_python(env_dir)), path=env_dir, key=key,
                   created=created, requirements=reqs, repos={n: work / n for _, n in reqs.repos} if work else {},
                   work_dir=work, variables=extra)


def _conda_settings(conda: "CondaSettings | dict | None") -> "CondaSettings":
    """The site's conda settings: those given, else the ones of this process's configuration."""
    from imjoy_hpc.settings import CondaSettings, Settings

    return CondaSettings.of(conda) if conda else Settings.current().plugins.conda


def ensure_environment(requirements: Requirements | list[str] | str | None, *, cache_dir: Path,
                       python: str = sys.executable, allow_install: bool = True, log: Log = print,
                       name: str = "plugin", env: Any = None, allow_commands: bool = True,
                       timeout: float = float("inf"), stop: threading.Event | None = None, progress: Log | None = None,
                       conda: "CondaSettings | dict | None" = None, work_dir: Path | None = None,
                       warn: Log | None = None, resolve_as_of: str | None = None) -> EnvInfo:
    """Return a Python (and environment variables) that satisfy `requirements` and the conda `env`, building and
    caching an environment when needed.

    `resolve_as_of` (a date, YYYY-MM-DD) resolves pip packages as they were on that day (uv's exclude-newer),
    for plugins that predate today's releases.

    `name` labels log lines and errors; `progress` hears each step of a build (not of a cache hit); `stop`
    abandons a build (its processes are killed); `conda` is the site's conda settings (channels, tool);
    `work_dir` is where an `env` entry's files (environment.yml) are; `warn` hears what was left out or changed
    (default: the log). Raises EnvRefused when the requirements
    are not allowed or not supported, EnvBuildError when building fails or takes longer than `timeout` seconds
    (the gateway passes plugins.install-timeout; default: no limit).
    """
    from imjoy_hpc.plugins.conda import CondaEnvError, parse_env, site_channels

    reqs = requirements if isinstance(requirements, Requirements) else parse_requirements(requirements)
    label = f"plugin {name}"
    if progress is None:
        progress = lambda text: None  # noqa: E731
    if warn is None:
        warn = lambda text: log(f"{label}: {text}")  # noqa: E731
    try:
        request = parse_env(env, reqs.conda, work_dir=work_dir)
    except CondaEnvError as exc:
        raise EnvRefused(f"{label}: {exc}") from None
    for note in request.notes if request else ():
        warn(note)
    if request is not None and request.commands:  # env steps that are not conda's: run like cmd: requirements
        reqs = Requirements(reqs.entries + tuple(Requirement("cmd", (c,), c) for c in request.commands))
    variables = dict(request.variables) if request else {}
    conda_job = None
    if request is not None and (request.specs or request.pip):
        settings = _conda_settings(conda)
        channels, notes = site_channels(request, settings)
        for note in notes:
            warn(note)
        if request.specs:
            conda_job = {"specs": list(request.specs), "channels": channels, "tool": settings.command,
                         "pip": list(request.pip), "name": request.name, "old_python": settings.old_python}
        elif request.pip:
            reqs = Requirements(reqs.entries + tuple(parse_requirements([f"pip:{p}" for p in request.pip]).entries))
    if (reqs.commands or reqs.repos) and not allow_commands:
        entry = next(r.entry for r in reqs.entries if r.kind in ("cmd", "repo"))
        raise EnvRefused(f"{label} requirement {entry!r} would run a command or clone a repository at install "
                         f"time, which this site turned off ({COMMANDS_CONFIG_KEY}: false)")
    if not reqs.pip and not reqs.repos and not reqs.commands and conda_job is None:
        return EnvInfo(python=python, variables=variables)
    probe = python_info(python)
    cache_dir = Path(cache_dir).expanduser()
    conda_key = {k: conda_job[k] for k in ("specs", "channels", "pip")} if conda_job else None
    if conda_key:
        conda_key["platform"] = sys.platform
        if conda_job["old_python"] != "raise":  # envs built with an old Python pin raised are not this site's
            conda_key["old_python"] = conda_job["old_python"]
    key = environment_key(reqs, probe, conda_key, resolve_as_of)
    env_dir = cache_dir / key
    if _is_complete(env_dir):
        log(f"{label}: using cached environment {env_dir}")
        return _info(env_dir, key, reqs, False, probe, variables)
    if conda_job is None:
        satisfied = _satisfied(python, list(reqs.pip))
        missing = [s for s in reqs.pip if not satisfied.get(s)]
        if not missing and not reqs.commands and not reqs.repos and not resolve_as_of:
            log(f"{label}: requirements already satisfied by {python}")
            return EnvInfo(python=python, requirements=reqs, variables=variables)
    else:
        missing = list(conda_job["specs"])
    if not allow_install:
        if conda_job is not None:
            what = f"conda packages {', '.join(missing)}"
        else:
            what = f"pip packages {', '.join(missing)}" if missing else f"requirements {', '.join(reqs.to_list())}"
        raise EnvRefused(f"{label} needs {what}, but installing requirements is disabled by the site config "
                         f"({SITE_CONFIG_KEY})")
    cache_dir.mkdir(parents=True, exist_ok=True)
    with _Lock(cache_dir / f"{key}.lock", timeout, log, label, stop):
        if _is_complete(env_dir):  # another process built it while we waited
            log(f"{label}: using environment {env_dir} built by another process")
            return _info(env_dir, key, reqs, False, probe, variables)
        if env_dir.exists():
            log(f"{label}: removing incomplete environment {env_dir}")
            shutil.rmtree(env_dir)
        builder = _Builder(env_dir, python=python, probe=probe, reqs=reqs, log=log, label=label, timeout=timeout,
                           stop=stop, progress=progress, warn=warn, resolve_as_of=resolve_as_of)
        try:
            marker = _build_conda(builder, conda_job, cache_dir) if conda_job else _build_venv(builder)
            builder.finish(marker)
        except BaseException:
            shutil.rmtree(env_dir, ignore_errors=True)
            raise
    log(f"{label}: environment ready: {env_dir}")
    return _info(env_dir, key, reqs, True, probe, variables)
