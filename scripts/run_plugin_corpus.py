#!/usr/bin/env python3
"""Run a directory of ImJoy Python plugin files through a private imjoy-hpc gateway, as a new user would.

For every plugin file (`*.imjoy.html` of type native-python / web-python*, or a plain `.py` plugin that calls
`api.export`) under CORPUS_DIR, one at a time:

* load it with the published imjoy-rpc Python client, as ImJoy does: `load_plugin(<the file's source text>)`;
* if the plugin exports `run`, call `run(ctx)` with ctx = {"config": <the defaults of its `ui` form>, "data": {}}
  (ImJoy's ui strings such as "sigma {id: 'sigma', type: 'number', placeholder: 2}" are parsed best-effort: the
  placeholder is the default, else the first option, else a value of the field's type);
* record the outcome (ran / loaded, no run / failed at load / failed at run / timed out), the first line of the
  error, the elapsed seconds and the plugin's warnings (the `warnings` of its `list_instances()` entry);
* kill its instance(s) (`kill_plugin`).

The gateway is `imjoy-hpc serve` on a free loopback port with the embedded default (local) profile, a fresh state
directory under a temporary directory (so every environment is built cold, as for a new user), a token of its own,
`plugins.install-timeout` 300 s and `plugins.start-timeout` 60 s (see the options), started in that temporary
directory (a plugin loaded as source text may write files into its working directory). The client exports
showStatus / showMessage / log / alert / showProgress / onPluginStatus (and a few like them) as no-ops, so plugins
can call them, and answers api.prompt with the prompt's default value and api.confirm with yes, as a user pressing
OK would (--no-answers: it does not); it serves no windows or dialogs (createWindow/showDialog fail, as they do
without an ImJoy app). `--load-option resolve-as-of=2021-06-01` passes load options to every load.

Bounded: a time limit per load and per run, a limit for the whole run (plugins not reached are reported as
skipped), the gateway stopped by its PID at the end (SIGTERM, then SIGKILL, then any of its leftover descendants by
PID). Prints a table and a summary by cause; `--json FILE` writes the report (after every plugin, so an
interrupted run still leaves one).

Usage (from the repository, with its virtualenv):
    .venv/bin/python scripts/run_plugin_corpus.py /tmp/plugin-corpus --json /tmp/plugin-corpus-report.json

The cause column is a guess from the error text (network / app windows / package API / environment build /
timeout / other); deciding whose fault a failure is stays a reader's job.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

READY_LINE = "imjoy-hpc gateway ready at "
PY_TYPE = re.compile(r"^(native-python|web-python)")


# --------------------------------------------------------------------------------------------------------------
# Plugin files


def read_config(source: str) -> dict | None:
    """The `<config>` block of an ImJoy plugin file (JSON or YAML), {} if it cannot be read, None if it has none."""
    m = re.search(r"<config([^>]*)>(.*?)</config>", source, re.S)
    if not m:
        return None
    attrs, body = m.group(1), m.group(2)
    if "yaml" in attrs:
        try:
            import yaml

            data = yaml.safe_load(body)
            return data if isinstance(data, dict) else {}
        except Exception:  # noqa: BLE001 - best effort
            return {}
    try:
        data = json.loads(body)
    except ValueError:
        try:
            data = json.loads(re.sub(r",(\s*[}\]])", r"\1", body))  # a trailing comma, which ImJoy tolerated
        except ValueError:
            data = None
    if isinstance(data, dict):
        return data
    # unreadable JSON: pick out what the runner needs
    out: dict[str, Any] = {}
    for key in ("name", "type", "ui"):
        km = re.search(rf'"{key}"\s*:\s*"((?:[^"\\]|\\.)*)"', body)
        if km:
            out[key] = km.group(1)
    return out


def plugin_kind(path: Path, source: str) -> tuple[str | None, dict]:
    """(The plugin's type, its config) if the file is a Python plugin, else (None, {})."""
    config = read_config(source)
    if config is not None:
        ptype = str(config.get("type") or "")
        return (ptype if PY_TYPE.match(ptype) else None), config
    if path.suffix == ".py" and "api.export(" in source:
        return "python (plain .py)", {"name": path.stem}
    return None, {}


def find_plugins(root: Path) -> list[Path]:
    files = []
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.suffix not in (".html", ".py", ".htm"):
            continue
        try:
            source = path.read_text(errors="replace")
        except OSError:
            continue
        if plugin_kind(path, source)[0]:
            files.append(path)
    return files


# ImJoy's `ui`: text with Joy fields in braces, a JavaScript object literal each ({id: 'x', type: 'number', ...}).
_TOKEN = re.compile(r"""\s*(?:("(?:[^"\\]|\\.)*")|('(?:[^'\\]|\\.)*')|(-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)"""
                    r"""|([A-Za-z_$][\w$.]*)|([{}\[\]:,]))""")


def js_object(text: str) -> Any:
    """A JavaScript object literal (unquoted keys, single-quoted strings, trailing commas) as Python data."""
    parts: list[str] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            if text[pos:].strip() == "":
                break
            raise ValueError(f"cannot read {text[pos:pos + 20]!r}")
        pos = m.end()
        dq, sq, num, ident, punct = m.groups()
        if dq is not None:
            parts.append(dq)
        elif sq is not None:
            inner = sq[1:-1].replace("\\'", "'").replace('"', '\\"')
            parts.append(f'"{inner}"')
        elif num is not None:
            parts.append(num if not num.startswith(".") and not num.startswith("-.") else num.replace(".", "0.", 1))
        elif ident is not None:
            rest = text[pos:].lstrip()
            if rest.startswith(":"):
                parts.append(json.dumps(ident))
            elif ident in ("true", "false", "null"):
                parts.append(ident)
            elif ident == "undefined":
                parts.append("null")
            else:
                parts.append(json.dumps(ident))
        else:
            parts.append(punct)
    joined = re.sub(r",(\s*[}\]])", r"\1", "".join(parts))
    return json.loads(joined)


def _braced(text: str) -> list[str]:
    """The top-level {...} segments of `text`."""
    out, depth, start, quote = [], 0, None, None
    for i, ch in enumerate(text):
        if quote:
            if ch == quote and text[i - 1] != "\\":
                quote = None
            continue
        if ch in "'\"" and depth:
            quote = ch
        elif ch == "{":
            if depth == 0:
                start = i
            depth += 1
        elif ch == "}" and depth:
            depth -= 1
            if depth == 0:
                out.append(text[start:i + 1])
    return out


def _field_default(field: dict) -> Any:
    ftype = str(field.get("type") or "").lower()
    value = field.get("placeholder", field.get("value", field.get("default")))
    options = field.get("options")
    if value is None and isinstance(options, list) and options:
        value = options[0]
    if ftype == "number":
        if isinstance(value, str):
            try:
                num = float(value)
                value = int(num) if num.is_integer() and "." not in value else num
            except ValueError:
                value = None
        if value is None:
            value = field.get("min", 0)
    elif ftype in ("boolean", "checkbox"):
        value = value if isinstance(value, bool) else str(value).lower() == "true" if value is not None else False
    elif value is None:
        value = ""
    return value


def ui_defaults(ui: Any) -> dict:
    """The values ImJoy's form for `ui` starts with, by field id (best effort; unreadable fields are left out)."""
    if ui is None:
        return {}
    if isinstance(ui, list):
        ui = "\n".join(map(str, ui))
    if isinstance(ui, dict):
        ui = json.dumps(ui)
    defaults: dict[str, Any] = {}
    for segment in _braced(str(ui)):
        try:
            field = js_object(segment)
        except ValueError:
            field = {}
            for key in ("id", "type", "placeholder"):
                m = re.search(rf"""{key}\s*:\s*(?:'([^']*)'|"([^"]*)"|([\w.+-]+))""", segment)
                if m:
                    field[key] = next(g for g in m.groups() if g is not None)
        if isinstance(field, dict) and field.get("id"):
            defaults[str(field["id"])] = _field_default(field)
    return defaults


# --------------------------------------------------------------------------------------------------------------
# Outcomes


CAUSES = [
    ("unreachable (network)", re.compile(
        r"github\.com|gitlab|bitbucket|conda-forge|anaconda\.org|repo\.anaconda|Could not resolve|"
        r"Name or service not known|Temporary failure in name resolution|Network is unreachable|"
        r"Failed to establish a new connection|Connection refused|No route to host|unreachable|could not be reached|"
        r"URLError|urlopen error|Max retries exceeded|failed to fetch|download", re.I)),
    ("needs the ImJoy app (windows, dialogs, answers)", re.compile(
        r"needs the ImJoy web app|is not available: the ImJoy app|needs a client that answers it|"
        r"createWindow|showDialog|showFileDialog|getWindow", re.I)),
    ("package import / API", re.compile(
        r"ImportError|ModuleNotFoundError|No module named|cannot import name|AttributeError|has no attribute|"
        r"resolve-as-of", re.I)),
    ("environment build", re.compile(
        r"pip|uv |requirement|environment|conda|install|wheel|build", re.I)),
    ("timeout", re.compile(r"timed? ?out|within \d+ s|TimeoutError", re.I)),
]


def guess_cause(outcome: str, error: str) -> str:
    if outcome in ("ran", "loaded (no run)"):
        return ""
    if outcome.startswith("skipped"):
        return "not reached"
    for name, pattern in CAUSES:
        if pattern.search(error or ""):
            return name
    if outcome.endswith("timeout"):
        return "timeout"
    return "other"


def first_line(text: str) -> str:
    for line in str(text).splitlines():
        line = line.strip()
        if line and not line.startswith("Traceback (most recent call last)"):
            return line[:400]
    return str(text).strip()[:400]


# --------------------------------------------------------------------------------------------------------------
# The gateway


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gateway:
    """`imjoy-hpc serve` started by this script, stopped by its PID."""

    def __init__(self, workdir: Path, state_dir: Path, settings: dict, python: str) -> None:
        self.workdir, self.state_dir, self.settings, self.python = workdir, state_dir, settings, python
        self.proc: subprocess.Popen | None = None
        self.token = secrets.token_urlsafe(24)
        self.port = 0
        self.log_path = workdir / "gateway.out"
        self.pids: set[int] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def start(self, timeout: float = 120) -> None:
        import yaml

        config = {"imjoy-hpc": {"state-dir": str(self.state_dir), **self.settings}}
        config_file = self.workdir / "gateway.yaml"
        config_file.write_text(yaml.safe_dump(config))
        self.port = free_port()
        env = {**os.environ, "IMJOY_HPC_TOKEN": self.token}
        env.pop("IMJOY_HPC_CONFIG", None)
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [self.python, "-m", "imjoy_hpc", "serve", "--port", str(self.port), "--config", str(config_file)],
                stdout=log, stderr=subprocess.STDOUT, env=env, stdin=subprocess.DEVNULL,
                cwd=self.workdir)  # plugins loaded as source may write into the gateway's directory: a temporary one
        deadline = time.monotonic() + timeout
        while READY_LINE not in self.log():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the gateway did not start:\n" + self.log()[-3000:])
            time.sleep(0.2)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def note_descendants(self) -> None:
        """Remember the PIDs of the gateway's descendants (workers, plugin processes), to end leftovers by PID."""
        if not self.alive():
            return
        try:
            import psutil

            self.pids |= {p.pid for p in psutil.Process(self.proc.pid).children(recursive=True)}
        except Exception:  # noqa: BLE001 - psutil missing or the process gone
            pass

    def stop(self, timeout: float = 60) -> None:
        if self.proc is None:
            return
        self.note_descendants()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        leftovers = []
        try:
            import psutil

            for pid in sorted(self.pids):
                with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                    proc = psutil.Process(pid)
                    leftovers.append(proc)
                    proc.terminate()
            _, alive = psutil.wait_procs(leftovers, timeout=10)
            for proc in alive:
                with contextlib.suppress(psutil.NoSuchProcess):
                    proc.kill()
        except ImportError:
            pass


# --------------------------------------------------------------------------------------------------------------
# The client


class Client:
    """The imjoy-rpc client connected to the gateway, exporting ImJoy's UI calls as no-ops."""

    def __init__(self, answer: bool = True) -> None:
        self.answer = answer
        self.server = None
        self.statuses: dict[str, list[dict]] = {}
        self.messages: list[str] = []

    def api(self) -> dict:
        async def note(*args: Any, **kwargs: Any) -> None:
            self.messages.append(" ".join(map(str, args))[:300])

        async def on_status(info: Any) -> None:
            try:
                info = dict(info)
                self.statuses.setdefault(str(info.get("id")), []).append(info)
            except Exception:  # noqa: BLE001
                pass

        # a user who presses OK: a prompt gets its default value, a confirmation is accepted
        async def prompt(text: Any = "", default: Any = None, *args: Any, **kwargs: Any) -> Any:
            self.messages.append(f"prompt: {text} -> {default!r}"[:300])
            return default

        async def confirm(*args: Any, **kwargs: Any) -> bool:
            self.messages.append("confirm: " + " ".join(map(str, args))[:300])
            return True

        api: dict[str, Any] = {"onPluginStatus": on_status, "on_plugin_status": on_status}
        for name in ("showStatus", "showMessage", "log", "info", "error", "alert", "showProgress", "showSnackbar",
                     "progress"):
            api[name] = note
        if self.answer:
            api.update(prompt=prompt, confirm=confirm)
        return api

    async def connect(self, gateway: Gateway) -> None:
        from imjoy_rpc import connect_to_server

        self.server = await connect_to_server({"server_url": gateway.url, "name": "plugin-corpus",
                                               "token": gateway.token})
        await self.server.export(self.api())

    async def disconnect(self) -> None:
        server, self.server = self.server, None
        if server is None:
            return
        with contextlib.suppress(Exception):
            server.dispose()
        with contextlib.suppress(Exception):
            sio = server._rpc._connection.sio
            if sio.connected:
                await asyncio.wait_for(sio.disconnect(), 10)


def _get(obj: Any, name: str) -> Any:
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, name, None)


async def run_one(client: Client, path: Path, root: Path, args: argparse.Namespace, time_left: float) -> dict:
    source = path.read_text(errors="replace")
    ptype, config = plugin_kind(path, source)
    ctx = {"config": ui_defaults(config.get("ui")), "data": {}}
    record: dict[str, Any] = {
        "file": str(path.relative_to(root)), "name": config.get("name"), "type": ptype, "outcome": "",
        "error": "", "error_text": "", "elapsed": 0.0, "load_seconds": None, "run_seconds": None, "warnings": [],
        "has_run": None, "ctx_config": ctx["config"], "instance": None, "state": None, "log_tail": "",
    }
    server = client.server
    mark = len(client.messages)
    before = {i["id"] for i in await asyncio.wait_for(server.list_instances(), 30)}
    t0 = time.monotonic()
    plugin = None
    load_timeout = min(args.load_timeout, max(time_left, 5))
    try:
        plugin = await asyncio.wait_for(server.load_plugin(source, dict(args.load_options)), load_timeout)
        record["load_seconds"] = round(time.monotonic() - t0, 1)
    except asyncio.TimeoutError:
        record.update(outcome="load timeout", error=f"load_plugin did not answer within {load_timeout:.0f} s")
    except Exception as exc:  # noqa: BLE001 - the plugin's failure is the measurement
        record.update(outcome="failed at load", error=first_line(exc), error_text=str(exc)[:4000])
    if plugin is not None:
        run = _get(plugin, "run")
        record["has_run"] = callable(run)
        if not callable(run):
            record["outcome"] = "loaded (no run)"
        else:
            t1 = time.monotonic()
            run_timeout = min(args.run_timeout, max(time_left - (t1 - t0), 5))
            try:
                await asyncio.wait_for(run(ctx), run_timeout)
                record["outcome"] = "ran"
            except asyncio.TimeoutError:
                record.update(outcome="run timeout", error=f"run(ctx) did not return within {run_timeout:.0f} s")
            except Exception as exc:  # noqa: BLE001
                record.update(outcome="failed at run", error=first_line(exc), error_text=str(exc)[:4000])
            record["run_seconds"] = round(time.monotonic() - t1, 1)
    record["elapsed"] = round(time.monotonic() - t0, 1)
    # the instance(s) this load made: warnings, state, log; then kill them
    try:
        new = [i for i in await asyncio.wait_for(server.list_instances(), 30) if i["id"] not in before]
    except Exception:  # noqa: BLE001
        new = []
    warnings: list[str] = []
    for inst in new:
        for w in inst.get("warnings") or []:
            if w not in warnings:
                warnings.append(w)
    record["warnings"] = warnings
    if new:
        main = new[0]
        record["instance"], record["state"] = main.get("id"), main.get("state")
        if not record["error"] and main.get("error") and record["outcome"] not in ("ran", "loaded (no run)"):
            record["error"] = first_line(main["error"])
        with contextlib.suppress(Exception):
            log = await asyncio.wait_for(server.plugin_log(main["id"], 40), 15)
            record["log_tail"] = str(_get(log, "log_tail") or "")[-4000:]
    for inst in new:
        if inst.get("state") not in ("stopped", "failed", "killed", "ended"):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.kill_plugin(inst["id"]), 30)
    record["messages"] = client.messages[mark:mark + 20]
    record["cause"] = guess_cause(record["outcome"], record["error"] + "\n" + record["error_text"])
    return record


# --------------------------------------------------------------------------------------------------------------
# Report


def table(records: list[dict]) -> str:
    lines = [f"{'#':>3}  {'outcome':<16} {'s':>6}  {'file':<60} error / warnings"]
    for i, r in enumerate(records, 1):
        note = r["error"] or (f"warnings: {len(r['warnings'])}" if r["warnings"] else "")
        lines.append(f"{i:>3}  {r['outcome']:<16} {r['elapsed']:>6.1f}  {r['file'][:60]:<60} {note[:160]}")
    return "\n".join(lines)


def summary(records: list[dict]) -> dict:
    by_outcome: dict[str, int] = {}
    by_cause: dict[str, list[str]] = {}
    for r in records:
        by_outcome[r["outcome"]] = by_outcome.get(r["outcome"], 0) + 1
        if r.get("cause"):
            by_cause.setdefault(r["cause"], []).append(r["file"])
    return {"files": len(records), "by_outcome": by_outcome,
            "by_cause": {k: len(v) for k, v in sorted(by_cause.items(), key=lambda kv: -len(kv[1]))},
            "files_by_cause": by_cause}


def write_report(path: str | None, records: list[dict], meta: dict) -> None:
    if not path:
        return
    tmp = Path(path).with_suffix(".tmp")
    tmp.write_text(json.dumps({"meta": meta, "summary": summary(records), "plugins": records}, indent=1,
                              default=str))
    tmp.replace(path)


# --------------------------------------------------------------------------------------------------------------


async def main_async(args: argparse.Namespace) -> int:
    root = Path(args.corpus).resolve()
    files = find_plugins(root)
    if args.only:
        files = [f for f in files if any(s in str(f.relative_to(root)) for s in args.only)]
    if not files:
        print(f"no ImJoy Python plugin files under {root}", file=sys.stderr)
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="plugin-corpus-"))
    state_dir = Path(args.state_dir).resolve() if args.state_dir else workdir / "state"
    settings = {
        "sessions": {"grace-period": 0},
        "plugins": {"install-timeout": args.install_timeout, "start-timeout": args.start_timeout},
        "default-profile": "local",
    }
    if args.processes:
        settings["profiles"] = {"local": {"backend": "local", "processes": args.processes}}
    gateway = Gateway(workdir, state_dir, settings, args.python)
    meta = {"corpus": str(root), "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "settings": settings, "workdir": str(workdir), "state_dir": str(state_dir),
            "load_options": dict(args.load_options), "prompts_answered": not args.no_answers,
            "run_timeout": args.run_timeout, "load_timeout": args.load_timeout, "total_timeout": args.total_timeout}
    with contextlib.suppress(Exception):
        meta["commit"] = subprocess.run(["git", "-C", str(Path(__file__).resolve().parent), "rev-parse", "HEAD"],
                                        capture_output=True, text=True).stdout.strip()
    print(f"{len(files)} plugin files under {root}; gateway state in {state_dir}", flush=True)
    records: list[dict] = []
    client = Client(answer=not args.no_answers)
    deadline = time.monotonic() + args.total_timeout
    try:
        gateway.start()
        await client.connect(gateway)
        for n, path in enumerate(files, 1):
            rel = str(path.relative_to(root))
            left = deadline - time.monotonic()
            if left < 10:
                records.append({"file": rel, "name": None, "type": None, "outcome": "skipped (total timeout)",
                                "error": "", "error_text": "", "elapsed": 0.0, "warnings": [],
                                "cause": "not reached"})
                continue
            if not gateway.alive():
                print("  the gateway has ended; starting it again", flush=True)
                await client.disconnect()
                gateway.start()
                await client.connect(gateway)
            gateway.note_descendants()
            try:
                record = await run_one(client, path, root, args, left)
            except Exception as exc:  # noqa: BLE001 - the connection or gateway failed: note it, go on
                record = {"file": rel, "name": None, "type": None, "outcome": "runner error", "error": first_line(exc),
                          "error_text": str(exc)[:4000], "elapsed": 0.0, "warnings": [], "cause": "runner error"}
                await client.disconnect()
                if gateway.alive():
                    with contextlib.suppress(Exception):
                        await client.connect(gateway)
            gateway.note_descendants()
            records.append(record)
            print(f"[{n}/{len(files)}] {record['outcome']:<16} {record['elapsed']:>6.1f}s  {rel}"
                  + (f"\n      {record['error']}" if record["error"] else "")
                  + "".join(f"\n      warning: {w[:200]}" for w in record["warnings"]), flush=True)
            write_report(args.json, records, meta)
    finally:
        await client.disconnect()
        gateway.stop()
        meta["finished"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        meta["gateway_log_tail"] = gateway.log()[-4000:]
        write_report(args.json, records, meta)
    print()
    print(table(records))
    s = summary(records)
    print()
    print(f"{s['files']} files: " + ", ".join(f"{k} {v}" for k, v in s["by_outcome"].items()))
    print("by cause (guessed from the error text):")
    for cause, count in s["by_cause"].items():
        print(f"  {count:>3}  {cause}")
    if args.json:
        print(f"report: {args.json}")
    if not args.keep and not args.state_dir:
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)
    elif args.keep:
        print(f"kept: {workdir}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", help="directory of plugin files (searched recursively)")
    parser.add_argument("--json", metavar="FILE", help="write the report as JSON")
    parser.add_argument("--only", action="append", metavar="TEXT", help="only files whose path contains TEXT")
    parser.add_argument("--load-option", action="append", default=[], metavar="KEY=VALUE",
                        help="an option for load_plugin, e.g. resolve-as-of=2021-06-01 (repeatable)")
    parser.add_argument("--no-answers", action="store_true",
                        help="do not answer api.prompt/api.confirm (default: the prompt's default value, yes)")
    parser.add_argument("--install-timeout", type=float, default=300, help="plugins.install-timeout (s)")
    parser.add_argument("--start-timeout", type=float, default=60, help="plugins.start-timeout (s)")
    parser.add_argument("--load-timeout", type=float, default=None,
                        help="seconds to wait for load_plugin (default: install + start timeout + 60)")
    parser.add_argument("--run-timeout", type=float, default=120, help="seconds to wait for run(ctx)")
    parser.add_argument("--total-timeout", type=float, default=3600, help="seconds for the whole run")
    parser.add_argument("--processes", type=int, default=1, help="worker processes of the local profile")
    parser.add_argument("--state-dir", help="the gateway's state dir (default: a fresh one, removed at the end)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (state, logs)")
    parser.add_argument("--python", default=sys.executable, help="Python that runs `-m imjoy_hpc serve`")
    args = parser.parse_args(argv)
    args.load_options = []
    for item in args.load_option:
        key, sep, value = item.partition("=")
        if not sep:
            parser.error(f"--load-option takes KEY=VALUE, got {item!r}")
        args.load_options.append((key.strip(), value))
    if args.load_timeout is None:
        args.load_timeout = args.install_timeout + args.start_timeout + 60
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    raise SystemExit(main())
