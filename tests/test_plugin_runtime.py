"""The plugin runtime on a Python other than the gateway's: which modules and packages it is, the directory of
this installation's runtime modules, old Python pins raised (or refused) and the runtime's packages solved into
the env by the real solver from a local channel, failures naming the package, and every runtime module imported
by a real Python 3.9 (Debian's pypy3) from a conda env built from a channel of it."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from imjoy_hpc.plugins.envs import ensure_environment
from imjoy_hpc.plugins.runtime import CONDA_SPECS, IMPORT_NAMES, module_files, modules, runtime_dir
from package_support import RUNTIME, in_threads, index_channel, make_conda_package
from pypy_support import PACKAGES, pypy_channel

pytestmark = pytest.mark.timeout(240)

# What the plugin process imports, asked of a fresh interpreter: modules of imjoy_hpc, and the top-level names of
# packages from site-packages (beyond those a bare start of this venv already has).
IMPORTS = r"""
import json, sys, sysconfig
site = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
before = set(sys.modules)
import imjoy_hpc.plugins.host, imjoy_hpc.plugins.remote_array
new = [sys.modules[m] for m in set(sys.modules) - before]
print(json.dumps({
    "ours": sorted(m.__name__ for m in new if m.__name__.split(".")[0] == "imjoy_hpc"),
    "theirs": sorted({m.__name__.split(".")[0] for m in new if m.__name__.split(".")[0] != "imjoy_hpc"
                      and any(str(getattr(m, "__file__", None) or "").startswith(s + "/") for s in site)}),
}))
"""


def test_the_runtime_is_what_the_plugin_process_imports():
    out = subprocess.run([sys.executable, "-c", IMPORTS], capture_output=True, text=True, timeout=120, cwd="/")
    assert out.returncode == 0, out.stderr
    imported = json.loads(out.stdout)
    assert set(imported["ours"]) <= set(modules()), set(imported["ours"]) - set(modules())
    assert set(imported["theirs"]) <= set(IMPORT_NAMES), set(imported["theirs"])
    # every package the runtime imports is a conda spec of its own, and the pypy channel gives each of them
    assert len(CONDA_SPECS) == len(IMPORT_NAMES) == len(PACKAGES)
    assert {spec.split()[0] for spec in CONDA_SPECS} == {conda for conda, _ in PACKAGES.values()}
    assert not any(f"imjoy_hpc.{package}" in " ".join(modules()) for package in ("gateway", "transport", "cluster"))


# Library names newer than Python 3.9 (attributes, or names too where marked), and keywords of calls newer than it.
NEWER_ATTRIBUTES = {"TaskGroup", "pairwise", "bit_count", "stdlib_module_names", "UnionType", "ParamSpec",
                    "TypeAlias", "TypeGuard", "Concatenate", "Self", "StrEnum", "file_digest", "get_annotations"}
NEWER_NAMES = {"aiter", "anext", "EncodingWarning", "ExceptionGroup", "BaseExceptionGroup", "tomllib"}
NEWER_KEYWORDS = {"zip": {"strict"}, "dataclass": {"slots", "kw_only"}, "field": {"kw_only"}}


def python_3_10_uses(source: str, name: str) -> list[str]:
    """What a module's source needs Python 3.10 or newer for: syntax (match, except*), library names, call
    keywords, `X | Y` of types evaluated at run time (isinstance, issubclass; annotations without
    `from __future__ import annotations`)."""
    try:
        tree = ast.parse(source, name, feature_version=(3, 9))
    except SyntaxError as exc:
        return [f"{name}:{exc.lineno}: {exc.msg}"]
    found, annotations = [], []
    for node in ast.walk(tree):
        where = f"{name}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Attribute) and (node.attr in NEWER_ATTRIBUTES | NEWER_NAMES or (
                node.attr == "timeout" and isinstance(node.value, ast.Name) and node.value.id == "asyncio")):
            found.append(f"{where}: .{node.attr}")
        elif isinstance(node, ast.Name) and node.id in NEWER_NAMES:
            found.append(f"{where}: {node.id}")
        elif isinstance(node, ast.Call):
            called = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            found += [f"{where}: {called}({k.arg}=)" for k in node.keywords if k.arg in NEWER_KEYWORDS.get(called, ())]
            if called in ("isinstance", "issubclass") and len(node.args) == 2 and isinstance(node.args[1], ast.BinOp):
                found.append(f"{where}: {called} with X | Y")
        if isinstance(node, (ast.arg, ast.AnnAssign)) and node.annotation is not None:
            annotations.append(node.annotation)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.returns is not None:
            annotations.append(node.returns)
    if "from __future__ import annotations" not in source:
        found += [f"{name}:{n.lineno}: X | Y in an annotation" for a in annotations for n in ast.walk(a)
                  if isinstance(n, ast.BinOp) and isinstance(n.op, ast.BitOr)]
    return found


def test_runtime_source_is_python_3_9():
    assert [use for rel, path in module_files().items() for use in python_3_10_uses(path.read_text(), rel)] == []
    newer = ("import asyncio\ndef f(x: int | None, y):\n    async def g():\n        async with asyncio.TaskGroup():\n"
             "            pass\n    return isinstance(y, int | str), list(zip(x, y, strict=True))\n")
    assert sorted(use.split(": ", 1)[1] for use in python_3_10_uses(newer, "m.py")) == [
        ".TaskGroup", "X | Y in an annotation", "isinstance with X | Y", "zip(strict=)"]
    assert "Pattern matching" in python_3_10_uses("match x:\n    case 1:\n        pass\n", "m.py")[0]


def test_runtime_dir_links_just_the_runtime_modules_once(tmp_path):
    results, errors = in_threads(lambda: runtime_dir(tmp_path))
    assert errors == [] and len(set(results)) == 1
    made = results[0]
    files = sorted(p.relative_to(made).as_posix() for p in made.rglob("*") if not p.is_dir())
    assert files == sorted(module_files())
    assert all((made / f).is_symlink() and (made / f).resolve() == module_files()[f] for f in files)
    assert [p.name for p in made.parent.iterdir()] == [made.name]  # no half-made directory left
    assert runtime_dir(tmp_path) == made


# ------------------------------------------------------------------------------------------- solving (fakes)
@pytest.fixture(scope="module")
def fake_channel(tmp_path_factory) -> str:
    """Pythons 3.6, 3.9, the gateway's (x.y.0; x.y.1 a PyPy) and 3.12 (records only: nothing here runs); numpy
    1.16 for Python < 3.8 and 1.26 for 3.9+; tornado for Python < 3.12; msgpack-python; hpctool."""
    channel = tmp_path_factory.mktemp("runtime-channel")
    for version, build in (("3.6.15", "0"), ("3.9.16", "0"), (f"{RUNTIME}.0", "0"), (f"{RUNTIME}.1", "1_pypy"),
                           ("3.12.1", "0")):
        make_conda_package(channel, "python", version, {f"bin/python-{version}": (b"#!/bin/sh\nexit 1\n", 0o755)},
                           build=build)
    for name, version, depends in (("numpy", "1.16.6", "python >=3.6,<3.8"), ("numpy", "1.26.4", "python >=3.9"),
                                   ("tornado", "6.4.1", "python >=3.8,<3.12"), ("msgpack-python", "1.0.8", "python"),
                                   ("hpctool", "1.0", None)):
        make_conda_package(channel, name, version, {f"share/{name}-{version}": (b"x\n", 0o644)},
                           depends=(depends,) if depends else ())
    return index_channel(channel)


def build(tmp_path: Path, channel: str, specs: list[str], old_python: str = "raise") -> tuple[int, str, dict]:
    """Run the conda builder on `specs`: (exit status, its output, installed package -> version)."""
    prefix = tmp_path / "env"
    job = {"prefix": str(prefix), "specs": specs, "channels": [channel], "cache_dir": str(tmp_path / "cache"),
           "tool": None, "runtime_python": RUNTIME, "runtime_implementation": "cpython",
           "runtime_specs": list(CONDA_SPECS), "old_python": old_python}
    out = subprocess.run([sys.executable, "-m", "imjoy_hpc.plugins.conda_build"], input=json.dumps(job),
                         capture_output=True, text=True, timeout=120)
    installed = {}
    for meta in (prefix / "conda-meta").glob("*.json"):
        record = json.loads(meta.read_text())
        if "name" in record:
            installed[record["name"]] = record["version"]
    return out.returncode, out.stdout + out.stderr, installed


def test_an_old_python_pin_is_raised_and_the_runtime_packages_are_solved_in(tmp_path, fake_channel):
    rc, out, installed = build(tmp_path, fake_channel, ["python=3.6", "hpctool"])
    assert rc == 0, out
    assert ("WARNING: the environment asks for python=3.6, but the imjoy-hpc plugin runtime runs on Python 3.9 or "
            "newer: it gets Python 3.9 instead (imjoy-hpc.plugins.conda.old-python: raise)") in out.splitlines()
    assert installed == {"python": "3.9.16", "hpctool": "1.0", "numpy": "1.26.4", "tornado": "6.4.1",
                         "msgpack-python": "1.0.8"}


def test_the_gateways_python_needs_nothing_added(tmp_path, fake_channel):
    rc, out, installed = build(tmp_path, fake_channel, [f"python={RUNTIME}.0", "hpctool"])
    assert rc == 0, out
    assert installed == {"python": f"{RUNTIME}.0", "hpctool": "1.0"} and "WARNING" not in out


def test_a_pypy_of_the_gateways_version_gets_the_runtime_packages(tmp_path, fake_channel):
    rc, out, installed = build(tmp_path / "pypy", fake_channel, [f"python={RUNTIME}.1", "hpctool"])
    assert rc == 0, out
    assert f"the environment's Python is {RUNTIME}.1 (PyPy), not the gateway's {RUNTIME}: solving" in out
    assert installed == {"python": f"{RUNTIME}.1", "hpctool": "1.0", "numpy": "1.26.4", "tornado": "6.4.1",
                         "msgpack-python": "1.0.8"}


def test_an_old_python_pin_is_refused_when_the_site_says_so(tmp_path, fake_channel):
    rc, out, installed = build(tmp_path, fake_channel, ["python=3.6", "hpctool"], old_python="refuse")
    assert rc == 3 and installed == {}
    assert out.splitlines()[-1] == (
        "ERROR: the environment asks for python=3.6, but the imjoy-hpc plugin runtime runs on Python 3.9 or newer "
        "and this site does not raise older pins (imjoy-hpc.plugins.conda.old-python: refuse); pin python=3.9 or "
        "newer")


@pytest.mark.parametrize("specs", [["python=3.6", "numpy=1.16"], ["numpy=1.16"]], ids=["pinned", "implied"])
def test_a_package_that_cannot_be_had_for_the_raised_python_is_named(tmp_path, fake_channel, specs):
    rc, out, installed = build(tmp_path, fake_channel, specs)
    assert rc == 1 and installed == {}
    asked = "python=3.6" if "python=3.6" in specs else "packages that need Python 3.6.15 (numpy=1.16)"
    assert f"WARNING: the environment asks for {asked}, but" in out
    error = out.splitlines()[-1]
    assert error.startswith(f"ERROR: numpy=1.16 cannot be had for Python 3.9 from {fake_channel} (the environment "
                            f"asked for {asked}, raised to 3.9 because the imjoy-hpc plugin runtime runs on "
                            "Python 3.9 or newer): "), error


def test_a_runtime_package_missing_for_the_envs_python_is_named(tmp_path, fake_channel):
    rc, out, installed = build(tmp_path, fake_channel, ["python=3.12", "hpctool"])
    assert rc == 1 and installed == {}
    assert out.splitlines()[-1].startswith(
        f"ERROR: tornado >=6.3,<7 (needed by the imjoy-hpc plugin runtime) cannot be had for Python 3.12 from "
        f"{fake_channel}: "), out


# A site's conda command, as far as the builder uses it: `create --prefix P ... SPECS` records its specs and
# leaves the Python a solver would pick in conda-meta (3.9 for "python 3.9.*", 3.12 for "python >=3.9", the
# pinned one, or 3.7 when numpy=1.16 asks for an old one without a pin).
FAKE_CONDA = r"""
import json, os, sys
args = sys.argv[1:]
prefix = args[args.index("--prefix") + 1]
specs = [a for i, a in enumerate(args) if not a.startswith("-") and args[i - 1] not in ("--prefix", "--channel")
         and a != "create"]
with open(os.environ["FAKE_CONDA_LOG"], "a") as log:
    log.write(json.dumps(specs) + "\n")
python = next((s for s in specs if s.startswith("python")), None)
version = {"python 3.9.*": "3.9.16", "python >=3.9": "3.12.1"}.get(python) or (python.split("=")[1] + ".0" if python
                                                                               else "3.7.3" if "numpy=1.16" in specs
                                                                               else None)
os.makedirs(os.path.join(prefix, "conda-meta"), exist_ok=True)
if version:
    with open(os.path.join(prefix, "conda-meta", f"python-{version}-0.json"), "w") as f:
        json.dump({"name": "python", "version": version}, f)
"""


@pytest.mark.parametrize("specs, calls, warned", [
    (["python=3.6", "hpctool"], [["hpctool", "python 3.9.*"], ["hpctool", "python 3.9.*", *CONDA_SPECS]], True),
    (["numpy=1.16"], [["numpy=1.16"], ["numpy=1.16", "python >=3.9"], ["numpy=1.16", "python >=3.9", *CONDA_SPECS]],
     True),
    ([f"python={RUNTIME}", "hpctool"], [[f"python={RUNTIME}", "hpctool"]], False),
], ids=["pinned", "implied", "gateways"])
def test_the_sites_conda_command_gets_the_raised_pin_and_the_runtime_packages(tmp_path, specs, calls, warned):
    tool = tmp_path / "conda"
    tool.write_text(f"#!{sys.executable}\n{FAKE_CONDA}")
    tool.chmod(0o755)
    log = tmp_path / "calls.jsonl"
    job = {"prefix": str(tmp_path / "env"), "specs": specs, "channels": ["file:///mirror"], "cache_dir": str(tmp_path),
           "tool": str(tool), "runtime_python": RUNTIME, "runtime_specs": list(CONDA_SPECS), "old_python": "raise"}
    out = subprocess.run([sys.executable, "-m", "imjoy_hpc.plugins.conda_build"], input=json.dumps(job),
                         capture_output=True, text=True, timeout=60, env={**os.environ, "FAKE_CONDA_LOG": str(log)})
    assert out.returncode == 0, out.stdout + out.stderr
    assert [json.loads(line) for line in log.read_text().splitlines()] == calls
    assert ("WARNING: the environment asks for " in out.stdout) is warned
    refused = subprocess.run([sys.executable, "-m", "imjoy_hpc.plugins.conda_build"],
                             input=json.dumps({**job, "old_python": "refuse"}), capture_output=True, text=True,
                             timeout=60, env={**os.environ, "FAKE_CONDA_LOG": str(tmp_path / "refused.jsonl")})
    assert refused.returncode == (3 if warned else 0), refused.stdout
    assert (tmp_path / "refused.jsonl").exists() is (not warned or specs == ["numpy=1.16"])


# ------------------------------------------------------------------------------------------ a real Python 3.9
@pytest.fixture(scope="module")
def pypy_env(tmp_path_factory):
    """A conda env whose Python is pypy3 (3.9), built by ensure_environment from the pypy channel."""
    channel, version = pypy_channel()
    warnings: list[str] = []
    info = ensure_environment([], env="conda create -n old-style python=3.6 numpy",
                              cache_dir=tmp_path_factory.mktemp("pypy-envs"), conda={"channels": [channel]},
                              log=lambda line: None, warn=warnings.append, name="Old Style")
    return info, version, warnings


def test_every_runtime_module_imports_on_python_3_9(pypy_env):
    info, version, warnings = pypy_env
    assert warnings == ["the environment asks for python=3.6, but the imjoy-hpc plugin runtime runs on Python 3.9 "
                        "or newer: it gets Python 3.9 instead (imjoy-hpc.plugins.conda.old-python: raise)"]
    code = ("import importlib, json, sys\n"
            "for name in json.loads(sys.argv[1]):\n"
            "    importlib.import_module(name)\n"
            "import imjoy_hpc, numpy, tornado, msgpack\n"
            "print(sys.implementation.name, '%d.%d.%d' % sys.version_info[:3], imjoy_hpc.__file__, numpy.__file__)\n")
    out = subprocess.run([info.python, "-c", code, json.dumps(modules())], capture_output=True, text=True,
                         timeout=120, env={**os.environ, **info.variables}, cwd="/")
    assert out.returncode == 0, out.stderr[-3000:]
    implementation, python, ours, numpy = out.stdout.split()
    assert (implementation, python) == ("pypy", version)
    runtime = Path(info.variables["PYTHONPATH"].split(os.pathsep)[0])
    assert Path(ours).parent.parent == runtime and Path(numpy).is_relative_to(info.path)
    # the env holds no .pth into the gateway's own (CPython) packages
    assert not list(info.path.rglob("_imjoy_hpc_parent_site.pth"))
