"""Cached Python environments for plugin `requirements`.

pip requirements are installed into a virtualenv under `cache_dir`, named by a hash of the normalized
requirements, the Python version and the base interpreter's site directories, and reused by every later
plugin start with the same requirements. The env is made with ``--system-site-packages`` from the given
Python and a ``.pth`` file that adds that Python's own site directories (a virtualenv's, the user site), so the
plugin still imports everything the runtime has (numpy, dask, imjoy-hpc); packages the plugin asks for shadow
them.

An environment counts as complete only when its marker file exists; the marker is written last. Builders take
an exclusive lock (``<key>.lock``, flock) so concurrent starts, also on other nodes sharing the path, build once;
a half-built env left by a crash is removed and rebuilt.

When there is no cached env and the base Python already satisfies every pip requirement, no env is made.
`conda:` and `env` are not supported yet; `cmd:` and `repo:` run only when `allow_commands` is true (they
execute code from the plugin file at install time).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shlex
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .parser import PluginError
from .requirements import Requirements, normalized_pip, parse_requirements

MARKER = ".imjoy-hpc-env.json"
PARENT_PTH = "_imjoy_hpc_parent_site.pth"
SITE_CONFIG_KEY = "imjoy-hpc.plugins.install-requirements"
COMMANDS_CONFIG_KEY = "imjoy-hpc.plugins.allow-requirement-commands"

Log = Callable[[str], Any]


class EnvError(PluginError):
    """An environment for a plugin's requirements cannot be provided."""


class EnvRefused(EnvError):
    """The requirements are not allowed (installs disabled, commands disabled) or not supported (conda)."""


class EnvBuildError(EnvError):
    """Building the environment failed (pip error, timeout); nothing is left marked complete."""


@dataclass
class EnvInfo:
    """Where a plugin's Python is. `path` is None when the base Python is used as it is."""

    python: str
    path: Path | None = None
    key: str | None = None
    created: bool = False            # this call built the env
    requirements: Requirements = field(default_factory=Requirements)
    repos: dict[str, Path] = field(default_factory=dict)


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


def _run_logged(cmd: list[str], *, log: Log, prefix: str, timeout: float, cwd: Path | None = None,
                env: dict | None = None, shell_text: str | None = None) -> tuple[int, list[str]]:
    """Run `cmd`, passing each output line to `log`; kill it after `timeout` seconds. Returns (rc, last lines)."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            text=True, cwd=cwd, env=env, start_new_session=True)
    timed_out = threading.Event()

    def kill() -> None:
        timed_out.set()
        try:
            os.killpg(proc.pid, 9)
        except ProcessLookupError:
            pass

    timer = threading.Timer(timeout, kill)
    timer.start()
    tail: list[str] = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            line = line.rstrip()
            if line:
                log(f"{prefix}{line}")
                tail = (tail + [line])[-20:]
        rc = proc.wait(timeout=30)
    finally:
        timer.cancel()
        if proc.poll() is None:
            kill()
            proc.wait(timeout=30)
    if timed_out.is_set():
        what = shell_text or " ".join(shlex.quote(c) for c in cmd[:4])
        raise EnvBuildError(f"{what} did not finish within {timeout:.0f} s")
    return rc, tail


class _Lock:
    """An exclusive flock on `path`, waited for at most `timeout` seconds."""

    def __init__(self, path: Path, timeout: float, log: Log, label: str):
        self.path, self.timeout, self.log, self.label = path, timeout, log, label
        self.fd: int | None = None

    def __enter__(self) -> "_Lock":
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + self.timeout
        told = False
        while True:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return self
            except BlockingIOError:
                if time.monotonic() > deadline:
                    os.close(self.fd)
                    self.fd = None
                    raise EnvBuildError(f"{self.label}: another process has been building this environment for "
                                        f"over {self.timeout:.0f} s (lock {self.path})") from None
                if not told:
                    self.log(f"{self.label}: waiting for another process building the same environment")
                    told = True
                time.sleep(0.2)

    def __exit__(self, *exc: Any) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


def _is_complete(env_dir: Path) -> bool:
    return (env_dir / MARKER).is_file() and _env_python(env_dir).exists()


def _repos(env_dir: Path, reqs: Requirements) -> dict[str, Path]:
    return {name: env_dir / "repos" / name for _, name in reqs.repos}


def environment_key(reqs: Requirements, probe: dict) -> str:
    """The cache directory name for `reqs` on the probed Python."""
    payload = json.dumps({
        "pip": normalized_pip(reqs.pip),
        "repos": [list(r) for r in reqs.repos],
        "commands": list(reqs.commands),
        "python": probe["version"],
        "site": sorted(os.path.realpath(d) for d in probe["site_dirs"]),
    }, sort_keys=True)
    return f"{probe['short']}-{hashlib.sha256(payload.encode()).hexdigest()[:20]}"


def _build(env_dir: Path, *, python: str, probe: dict, reqs: Requirements, log: Log, label: str,
           timeout: float) -> None:
    """Make the env in `env_dir` (which must not exist) and write the marker last."""
    deadline = time.monotonic() + timeout

    def left() -> float:
        return max(1.0, deadline - time.monotonic())

    log(f"{label}: creating environment {env_dir}")
    rc, tail = _run_logged([python, "-m", "venv", "--system-site-packages", "--without-pip", str(env_dir)],
                           log=log, prefix="venv: ", timeout=left())
    if rc != 0:
        raise EnvBuildError(f"{label}: creating the virtual environment failed: {' | '.join(tail[-3:])}")
    env_py = _env_python(env_dir)
    check = subprocess.run([str(env_py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                           capture_output=True, text=True, timeout=60)
    if check.returncode != 0:
        raise EnvBuildError(f"{label}: the new environment's Python does not start: {check.stderr.strip()[-300:]}")
    purelib = Path(check.stdout.strip())
    lines = "".join(f"import site; site.addsitedir({d!r})\n" for d in probe["site_dirs"])
    (purelib / PARENT_PTH).write_text(lines)
    env = dict(os.environ, VIRTUAL_ENV=str(env_dir), PATH=f"{env_dir / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}")
    env.pop("PYTHONHOME", None)
    if reqs.pip:
        has_pip = subprocess.run([str(env_py), "-c", "import pip"], capture_output=True, timeout=60).returncode == 0
        if not has_pip:
            rc, tail = _run_logged([str(env_py), "-m", "ensurepip", "--default-pip"], log=log, prefix="ensurepip: ",
                                   timeout=left(), env=env)
            if rc != 0:
                raise EnvBuildError(f"{label}: pip is not available for {python} and ensurepip failed: "
                                    f"{' | '.join(tail[-3:])}")
        log(f"{label}: installing pip packages {', '.join(reqs.pip)}")
        rc, tail = _run_logged([str(env_py), "-m", "pip", "install", "--disable-pip-version-check", "--no-input",
                                "--progress-bar", "off", *reqs.pip], log=log, prefix="pip: ", timeout=left(), env=env)
        if rc != 0:
            errors = [t for t in tail if "ERROR" in t or "error" in t.lower()] or tail
            raise EnvBuildError(f"{label}: pip could not install {', '.join(reqs.pip)}: {' | '.join(errors[-3:])}")
    for url, name in reqs.repos:
        target = env_dir / "repos" / name
        target.parent.mkdir(exist_ok=True)
        log(f"{label}: cloning {url} into {target}")
        rc, tail = _run_logged(["git", "clone", "--depth", "1", "--", url, str(target)], log=log, prefix="git: ",
                               timeout=left(), env=dict(env, GIT_TERMINAL_PROMPT="0"))
        if rc != 0:
            raise EnvBuildError(f"{label}: cloning {url} failed: {' | '.join(tail[-3:])}")
    for command in reqs.commands:
        log(f"{label}: running requirement command: {command}")
        rc, tail = _run_logged(["/bin/sh", "-c", command], log=log, prefix="cmd: ", timeout=left(), cwd=env_dir,
                               env=env, shell_text=command)
        if rc != 0:
            raise EnvBuildError(f"{label}: requirement command {command!r} exited with {rc}: {' | '.join(tail[-3:])}")
    marker = {"requirements": reqs.to_list(), "pip": list(reqs.pip), "python": probe["version"],
              "base": python, "created": time.time()}
    tmp = env_dir / (MARKER + ".tmp")
    tmp.write_text(json.dumps(marker, indent=1))
    os.replace(tmp, env_dir / MARKER)


def ensure_environment(requirements: Requirements | list[str] | str | None, *, cache_dir: Path,
                       python: str = sys.executable, allow_install: bool = True, log: Log = print,
                       name: str = "plugin", env: Any = None, allow_commands: bool = False,
                       timeout: float = 1800.0) -> EnvInfo:
    """Return a Python that satisfies `requirements`, building and caching a virtualenv when needed.

    `name` labels log lines and errors; `env` is the plugin's conda `env` field (not supported yet).
    Raises EnvRefused when the requirements are not allowed or not supported, EnvBuildError when building fails.
    """
    reqs = requirements if isinstance(requirements, Requirements) else parse_requirements(requirements)
    label = f"plugin {name}"
    if env:
        raise EnvRefused(f"{label} declares a conda environment (`env`); conda environments are not supported "
                         "by imjoy-hpc yet: use pip `requirements`, or load the software with a module first")
    if reqs.conda:
        raise EnvRefused(f"{label} needs conda packages {', '.join(reqs.conda)}; conda requirements are not "
                         "supported by imjoy-hpc yet: use pip: requirements")
    if (reqs.commands or reqs.repos) and not allow_commands:
        entry = next(r.entry for r in reqs.entries if r.kind in ("cmd", "repo"))
        raise EnvRefused(f"{label} requirement {entry!r} would run a command or clone a repository at install "
                         f"time; this is disabled for security (site config {COMMANDS_CONFIG_KEY})")
    if not reqs:
        return EnvInfo(python=python)
    probe = python_info(python)
    cache_dir = Path(cache_dir).expanduser()
    key = environment_key(reqs, probe)
    env_dir = cache_dir / key
    if _is_complete(env_dir):
        log(f"{label}: using cached environment {env_dir}")
        return EnvInfo(python=str(_env_python(env_dir)), path=env_dir, key=key, requirements=reqs,
                       repos=_repos(env_dir, reqs))
    satisfied = _satisfied(python, list(reqs.pip))
    missing = [s for s in reqs.pip if not satisfied.get(s)]
    if not missing and not reqs.commands and not reqs.repos:
        log(f"{label}: requirements already satisfied by {python}")
        return EnvInfo(python=python, requirements=reqs)
    if not allow_install:
        what = f"pip packages {', '.join(missing)}" if missing else f"requirements {', '.join(reqs.to_list())}"
        raise EnvRefused(f"{label} needs {what}, but installing requirements is disabled by the site config "
                         f"({SITE_CONFIG_KEY})")
    cache_dir.mkdir(parents=True, exist_ok=True)
    with _Lock(cache_dir / f"{key}.lock", timeout, log, label):
        if _is_complete(env_dir):  # another process built it while we waited
            log(f"{label}: using environment {env_dir} built by another process")
            return EnvInfo(python=str(_env_python(env_dir)), path=env_dir, key=key, requirements=reqs,
                           repos=_repos(env_dir, reqs))
        if env_dir.exists():
            log(f"{label}: removing incomplete environment {env_dir}")
            shutil.rmtree(env_dir)
        try:
            _build(env_dir, python=python, probe=probe, reqs=reqs, log=log, label=label, timeout=timeout)
        except BaseException:
            shutil.rmtree(env_dir, ignore_errors=True)
            raise
    log(f"{label}: environment ready: {env_dir}")
    return EnvInfo(python=str(_env_python(env_dir)), path=env_dir, key=key, created=True, requirements=reqs,
                   repos=_repos(env_dir, reqs))
