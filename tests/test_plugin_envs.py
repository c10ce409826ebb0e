"""Plugin requirements environments: built once into a cache, reused, refused when not allowed, never half-made."""

from __future__ import annotations

import base64
import hashlib
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from imjoy_hpc.plugins.envs import MARKER, EnvBuildError, EnvRefused, ensure_environment, environment_key
from imjoy_hpc.plugins.requirements import parse_requirements
from package_support import in_threads
from support import require, require_command

INDEX_PACKAGE = "tabulate==0.9.0"   # small, pure Python, not a dependency of imjoy-hpc


class Log(list):
    def __call__(self, line: str) -> None:
        self.append(line)

    def pip_lines(self) -> list[str]:
        return [line for line in self if line.startswith(("pip: ", "uv: "))]


def run_python(python: str, code: str) -> str:
    out = subprocess.run([python, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def make_wheel(directory: Path, name: str = "imjoyhpc_tiny", version: str = "1.0") -> Path:
    """A minimal pure-Python wheel, so pip can install it without the package index."""
    files = {
        f"{name}/__init__.py": f"VALUE = {name + '-' + version!r}\n",
        f"{name}-{version}.dist-info/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{name}-{version}.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
                                             "Tag: py3-none-any\n",
    }
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(text.encode())}")
    record_path = f"{name}-{version}.dist-info/RECORD"
    files[record_path] = "\n".join(record + [f"{record_path},,"]) + "\n"
    wheel = directory / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        for path, text in files.items():
            zf.writestr(path, text)
    return wheel


@pytest.fixture(scope="module")
def package_index(tmp_path_factory) -> None:
    """The package index must be reachable (it is on CI: the install step uses it)."""
    target = tmp_path_factory.mktemp("download")
    try:
        out = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check",
                              "-d", str(target), INDEX_PACKAGE], capture_output=True, text=True, timeout=120)
        ok = out.returncode == 0
    except subprocess.TimeoutExpired:
        ok = False
    require(ok, "the Python package index", f"pip must be able to download {INDEX_PACKAGE}")


@pytest.fixture
def wheel_req(tmp_path) -> str:
    return f"pip:{make_wheel(tmp_path)}"


def test_index_package_is_installed_into_a_cached_env_and_reused(tmp_path, package_index):
    assert subprocess.run([sys.executable, "-c", "import tabulate"], capture_output=True).returncode != 0, \
        "tabulate must not be installed in the test environment for this test to mean anything"
    log = Log()
    first = ensure_environment([f"pip:{INDEX_PACKAGE}"], cache_dir=tmp_path / "envs", log=log, name="Demo")
    assert first.created and first.path is not None and first.path.parent == tmp_path / "envs"
    assert any("tabulate" in line for line in log.pip_lines())
    # the env has the requirement and still sees the runtime's own packages
    out = run_python(first.python, "import tabulate, numpy, imjoy_hpc; print(tabulate.__version__)")
    assert out == "0.9.0"
    marker = first.path / MARKER
    stamp = marker.stat().st_mtime_ns

    log2 = Log()
    second = ensure_environment([f"pip:{INDEX_PACKAGE}"], cache_dir=tmp_path / "envs", log=log2, name="Demo")
    assert not second.created and second.python == first.python
    assert log2.pip_lines() == [] and marker.stat().st_mtime_ns == stamp
    built = sorted(p.name for p in (tmp_path / "envs").iterdir() if p.is_dir() and not p.name.startswith("."))
    assert built == [first.path.name]


def test_failed_install_leaves_no_env(tmp_path, package_index):
    missing = "imjoy-hpc-test-no-such-package-7f3c9a==1.0"
    for _ in range(2):  # a failure is not cached as a complete env: the second try fails the same way
        with pytest.raises(EnvBuildError) as err:
            ensure_environment([missing], cache_dir=tmp_path / "envs", log=Log(), name="Broken")
        assert "plugin Broken" in str(err.value) and "imjoy-hpc-test-no-such-package-7f3c9a" in str(err.value)
        assert [p for p in (tmp_path / "envs").iterdir() if p.is_dir() and not p.name.startswith(".")] == []


def test_local_wheel_env_is_reused_without_pip(tmp_path, wheel_req):
    log = Log()
    info = ensure_environment([wheel_req], cache_dir=tmp_path / "envs", log=log)
    assert info.created and log.pip_lines()
    assert run_python(info.python, "import imjoyhpc_tiny, numpy, dask; print(imjoyhpc_tiny.VALUE)") == "imjoyhpc_tiny-1.0"
    assert run_python(info.python, "import sys; print(sys.prefix)") == str(info.path)
    stamp = (info.path / MARKER).stat().st_mtime_ns
    log2 = Log()
    again = ensure_environment([wheel_req], cache_dir=tmp_path / "envs", log=log2, allow_install=False)
    assert again.python == info.python and not again.created
    assert log2.pip_lines() == [] and (info.path / MARKER).stat().st_mtime_ns == stamp


def test_installing_disabled_is_refused(tmp_path, wheel_req):
    with pytest.raises(EnvRefused) as err:
        ensure_environment([wheel_req, "numpy"], cache_dir=tmp_path / "envs", allow_install=False, name="X",
                           log=Log())
    wheel = wheel_req.removeprefix("pip:")
    assert str(err.value) == (f"plugin X needs pip packages {wheel}, but installing requirements is disabled by "
                              "the site config (imjoy-hpc.plugins.install-requirements)")
    assert not (tmp_path / "envs").exists()


def test_requirements_met_by_the_base_python_need_no_env(tmp_path):
    log = Log()
    info = ensure_environment(["numpy", "pip:dask>=2024.1 PyYAML"], cache_dir=tmp_path / "envs", log=log,
                              allow_install=False)
    assert info.python == sys.executable and info.path is None and not (tmp_path / "envs").exists()
    with pytest.raises(EnvRefused, match="plugin Old needs pip packages numpy<1.0, but installing"):
        ensure_environment(["numpy<1.0", "dask"], cache_dir=tmp_path / "envs", allow_install=False, name="Old",
                           log=log)


def test_no_requirements_means_the_base_python(tmp_path):
    assert ensure_environment([], cache_dir=tmp_path).python == sys.executable
    assert ensure_environment(None, cache_dir=tmp_path, python="/some/python").python == "/some/python"


def test_half_made_env_is_rebuilt(tmp_path, wheel_req):
    info = ensure_environment([wheel_req], cache_dir=tmp_path / "envs", log=Log())
    (info.path / MARKER).unlink()                 # as if the builder died before finishing
    (info.path / "leftover").write_text("junk")
    log = Log()
    again = ensure_environment([wheel_req], cache_dir=tmp_path / "envs", log=log)
    assert again.created and again.path == info.path and (info.path / MARKER).is_file()
    assert not (info.path / "leftover").exists()
    assert any("removing incomplete environment" in line for line in log)


def test_concurrent_builders_build_once(tmp_path, wheel_req):
    log = Log()
    results, errors = in_threads(lambda: ensure_environment([wheel_req], cache_dir=tmp_path / "envs", log=log))
    assert errors == []
    assert len({r.python for r in results}) == 1 and sum(r.created for r in results) == 1
    assert sum("installing pip packages" in line for line in log) == 1
    assert run_python(results[0].python, "import imjoyhpc_tiny; print('ok')") == "ok"


@pytest.mark.parametrize("requirements, env, message", [
    ([], "module load fftw", "plugin C requirement 'module load fftw' would run a command or clone a repository at "
                             "install time, which this site turned off (imjoy-hpc.plugins.allow-requirement-commands: "
                             "false)"),
    ([], [{"type": "docker"}], "plugin C: env entry {'type': 'docker'}: unknown type 'docker'"),
    ([], "conda create -p /tmp/x numpy", "remove -p/--prefix"),
    (["cmd:make"], None, "plugin C requirement 'cmd:make' would run a command or clone a repository"),
    (["repo:https://example.org/x.git"], None, "plugin C requirement 'repo:https://example.org/x.git' would run"),
])
def test_unsupported_or_unsafe_requirements_are_refused(tmp_path, requirements, env, message):
    """Refused when the site turned commands off (they run by default: test_commands_run_once_when_allowed)."""
    with pytest.raises(EnvRefused) as err:
        ensure_environment(requirements, env=env, cache_dir=tmp_path, name="C", log=Log(), allow_commands=False)
    assert message in str(err.value)
    assert list(tmp_path.iterdir()) == []


def test_commands_run_once_when_allowed(tmp_path):
    reqs = ["cmd:echo built >> built.txt"]
    info = ensure_environment(reqs, cache_dir=tmp_path / "envs", allow_commands=True, log=Log())
    again = ensure_environment(reqs, cache_dir=tmp_path / "envs", allow_commands=True, log=Log())
    assert again.path == info.path and not again.created
    assert info.work_dir == info.path / "work" and (info.work_dir / "built.txt").read_text() == "built\n"


def test_failing_or_hanging_command_leaves_no_env(tmp_path):
    with pytest.raises(EnvBuildError, match="requirement command 'exit 3' exited with 3"):
        ensure_environment(["cmd:exit 3"], cache_dir=tmp_path / "envs", allow_commands=True, log=Log())
    with pytest.raises(EnvBuildError, match="did not finish within 2 s"):
        ensure_environment(["cmd:sleep 60"], cache_dir=tmp_path / "envs", allow_commands=True, log=Log(), timeout=2)
    assert [p for p in (tmp_path / "envs").iterdir() if p.is_dir() and not p.name.startswith(".")] == []


def test_repo_requirement_clones_when_allowed(tmp_path):
    git = require_command("git", "install git (apt-get install git)")
    source = tmp_path / "toolrepo"
    source.mkdir()
    (source / "tool.py").write_text("X = 1\n")
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@localhost", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@localhost", "HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    for cmd in (["init", "-q"], ["add", "tool.py"], ["commit", "-q", "-m", "init"]):
        subprocess.run([git, *cmd], cwd=source, env=env, check=True, timeout=60, capture_output=True)
    info = ensure_environment([f"repo:file://{source} tools"], cache_dir=tmp_path / "envs", allow_commands=True,
                              log=Log())
    assert info.repos == {"tools": info.path / "work" / "tools"} and info.work_dir == info.path / "work"
    assert (info.repos["tools"] / "tool.py").read_text() == "X = 1\n"


def test_environment_key_ignores_order_but_not_versions():
    probe = {"version": "cpython-3.11.7", "short": "py311", "site_dirs": ["/opt/site"]}
    a = environment_key(parse_requirements(["pip:b A"]), probe)
    b = environment_key(parse_requirements(["a", "b"]), probe)
    assert a == b and a.startswith("py311-")
    assert environment_key(parse_requirements(["a==2", "b"]), probe) != a
    assert environment_key(parse_requirements(["a", "b"]), dict(probe, version="cpython-3.11.8")) != a
    assert environment_key(parse_requirements(["a", "b"]), dict(probe, site_dirs=["/other"])) != a


DEMO_DRIVER = r"""
import sys, types

class Api:
    TAG = None
    def log(self, *a): pass
    def export(self, obj): self.exported = obj

api = Api()
sys.modules["imjoy"] = types.SimpleNamespace(api=api)
exec(compile(open(sys.argv[1]).read(), sys.argv[2], "exec"), {"__name__": "imjoy_plugin"})
api.exported.setup()
print(api.exported.run(None))
"""


def test_requirements_demo_example_runs_in_its_env(tmp_path, package_index):
    from imjoy_hpc.plugins.catalog import examples_dir
    from imjoy_hpc.plugins.parser import parse_plugin

    spec = parse_plugin(examples_dir() / "requirements-demo.imjoy.html")
    info = ensure_environment(spec.requirements, cache_dir=tmp_path / "envs", name=spec.name, log=Log())
    assert info.python != sys.executable
    script = tmp_path / "script.py"
    script.write_text(spec.script)
    out = subprocess.run([info.python, "-c", DEMO_DRIVER, str(script), spec.filename], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["a", "b", "---", "---", "1", "2", "3", "4"]


def test_resolve_as_of_installs_the_release_of_that_date_in_an_env_of_its_own(tmp_path, package_index):
    log = Log()
    old = ensure_environment(["tabulate"], cache_dir=tmp_path / "envs", log=log, resolve_as_of="2021-06-01")
    assert run_python(old.python, "import tabulate; print(tabulate.__version__)") == "0.8.9"  # 0.8.10: 2022
    assert any("installing pip packages tabulate as of 2021-06-01" in line for line in log)
    today = ensure_environment(["tabulate"], cache_dir=tmp_path / "envs", log=Log())
    assert today.path != old.path
    assert run_python(today.python, "import tabulate; print(tabulate.__version__)") != "0.8.9"


def test_site_pip_settings_reach_uv(tmp_path, monkeypatch):
    from imjoy_hpc.plugins.uv_install import uv_variables

    links = tmp_path / "wheels"
    links.mkdir()
    conf = tmp_path / "pip.conf"
    conf.write_text(f"[global]\nindex-url = https://mirror.example.org/simple\n"
                    f"find-links = {links} /no/such/dir\n[install]\ntrusted-host = mirror.example.org\n")
    monkeypatch.setenv("PIP_CONFIG_FILE", str(conf))
    monkeypatch.setenv("PIP_EXTRA_INDEX_URL", "https://extra.example.org/simple")
    for name in ("UV_INDEX_URL", "UV_FIND_LINKS", "UV_EXTRA_INDEX_URL", "UV_INSECURE_HOST", "UV_INDEX_STRATEGY",
                 "PIP_INDEX_URL", "PIP_FIND_LINKS", "PIP_TRUSTED_HOST", "PIP_NO_INDEX"):
        monkeypatch.delenv(name, raising=False)
    variables = uv_variables(tmp_path / "cache", "2021-06-01")
    assert variables["UV_INDEX_URL"] == "https://mirror.example.org/simple"
    assert variables["UV_FIND_LINKS"] == str(links)  # a location that does not exist is left out, as pip does
    assert variables["UV_EXTRA_INDEX_URL"] == "https://extra.example.org/simple"
    assert variables["UV_INSECURE_HOST"] == "mirror.example.org"
    assert variables["UV_INDEX_STRATEGY"] == "unsafe-best-match" and variables["UV_EXCLUDE_NEWER"] == "2021-06-01"
    assert variables["UV_CACHE_DIR"] == str(tmp_path / "cache")


def test_failing_line_names_the_cause_and_hides_passwords_in_urls():
    from imjoy_hpc.plugins.envs import failing_line

    lines = ["Collecting git+https://user:s3cret@gitlab.example.org/x.git",
             "  Running command git clone --filter=blob:none --quiet 'https://user:s3cret@gitlab.example.org/x.git'",
             "  fatal: unable to access 'https://user:s3cret@gitlab.example.org/x.git/': Could not resolve host",
             "  error: subprocess-exited-with-error",
             "note: This error originates from a subprocess, and is likely not a problem with pip."]
    line = failing_line(lines)
    assert line.startswith("fatal: unable to access 'https://user:****@gitlab.example.org/x.git/'"), line
    assert failing_line(["building...", "note: This error originates from a subprocess"]) == "building..."


def test_a_failing_command_requirement_is_reported_without_its_password(tmp_path):
    with pytest.raises(EnvBuildError) as err:
        ensure_environment(["cmd:echo 'fatal: cannot reach https://me:hunter2@example.org/r.git' && exit 3"],
                           cache_dir=tmp_path, log=Log())
    assert "hunter2" not in str(err.value) and "https://me:****@example.org/r.git" in str(err.value)
