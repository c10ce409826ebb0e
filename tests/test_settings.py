"""Settings parsed once into typed values: the built-in YAML holds every default, a wrong value is one clear line
naming the file and the key, an unknown key is a warning."""

from __future__ import annotations

import copy
import dataclasses
import os
import subprocess
import sys

import dask.config
import dask_jobqueue  # noqa: F401  (its defaults registered before a test's config is saved and restored)
import pytest
import yaml

from imjoy_hpc import config
from imjoy_hpc.config import ConfigError
from imjoy_hpc.settings import CondaSettings, Settings


@pytest.fixture
def own_dask_config():
    """config.load() layers files into dask's global config: give it back as it was (with dask-jobqueue's defaults,
    which it adds once, on its first import)."""
    import dask_jobqueue  # noqa: F401

    saved, saved_defaults = copy.deepcopy(dask.config.config), list(dask.config.defaults)
    yield
    dask.config.config.clear()
    dask.config.config.update(saved)
    dask.config.defaults[:] = saved_defaults


def user_config(tmp_path, text: str):
    path = tmp_path / "mine.yaml"
    path.write_text(text)
    return path


def test_the_built_in_yaml_holds_every_default():
    defaults = yaml.safe_load(config.DEFAULTS_FILE.read_text())["imjoy-hpc"]
    settings = Settings.parse({})
    assert settings.warnings == ()  # every key of the YAML is a setting, and every setting has its default there
    assert settings.server.chunk_bytes == defaults["server"]["chunk-bytes"] == 4_000_000
    assert settings.server.port == defaults["server"]["port"]
    assert settings.plugins.start_timeout == defaults["plugins"]["start-timeout"]
    assert settings.plugins.conda.channels == tuple(defaults["plugins"]["conda"]["channels"])
    assert settings.batch.call_timeout is None and settings.sessions.detach_idle_limit is None


def test_a_profile_takes_its_keys_over_the_jobqueue_section_over_profile_defaults():
    defaults = yaml.safe_load(config.DEFAULTS_FILE.read_text())["imjoy-hpc"]["profile-defaults"]
    settings = Settings.parse({"profile-defaults": {"plugin-slots": 2},
                               "profiles": {"s": {"backend": "slurm", "cores": "3", "walltime": None},
                                            "l": {"backend": "local"}}})
    with dask.config.set({"jobqueue.slurm.account": "lab42", "jobqueue.slurm.cores": 8}):
        s = settings.profile("s")
    assert (s.cores, s.account, s.walltime, s.plugin_slots) == (3, "lab42", None, 2)
    assert s.idle_timeout == defaults["idle-timeout"] and s.tls is defaults["tls"]
    local = settings.profile("l")
    assert (local.walltime, local.memory, local.cores) == (None, None, defaults["cores"])
    mistaken = Settings.parse({"profile-defaults": {"cpus": 2}})
    assert mistaken.warnings == ("imjoy-hpc.profile-defaults.cpus: unknown key, ignored (did you mean 'gpus'?)",)
    assert mistaken.profile("local").cores == defaults["cores"]


def test_a_partial_section_is_laid_over_the_defaults():
    section = {"server": {"port": "9600", "tcp": "no"}, "plugins": {"conda": {"channels": ["file:///mirror"]}}}
    settings = Settings.parse(section)
    assert settings.server.port == 9600 and settings.server.tcp is False
    assert settings.server.host == "127.0.0.1"
    assert settings.plugins.conda == CondaSettings(channels=("file:///mirror",), plugin_channels=False,
                                                   channel_alias=None, command=None, old_python="raise")
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.server.port = 1  # type: ignore[misc]


@pytest.mark.parametrize("text, key, problem", [
    ("imjoy-hpc:\n  server:\n", "imjoy-hpc.server", "expected a mapping of settings, got null"),
    ("imjoy-hpc:\n  server:\n    port: lots\n", "imjoy-hpc.server.port", "expected a whole number, got 'lots'"),
    ("imjoy-hpc:\n  plugins:\n    start-timeout: soon\n", "imjoy-hpc.plugins.start-timeout",
     "expected a number, got 'soon'"),
    ("imjoy-hpc:\n  sessions:\n    grace-period: -5\n", "imjoy-hpc.sessions.grace-period",
     "expected a number >= 0, got -5"),
    ("imjoy-hpc:\n  server:\n    allowed-origins: https://lab.example\n", "imjoy-hpc.server.allowed-origins",
     "expected a list, got 'https://lab.example'"),
    ("imjoy-hpc:\n  server:\n    tcp: maybe\n", "imjoy-hpc.server.tcp", "expected true or false, got 'maybe'"),
])
def test_a_wrong_value_is_one_line_naming_the_file_and_the_key(tmp_path, own_dask_config, text, key, problem):
    path = user_config(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        Settings.load(path)
    message = str(err.value)
    assert message == f"--config {path}: {key}: {problem}"
    assert "\n" not in message


def test_an_unknown_key_is_a_warning_naming_the_file_and_a_close_match(tmp_path, own_dask_config):
    path = user_config(tmp_path, "imjoy-hpc:\n  server:\n    prot: 9600\n")
    settings = Settings.load(path)
    assert settings.warnings == (f"--config {path}: imjoy-hpc.server.prot: unknown key, ignored "
                                 "(did you mean 'port'?)",)
    assert settings.server.port == 9527


def test_a_mapping_given_in_code_names_the_key():
    from imjoy_hpc.gateway.app import Gateway

    with pytest.raises(ConfigError, match=r"^imjoy-hpc\.server: expected a mapping of settings, got null$"):
        Gateway({"server": None}, token="t" * 32, state_dir=None)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"^imjoy-hpc\.plugins\.conda\.plugin-channels: expected true or false"):
        CondaSettings.of({"plugin-channels": "sometimes"})
    with pytest.raises(ConfigError, match=r"^imjoy-hpc\.plugins\.conda\.old-python: expected one of raise, refuse, "
                                          r"got 'lower'$"):
        CondaSettings.of({"old-python": "lower"})
    assert CondaSettings.of({"old-python": "Refuse"}).old_python == "refuse"


def test_serve_refuses_an_empty_server_key_in_one_line(tmp_path):
    path = user_config(tmp_path, "imjoy-hpc:\n  state-dir: " + str(tmp_path / "state") + "\n  server:\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DASK_") and k != "IMJOY_HPC_CONFIG"}
    out = subprocess.run([sys.executable, "-m", "imjoy_hpc", "serve", "--config", str(path)], capture_output=True,
                         text=True, timeout=60, env={**env, "HOME": str(tmp_path)})
    assert out.returncode == 2, out.stderr
    ours = [line for line in out.stderr.splitlines() if line.startswith("imjoy-hpc")]
    assert ours == [f"imjoy-hpc: --config {path}: imjoy-hpc.server: expected a mapping of settings, got null"]
