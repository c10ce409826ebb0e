"""Conda environments of plugins: the `env` field and `conda:` requirements read into one request.

Published plugins write `env` as a `conda create -n NAME spec...` command, a list of such commands (also
`conda install ...`, `conda env create -f FILE`, `conda config --add channels X`, `pip install ...`; any other step,
such as `git clone URL`, runs like a `cmd:` requirement), a dict keyed by tag (resolved by the parser),
or entries for other engines: `{"type": "binder", ...}` is for MyBinder and skipped; `{"type": "variable",
"options": {...}}` sets environment variables. Channels come from the site config (`imjoy-hpc.plugins.conda`);
channels a plugin names are used only where the site allows it. Solving and installing happen in
:mod:`imjoy_hpc.plugins.conda_build` (py-rattler, or the site's conda/mamba/micromamba).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from imjoy_hpc.rpc.errors import UserFacingError

if TYPE_CHECKING:
    from imjoy_hpc.settings import CondaSettings


class CondaEnvError(UserFacingError, ValueError):
    """An `env` entry imjoy-hpc cannot read; the message names the entry."""


@dataclass(frozen=True)
class CondaRequest:
    """What a plugin asks of conda: package specs, the channels it names, pip packages, environment variables."""

    specs: tuple[str, ...]
    name: str | None = None
    channels: tuple[str, ...] = ()
    pip: tuple[str, ...] = ()
    variables: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()       # entries skipped, for the log
    commands: tuple[str, ...] = ()    # other steps (git clone ...): run like `cmd:` requirements


def _option_value(words: list[str], i: int, entry: str) -> str:
    if i + 1 >= len(words):
        raise CondaEnvError(f"env entry {entry!r}: option {words[i]} needs a value")
    return words[i + 1]


def _conda_command(words: list[str], entry: str, out: dict) -> None:
    """`conda create ...` / `conda install ...` / `conda env create -f FILE` (also mamba, micromamba)."""
    if len(words) > 2 and words[1] == "env" and words[2] == "create":
        rest = words[3:]
        for i, word in enumerate(rest):
            if word in ("-f", "--file"):
                out["files"].append(_option_value(rest, i, entry))
            elif word.startswith("--file="):
                out["files"].append(word.split("=", 1)[1])
        if not out["files"]:
            raise CondaEnvError(f"env entry {entry!r}: `conda env create` needs -f FILE")
        return
    if len(words) > 1 and words[1] == "config":
        _conda_config(words, entry, out)
        return
    if len(words) < 2 or words[1] not in ("create", "install"):
        out["notes"].append(f"env entry {entry!r} skipped: imjoy-hpc builds the environment itself from "
                            "`conda create`, `conda install`, `conda env create -f FILE` and `conda config` entries")
        return
    i = 2
    while i < len(words):
        word = words[i]
        if word in ("-n", "--name"):
            out["name"] = _option_value(words, i, entry)
            i += 2
            continue
        if word in ("-c", "--channel"):
            out["channels"].append(_option_value(words, i, entry))
            i += 2
            continue
        if word.startswith(("--name=", "--channel=")):
            key, value = word.split("=", 1)
            (out.__setitem__("name", value) if key == "--name" else out["channels"].append(value))
        elif word in ("-p", "--prefix"):
            raise CondaEnvError(f"env entry {entry!r}: the environment's place is chosen by imjoy-hpc "
                                "(its shared cache); remove -p/--prefix")
        elif word.startswith("-"):
            pass  # -y, -q, --override-channels, --no-default-packages...: nothing to do for us
        else:
            out["specs"].append(word)
        i += 1


def _conda_config(words: list[str], entry: str, out: dict) -> None:
    """`conda config --add/--append/--prepend channels X`: the plugin names a channel; other settings are skipped."""
    i, added = 2, False
    while i < len(words):
        if words[i] in ("--add", "--append", "--prepend") and i + 2 < len(words) and words[i + 1] == "channels":
            out["channels"].append(words[i + 2])
            i, added = i + 3, True
        else:
            i += 1
    if not added:
        out["notes"].append(f"env entry {entry!r} skipped: only `conda config --add channels NAME` is used")


def _environment_file(path: Path, entry: str, out: dict) -> None:
    """An environment.yml: name, channels, dependencies (with a `pip:` list)."""
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except OSError as exc:
        raise CondaEnvError(f"env entry {entry!r}: cannot read {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise CondaEnvError(f"env entry {entry!r}: {path} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise CondaEnvError(f"env entry {entry!r}: {path} must hold a mapping")
    out["name"] = out["name"] or data.get("name")
    out["channels"] += [str(c) for c in data.get("channels") or []]
    for dep in data.get("dependencies") or []:
        if isinstance(dep, dict) and isinstance(dep.get("pip"), list):
            out["pip"] += [str(p) for p in dep["pip"]]
        elif isinstance(dep, str):
            out["specs"].append(dep)
        else:
            raise CondaEnvError(f"env entry {entry!r}: {path}: dependency {dep!r} is neither a spec nor a pip list")


def _pip_command(words: list[str], entry: str, out: dict) -> None:
    if len(words) < 3 or words[1] != "install":
        raise CondaEnvError(f"env entry {entry!r}: only `pip install PACKAGES` is understood")
    if any(w in ("-r", "--requirement", "-e", "--editable") or w.startswith(("--requirement=", "--editable="))
           for w in words[2:]):
        out["commands"].append(entry)  # files of the plugin's own (after a `git clone`): run as a step
        return
    out["pip"] += [w for w in words[2:] if not w.startswith("-")]


_ENV_TOOLS = ("conda", "mamba", "micromamba", "pip", "pip3")


def _tool(part: str) -> str | None:
    try:
        words = shlex.split(part)
    except ValueError:
        return None
    return Path(words[0]).name if words else None


def _command(text: str, out: dict, work_dir: Path | None) -> None:
    parts = [p.strip() for p in text.split("&&") if p.strip()]
    if any(_tool(p) not in _ENV_TOOLS for p in parts):
        # `git clone URL && cd x && pip install .`: a step of the plugin's own, run as a `cmd:` requirement is
        out["commands"].append(text.strip())
        return
    for part in text.split("&&"):
        entry = part.strip()
        if not entry:
            continue
        try:
            words = shlex.split(entry)
        except ValueError as exc:
            raise CondaEnvError(f"env entry {entry!r}: {exc}") from None
        tool = Path(words[0]).name
        if tool in ("conda", "mamba", "micromamba"):
            before = len(out["files"])
            _conda_command(words, entry, out)
            for name in out["files"][before:]:
                path = Path(name) if Path(name).is_absolute() or work_dir is None else work_dir / name
                _environment_file(path, entry, out)
        else:
            _pip_command(words, entry, out)


def _mapping(item: dict, out: dict) -> None:
    kind = item.get("type")
    if kind == "binder":
        out["notes"].append(f"env entry of type binder ({item.get('spec', '?')}) is for MyBinder: skipped")
    elif kind == "variable":
        options = item.get("options") or {}
        if not isinstance(options, dict):
            raise CondaEnvError(f"env entry {item!r}: options must be a mapping of variable names to values")
        out["variables"].update({str(k): str(v) for k, v in options.items()})
    elif kind == "gputil":
        out["notes"].append("env entry of type gputil skipped: GPUs come from the job (the profile's gpus)")
    else:
        raise CondaEnvError(f"env entry {item!r}: unknown type {kind!r} (known: binder, variable, gputil)")


def parse_env(env: Any, conda_requirements: tuple[str, ...] = (), *, work_dir: Path | None = None
              ) -> CondaRequest | None:
    """The conda request of a plugin (its `env` field, already resolved for its tag, plus `conda:` requirements);
    None when it asks nothing of conda. Raises CondaEnvError naming an entry it cannot read."""
    out: dict[str, Any] = {"name": None, "specs": [], "channels": [], "pip": [], "variables": {}, "notes": [],
                           "files": [], "commands": []}
    items = env if isinstance(env, list) else ([] if env is None or env == "" else [env])
    for item in items:
        if isinstance(item, str):
            _command(item, out, work_dir)
        elif isinstance(item, dict):
            _mapping(item, out)
        else:
            raise CondaEnvError(f"env entry {item!r} must be a command (string) or a mapping")
    out["specs"] += list(conda_requirements)
    if not any(out[k] for k in ("specs", "pip", "variables", "notes", "commands")):
        return None
    return CondaRequest(specs=tuple(dict.fromkeys(out["specs"])), name=out["name"],
                        channels=tuple(dict.fromkeys(out["channels"])), pip=tuple(out["pip"]),
                        variables=out["variables"], notes=tuple(out["notes"]), commands=tuple(out["commands"]))


def site_channels(request: CondaRequest, settings: "CondaSettings") -> tuple[list[str], list[str]]:
    """The channels to solve from (site channels, then the plugin's own where the site allows them), and notes
    about plugin channels left out."""
    channels = list(settings.channels)
    notes = []
    for channel in request.channels:
        if channel in channels:
            continue
        if settings.plugin_channels:
            alias = settings.channel_alias
            named = "://" not in channel and not channel.startswith("/")
            channels.append(f"{alias.rstrip('/')}/{channel}" if alias and named else channel)
        else:
            notes.append(f"channel {channel!r} named by the plugin is not used (site channels: "
                         f"{', '.join(channels)}; imjoy-hpc.plugins.conda.plugin-channels is off)")
    return channels, notes
