"""Conda environments of plugins, solved and installed by the real solver (py-rattler) from a local channel the
test makes itself: created once per content, reused, activated; failures named."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from imjoy_hpc.plugins.conda import parse_env
from imjoy_hpc.plugins.envs import EnvBuildError, ensure_environment
from package_support import hpc_channel, in_threads, make_source_package

pytestmark = pytest.mark.timeout(240)


class Log(list):
    def __call__(self, line: str) -> None:
        self.append(line)


@pytest.fixture(scope="module")
def channel(tmp_path_factory) -> str:
    return hpc_channel(tmp_path_factory.mktemp("channel"), with_old_python=True)


def run_in(info, code: str) -> str:
    out = subprocess.run([info.python, "-c", code], capture_output=True, text=True, timeout=60,
                         env={**os.environ, **info.variables})
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_env_forms_of_published_plugins_are_read(tmp_path):
    req = parse_env("conda create -n care-cpu -c conda-forge python=3.6.7 numpy", ("fftw",))
    assert req.name == "care-cpu" and req.specs == ("python=3.6.7", "numpy", "fftw") and req.channels == ("conda-forge",)
    req = parse_env(["conda create -y -n x", "conda install -c bioconda samtools", "pip install tifffile",
                     {"type": "binder", "spec": "someone/repo/master"}, {"type": "variable", "options": {"A": 1}}])
    assert req.specs == ("samtools",) and req.pip == ("tifffile",) and req.variables == {"A": "1"}
    assert any("binder" in note and "skipped" in note for note in req.notes)
    (tmp_path / "environment.yml").write_text("name: e\nchannels: [c1]\ndependencies: [hpctool, {pip: [tabulate]}]\n")
    req = parse_env("conda env create -f environment.yml", work_dir=tmp_path)
    assert req.name == "e" and req.specs == ("hpctool",) and req.pip == ("tabulate",) and req.channels == ("c1",)
    assert parse_env([{"type": "binder", "spec": "x"}]).specs == ()
    assert parse_env(None) is None and parse_env("") is None


def test_env_is_solved_installed_cached_and_activated(tmp_path, channel):
    conda = {"channels": [channel]}
    log, steps = Log(), Log()
    info = ensure_environment([], env="conda create -n hpcenv hpcmod", cache_dir=tmp_path / "envs", log=log,
                              progress=steps, conda=conda, name="Conda Demo")
    assert info.created and info.path.name.startswith("conda-")
    assert any("solving" in line and "hpcmod" in line for line in log), log
    assert steps and "conda packages hpcmod" in steps[0]
    # no Python in the env: the base Python runs the plugin with the env activated (PATH, activate.d scripts)
    assert info.python == sys.executable and info.variables["CONDA_PREFIX"] == str(info.path)
    assert run_in(info, "import hpcmod, subprocess; print(hpcmod.hello()); "
                        "print(subprocess.run(['hpctool', 'x'], capture_output=True, text=True).stdout)") \
        == "hpcmod ok\nhpctool ok x"
    log2, steps2 = Log(), Log()
    again = ensure_environment([], env="conda create -n hpcenv hpcmod", cache_dir=tmp_path / "envs", log=log2,
                               progress=steps2, conda=conda)
    assert not again.created and again.path == info.path and steps2 == []
    assert not any("solving" in line for line in log2)
    # conda: requirements ask for the same kind of environment
    other = ensure_environment(["conda:hpctool"], cache_dir=tmp_path / "envs", log=Log(), conda=conda)
    assert other.created and other.path != info.path
    assert run_in(other, "import shutil; print(shutil.which('hpctool'))") == str(other.path / "bin" / "hpctool")


def test_concurrent_starts_build_one_env(tmp_path, channel):
    conda, log = {"channels": [channel]}, Log()
    results, errors = in_threads(
        lambda: ensure_environment(["conda:hpctool"], cache_dir=tmp_path / "envs", log=log, conda=conda))
    assert errors == [] and len(results) == 3 and sum(r.created for r in results) == 1
    assert sum(line.startswith("conda: solving") for line in log) == 1


def test_pip_packages_on_top_of_a_conda_env(tmp_path, channel):
    source = make_source_package(tmp_path / "src", "hpc_piponly")
    info = ensure_environment([f"pip:{source}", "conda:hpctool"], cache_dir=tmp_path / "envs", log=Log(),
                              conda={"channels": [channel]})
    assert info.python != sys.executable
    assert run_in(info, "import hpc_piponly, shutil; print(hpc_piponly.VALUE, bool(shutil.which('hpctool')))") \
        == "hpc_piponly True"


def test_unsolvable_and_unsupported_python_are_named(tmp_path, channel):
    conda = {"channels": [channel]}
    with pytest.raises(EnvBuildError) as err:
        ensure_environment(["conda:hpctool>=2"], cache_dir=tmp_path / "envs", log=Log(), conda=conda, name="Nope")
    assert "plugin Nope: the conda solver failed" in str(err.value) and "hpctool >=2" in str(err.value)
    with pytest.raises(EnvBuildError) as err:
        ensure_environment([], env="conda create -n old python=3.6 hpctool", cache_dir=tmp_path / "envs",
                           log=Log(), conda=conda, name="Old")
    # python=3.6 is raised to 3.9, the oldest Python the plugin runtime runs on, which this channel does not have
    assert str(err.value).startswith("plugin Old: Python 3.9 cannot be had from "), str(err.value)
    assert "(the environment asked for python=3.6, raised to 3.9 because" in str(err.value)
    with pytest.raises(EnvBuildError) as err:
        ensure_environment([], env="conda create -n old python=3.6 hpctool", cache_dir=tmp_path / "envs",
                           log=Log(), conda={**conda, "old-python": "refuse"}, name="Old")
    assert str(err.value).startswith("plugin Old: the environment asks for python=3.6, but the imjoy-hpc plugin "
                                     "runtime runs on Python 3.9 or newer and this site does not raise older pins "
                                     "(imjoy-hpc.plugins.conda.old-python: refuse)"), str(err.value)
    assert [p for p in (tmp_path / "envs").iterdir() if p.is_dir() and not p.name.startswith(".")] == []
