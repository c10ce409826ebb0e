"""Read ImJoy plugin files (`.imjoy.html`) and plain Python plugin files (`.py`) into a validated PluginSpec.

ImJoy format: top-level blocks ``<config lang="json|yaml">``, ``<script lang="python" [tag="..."]>`` (one per
tag, or one without a tag), ``<docs>``, ``<window>``, ``<style>``, ``<attachment name="...">`` and ``<link>``.
A block's content runs to the first matching closing tag, as in HTML raw-text elements, so a script may hold
``<`` or ``"</div>"`` but not the text ``</script>``. A script indented inside the HTML is de-indented (its
common leading whitespace removed, as ImJoy does); lines keep their numbers.

Plain `.py` files: the whole file is the script. Optional metadata is one top-level assignment
``IMJOY_CONFIG = {...}`` holding a literal dict (read with ast.literal_eval; the file is never executed).
The plugin name defaults to the file stem; the module docstring is the plugin's docs.

Plugin types: "native-python" and "web-python" (a browser-Python plugin uses the same `api`; it runs here as
native Python and its requirements are installed with pip). Browser-only types ("window", "web-worker", "iframe",
...) are refused.

Tags: the chosen tag is the `tag` argument, else the config's `tag`, else the first of `tags`. These fields may be
an object keyed by tag, and the chosen tag selects the value: env, requirements, dependencies, icon, ui, type,
flags, labels, cover, base_frame, base_worker, passive (as in ImJoy) plus description and hpc. A field with no
value for the chosen tag is left unset (as in ImJoy) and noted in PluginSpec.warnings.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from imjoy_hpc.resources import REQUEST_KEYS, memory_amount, parse_walltime, whole_number
from imjoy_hpc.rpc.errors import UserFacingError

from .unpinned import resolution_date
from .requirements import RequirementSyntaxError, Requirements, parse_requirements, without_standard_library

PYTHON_TYPES = ("native-python", "web-python")
BROWSER_TYPES = ("window", "web-worker", "webworker", "iframe", "rpc-window", "rpc-worker", "web-app", "functional")
KNOWN_FLAGS = ("single-instance", "allow-detach", "functional")
TAG_FIELDS = (
    "env", "requirements", "dependencies", "icon", "ui", "type", "flags", "labels", "cover",
    "base_frame", "base_worker", "passive", "description", "hpc",
)
# Fields whose own value is naturally an object: they count as keyed by tag only when every key is a tag.
_OBJECT_FIELDS = ("env", "hpc", "ui")
DEFAULT_VERSION = "0.1.0"
DEFAULT_API_VERSION = "0.1.8"
CONFIG_VARIABLE = "IMJOY_CONFIG"
RESOLVE_AS_OF = "resolve-as-of"

_BLOCKS = ("config", "script", "docs", "window", "style", "attachment", "link")
_OPEN_TAG = re.compile(r"<(" + "|".join(_BLOCKS) + r")(?=[\s>/])([^>]*)>", re.I)
_ATTR = re.compile(r"""([A-Za-z_:][-\w:.]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?""")
_IMJOY_HINT = re.compile(r"^\s*<(config|script)\b", re.I | re.M)
class PluginError(UserFacingError, ValueError):
    """An invalid plugin file; the message starts with the file and names the field or block."""


@dataclass
class PluginSpec:
    """A parsed, validated plugin, with the tag already applied."""

    name: str
    type: str
    version: str
    api_version: str
    description: str
    tags: list[str]
    tag: str | None
    flags: frozenset[str]
    requirements: Requirements
    env: Any
    hpc: dict[str, Any]
    script: str
    lang: str
    docs: str
    config: dict[str, Any]
    source_path: Path | None
    source_hash: str
    filename: str
    format: str                       # "imjoy" or "python"
    script_line: int = 1              # line of the file where the script's first line is
    windows: list[str] = field(default_factory=list)
    styles: list[str] = field(default_factory=list)
    attachments: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    resolve_as_of: str | None = None  # hpc.resolve-as-of: pip packages as they were on that date
    renew: bool = False               # hpc.renew: moved into a new job before its walltime ends


@dataclass
class _Block:
    name: str
    attrs: dict[str, str]
    content: str
    line: int          # line of the opening tag
    content_line: int  # line where the content starts


def _line_at(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _attrs(text: str) -> dict[str, str]:
    attrs = {}
    for m in _ATTR.finditer(text.rstrip("/")):
        value = next((v for v in m.group(2, 3, 4) if v is not None), "")
        attrs[m.group(1).lower()] = value
    return attrs


def _blocks(source: str, fail) -> list[_Block]:
    """Top-level blocks of an ImJoy file; content is an exact slice of the source."""
    blocks: list[_Block] = []
    pos = 0
    while True:
        start = source.find("<", pos)
        if start < 0:
            return blocks
        if source.startswith("<!--", start):
            end = source.find("-->", start + 4)
            if end < 0:
                fail(f"line {_line_at(source, start)}: comment <!-- is not closed")
            pos = end + 3
            continue
        m = _OPEN_TAG.match(source, start)
        if not m:
            pos = start + 1
            continue
        name, attr_text = m.group(1).lower(), m.group(2)
        line = _line_at(source, start)
        if name == "link" or attr_text.rstrip().endswith("/"):
            blocks.append(_Block(name, _attrs(attr_text), "", line, line))
            pos = m.end()
            continue
        close = re.compile(r"</" + name + r"\s*>", re.I).search(source, m.end())
        if not close:
            fail(f"line {line}: <{name}> block is not closed (no </{name}>)")
        content = source[m.end():close.start()]
        blocks.append(_Block(name, _attrs(attr_text), content, line, _line_at(source, m.end())))
        pos = close.end()


def _type_name(value: Any) -> str:
    return "null" if value is None else type(value).__name__


class _Checker:
    """Validation helpers that raise PluginError naming the file and the field."""

    def __init__(self, filename: str):
        self.filename = filename

    def fail(self, message: str):
        raise PluginError(f"{self.filename}: {message}")

    def field_error(self, key: str, expected: str, value: Any):
        shown = f" ({value!r})" if isinstance(value, (str, int, float)) and not isinstance(value, bool) else ""
        self.fail(f'config field "{key}" must be {expected}, got {_type_name(value)}{shown}')

    def string(self, config: dict, key: str, default: str | None = None, required: bool = False,
               numbers_ok: bool = False) -> str | None:
        value = config.get(key)
        if value is None:
            if required:
                self.fail(f'config field "{key}" is missing')
            return default
        if numbers_ok and isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        if not isinstance(value, str):
            self.field_error(key, "a string", value)
        if required and not value.strip():
            self.fail(f'config field "{key}" must not be empty')
        return value

    def string_list(self, config: dict, key: str) -> list[str]:
        value = config.get(key)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            bad = value if not isinstance(value, list) else next(v for v in value if not isinstance(v, str))
            what = "" if not isinstance(value, list) else "an item of "
            self.fail(f'config field "{key}" must be a list of strings, got {what}{_type_name(bad)}'
                      + (f" ({bad!r})" if isinstance(bad, (int, float)) and not isinstance(bad, bool) else ""))
        return list(value)


def _keyed_by_tag(key: str, value: dict, tags: list[str]) -> bool:
    """Whether an object-valued field is keyed by tag rather than an ordinary object (hpc: {cores: 4}): every key
    is a tag, or some key is and none is a field of its own (hpc), or (env) it is no env entry (those have a
    "type")."""
    if key not in _OBJECT_FIELDS or all(k in tags for k in value):
        return True
    if key == "env":
        return "type" not in value and all(isinstance(v, (str, list)) for v in value.values())
    return any(k in tags for k in value) and not (key == "hpc" and any(k in REQUEST_KEYS for k in value))


def _resolve_tags(config: dict, tags: list[str], tag: str | None, warnings: list[str]) -> None:
    """Replace tag-keyed fields of `config` (in place) by the value for `tag`. Keys naming no tag are ignored with a
    warning, as ImJoy ignored them (a published plugin may spell a tag differently in two places)."""
    for key in TAG_FIELDS:
        value = config.get(key)
        if not isinstance(value, dict) or not value or not _keyed_by_tag(key, value, tags):
            continue
        unknown = [k for k in value if k not in tags]
        if unknown:
            warnings.append(f'config field "{key}" is keyed by {", ".join(map(repr, unknown))}, which '
                            f'{"is not a tag" if len(unknown) == 1 else "are not tags"} of the plugin '
                            f'(tags: {", ".join(tags) or "none"}): ignored')
        if tag in value:
            config[key] = value[tag]
        else:
            del config[key]
            if tag is not None:
                warnings.append(f'config field "{key}" has no value for tag "{tag}"; left unset')


def _checked(chk: "_Checker", where: str, expected: str, value: Any, check, *args: Any, **kwargs: Any) -> None:
    """Run one of imjoy_hpc.resources' value checks; its refusal becomes this file's field error."""
    try:
        check(value, *args, **kwargs)
    except ValueError:
        chk.field_error(where, expected, value)


def _walltime(value: Any) -> None:
    if parse_walltime(value) <= 0:
        raise ValueError(value)


RENEW = "renew"  # hpc.renew: moved into a new job before its walltime ends (gateway/renewals.py)
HPC_KEYS = (*REQUEST_KEYS, RESOLVE_AS_OF, RENEW)


def _check_hpc(value: Any, chk: _Checker) -> dict[str, Any]:
    """The resource request of the `hpc` section (and its resolve-as-of date, kept under that key)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        chk.field_error("hpc", "an object", value)
    out: dict[str, Any] = {}
    for key, item in value.items():
        where = f"hpc.{key}"
        if key not in HPC_KEYS:
            chk.fail(f'config field "{where}" is unknown; allowed: {", ".join(HPC_KEYS)}')
        if item is None:
            continue
        if key == RESOLVE_AS_OF:
            _checked(chk, where, "a date like 2021-06-01", item, resolution_date)
        if key == RENEW and not isinstance(item, bool):
            chk.field_error(where, "true or false", item)
        if key in ("profile", "queue"):
            if not isinstance(item, str) or not item.strip():
                chk.field_error(where, "a non-empty string", item)
        elif key in ("cores", "gpus"):
            low = 1 if key == "cores" else 0
            _checked(chk, where, f"an integer >= {low}", item, whole_number, key, zero=low == 0)
        elif key == "memory":
            _checked(chk, where, 'a size like "4GB" or a number of bytes', item, memory_amount, key)
        elif key == "walltime":
            _checked(chk, where, 'a time like "HH:MM:SS", "MM:SS", "D-HH:MM:SS" or minutes', item, _walltime)
        out[key] = item
    return out


def _build_spec(config: Any, *, chk: _Checker, fmt: str, tag: str | None, default_name: str | None,
                script_for_tag, extras: dict[str, Any], source_path: Path | None, source_hash: str) -> PluginSpec:
    if not isinstance(config, dict):
        chk.fail(f"the config must be an object (mapping), got {_type_name(config)}")
    config = dict(config)
    warnings: list[str] = []
    if isinstance(config.get("tags"), str):  # "tags": "" or "CPU, GPU": ImJoy took these
        text = config["tags"]
        config["tags"] = [t.strip() for t in text.split(",") if t.strip()]
        if text.strip():
            warnings.append(f'config field "tags" is a string ({text!r}); read as the list {config["tags"]}')
    tags = chk.string_list(config, "tags")
    dupes = sorted({t for t in tags if tags.count(t) > 1})
    if dupes:
        chk.fail(f'config field "tags" lists {", ".join(dupes)} more than once')
    if tag is not None:
        if not tags:
            chk.fail(f'tag "{tag}" was asked for, but the plugin has no "tags"')
        if tag not in tags:
            chk.fail(f'unknown tag "{tag}"; the plugin\'s tags are: {", ".join(tags)}')
        chosen: str | None = tag
    else:
        default_tag = chk.string(config, "tag")
        if default_tag is not None and default_tag not in tags:
            chk.fail(f'config field "tag" is "{default_tag}", which is not one of the tags: '
                     f'{", ".join(tags) or "(none)"}')
        chosen = default_tag if default_tag is not None else (tags[0] if tags else None)
    _resolve_tags(config, tags, chosen, warnings)

    name = chk.string(config, "name", default=default_name, required=default_name is None)
    if not name or not name.strip():
        chk.fail('config field "name" must not be empty')
    name = name.strip()
    ptype = chk.string(config, "type", default="native-python")
    if ptype not in PYTHON_TYPES and ptype.startswith(PYTHON_TYPES):  # web-python-window...
        warnings.append(f'plugin type "{ptype}" runs here as a Python plugin; its window part is not shown')
    elif ptype not in PYTHON_TYPES:
        if ptype in BROWSER_TYPES:
            chk.fail(f'plugin type "{ptype}" runs in the browser; imjoy-hpc runs Python plugins '
                     f'(type {" or ".join(PYTHON_TYPES)})')
        chk.fail(f'config field "type" is "{ptype}", which imjoy-hpc cannot run; use {" or ".join(PYTHON_TYPES)}')
    version = chk.string(config, "version", DEFAULT_VERSION, numbers_ok=True)
    api_version = chk.string(config, "api_version", DEFAULT_API_VERSION, numbers_ok=True)
    description = chk.string(config, "description", "")
    flags = chk.string_list(config, "flags")
    unknown_flags = [f for f in flags if f not in KNOWN_FLAGS]
    if unknown_flags:
        chk.fail(f'config field "flags" has unknown value(s) {", ".join(map(repr, unknown_flags))}; '
                 f'known flags: {", ".join(KNOWN_FLAGS)}')
    try:
        requirements = parse_requirements(config.get("requirements"))
    except RequirementSyntaxError as exc:
        chk.fail(f'config field "requirements": {exc}')
    requirements, skipped = without_standard_library(requirements)
    warnings += [f'requirement {name!r} is part of Python\'s standard library: not installed' for name in skipped]
    chk.string_list(config, "dependencies")
    chk.string(config, "icon")
    cover = config.get("cover")
    if cover is not None and not isinstance(cover, str):
        chk.string_list(config, "cover")
    for key in ("inputs", "outputs"):
        value = config.get(key)
        if value is not None and not isinstance(value, (dict, list)):
            chk.field_error(key, "an object or a list (JSON schema)", value)
    env = config.get("env")
    if env is not None and not isinstance(env, (str, list, dict)):
        chk.field_error("env", "a string, a list or an object", env)
    hpc = _check_hpc(config.get("hpc"), chk)
    resolve_as_of = hpc.pop(RESOLVE_AS_OF, None)
    renew = bool(hpc.pop(RENEW, False))

    script, lang, script_line = script_for_tag(chosen, tags)
    config.update(name=name, type=ptype, version=version, api_version=api_version, description=description,
                  tags=tags, tag=chosen, flags=flags, requirements=requirements.to_list())
    if hpc:
        config["hpc"] = hpc
    return PluginSpec(
        name=name, type=ptype, version=version, api_version=api_version, description=description, tags=tags,
        tag=chosen, flags=frozenset(flags), requirements=requirements, env=env, hpc=hpc, script=script,
        resolve_as_of=str(resolve_as_of) if resolve_as_of else None, renew=renew,
        lang=lang, docs=extras.get("docs", ""), config=config, source_path=source_path,
        source_hash=source_hash, filename=chk.filename, format=fmt, script_line=script_line,
        windows=extras.get("windows", []), styles=extras.get("styles", []),
        attachments=extras.get("attachments", {}), warnings=warnings,
    )


def _check_python(script: str, first_line: int, chk: _Checker, where: str) -> None:
    try:
        ast.parse(script)
    except SyntaxError as exc:
        line = first_line + (exc.lineno or 1) - 1
        chk.fail(f"line {line}: invalid Python in {where}: {exc.msg}")


def _parse_config_block(block: _Block, chk: _Checker) -> Any:
    lang = (block.attrs.get("lang") or "json").lower()
    if lang == "json":
        try:
            return json.loads(block.content)
        except json.JSONDecodeError as exc:
            chk.fail(f"line {block.content_line + exc.lineno - 1}: invalid JSON in <config>: {exc.msg} "
                     f"(column {exc.colno})")
    if lang in ("yaml", "yml"):
        try:
            return yaml.safe_load(block.content)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"line {block.content_line + mark.line}: " if mark is not None else ""
            problem = getattr(exc, "problem", None) or str(exc)
            chk.fail(f"{where}invalid YAML in <config>: {problem}")
    chk.fail(f'line {block.line}: <config lang="{lang}"> is not supported; use lang="json" or lang="yaml"')


def _parse_imjoy(source: str, chk: _Checker, tag: str | None, source_path: Path | None, digest: str) -> PluginSpec:
    blocks = _blocks(source, chk.fail)
    configs = [b for b in blocks if b.name == "config"]
    if not configs:
        chk.fail("missing <config> block")
    if len(configs) > 1:
        chk.fail(f"more than one <config> block (lines {', '.join(str(b.line) for b in configs)})")
    config = _parse_config_block(configs[0], chk)
    scripts = [b for b in blocks if b.name == "script"]
    if not scripts:
        chk.fail("missing <script> block")
    docs = [b.content for b in blocks if b.name == "docs"]
    attachments: dict[str, str] = {}
    for b in blocks:
        if b.name == "attachment":
            name = b.attrs.get("name")
            if not name:
                chk.fail(f'line {b.line}: <attachment> needs a name="..." attribute')
            if name in attachments:
                chk.fail(f'line {b.line}: a second <attachment name="{name}">')
            attachments[name] = b.content
    extras = {
        "docs": docs[0].strip("\n") if docs else "",
        "windows": [b.content for b in blocks if b.name == "window"],
        "styles": [b.content for b in blocks if b.name == "style"],
        "attachments": attachments,
    }

    def script_for_tag(chosen: str | None, tags: list[str]) -> tuple[str, str, int]:
        for b in scripts:
            if "tag" in b.attrs and b.attrs["tag"] not in tags:
                chk.fail(f'line {b.line}: <script tag="{b.attrs["tag"]}"> names a tag not in the config\'s tags '
                         f'({", ".join(tags) or "none"})')
        matching = [b for b in scripts if chosen is not None and b.attrs.get("tag") == chosen]
        if not matching:
            matching = [b for b in scripts if "tag" not in b.attrs]
        if not matching:
            have = ", ".join(sorted({b.attrs["tag"] for b in scripts}))
            chk.fail(f'no <script> block for tag "{chosen}" (scripts exist for tags: {have})')
        if len(matching) > 1:
            chk.fail(f"more than one <script> block for tag \"{chosen}\" "
                     f"(lines {', '.join(str(b.line) for b in matching)})")
        block = matching[0]
        lang = (block.attrs.get("lang") or "python").lower()
        if lang != "python":
            which = f' for tag "{chosen}"' if "tag" in block.attrs else ""
            chk.fail(f'line {block.line}: the script{which} has lang="{lang}"; '
                     'imjoy-hpc runs <script lang="python"> only')
        if not block.content.strip():
            chk.fail(f"line {block.line}: the <script> block is empty")
        script = textwrap.dedent(block.content)  # ImJoy de-indents blocks indented inside the HTML
        _check_python(script, block.content_line, chk, "<script>")
        return script, "python", block.content_line

    return _build_spec(config, chk=chk, fmt="imjoy", tag=tag, default_name=None,
                       script_for_tag=script_for_tag, extras=extras, source_path=source_path, source_hash=digest)


def _python_config(tree: ast.Module, chk: _Checker) -> dict:
    found = []
    for node in tree.body:
        if isinstance(node, ast.Assign):
            names = [t.id for t in node.targets if isinstance(t, ast.Name)]
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            names = [node.target.id]
        else:
            continue
        if CONFIG_VARIABLE in names:
            found.append(node)
    if not found:
        return {}
    if len(found) > 1:
        chk.fail(f"{CONFIG_VARIABLE} is assigned more than once (lines {', '.join(str(n.lineno) for n in found)})")
    node = found[0]
    try:
        value = ast.literal_eval(node.value)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        chk.fail(f"line {node.lineno}: {CONFIG_VARIABLE} must be a literal dict (strings, numbers, lists, dicts, "
                 "True/False/None only; no names or calls)")
    if not isinstance(value, dict):
        chk.fail(f"line {node.lineno}: {CONFIG_VARIABLE} must be a dict, got {_type_name(value)}")
    return value


def _parse_python(source: str, chk: _Checker, tag: str | None, source_path: Path | None, digest: str,
                  default_name: str | None) -> PluginSpec:
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        chk.fail(f"line {exc.lineno}: invalid Python: {exc.msg}")
    config = _python_config(tree, chk)
    if not source.strip():
        chk.fail("the file is empty")

    def script_for_tag(chosen: str | None, tags: list[str]) -> tuple[str, str, int]:
        return source, "python", 1

    extras = {"docs": ast.get_docstring(tree) or ""}
    return _build_spec(config, chk=chk, fmt="python", tag=tag, default_name=default_name,
                       script_for_tag=script_for_tag, extras=extras, source_path=source_path, source_hash=digest)


def _is_path_like(value: str) -> bool:
    return "\n" not in value and "<" not in value and len(value) < 4096


def parse_plugin(path_or_source: str | os.PathLike, *, tag: str | None = None,
                 filename: str | None = None) -> PluginSpec:
    """Parse a plugin file, or plugin source text, into a PluginSpec.

    A Path, or a one-line string without '<', is read as a file; other strings are source text. `filename`
    names the source in error messages (and decides the format when it ends in .py/.html). `tag` selects the
    tag; raises PluginError on any invalid input.
    """
    source_path: Path | None = None
    if isinstance(path_or_source, os.PathLike) or (isinstance(path_or_source, str)
                                                    and _is_path_like(path_or_source)):
        source_path = Path(path_or_source)
        label = filename or str(path_or_source)
        try:
            raw = source_path.read_bytes()
        except FileNotFoundError:
            raise PluginError(f"{label}: plugin file not found") from None
        except IsADirectoryError:
            raise PluginError(f"{label}: is a directory, not a plugin file") from None
        except OSError as exc:
            raise PluginError(f"{label}: cannot read the plugin file: {exc.strerror}") from None
        try:
            source = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise PluginError(f"{label}: not UTF-8 text (byte {exc.start})") from None
    elif isinstance(path_or_source, str):
        source = path_or_source
        label = filename or "<plugin source>"
        raw = source.encode("utf-8")
    else:
        raise TypeError(f"parse_plugin() takes a path or source text, not {type(path_or_source).__name__}")
    digest = hashlib.sha256(raw).hexdigest()
    source = source.removeprefix("\ufeff")
    chk = _Checker(label)
    hint_name = (filename or (source_path.name if source_path else "")).lower()
    if hint_name.endswith(".py"):
        is_imjoy = False
    elif hint_name.endswith((".html", ".htm")):
        is_imjoy = True
    else:
        is_imjoy = bool(_IMJOY_HINT.search(source))
    if is_imjoy:
        return _parse_imjoy(source, chk, tag, source_path, digest)
    base = filename or (source_path.name if source_path else "")
    stem = Path(base).name.split(".")[0] if base else None
    return _parse_python(source, chk, tag, source_path, digest, default_name=stem or None)
