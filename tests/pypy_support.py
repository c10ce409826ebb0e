"""A second Python for the plugin runtime: Debian's pypy3 (Python 3.9), as a site's conda mirror would give it.

`pypy_channel` makes a local conda channel holding `python` (bin/python -> pypy3, with a pyvenv.cfg that makes
the environment its prefix) and `numpy`, `tornado`, `msgpack-python` whose files are what pip installs for that
interpreter from the package index. The wheels are built once into ~/.cache/imjoy-hpc-ci (IMJOY_HPC_CI_CACHE).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import package_support
from package_support import index_channel, make_conda_package
from support import require

# pip requirement -> (conda package name, import name); what imjoy_hpc.plugins.runtime.CONDA_SPECS names.
PACKAGES = {"numpy": ("numpy", "numpy"), "tornado>=6.3,<7": ("tornado", "tornado"),
            "msgpack>=1.0": ("msgpack-python", "msgpack")}
HOW = "install Debian's pypy3 (apt-get install pypy3; scripts/ci/install.sh installs it)"


def pypy() -> str:
    """Debian's pypy3 (fails under CI, skips locally, when it is not installed)."""
    path = shutil.which("pypy3")
    require(path is not None, "pypy3 (a Python 3.9 other than the gateway's)", HOW)
    return path


def pypy_version(python: str) -> str:
    return subprocess.run([python, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
                          capture_output=True, text=True, check=True, timeout=60).stdout.strip()


def cache_dir() -> Path:
    return Path(os.environ.get("IMJOY_HPC_CI_CACHE", "~/.cache/imjoy-hpc-ci")).expanduser()


def pypy_wheels(python: str) -> Path:
    """A directory of wheels of the runtime's packages for `python` (built once, then reused)."""
    version = pypy_version(python)
    wheels = cache_dir() / f"pypy-{version}-wheels"
    stamp = wheels / ".complete"
    if stamp.is_file():
        return wheels
    wheels.mkdir(parents=True, exist_ok=True)
    out = subprocess.run([python, "-m", "pip", "wheel", "--disable-pip-version-check", "--prefer-binary", "-q",
                          "-w", str(wheels), *PACKAGES], capture_output=True, text=True, timeout=600)
    require(out.returncode == 0, f"wheels of {', '.join(PACKAGES)} for pypy3",
            f"pypy3 -m pip wheel must reach the package index: {out.stderr.strip()[-500:]}")
    stamp.write_text("\n".join(PACKAGES))
    return wheels


def _installed(python: str, wheels: Path, requirement: str, target: Path) -> tuple[str, dict[str, tuple[bytes, int]]]:
    """(version, files under lib/pypy3.9/site-packages) of one package installed from `wheels` for `python`."""
    out = subprocess.run([python, "-m", "pip", "install", "--disable-pip-version-check", "--no-index", "--no-deps",
                          "-q", "--find-links", str(wheels), "--target", str(target), requirement],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    name = requirement.split(">")[0].split("=")[0].split("<")[0]
    dist = next(target.glob(f"{name}-*.dist-info"))
    version = dist.name[len(name) + 1:-len(".dist-info")]
    site = "lib/pypy3.9/site-packages"
    files = {f"{site}/{p.relative_to(target).as_posix()}": (p.read_bytes(), p.stat().st_mode & 0o777)
             for p in target.rglob("*") if p.is_file() and "__pycache__" not in p.parts and "/tests/" not in
             f"/{p.relative_to(target).as_posix()}"}
    return version, files


def pypy_channel() -> tuple[str, str]:
    """A channel with pypy3 as `python` and the runtime's packages for it (made once into the cache, keyed by
    the wheels and this file); (its URL, pypy's version)."""
    python = pypy()
    version = pypy_version(python)
    wheels = pypy_wheels(python)
    made_by = [Path(__file__).read_bytes(), Path(package_support.__file__).read_bytes(), python.encode(),
               *sorted(p.name.encode() for p in wheels.glob("*.whl"))]
    channel = cache_dir() / f"pypy-{version}-channel-{hashlib.sha256(b'|'.join(made_by)).hexdigest()[:12]}"
    if not (channel / "noarch" / "repodata.json").is_file():
        work = Path(tempfile.mkdtemp(prefix=".making-", dir=cache_dir()))
        try:
            _make_channel(work / "channel", work / "site", python, version, wheels)
            shutil.rmtree(channel, ignore_errors=True)
            (work / "channel").rename(channel)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return channel.resolve().as_uri(), version


def _make_channel(channel: Path, work: Path, python: str, version: str, wheels: Path) -> None:
    minor = ".".join(version.split(".")[:2])
    real = os.path.realpath(python)
    cfg = f"home = {os.path.dirname(real)}\ninclude-system-site-packages = false\nversion = {version}\n"
    make_conda_package(channel, "python", version, {"pyvenv.cfg": (cfg.encode(), 0o644)},
                       links={"bin/python": real, "bin/python3": real}, build="pypy")
    for requirement, (conda_name, _) in PACKAGES.items():
        target = work / conda_name
        package_version, files = _installed(python, wheels, requirement, target)
        make_conda_package(channel, conda_name, package_version, files, depends=(f"python {minor}.*",),
                           compresslevel=1)
    index_channel(channel)
