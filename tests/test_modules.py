"""`module load imjoy` with the real Lmod and the real Tcl Environment Modules, from the modulefiles in
configs/modulefiles filled in by scripts/install-modulefile.sh."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from imjoy_hpc import __version__
from support import require, require_command

REPO = Path(__file__).resolve().parent.parent
INSTALL = REPO / "scripts" / "install-modulefile.sh"
LMOD_INIT = Path("/usr/share/lmod/lmod/init/bash")
TCL_MODULECMD = Path(os.environ.get("IMJOY_HPC_TCL_MODULECMD",
                                    "/opt/imjoy-hpc-ci/environment-modules/modulecmd.tcl"))
CLEAN_PATH = "/usr/local/bin:/usr/bin:/bin"


@pytest.fixture
def site(tmp_path) -> dict:
    """An install prefix whose bin/ holds only imjoy-hpc, a site config, and a clean user environment."""
    command = Path(sys.executable).parent / "imjoy-hpc"
    require(command.is_file(), f"the imjoy-hpc console script beside {sys.executable}",
            "install the package: pip install -e .")
    prefix = tmp_path / "opt" / "imjoy-hpc"
    (prefix / "bin").mkdir(parents=True)
    (prefix / "bin" / "imjoy-hpc").symlink_to(command)
    config = tmp_path / "etc" / "site.yaml"
    config.parent.mkdir()
    config.write_text("imjoy-hpc:\n  default-profile: sitewide\n"
                      "  profiles:\n    sitewide: {backend: local, processes: 1}\n")
    home = tmp_path / "home"
    home.mkdir()
    env = {"HOME": str(home), "PATH": CLEAN_PATH, "LANG": "C.UTF-8", "TERM": "dumb"}
    return {"prefix": prefix, "config": config, "env": env, "modules": tmp_path / "modulefiles"}


def install(site: dict, kind: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(INSTALL), str(site["prefix"]), str(site["config"]), str(site["modules"]),
                           kind], capture_output=True, text=True, timeout=30)


def check_loaded(out: str, site: dict) -> None:
    lines = out.splitlines()
    assert "before: none" in lines  # imjoy-hpc is not on the clean PATH before `module load`
    assert f"which: {site['prefix']}/bin/imjoy-hpc" in lines
    assert f"imjoy-hpc {__version__}" in lines
    assert f"config: {site['config']}" in lines
    # imjoy-hpc itself picks the site config up through $IMJOY_HPC_CONFIG.
    assert re.search(rf"^imjoy-hpc\.default-profile\s+= sitewide\s+# \$IMJOY_HPC_CONFIG {re.escape(str(site['config']))}$",
                     out, re.M), out
    assert "after unload: none" in lines and "config after unload: unset" in lines


PROBE = """
echo "before: $(command -v imjoy-hpc || echo none)"
{load}
echo "which: $(command -v imjoy-hpc)"
imjoy-hpc --version
echo "config: $(printenv IMJOY_HPC_CONFIG)"
imjoy-hpc config default-profile
{unload}
echo "after unload: $(command -v imjoy-hpc || echo none)"
echo "config after unload: ${{IMJOY_HPC_CONFIG:-unset}}"
"""


def test_modulefiles_match_the_package_version():
    lua = REPO / "configs" / "modulefiles" / "lmod" / "imjoy" / f"{__version__}.lua"
    tcl = REPO / "configs" / "modulefiles" / "tcl" / "imjoy" / __version__
    assert lua.is_file() and tcl.is_file(), "rename the modulefiles after a version change"
    assert f'whatis("Version: {__version__}")' in lua.read_text()
    assert tcl.read_text().startswith("#%Module") and f"imjoy-hpc {__version__}" in tcl.read_text()


def test_lmod_module_load_imjoy(site):
    require(LMOD_INIT.is_file(), "Lmod", "apt-get install lmod (scripts/ci/install.sh does)")
    p = install(site, "lmod")
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == [f"{site['modules']}/imjoy/{__version__}.lua"]
    script = f"source {LMOD_INIT}\nmodule use {site['modules']}\n" + PROBE.format(
        load="module load imjoy", unload="module unload imjoy")
    out = subprocess.run(["bash", "-lc", script], capture_output=True, text=True, timeout=60, env=site["env"])
    assert out.returncode == 0, out.stderr
    check_loaded(out.stdout, site)


def test_tcl_environment_modules_load_imjoy(site):
    tclsh = require_command("tclsh8.6", "apt-get install tcl8.6 (scripts/ci/install.sh does)")
    require(TCL_MODULECMD.is_file(), f"Environment Modules' modulecmd.tcl at {TCL_MODULECMD}",
            "run `sudo bash scripts/ci/install.sh` (unpacks it) or set IMJOY_HPC_TCL_MODULECMD")
    p = install(site, "tcl")
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == [f"{site['modules']}/imjoy/{__version__}"]
    module = f'module() {{ eval "$({tclsh} {TCL_MODULECMD} bash "$@")"; }}\n'
    script = f"export MODULEPATH={site['modules']}\n{module}" + PROBE.format(
        load="module load imjoy", unload="module unload imjoy")
    out = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60, env=site["env"])
    assert out.returncode == 0, out.stderr
    check_loaded(out.stdout, site)


def test_install_script_refuses_unusable_paths(site, tmp_path):
    for prefix, message in (("relative/prefix", "must be an absolute path"),
                            ('/opt/my"prefix', "not allowed in a modulefile path"),
                            ("/opt/a&b", "not allowed in a modulefile path")):
        p = subprocess.run(["bash", str(INSTALL), prefix, str(site["config"]), str(tmp_path / "m")],
                           capture_output=True, text=True, timeout=30)
        assert p.returncode != 0 and message in p.stderr, (prefix, p.stderr)
    assert not (tmp_path / "m").exists()
    p = subprocess.run(["bash", str(INSTALL), str(site["prefix"]), str(site["config"]), str(tmp_path / "m"), "zsh"],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode != 0 and "must be lmod, tcl or both" in p.stderr
