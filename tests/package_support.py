"""Packages the tests make themselves: conda packages in a local channel (indexed by py-rattler), and pip source
packages with an in-tree build backend that can be slow or fail, so no test needs the internet."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
import tarfile
import textwrap
import time
from pathlib import Path

RUNTIME = f"{sys.version_info[0]}.{sys.version_info[1]}"


def make_conda_package(channel: Path, name: str, version: str, files: dict[str, tuple[bytes, int]],
                       depends: tuple[str, ...] = (), build: str = "0", links: dict[str, str] | None = None,
                       compresslevel: int = 9) -> Path:
    """A noarch conda package `<name>-<version>-<build>.tar.bz2` in channel/noarch; files = {path: (data, mode)},
    links = {path: symbolic link target}."""
    links = links or {}
    index = {"name": name, "version": version, "build": build, "build_number": 0, "depends": list(depends),
             "noarch": "generic", "subdir": "noarch", "license": "MIT", "timestamp": int(time.time() * 1000)}
    paths = {"paths_version": 1, "paths": sorted([
        *({"_path": p, "path_type": "hardlink", "sha256": hashlib.sha256(d).hexdigest(), "size_in_bytes": len(d)}
          for p, (d, _) in files.items()),
        *({"_path": p, "path_type": "softlink"} for p in links)], key=lambda e: e["_path"])}
    members = {"info/index.json": (json.dumps(index).encode(), 0o644),
               "info/paths.json": (json.dumps(paths).encode(), 0o644),
               "info/files": ("".join(p + "\n" for p in sorted([*files, *links])).encode(), 0o644), **files}
    out = channel / "noarch"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name}-{version}-{build}.tar.bz2"
    with tarfile.open(path, "w:bz2", compresslevel=compresslevel) as tar:
        for member, (data, mode) in members.items():
            info = tarfile.TarInfo(member)
            info.size, info.mode, info.mtime = len(data), mode, int(time.time())
            tar.addfile(info, io.BytesIO(data))
        for member, target in links.items():
            info = tarfile.TarInfo(member)
            info.type, info.linkname, info.mode, info.mtime = tarfile.SYMTYPE, target, 0o777, int(time.time())
            tar.addfile(info)
    return path


INDEX = r"""
import asyncio, os, sys
from rattler.index import index_fs
async def main():
    try:
        await index_fs(sys.argv[1], write_zst=False, write_shards=False, force=True)
    finally:
        await asyncio.sleep(0.2)
asyncio.run(main())
sys.stdout.flush()
os._exit(0)
"""


def index_channel(channel: Path) -> str:
    """Write the channel's repodata.json with py-rattler's indexer (in a child process); its file:// URL."""
    subprocess.run([sys.executable, "-c", INDEX, str(channel)], check=True, timeout=120, capture_output=True)
    assert (channel / "noarch" / "repodata.json").is_file()
    return channel.resolve().as_uri()


def hpc_channel(channel: Path, with_old_python: bool = False) -> str:
    """A channel with `hpctool` (a command in bin/) and `hpcmod` (a pure Python module that its activate.d script
    puts on PYTHONPATH, as conda packages do); optionally a `python` 3.6 the runtime cannot run on."""
    make_conda_package(channel, "hpctool", "1.0", {"bin/hpctool": (b"#!/bin/sh\necho \"hpctool ok $1\"\n", 0o755)})
    make_conda_package(channel, "hpcmod", "1.0", {
        "lib/hpcmod/hpcmod.py": (b"def hello():\n    return 'hpcmod ok'\n", 0o644),
        "etc/conda/activate.d/hpcmod.sh":
            (b'export PYTHONPATH="$CONDA_PREFIX/lib/hpcmod${PYTHONPATH:+:$PYTHONPATH}"\n', 0o644),
    }, depends=("hpctool >=1.0",))
    if with_old_python:
        make_conda_package(channel, "python", "3.6.15", {"bin/python3.6": (b"#!/bin/sh\nexit 1\n", 0o755)})
    return index_channel(channel)


BACKEND = '''
"""In-tree PEP 517 backend of a test package: builds a one-module wheel, after a pause or with an error."""
import base64, hashlib, os, time, zipfile

NAME, VERSION, SLEEP, FAIL, PID_FILE = {name!r}, "1.0", {sleep!r}, {fail!r}, {pid_file!r}


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    if PID_FILE:
        with open(PID_FILE, "a") as f:
            f.write(f"{{os.getpid()}} {{os.getppid()}}\\n")
    for _ in range(int(SLEEP * 10)):
        time.sleep(0.1)
    if FAIL:
        raise RuntimeError(FAIL)
    files = {{f"{{NAME}}.py": f"VALUE = {{NAME!r}}\\n",
             f"{{NAME}}-{{VERSION}}.dist-info/METADATA": f"Metadata-Version: 2.1\\nName: {{NAME}}\\nVersion: {{VERSION}}\\n",
             f"{{NAME}}-{{VERSION}}.dist-info/WHEEL": "Wheel-Version: 1.0\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n"}}
    record = [f"{{p}},sha256={{base64.urlsafe_b64encode(hashlib.sha256(t.encode()).digest()).rstrip(b'=').decode()}},"
              f"{{len(t.encode())}}" for p, t in files.items()]
    files[f"{{NAME}}-{{VERSION}}.dist-info/RECORD"] = "\\n".join(record + [f"{{NAME}}-{{VERSION}}.dist-info/RECORD,,"]) + "\\n"
    wheel = f"{{NAME}}-{{VERSION}}-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, wheel), "w") as zf:
        for path, text in files.items():
            zf.writestr(path, text)
    return wheel
'''


def make_source_package(directory: Path, name: str, *, sleep: float = 0, fail: str | None = None,
                        pid_file: Path | None = None) -> Path:
    """A pip-installable source directory whose build takes `sleep` seconds, or fails with `fail`; the build
    appends "<backend pid> <pip pid>" to `pid_file`. Needs nothing from a package index."""
    root = directory / name
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text(textwrap.dedent(f"""\
        [build-system]
        requires = []
        build-backend = "backend"
        backend-path = ["."]

        [project]
        name = "{name}"
        version = "1.0"
    """))
    (root / "backend.py").write_text(BACKEND.format(name=name, sleep=sleep, fail=fail,
                                                    pid_file=str(pid_file) if pid_file else None))
    return root


def in_threads(fn, count: int = 3, timeout: float = 300) -> tuple[list, list]:
    """Run `fn()` in `count` threads at once (as concurrent plugin starts would); its results and exceptions."""
    import threading

    results, errors = [], []

    def run() -> None:
        try:
            results.append(fn())
        except Exception as exc:  # noqa: BLE001 - the caller asserts on them
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    assert not any(t.is_alive() for t in threads), f"a builder thread still runs after {timeout} s"
    return results, errors
