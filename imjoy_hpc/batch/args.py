"""JSON arguments of a batch call, and how they become the plugin function's arguments.

The rules (also in `imjoy-hpc run --help`):

* no arguments: ``run`` gets ``ctx = {"config": {}, "data": {}}``; any other function is called with none;
* a JSON object: ``run`` gets ``ctx = {"config": <object>, "data": {}}`` (as the ImJoy app calls ``run``);
  any other function gets the object's members as keyword arguments;
* a JSON list: the items are the positional arguments (for ``run`` too); ``[[1, 2]]`` passes one list;
* any other JSON value (number, string, true/false, null): that one positional argument.

Anywhere in the arguments, ``{"$ndarray": "file.npy"}`` stands for the array in that file (relative paths are
taken from the directory of the arguments file, or the current directory for ``--args``). Array references in
a result.json have this form, so one run's arrays can be fed to the next.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from imjoy_hpc.batch import BatchError

NO_ARGS: Any = type("NoArgs", (), {"__repr__": lambda self: "NO_ARGS", "__bool__": lambda self: False})()
NDARRAY_KEY = "$ndarray"
RUN_FUNCTION = "run"


def _json_error(where: str, exc: json.JSONDecodeError) -> BatchError:
    return BatchError(f"{where} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")


def parse_json(text: str, where: str) -> Any:
    """`text` as JSON; BatchError naming `where` (e.g. "--args") and the position of the mistake."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise _json_error(where, exc) from None


def read_json_file(path: str | os.PathLike, what: str) -> Any:
    """A JSON file's value; BatchError naming the option (`what`) and the file when it is missing or invalid."""
    p = Path(path).expanduser()
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BatchError(f"{what} {p}: file not found") from None
    except IsADirectoryError:
        raise BatchError(f"{what} {p}: is a directory, not a JSON file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BatchError(f"{what} {p}: cannot read it: {exc}") from None
    return parse_json(text, f"{what} {p}")


def load_args(text: str | None = None, file: str | os.PathLike | None = None,
              index: int | None = None) -> tuple[Any, Path]:
    """The argument value of `--args TEXT` or `--args-file FILE` (item `index` of its list when given) and the
    directory relative `$ndarray` paths are taken from. NO_ARGS when neither is given."""
    if text is not None and file is not None:
        raise BatchError("give --args or --args-file, not both")
    if file is not None:
        value = read_json_file(file, "--args-file")
        base = Path(file).expanduser().resolve().parent
        where = f"--args-file {file}"
    elif text is not None:
        value = parse_json(text, "--args")
        base = Path.cwd()
        where = "--args"
    else:
        if index is not None:
            raise BatchError("--args-index needs --args or --args-file holding a JSON list")
        return NO_ARGS, Path.cwd()
    if index is not None:
        if not isinstance(value, list):
            raise BatchError(f"{where}: --args-index needs a JSON list of argument sets, got {_kind(value)}")
        if not 0 <= index < len(value):
            raise BatchError(f"--args-index {index} is out of range: {where} holds {len(value)} argument sets")
        value = value[index]
    check_refs(value, base, where)
    return value, base


def load_array(file: str | os.PathLike, max_size: int) -> list:
    """The argument sets of `--array FILE`: a non-empty JSON list of at most `max_size` items."""
    value = read_json_file(file, "--array")
    if not isinstance(value, list):
        raise BatchError(f"--array {file}: must hold a JSON list of argument sets, got {_kind(value)}")
    if not value:
        raise BatchError(f"--array {file}: the list is empty (nothing to run)")
    if len(value) > max_size:
        raise BatchError(f"--array {file}: {len(value)} argument sets exceed the limit of {max_size} "
                         "(imjoy-hpc.batch.max-array-size)")
    base = Path(file).expanduser().resolve().parent
    for i, item in enumerate(value):
        check_refs(item, base, f"--array {file} item {i}")
    return value


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "true/false", type(None): "null"}.get(
        type(value), "a number")


def _ref_path(value: Any) -> str | None:
    if isinstance(value, dict) and NDARRAY_KEY in value:
        return value[NDARRAY_KEY]
    return None


def check_refs(value: Any, base: Path, where: str) -> None:
    """Every `{"$ndarray": path}` in `value` names an existing file (BatchError otherwise)."""
    for ref in _refs(value):
        if not isinstance(ref, str) or not ref:
            raise BatchError(f"{where}: \"$ndarray\" must be a file path, got {ref!r}")
        path = (base / Path(ref).expanduser())
        if not path.is_file():
            raise BatchError(f"{where}: array file {path} (from \"$ndarray\": {ref!r}) not found")


def _refs(value: Any):
    ref = _ref_path(value)
    if ref is not None:
        yield ref
    elif isinstance(value, dict):
        for v in value.values():
            yield from _refs(v)
    elif isinstance(value, list):
        for v in value:
            yield from _refs(v)


def absolute_refs(value: Any, base: Path) -> Any:
    """`value` with every `$ndarray` path made absolute (for arguments copied into a job's directory)."""
    ref = _ref_path(value)
    if ref is not None:
        return {**value, NDARRAY_KEY: str((base / Path(str(ref)).expanduser()).resolve())}
    if isinstance(value, dict):
        return {k: absolute_refs(v, base) for k, v in value.items()}
    if isinstance(value, list):
        return [absolute_refs(v, base) for v in value]
    return value


def resolve_refs(value: Any, base: Path) -> Any:
    """`value` with every `$ndarray` reference replaced by the array loaded from its file."""
    ref = _ref_path(value)
    if ref is not None:
        import numpy as np

        path = base / Path(str(ref)).expanduser()
        try:
            return np.load(path, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise BatchError(f"cannot load the array {path}: {exc}") from None
    if isinstance(value, dict):
        return {k: resolve_refs(v, base) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_refs(v, base) for v in value]
    return value


def call_arguments(function: str, value: Any) -> tuple[list, dict]:
    """(positional, keyword) arguments for calling `function` with the argument value (see the module doc)."""
    if value is NO_ARGS:
        return ([{"config": {}, "data": {}}] if function == RUN_FUNCTION else []), {}
    if isinstance(value, dict):
        if function == RUN_FUNCTION:
            return [{"config": value, "data": {}}], {}
        bad = [k for k in value if not k.isidentifier()]
        if bad:
            raise BatchError(f"keyword argument {bad[0]!r} of {function}() is not a valid Python name "
                             "(pass a JSON list for positional arguments)")
        return [], dict(value)
    if isinstance(value, list):
        return list(value), {}
    return [value], {}
