"""Profiles and limits: resolution, refinement by plugin requests, refusals naming the limit (no scheduler)."""

from __future__ import annotations

import asyncio

import dask.config
import pytest
from hypothesis import given
from hypothesis import strategies as st

from imjoy_hpc.backends import cluster_backend
from imjoy_hpc.cluster import ResourceLimitError, parse_walltime, resolve
from imjoy_hpc.cluster.profiles import format_walltime
from imjoy_hpc.config import ConfigError

SETTINGS = {
    "default-profile": "local",
    "limits": {"max-cores": 16},  # site-wide, profiles may override
    "profiles": {
        "local": {"backend": "local", "processes": 2, "plugin-slots": 4},
        "slurm": {
            "backend": "slurm", "queue": "debug", "cores": 2, "memory": "4GB", "walltime": "01:00:00",
            "plugin-slots": 3, "max-jobs": 5, "warm": 1, "idle-timeout": 30,
            "limits": {"max-walltime": "24:00:00", "allowed-queues": ["debug", "long"], "max-memory": "64GB",
                       "max-gpus": 2},
        },
        "gpu": {"backend": "pbs", "queue": "gpuq", "cores": 4, "memory": "16GB", "gpus": 1,
                "limits": {"max-cores": 8}},
    },
}


def test_default_profile_and_named_profiles_resolve_with_their_values():
    local = resolve(SETTINGS)
    assert (local.name, local.backend, local.processes, local.plugin_slots) == ("local", "local", 2, 4)
    s = resolve(SETTINGS, "slurm")
    assert (s.backend, s.queue, s.cores, s.memory, s.walltime) == ("slurm", "debug", 2, "4GB", "01:00:00")
    assert (s.plugin_slots, s.max_jobs, s.warm, s.idle_timeout) == (3, 5, 1, 30.0)
    assert s.limits.max_cores == 16  # from imjoy-hpc.limits
    assert resolve(SETTINGS, "gpu").limits.max_cores == 8  # the profile's own limit wins
    # the request may name the profile
    assert resolve(SETTINGS, None, {"profile": "gpu"}).name == "gpu"


def test_request_refines_profile_within_limits():
    s = resolve(SETTINGS, "slurm", {"walltime": "12:00:00", "queue": "long"})
    assert (s.walltime, s.queue, s.plugin_slots) == ("12:00:00", "long", 3)
    big = resolve(SETTINGS, "slurm", {"cores": 8, "memory": "32GB", "gpus": 2})
    assert (big.cores, big.memory, big.gpus) == (8, "32GB", 2)
    assert big.plugin_slots == 1  # a plugin asking for resources gets its job to itself
    assert big.cluster_key() != s.cluster_key() != resolve(SETTINGS, "slurm").cluster_key()
    assert resolve(SETTINGS, "slurm").cluster_key() == resolve(SETTINGS, "slurm", {}).cluster_key()


@pytest.mark.parametrize("request_, message", [
    ({"walltime": "48:00:00"}, "walltime 48:00:00 exceeds the limit 24:00:00 of profile 'slurm'"),
    ({"walltime": "2-00:00:00"}, "walltime 2-00:00:00 exceeds the limit 24:00:00 of profile 'slurm'"),
    ({"cores": 32}, "cores 32 exceeds the limit 16 of profile 'slurm'"),
    ({"memory": "128GB"}, "memory 128GB exceeds the limit 64GB of profile 'slurm'"),
    ({"gpus": 4}, "gpus 4 exceeds the limit 2 of profile 'slurm'"),
    ({"queue": "premium"}, "queue 'premium' is not allowed by profile 'slurm' (allowed queues: debug, long)"),
])
def test_request_outside_limits_is_refused_naming_limit_and_value(request_, message):
    with pytest.raises(ResourceLimitError) as exc:
        resolve(SETTINGS, "slurm", request_)
    assert str(exc.value) == message
    assert isinstance(exc.value, ValueError)


def test_unknown_profile_lists_the_known_ones():
    with pytest.raises(ValueError, match=r"unknown profile 'nope' \(known profiles: gpu, local, slurm\)"):
        resolve(SETTINGS, "nope")


@pytest.mark.parametrize("profile, message", [
    ({"backend": "slurm", "cpus": 4}, "profile 'bad': unknown key 'cpus'"),
    ({"backend": "lsf"}, "profile 'bad': unknown backend 'lsf' (known: local, pbs, sge, slurm)"),
    ({"backend": "slurm", "cores": "many"}, "profile 'bad': cores must be an integer, got 'many'"),
    ({"backend": "slurm", "walltime": "soon"}, "profile 'bad': walltime 'soon' is not a walltime"),
    ({"backend": "slurm", "memory": "lots"}, "profile 'bad': memory must be an amount like '4GB', got 'lots'"),
    ({"backend": "slurm", "limits": {"max-time": 3}}, "profile 'bad' limits: unknown limit 'max-time'"),
])
def test_invalid_profile_config_names_profile_and_key(profile, message):
    with pytest.raises(ConfigError) as exc:
        resolve({"profiles": {"bad": profile}}, "bad")
    assert message in str(exc.value)


def test_bad_request_values_and_keys_are_refused():
    with pytest.raises(ValueError, match="unknown resource request 'nodes'"):
        resolve(SETTINGS, "slurm", {"nodes": 2})
    with pytest.raises(ValueError, match="cores must be >= 1, got 0"):
        resolve(SETTINGS, "slurm", {"cores": 0})
    with pytest.raises(ValueError, match="walltime 'tomorrow' is not a walltime"):
        resolve(SETTINGS, "slurm", {"walltime": "tomorrow"})


def test_profile_values_themselves_must_respect_limits():
    bad = {"profiles": {"p": {"backend": "slurm", "walltime": "30:00:00", "limits": {"max-walltime": "24:00:00"}}}}
    with pytest.raises(ResourceLimitError, match="walltime 30:00:00 exceeds the limit 24:00:00 of profile 'p'"):
        resolve(bad, "p")


def test_jobqueue_section_is_honoured_and_profile_keys_override_it():
    conf = {"jobqueue": {"slurm": {"queue": "long", "walltime": "02:00:00", "cores": 3, "memory": "6GB",
                                   "account": "lab42", "job-script-prologue": ["module load python"]}}}
    with dask.config.set(conf):
        p = resolve({"profiles": {"s": {"backend": "slurm"}}}, "s")
        assert (p.queue, p.walltime, p.cores, p.memory, p.account) == ("long", "02:00:00", 3, "6GB", "lab42")
        assert p.job_script_prologue == ("module load python",)
        q = resolve({"profiles": {"s": {"backend": "slurm", "queue": "debug", "cores": 1}}}, "s")
        assert (q.queue, q.cores, q.walltime) == ("debug", 1, "02:00:00")


def test_slurm_job_script_carries_profile_gpus_slots_name_and_logs(tmp_path):
    async def script() -> str:
        p = resolve({"profiles": {"g": {"backend": "slurm", "queue": "long", "cores": 2, "memory": "2GB",
                                        "gpus": 2, "plugin-slots": 3, "interface": "lo",
                                        "job-extra-directives": ["--constraint=fast"]}}}, "g")
        backend = cluster_backend("slurm")(p, job_name="imjoy-hpc-alice-s1", log_dir=tmp_path, cluster_name="g-x")
        cluster_cls = backend.cluster_class()
        cluster = cluster_cls(**backend.cluster_kwargs())
        try:
            return cluster.job_script()
        finally:
            await cluster.close()

    text = asyncio.run(asyncio.wait_for(script(), 60))
    assert "#SBATCH -J imjoy-hpc-alice-s1" in text
    assert "#SBATCH -p long" in text
    assert "#SBATCH --gres=gpu:2" in text and "#SBATCH --constraint=fast" in text
    assert f"#SBATCH -e {tmp_path}/imjoy-hpc-alice-s1-%J.err" in text
    assert "--resources plugin-slots=3" in text
    assert "--interface lo" in text and "--dashboard-address 127.0.0.1:0" in text


def test_pbs_gpu_request_becomes_ngpus_in_the_resource_spec(tmp_path):
    async def script() -> str:
        p = resolve(SETTINGS, "gpu", {"gpus": 2})
        backend = cluster_backend("pbs")(p, job_name="imjoy-hpc-bob-s2", log_dir=tmp_path, cluster_name="gpu-x")
        cluster = backend.cluster_class()(**backend.cluster_kwargs())
        try:
            return cluster.job_script()
        finally:
            await cluster.close()

    text = asyncio.run(asyncio.wait_for(script(), 60))
    assert "#PBS -N imjoy-hpc-bob-s2" in text and "#PBS -q gpuq" in text
    assert "ngpus=2" in text and "ncpus=4" in text


@pytest.mark.parametrize("text, seconds", [
    ("01:30:00", 5400), ("30:00", 1800), ("90", 5400), ("2-00:00:00", 172800), ("1-12", 129600),
    ("48:00:00", 172800), (15, 900),
])
def test_walltime_formats(text, seconds):
    assert parse_walltime(text) == seconds


@given(st.integers(min_value=0, max_value=400 * 86400))
def test_walltime_format_round_trips(seconds):
    assert parse_walltime(format_walltime(seconds)) == seconds


CONFIGS = __import__("pathlib").Path(__file__).resolve().parent.parent / "configs"


@pytest.mark.parametrize("name", ["slurm-site.yaml", "pbs-site.yaml", "sge-site.yaml", "local.yaml"])
def test_shipped_site_configs_resolve_every_profile(name):
    import yaml

    data = yaml.safe_load((CONFIGS / name).read_text())
    section = data["imjoy-hpc"]
    with dask.config.set({"jobqueue": data.get("jobqueue", {})}):
        profiles = {p: resolve(section, p) for p in section["profiles"]}
        default = resolve(section)
    assert default.name == section["default-profile"]
    assert {p.backend for p in profiles.values()} <= {"local", "slurm", "pbs", "sge"}
    if "gpu" in profiles:
        assert profiles["gpu"].gpus == 1
        with pytest.raises(ResourceLimitError, match="exceeds the limit"):
            resolve(section, "gpu", {"walltime": "48:00:00"})
