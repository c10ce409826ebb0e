"""Load on one gateway: N plugin instances and M clients, beside the same gateway idle, and a neighbour's attack.

Memory per plugin process, the gateway's memory and the latency of small calls under load, beside the same gateway
idle (1 client, 1 plugin), in one run; then a neighbour's attack (descriptor flood, 8 MiB pre-auth messages) and
the owner's latency before/during/after it.

    .venv/bin/python benchmarks/bench_load.py [--plugins 200] [--clients 50] [--calls 500] [--flood 1100]
                                              [--max-seconds 600] [--no-attack]
    .venv/bin/python benchmarks/bench_load.py --plugins 10 --clients 3 --flood 50      # a small first try

Ours: a real `imjoy-hpc serve` on the local profile (2 Dask worker processes with enough plugin slots), a tiny
`.imjoy.html` plugin with `echo` (not single-instance: every load is a new plugin process), and M real imjoy-rpc
0.5.59 clients, each loading N/M plugins (8 starts at a time). The owner (client 1, in this process) measures
`echo` of a small dict, one call at a time, 10 ms apart, round-robin over its plugins, while the M-1 other clients
(one helper process) call their plugins at --rate calls/s each. Memory: psutil over the gateway's descendants that
run `python -m imjoy_hpc.plugins.host` (RSS, and USS, which leaves out pages shared with other processes).
Baseline: the same gateway before the load, idle, with 1 client (the owner) and 1 plugin: same call, same pacing.
The neighbour (bench_neighbour.py, without the token; as root the run creates a second Unix user for it and
deletes it afterwards) then (a) opens --flood idle TCP connections to the front door, holds them --hold s and
closes them, and (b) sends 8 MiB socket.io `register_plugin` events whose arguments are `{},{},...` before
registering, one after another for 5 s (at most 100). Refusals are the expected outcome; what happened is reported as seen.
Everything is bounded: every loop by count and time, the whole run by --max-seconds (a watchdog kills what is
left by PID). Ctrl-C and the end stop the gateway (SIGTERM, then wait) and check by PID that nothing is left.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import math
import os
import pwd
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench_neighbour import MARK, emit
from common import summary  # also puts tests/ on sys.path (gateway_support)
from gateway_support import disconnect

MB = 2**20
GAP = 0.010                     # seconds between two of the owner's calls
CALL_TIMEOUT = 30.0
GOODBYE = 0.3                   # seconds an imjoy-rpc client is given to send its goodbye before its socket closes
CONNECT_INTERVAL = 0.1          # the other clients connect 10 per second (the front door takes up to 20/s)
GOAL_P99_MS = 50.0
NEIGHBOUR_PYTHON = "/usr/bin/python3"  # the system's Python: the neighbour cannot read our virtualenv
PAYLOAD = {"op": "echo", "values": [1, 2.5, None, True], "text": "hello", "i": 0}
PLUGIN_NAME = "Load Echo"
PLUGIN_SOURCE = """<config lang="json">
{"name": "Load Echo", "type": "native-python", "version": "0.1.0", "api_version": "0.1.8", "flags": [],
 "requirements": []}
</config>
<script lang="python">
from imjoy import api


class ImJoyPlugin:
    def setup(self):
        pass

    def echo(self, value):
        return value


api.export(ImJoyPlugin())
</script>
"""


# ---------------------------------------------------------------------------------------------------- figures
def pct(values: list[float], q: float) -> float:
    """The q-quantile as common.p50_row takes it (nearest rank from below)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def lat(values: list[float]) -> str:
    if not values:
        return "no calls"
    return (f"p50 {pct(values, .5):6.2f} p99 {pct(values, .99):7.2f} [{min(values):.2f}-{max(values):.2f}] ms "
            f"n={len(values)}")


def goal(values: list[float]) -> str:
    if not values:
        return ""
    p99 = pct(values, .99)
    return f"goal p99 < {GOAL_P99_MS:.0f} ms: {'met' if p99 < GOAL_P99_MS else 'MISSED'}"


def progress(t0: float, text: str) -> None:
    print(f"[{time.monotonic() - t0:6.1f} s] {text}", file=sys.stderr, flush=True)


def stdin_lines(loop: asyncio.AbstractEventLoop) -> asyncio.Queue:
    """The helper's commands: JSON lines on stdin, {"cmd": "eof"} when the main process has gone."""
    queue: asyncio.Queue = asyncio.Queue()

    def read() -> None:
        for line in sys.stdin:
            try:
                loop.call_soon_threadsafe(queue.put_nowait, json.loads(line))
            except (ValueError, RuntimeError):
                pass
        try:
            loop.call_soon_threadsafe(queue.put_nowait, {"cmd": "eof"})
        except RuntimeError:
            pass

    threading.Thread(target=read, daemon=True, name="stdin").start()
    return queue


def quiet_disconnects(loop: asyncio.AbstractEventLoop) -> None:
    """imjoy-rpc 0.5.59 emits after its socket has closed; that error says nothing about the gateway."""
    def handler(loop, context) -> None:
        if type(context.get("exception")).__name__ != "BadNamespaceError":
            loop.default_exception_handler(context)

    loop.set_exception_handler(handler)


# ---------------------------------------------------------------------------------------------------- the other clients
async def crowd(cfg: dict) -> None:
    """M-1 real imjoy-rpc clients: connect, load their plugins (bounded concurrency), call them at a steady rate
    when told to, report their own latencies, disconnect."""
    import imjoy_rpc

    loop = asyncio.get_running_loop()
    quiet_disconnects(loop)
    commands = stdin_lines(loop)
    t0 = time.monotonic()
    load_end, end = t0 + cfg["load_seconds"], t0 + cfg["max_seconds"]
    counts: list[int] = cfg["counts"]
    sem = asyncio.Semaphore(cfg["concurrency"])
    servers: list = [None] * len(counts)
    plugins: list[list] = [[] for _ in counts]
    state = {"loaded": 0, "failed": 0, "clients": 0, "retries": 0}
    errors: list[str] = []
    total = sum(counts)

    in_flight: dict[int, float] = {}     # loads under way: id -> when they started
    state["last_done"] = t0

    async def one_load(i: int) -> None:
        async with sem:
            key = id(asyncio.current_task())
            in_flight[key] = time.monotonic()
            try:
                plugin = await asyncio.wait_for(servers[i].load_plugin(cfg["source"]), cfg["start_timeout"])
                plugins[i].append(plugin)
                state["loaded"] += 1
            except Exception as exc:  # noqa: BLE001 - counted and reported
                state["failed"] += 1
                if len(errors) < 3:
                    errors.append(f"{type(exc).__name__}: {exc}"[:200])
            finally:
                in_flight.pop(key, None)
                state["last_done"] = time.monotonic()
        emit("progress", loaded=state["loaded"], failed=state["failed"], total=total)

    async def one_client(i: int) -> None:
        # Paced (the front door takes a bounded number of registrations per second), 3 attempts.
        await asyncio.sleep(i * CONNECT_INTERVAL)
        for attempt in range(3):
            try:
                servers[i] = await asyncio.wait_for(imjoy_rpc.connect_to_server(
                    {"server_url": cfg["url"], "name": f"load-client-{i + 2}", "token": cfg["token"]}), 60)
                state["clients"] += 1
                break
            except Exception as exc:  # noqa: BLE001
                state["retries"] += 1
                last = f"connect: {type(exc).__name__}: {exc}"[:200]
                await asyncio.sleep(1.0 + attempt)
        else:
            state["failed"] += counts[i]
            if len(errors) < 3:
                errors.append(last)
            return
        await asyncio.gather(*(one_load(i) for _ in range(counts[i])))

    tasks = [asyncio.ensure_future(one_client(i)) for i in range(len(counts))]
    pending, stalled = set(tasks), False
    while pending and time.monotonic() < load_end:
        if time.monotonic() - state["last_done"] > cfg["stall"]:
            stalled = True  # nothing finished starting for a while: go on without the stuck ones
            break
        _, pending = await asyncio.wait(pending, timeout=max(0.1, min(2.0, load_end - time.monotonic())))
    now = time.monotonic()
    stuck = sorted(now - started for started in in_flight.values())
    for task in pending:
        task.cancel()
    emit("ready", clients=state["clients"], loaded=state["loaded"], failed=state["failed"], retries=state["retries"],
         not_started=total - state["loaded"] - state["failed"], errors=errors, seconds=now - t0,
         stuck=stuck, stalled=stalled)

    command = await commands.get()
    latencies: list[float] = []
    failures = collections.Counter()
    stop = asyncio.Event()

    async def caller(i: int) -> None:
        mine = plugins[i]
        if not mine:
            return
        interval = 1.0 / cfg["rate"]
        due, k = time.monotonic() + random.uniform(0, interval), 0
        while not stop.is_set() and time.monotonic() < end:
            delay = due - time.monotonic()
            if delay > 0:
                try:
                    await asyncio.wait_for(stop.wait(), delay)
                    break
                except asyncio.TimeoutError:
                    pass
            due = max(due + interval, time.monotonic())
            payload = {**PAYLOAD, "i": k}
            start = time.perf_counter()
            try:
                reply = await asyncio.wait_for(mine[k % len(mine)].echo(payload), CALL_TIMEOUT)
                if reply == payload:
                    latencies.append((time.perf_counter() - start) * 1000)
                else:
                    failures["wrong reply"] += 1
            except Exception as exc:  # noqa: BLE001
                failures[type(exc).__name__] += 1
            k += 1

    started = time.monotonic()
    callers = []
    if command.get("cmd") == "go":
        callers = [asyncio.ensure_future(caller(i)) for i in range(len(counts))]
        while command.get("cmd") not in ("stop", "eof"):
            try:
                command = await asyncio.wait_for(commands.get(), max(0.1, end - time.monotonic()))
            except asyncio.TimeoutError:
                break
    stop.set()
    if callers:
        await asyncio.wait(callers, timeout=CALL_TIMEOUT + 5)
    seconds = time.monotonic() - started
    emit("stats", calls=len(latencies), failures=dict(failures), seconds=seconds,
         rate=len(latencies) / seconds if seconds > 0 else 0.0,
         p50=pct(latencies, .5) if latencies else None, p99=pct(latencies, .99) if latencies else None,
         max=max(latencies) if latencies else None)
    try:
        await asyncio.wait_for(asyncio.gather(*(disconnect(s, GOODBYE) for s in servers if s is not None),
                                              return_exceptions=True), 20)
    except asyncio.TimeoutError:
        pass
    emit("bye")


# ---------------------------------------------------------------------------------------------------- main process
class Child:
    """A helper process of ours: JSON config and commands on stdin, events on stdout. By default this file in
    `--role` mode with our interpreter; `argv` and `user` run another program as another Unix user."""

    def __init__(self, role: str, config: dict, log_path: Path, loop: asyncio.AbstractEventLoop,
                 argv: list[str] | None = None, user: str | None = None) -> None:
        self.role, self.loop = role, loop
        self.queue: asyncio.Queue = asyncio.Queue()
        self.log = open(log_path, "a", buffering=1)
        as_user: dict = {}
        if user is not None:
            entry = pwd.getpwnam(user)
            as_user = dict(user=entry.pw_uid, group=entry.pw_gid, extra_groups=[], cwd="/",
                           env={"PATH": "/usr/bin:/bin"})
        self.proc = subprocess.Popen(argv or [sys.executable, str(Path(__file__).resolve()), f"--{role}"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log, text=True,
                                     bufsize=1, start_new_session=True, **as_user)  # Ctrl-C reaches us; we stop it
        self.send(config)
        threading.Thread(target=self._read, daemon=True, name=f"{role}-out").start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            if line.startswith(MARK):
                try:
                    self._put(json.loads(line[len(MARK):]))
                except ValueError:
                    pass
            else:
                self.log.write(line)
        self._put({"event": "eof", "t": time.monotonic()})

    def _put(self, event: dict) -> None:
        try:
            self.loop.call_soon_threadsafe(self.queue.put_nowait, event)
        except RuntimeError:  # the loop has ended
            pass

    def send(self, obj: dict) -> None:
        try:
            self.proc.stdin.write(json.dumps(obj) + "\n")
            self.proc.stdin.flush()
        except (OSError, ValueError):
            pass

    async def next(self, timeout: float) -> dict:
        return await asyncio.wait_for(self.queue.get(), max(0.1, timeout))

    def stop(self, timeout: float = 10) -> int:
        try:
            self.proc.stdin.close()
        except (OSError, ValueError):
            pass
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        return self.proc.returncode


class State:
    """What the run started (to stop it by PID) and what it measured (to report even a cut-short run)."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.t0 = time.monotonic()
        self.gateway = None
        self.children: list[Child] = []
        self.seen: dict[int, float] = {}     # every descendant of the gateway we saw: pid -> create time
        self.lock = threading.Lock()
        self.samples: list[tuple[float, int, int]] = []  # (time, gateway RSS, gateway open descriptors)
        self.sampling = threading.Event()
        self.phase = "starting the gateway"
        self.R: dict = {}

    def remember_tree(self) -> None:
        import psutil

        if self.gateway is None:
            return
        try:
            procs = psutil.Process(self.gateway.proc.pid).children(recursive=True)
        except psutil.Error:
            return
        for p in procs:
            try:
                with self.lock:
                    self.seen.setdefault(p.pid, p.create_time())
            except psutil.Error:
                pass

    def sample_forever(self) -> None:
        """Gateway RSS and descriptors every 50 ms, its process tree every 2 s (a thread: not delayed by our loop)."""
        import psutil

        try:
            gw = psutil.Process(self.gateway.proc.pid)
        except psutil.Error:
            return
        last_tree = 0.0
        while self.sampling.is_set():
            try:
                self.samples.append((time.monotonic(), gw.memory_info().rss, gw.num_fds()))
            except psutil.Error:
                return
            if time.monotonic() - last_tree > 2:
                self.remember_tree()
                last_tree = time.monotonic()
            time.sleep(0.05)

    def cpu_snapshot(self) -> dict:
        """CPU seconds so far: the machine's (busy, all), the gateway's, its descendants', this benchmark's own
        processes' (this one, its helpers, and reaped children: RUSAGE_CHILDREN)."""
        import resource

        import psutil

        t = psutil.cpu_times()
        busy = t.user + t.nice + t.system + getattr(t, "irq", 0) + getattr(t, "softirq", 0) + getattr(t, "steal", 0)
        out = {"t": time.monotonic(), "busy": busy, "all": busy + t.idle + getattr(t, "iowait", 0),
               "gateway": 0.0, "tree": 0.0, "bench": 0.0}

        def cpu(p) -> float:
            c = p.cpu_times()
            return c.user + c.system

        try:
            gw = psutil.Process(self.gateway.proc.pid)
            out["gateway"] = cpu(gw)
            for p in gw.children(recursive=True):
                try:
                    out["tree"] += cpu(p)
                except psutil.Error:
                    pass
        except psutil.Error:
            pass
        reaped = resource.getrusage(resource.RUSAGE_CHILDREN)
        out["bench"] = cpu(psutil.Process()) + reaped.ru_utime + reaped.ru_stime
        for child in self.children:
            if child.proc.poll() is None:
                try:
                    out["bench"] += cpu(psutil.Process(child.proc.pid))
                except psutil.Error:
                    pass
        return out

    def window(self, start: float, end: float) -> dict:
        inside = [s for s in self.samples if start <= s[0] <= end]
        if not inside:
            return {}
        return {"rss_peak": max(s[1] for s in inside) / MB, "rss_last": inside[-1][1] / MB,
                "rss_first": inside[0][1] / MB, "fds_peak": max(s[2] for s in inside), "fds_first": inside[0][2]}


def cpu_between(a: dict, b: dict) -> dict:
    """Cores busy on average between two snapshots: the machine, the gateway, plugins and Dask workers, this
    benchmark's clients, and the rest (not ours: other users of the machine)."""
    wall = max(1e-6, b["t"] - a["t"])
    machine = (b["busy"] - a["busy"]) / max(1e-6, b["all"] - a["all"]) * (os.cpu_count() or 1)
    gateway, tree, bench = ((b[k] - a[k]) / wall for k in ("gateway", "tree", "bench"))
    return {"machine": machine, "gateway": gateway, "tree": tree, "bench": bench,
            "others": max(0.0, machine - gateway - tree - bench), "seconds": wall}


def cpu_text(c: dict | None) -> str:
    if not c:
        return ""
    return (f"machine {c['machine']:.2f} of {os.cpu_count()} cores busy: gateway {c['gateway']:.2f}, plugins and "
            f"Dask workers {c['tree']:.2f}, benchmark clients {c['bench']:.2f}, not this benchmark "
            f"{c['others']:.2f} ({c['seconds']:.0f} s)")


def memory(gateway_pid: int) -> dict:
    """RSS/USS of the plugin processes among the gateway's descendants, the gateway's RSS, and the rest's."""
    import psutil

    gw = psutil.Process(gateway_pid)
    out = {"gateway": gw.memory_info().rss / MB, "plugins_rss": [], "plugins_uss": [], "others": 0.0, "others_n": 0}
    for p in gw.children(recursive=True):
        try:
            if "imjoy_hpc.plugins.host" in p.cmdline():
                full = p.memory_full_info()
                out["plugins_rss"].append(full.rss / MB)
                out["plugins_uss"].append(full.uss / MB)
            else:
                out["others"] += p.memory_info().rss / MB
                out["others_n"] += 1
        except psutil.Error:
            pass
    return out


def log_size(st: State) -> int:
    try:
        return st.gateway.log_path.stat().st_size
    except OSError:
        return 0


def log_since(st: State, offset: int) -> list[str]:
    try:
        with open(st.gateway.log_path, "rb") as f:
            f.seek(offset)
            return f.read(4 << 20).decode(errors="replace").splitlines()
    except OSError:
        return []


async def stuck_stacks(st: State, infos: list[dict]) -> dict[str, str]:
    """For plugins not running after the load: their process (found by its log on stdout), its stacks (the plugin
    host writes them into its log on SIGUSR1/SIGUSR2) and its log."""
    import psutil

    out: dict[str, str] = {}
    procs = {}
    for p in psutil.Process(st.gateway.proc.pid).children(recursive=True):
        try:
            if "imjoy_hpc.plugins.host" in p.cmdline():
                procs[os.readlink(f"/proc/{p.pid}/fd/1")] = p
        except (psutil.Error, OSError):
            pass
    for info in infos:
        logs = list(st.gateway.state_dir.glob(f"logs/*/plugin-{info.get('id')}.log"))
        if not logs:
            continue
        proc = procs.get(str(logs[0]))
        head = f"instance {info.get('id')} ({info.get('state')})"
        if proc is None:
            out[head] = "no plugin process found\n" + logs[0].read_text(errors="replace")[-2000:]
            continue
        try:
            head += f", process {proc.pid} {proc.status()}, {proc.num_threads()} threads, age " \
                    f"{time.time() - proc.create_time():.0f} s"
            proc.send_signal(signal.SIGUSR1)
            await asyncio.sleep(0.5)
            proc.send_signal(signal.SIGUSR2)
            await asyncio.sleep(1.0)
        except psutil.Error as exc:
            head += f" ({exc})"
        out[head] = logs[0].read_text(errors="replace")[-6000:]
    return out


async def owner_calls(plugins: list, deadline: float, n: int | None = None, until: asyncio.Event | None = None,
                      ) -> tuple[list[tuple[float, float]], collections.Counter]:
    """The owner's small calls, one at a time, GAP apart, round-robin: [(start time, ms)], failures."""
    samples: list[tuple[float, float]] = []
    failures: collections.Counter = collections.Counter()
    k = 0
    while time.monotonic() < deadline and (n is None or k < n) and not (until is not None and until.is_set()):
        payload = {**PAYLOAD, "i": k}
        started, start = time.monotonic(), time.perf_counter()
        try:
            reply = await asyncio.wait_for(plugins[k % len(plugins)].echo(payload),
                                           max(1.0, min(CALL_TIMEOUT, deadline - started + 5)))
            if reply == payload:
                samples.append((started, (time.perf_counter() - start) * 1000))
            else:
                failures["wrong reply"] += 1
        except Exception as exc:  # noqa: BLE001
            failures[type(exc).__name__] += 1
        k += 1
        await asyncio.sleep(GAP)
    return samples, failures


async def load_owner_plugins(st: State, owner, count: int, deadline: float, done_before: int, total: int) -> list:
    sem = asyncio.Semaphore(st.args.concurrency)
    plugins, errors = [], []

    async def one() -> None:
        async with sem:
            try:
                plugins.append(await asyncio.wait_for(owner.load_plugin(PLUGIN_SOURCE), st.args.start_timeout))
            except Exception as exc:  # noqa: BLE001
                errors.append(f"{type(exc).__name__}: {exc}"[:200])
        progress(st.t0, f"plugins started {done_before + len(plugins)}/{total} (owner; failed {len(errors)})")

    tasks = [asyncio.ensure_future(one()) for _ in range(count)]
    if tasks:
        _, pending = await asyncio.wait(tasks, timeout=max(1.0, deadline - time.monotonic()))
        for task in pending:
            task.cancel()
    st.R.setdefault("load_errors", []).extend(errors)
    return plugins


async def run(st: State) -> None:
    import imjoy_rpc

    args, R = st.args, st.R
    loop = asyncio.get_running_loop()
    quiet_disconnects(loop)
    work_end = st.t0 + args.max_seconds - st.reserve
    measure_need = 3 * args.calls * (GAP + 0.01) + (args.hold + 80 if args.attack else 0) + 30
    load_end = max(st.t0 + 0.3 * args.max_seconds, work_end - measure_need)
    gw = st.gateway
    counts = [args.plugins // args.clients + (1 if i < args.plugins % args.clients else 0)
              for i in range(args.clients)]
    R["counts"] = counts

    st.phase = "idle baseline"
    owner = await asyncio.wait_for(imjoy_rpc.connect_to_server(
        {"server_url": gw.url, "name": "owner", "token": gw.token}), 60)
    st.owner = owner
    t_load = time.monotonic()
    first = await asyncio.wait_for(owner.load_plugin(PLUGIN_SOURCE), args.start_timeout)
    R["first_start_s"] = time.monotonic() - t_load
    progress(st.t0, f"plugins started 1/{args.plugins} (owner, first one in {R['first_start_s']:.1f} s)")
    for _ in range(20):  # warm-up
        await first.echo(PAYLOAD)
    await asyncio.sleep(1.0)
    cpu = st.cpu_snapshot()
    samples, failures = await owner_calls([first], work_end, n=args.calls)
    R["cpu_idle"] = cpu_between(cpu, st.cpu_snapshot())
    R["idle"], R["idle_failures"] = [ms for _, ms in samples], failures
    R["mem_idle"] = memory(gw.proc.pid)
    progress(st.t0, f"idle baseline: {lat(R['idle'])}")

    st.phase = "starting plugins"
    t_load, cpu_loading = time.monotonic(), st.cpu_snapshot()
    mine = [first] + await load_owner_plugins(st, owner, counts[0] - 1, load_end, 1, args.plugins)
    R["owner_plugins"] = len(mine)
    crowd_ready: dict = {}
    crowd_child = None
    if args.clients > 1 and sum(counts[1:]):
        crowd_child = Child("crowd", {
            "url": gw.url, "token": gw.token, "counts": counts[1:], "source": PLUGIN_SOURCE,
            "concurrency": args.concurrency, "rate": args.rate, "start_timeout": args.start_timeout,
            "stall": args.stall,
            "load_seconds": max(5.0, load_end - time.monotonic()),
            "max_seconds": max(10.0, work_end - time.monotonic()),
        }, st.tmp / "crowd.log", loop)
        st.children.append(crowd_child)
        last_print = 0.0
        while True:
            event = await crowd_child.next(load_end - time.monotonic() + 30)
            if event["event"] == "progress":
                if time.monotonic() - last_print > 3 or event["loaded"] + event["failed"] == event["total"]:
                    last_print = time.monotonic()
                    progress(st.t0, f"plugins started {len(mine) + event['loaded']}/{args.plugins} "
                                    f"(other clients; failed {event['failed']})")
            elif event["event"] == "ready":
                crowd_ready = event
                break
            elif event["event"] == "eof":
                raise RuntimeError(f"the other clients' process ended early; see {st.tmp / 'crowd.log'}")
        R["load_errors"].extend(crowd_ready.get("errors") or [])
    R["load_seconds"] = time.monotonic() - t_load
    R["crowd"] = crowd_ready
    R["loaded"] = len(mine) + crowd_ready.get("loaded", 0)
    st.remember_tree()
    R["cpu_loading"] = cpu_between(cpu_loading, st.cpu_snapshot())
    progress(st.t0, f"{R['loaded']} of {args.plugins} plugins running after {R['load_seconds']:.1f} s")
    try:
        infos = await asyncio.wait_for(owner.list_instances(), 30)
        R["instances"] = dict(collections.Counter(i.get("state") for i in infos))
        odd = collections.Counter(f"{i.get('state')}: {i.get('reason') or i.get('error') or ''}"[:160]
                                  for i in infos if i.get("state") != "running")
        R["instances_odd"] = [f"{n} x {text}" for text, n in odd.most_common(3)]
        R["stuck_stacks"] = await stuck_stacks(st, [i for i in infos if i.get("state") != "running"][:2])
    except Exception as exc:  # noqa: BLE001
        R["instances"] = {f"list_instances failed: {type(exc).__name__} {exc}"[:120]: 1}

    st.phase = "loaded phase"
    if crowd_child is not None:
        crowd_child.send({"cmd": "go"})
    await asyncio.sleep(2.0)
    t_loaded, log_mark, cpu = time.monotonic(), log_size(st), st.cpu_snapshot()
    samples, failures = await owner_calls(mine, work_end, n=args.calls)
    R["cpu_loaded"] = cpu_between(cpu, st.cpu_snapshot())
    R["loaded_lat"], R["loaded_failures"] = [ms for _, ms in samples], failures
    R["mem_loaded"] = memory(gw.proc.pid)
    R["loaded_window"] = st.window(t_loaded, time.monotonic())
    R["log_loaded"] = (log_size(st) - log_mark, len(log_since(st, log_mark)), time.monotonic() - t_loaded)
    progress(st.t0, f"loaded: {lat(R['loaded_lat'])}")

    if args.attack:
        st.phase = "neighbour's attack"
        log_mark, cpu = log_size(st), st.cpu_snapshot()
        t_attack = time.monotonic()
        nb = Child("neighbour", {"port": gw.port, "flood": args.flood, "hold": args.hold, "big_bytes": 8 * MB,
                                 "big_wait": 15.0}, st.tmp / "neighbour.log", loop,
                   argv=[NEIGHBOUR_PYTHON if st.neighbour else sys.executable,
                         str(Path(__file__).with_name("bench_neighbour.py"))], user=st.neighbour)
        st.children.append(nb)
        events: dict = {}
        finished = asyncio.Event()
        attack_end = min(work_end, time.monotonic() + args.hold + 100)

        async def follow() -> None:
            try:
                while True:
                    event = await nb.next(attack_end - time.monotonic())
                    events[event["event"]] = event
                    if event["event"] in ("flood-open", "flood-closed", "big-done"):
                        progress(st.t0, f"neighbour: {event['event']}")
                    if event["event"] in ("result", "eof"):
                        return
            except asyncio.TimeoutError:
                events["timeout"] = {"t": time.monotonic()}
            finally:
                finished.set()

        follower = asyncio.ensure_future(follow())
        during, failures = await owner_calls(mine, attack_end, until=finished)
        finished.set()
        await asyncio.wait([follower], timeout=5)
        t_after = time.monotonic()
        R["neighbour_exit"] = nb.stop(10)
        R["cpu_attack"] = cpu_between(cpu, st.cpu_snapshot())
        R["attack"] = {"events": events, "during": during, "failures": failures, "seconds": t_after - t_attack,
                       "window": st.window(t_attack, t_after), "log_bytes": log_size(st) - log_mark,
                       "log_lines": log_since(st, log_mark)}

        def between(a: str, b: str) -> list[float]:
            if a not in events or b not in events:
                return []
            return [ms for t, ms in during if events[a]["t"] <= t <= events[b]["t"]]

        R["attack"]["flood_lat"] = between("flood-start", "flood-closed")
        R["attack"]["big_lat"] = between("big-start", "big-done")
        if "big-start" in events:
            R["attack"]["big_window"] = st.window(events["big-start"]["t"], events.get("big-done", {"t": t_after})["t"] + 1)
        if "flood-open" in events:
            R["attack"]["flood_window"] = st.window(events["flood-start"]["t"], events.get("flood-closed",
                                                                                            {"t": t_after})["t"])
        progress(st.t0, f"during the attack: {lat([ms for _, ms in during])}")
        st.phase = "after the attack"
        await asyncio.sleep(1.0)
        t_after, cpu = time.monotonic(), st.cpu_snapshot()
        samples, failures = await owner_calls(mine, work_end, n=args.calls)
        R["cpu_after"] = cpu_between(cpu, st.cpu_snapshot())
        R["after_lat"], R["after_failures"] = [ms for _, ms in samples], failures
        R["after_window"] = st.window(t_after, time.monotonic())
        progress(st.t0, f"after the attack: {lat(R['after_lat'])}")

    st.phase = "stopping the clients"
    if crowd_child is not None:
        crowd_child.send({"cmd": "stop"})
        while True:
            event = await crowd_child.next(CALL_TIMEOUT + 30)
            if event["event"] == "stats":
                R["crowd_stats"] = event
            if event["event"] in ("bye", "eof"):
                break
    try:
        await asyncio.wait_for(disconnect(owner, GOODBYE), 10)
    except Exception:  # noqa: BLE001
        pass
    st.phase = "done"


def alive(pid: int, created: float) -> bool:
    import psutil

    try:
        p = psutil.Process(pid)
        return p.create_time() == created and p.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def kill_by_pid(pids: dict[int, float], sig: int) -> None:
    for pid, created in pids.items():
        if alive(pid, created):
            try:
                os.kill(pid, sig)
            except OSError:
                pass


def teardown(st: State, deadline: float) -> None:
    """Stop the helpers, the gateway (SIGTERM, wait), then check by PID that nothing we saw is left."""
    st.remember_tree()
    st.sampling.clear()
    exits = {}
    for child in st.children:
        exits[child.role] = child.stop(max(2.0, min(30.0, deadline - time.monotonic() - 30)))
        with st.lock:
            st.seen.setdefault(child.proc.pid, 0.0)  # exited and reaped by us: only checked below
    st.R["children_exit"] = exits
    gw = st.gateway
    if gw is None:
        return
    start = time.monotonic()
    if gw.proc.poll() is None:
        gw.proc.send_signal(signal.SIGTERM)
    try:
        gw.proc.wait(max(5.0, deadline - time.monotonic() - 15))
        how = "after SIGTERM"
    except subprocess.TimeoutExpired:
        gw.proc.kill()
        gw.proc.wait(10)
        how = "KILLED (SIGTERM was not enough in time)"
    st.R["stop"] = {"code": gw.proc.returncode, "how": how, "seconds": time.monotonic() - start}
    with st.lock:
        seen = {pid: t for pid, t in st.seen.items() if t}
    left_deadline = time.monotonic() + 10
    while time.monotonic() < left_deadline and any(alive(p, t) for p, t in seen.items()):
        time.sleep(0.2)
    left = {p: t for p, t in seen.items() if alive(p, t)}
    st.R["left"] = {"seen": len(seen) + 1 + len(st.children), "left": len(left)}
    if left:
        kill_by_pid(left, signal.SIGTERM)
        time.sleep(3)
        kill_by_pid(left, signal.SIGKILL)
        st.R["left"]["killed"] = sorted(left)


def report(st: State) -> None:
    args, R = st.args, st.R
    import psutil

    print()
    print(f"load on one gateway: {args.plugins} plugin instances, {args.clients} clients (imjoy-rpc "
          f"{_imjoy_rpc_version()}), local profile ({st.settings['profiles']['local']['processes']} worker "
          f"processes x {st.settings['profiles']['local']['plugin-slots']} plugin slots), {os.cpu_count()} cores, "
          f"{psutil.virtual_memory().total / 2**30:.0f} GiB; run {time.monotonic() - st.t0:.0f} s "
          f"(cap {args.max_seconds:.0f} s)")
    if R.get("aborted"):
        print(f"CUT SHORT: {R['aborted']}")
    if "loaded" in R:
        crowd = R.get("crowd") or {}
        mem = R.get("mem_loaded") or {}
        print(f"plugins started: {R['loaded']} of {args.plugins} in {R['load_seconds']:.1f} s "
              f"({args.concurrency} at a time; first one {R['first_start_s']:.1f} s; owner {R['owner_plugins']}, "
              f"{crowd.get('clients', 0)} other clients {crowd.get('loaded', 0)}"
              + (f", {crowd['retries']} connect retries" if crowd.get("retries") else "") + "); "
              f"{len(mem.get('plugins_rss', []))} plugin processes found"
              + (f"; failed {len(R['load_errors'])}: {R['load_errors'][0]}" if R.get("load_errors") else ""))
        if crowd.get("not_started"):
            stuck = crowd.get("stuck") or []
            why = (f"nothing finished starting for {args.stall:g} s" if crowd.get("stalled")
                   else "the loading time budget was used up")
            print(f"  {crowd['not_started']} not started: {why}; {len(stuck)} were still waiting for load_plugin "
                  f"(longest {max(stuck, default=0):.0f} s) and were given up (the benchmark went on without them)")
        if R.get("instances"):
            odd = f"; not running: {R['instances_odd']}" if R.get("instances_odd") else ""
            print(f"  the gateway's list_instances() after loading: {R['instances']}{odd}")
        for name, text in (R.get("stuck_stacks") or {}).items():
            print(f"  {name}:\n" + "\n".join(f"      {line}" for line in text.splitlines()[-60:]))
    print(f"small call: echo of a {len(PAYLOAD)}-key dict, owner's client, one call at a time, {GAP * 1000:.0f} ms "
          f"apart; baseline: the same gateway before the load, idle, 1 client and 1 plugin")
    print()
    ours_head = f"ours: loaded ({R.get('loaded', '?')} plugins, {args.clients} clients)"
    head = f"{'':34}{ours_head:<52}{'baseline: idle (1 plugin, 1 client)':<52}"
    print(head)
    idle, loaded = R.get("idle") or [], R.get("loaded_lat") or []
    if idle:
        ratio = f"p99 {pct(loaded, .99) / pct(idle, .99):5.2f}x" if loaded else ""
        print(f"{'owner small call':<34}{lat(loaded):<52}{lat(idle):<52}{ratio}  {goal(loaded)}")
        fails = (R.get("loaded_failures") or collections.Counter()) + (R.get("idle_failures") or collections.Counter())
        if fails:
            print(f"{'  failed calls':<34}{dict(R.get('loaded_failures') or {})!s:<52}"
                  f"{dict(R.get('idle_failures') or {})!s:<52}")
    stats = R.get("crowd_stats")
    if stats and stats.get("calls"):
        print(f"{'others calls meanwhile':<34}{stats['rate']:.1f} calls/s from {args.clients - 1} clients "
              f"({args.rate:g}/s each): p50 {stats['p50']:.2f} p99 {stats['p99']:.2f} max {stats['max']:.1f} ms, "
              f"n={stats['calls']}, failed {sum(stats['failures'].values())} {stats['failures'] or ''}")
    for label, key in (("CPU, idle baseline", "cpu_idle"), ("CPU, starting plugins", "cpu_loading"),
                       ("CPU, loaded", "cpu_loaded")):
        if R.get(key):
            print(f"{label:<34}{cpu_text(R[key])}")
    mi, ml = R.get("mem_idle"), R.get("mem_loaded")
    if mi and ml and ml["plugins_rss"] and mi["plugins_rss"]:
        ours = f"median {summary(ml['plugins_rss']).strip()}, max {max(ml['plugins_rss']):.1f}"
        base = f"{mi['plugins_rss'][0]:.1f} (the one idle plugin)"
        print(f"{'plugin process RSS (MB)':<34}{ours:<52}{base:<52}"
              f"ratio {statistics.median(ml['plugins_rss']) / mi['plugins_rss'][0]:5.2f}x")
        ours = f"median {summary(ml['plugins_uss']).strip()}, max {max(ml['plugins_uss']):.1f}"
        print(f"{'plugin process USS (MB)':<34}{ours:<52}{mi['plugins_uss'][0]:<52.1f}"
              f"ratio {statistics.median(ml['plugins_uss']) / mi['plugins_uss'][0]:5.2f}x")
        ours = f"RSS sum {sum(ml['plugins_rss']):.0f}, USS sum {sum(ml['plugins_uss']):.0f}"
        print(f"{'all plugin processes (MB)':<34}{ours:<52}")
        print(f"{'gateway RSS (MB)':<34}{ml['gateway']:<52.1f}{mi['gateway']:<52.1f}"
              f"ratio {ml['gateway'] / mi['gateway']:5.2f}x")
        others = f"{ml['others']:.0f} in {ml['others_n']} processes (Dask workers etc.)"
        print(f"{'other descendants RSS (MB)':<34}{others:<52}{mi['others']:.0f} in {mi['others_n']} processes")
    attack = R.get("attack")
    if attack:
        during_all = [ms for _, ms in attack["during"]]
        print()
        print(f"neighbour's attack (a separate process, no token; {st.neighbour_note}), owner's small call while "
              "the others call:")
        rows = [("before (= loaded)", loaded), ("during the descriptor flood", attack["flood_lat"]),
                ("during the 8 MiB message", attack["big_lat"]), ("during the whole attack", during_all),
                ("after", R.get("after_lat") or [])]
        for label, values in rows:
            print(f"  {label:<32}{lat(values):<52}{goal(values)}")
        for label, key in (("CPU during the attack", "cpu_attack"), ("CPU after", "cpu_after")):
            if R.get(key):
                print(f"  {label:<32}{cpu_text(R[key])}")
        if attack["failures"] or R.get("after_failures"):
            print(f"  failed calls: during {dict(attack['failures'])}, after {dict(R.get('after_failures') or {})}")
        result = attack["events"].get("result") or {}
        fl = result.get("flood")
        if fl:
            outcome = ", ".join(f"{v} {k}" for k, v in fl["outcome"].items()) or "none refused"
            closed = (f"{fl['closed_by_gateway']} closed by the gateway ({', '.join(f'{v} {k}' for k, v in fl['closed_how'].items())}"
                      f", median {fl['closed_after_median_s']:.1f} s after opening"
                      + (f"; it said {fl['gateway_said']}" if fl["gateway_said"] else "") + ")"
                      if fl["closed_by_gateway"] else "none closed by the gateway")
            print(f"descriptor flood: {fl['tried']} idle TCP connections tried: {fl['accepted']} accepted, {outcome} "
                  f"(in {fl['open_seconds']:.1f} s); during the {fl['hold']:.0f} s hold {closed}, "
                  f"{fl['still_open']} still open; a newcomer's GET / during the hold: {fl['probe']['answer']} "
                  f"in {fl['probe']['ms']:.1f} ms")
        elif args.flood:
            print("descriptor flood: no result from the neighbour")
        big = result.get("big")
        if big:
            sent = f"sent in {big['send_seconds']:.2f} s; " if "send_seconds" in big else ""
            print(f"8 MiB register_plugin before any token ({big['bytes']} bytes, {big['objects']} x {{}} as its "
                  f"arguments), {big.get('count', 1)} one after another: the first {sent}{big.get('outcome')}; "
                  f"all: {big.get('outcomes')}")
        else:
            print(f"8 MiB message: no result from the neighbour (events seen: {sorted(attack['events'])}); "
                  f"see {st.tmp / 'neighbour.log'}")
        w, lw, bw, fw = attack["window"], R.get("loaded_window") or {}, attack.get("big_window") or {}, \
            attack.get("flood_window") or {}
        if w:
            after = R.get("after_window") or {}
            print(f"gateway during the attack: RSS peak {w['rss_peak']:.0f} MB (8 MiB message "
                  f"{bw.get('rss_peak', float('nan')):.0f}, flood {fw.get('rss_peak', float('nan')):.0f}; before "
                  f"{w['rss_first']:.0f}, loaded-phase peak {lw.get('rss_peak', float('nan')):.0f}, after "
                  f"{after.get('rss_last', w['rss_last']):.0f} MB); open descriptors peak {w['fds_peak']} (before "
                  f"{w['fds_first']})")
        lb, ll, ls = R.get("log_loaded", (0, 0, 0))
        lines = attack["log_lines"]
        print(f"gateway log during the attack: +{attack['log_bytes']} bytes, {len(lines)} lines in "
              f"{attack['seconds']:.0f} s (loaded phase before it: +{lb} bytes, {ll} lines in {ls:.0f} s)"
              + (":" if lines else ""))
        shown = collections.Counter(line[:150] for line in lines)
        for line, n in list(shown.items())[:6]:
            print(f"    {line}" + (f"   (x{n})" if n > 1 else ""))
        if len(shown) > 6:
            print(f"    ... {len(shown) - 6} more distinct lines")
    stop = R.get("stop")
    if stop:
        left = R.get("left", {})
        killed = f", killed by PID: {left['killed']}" if left.get("killed") else ""
        print(f"stopped: gateway exit code {stop['code']} {stop['how']} in {stop['seconds']:.1f} s; helpers exit "
              f"{R.get('children_exit')}; {left.get('left', '?')} of {left.get('seen', '?')} processes left running "
              f"(checked by PID){killed}")
    print(f"logs: {st.tmp}")


def _imjoy_rpc_version() -> str:
    try:
        from importlib.metadata import version

        return version("imjoy-rpc")
    except Exception:  # noqa: BLE001
        return "?"


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plugins", type=int, default=200, help="plugin instances (N, at most 1000)")
    parser.add_argument("--clients", type=int, default=50, help="clients (M, at most 500); each loads N/M plugins")
    parser.add_argument("--calls", type=int, default=500, help="owner's calls per measured phase")
    parser.add_argument("--flood", type=int, default=1100, help="idle TCP connections the neighbour opens (0: none)")
    parser.add_argument("--hold", type=float, default=10.0, help="seconds the neighbour holds them")
    parser.add_argument("--rate", type=float, default=2.0, help="calls/s of each other client during the load")
    parser.add_argument("--concurrency", type=int, default=8, help="plugin starts at a time")
    parser.add_argument("--start-timeout", type=float, default=300.0, help="seconds one plugin start may take")
    parser.add_argument("--stall", type=float, default=60.0,
                        help="go on without the plugins still starting once none has finished for this long")
    parser.add_argument("--max-seconds", type=float, default=600.0, help="hard cap on the whole run")
    parser.add_argument("--no-attack", dest="attack", action="store_false", help="skip the neighbour's attack")
    parser.add_argument("--crowd", action="store_true", help=argparse.SUPPRESS)       # helper modes
    args = parser.parse_args(argv)
    if not (1 <= args.clients <= 500 and args.clients <= args.plugins <= 1000):
        parser.error("need 1 <= clients <= plugins <= 1000 and clients <= 500")
    if not (10 <= args.calls <= 100_000 and 0 <= args.flood <= 20_000 and 0 < args.hold <= 120
            and 0 < args.rate <= 100 and 1 <= args.concurrency <= 64 and 60 <= args.max_seconds <= 7200
            and 0 < args.stall <= 3600 and 1 <= args.start_timeout <= 3600):
        parser.error("out of bounds: 10 <= calls <= 100000, 0 <= flood <= 20000, 0 < hold <= 120, "
                     "0 < rate <= 100, 1 <= concurrency <= 64, 60 <= max-seconds <= 7200, 0 < stall <= 3600, "
                     "1 <= start-timeout <= 3600")
    return args


def neighbour_user(args: argparse.Namespace) -> tuple[str | None, str]:
    """A second Unix user for the neighbour (root only; deleted at the end), and how the report names it."""
    if not args.attack:
        return None, ""
    if os.geteuid() != 0 or not os.path.exists("/usr/sbin/useradd") or not os.path.exists(NEIGHBOUR_PYTHON):
        return None, ("the neighbour ran as this same user (a second Unix user needs root, useradd and "
                      f"{NEIGHBOUR_PYTHON}): the gateway counts it as the owner's own connections")
    name = f"ihpcload{os.getpid() % 100000}"
    subprocess.run(["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", name], check=True, timeout=30)
    return name, f"the neighbour ran as Unix user {name!r}, created for this run"


def delete_user(name: str) -> str:
    try:
        subprocess.run(["userdel", name], check=True, timeout=30, capture_output=True)
        return " and deleted afterwards"
    except (OSError, subprocess.SubprocessError) as exc:
        return f"; deleting it FAILED ({exc}): run `userdel {name}`"


def main() -> None:
    args = parse_args(sys.argv[1:])
    if args.crowd:
        asyncio.run(crowd(json.loads(sys.stdin.readline())))
        return

    from gateway_support import start_gateway

    st = State(args)
    st.reserve = min(150.0, max(40.0, 0.25 * args.max_seconds))
    st.tmp = Path(tempfile.mkdtemp(prefix="imjoy-hpc-bench-load-"))
    processes = 2
    st.settings = {
        "profiles": {"local": {"backend": "local", "processes": processes,
                               "plugin-slots": max(128, math.ceil((args.plugins + 2) / processes))}},
        "plugins": {"start-timeout": args.start_timeout},
    }
    hard_end = st.t0 + args.max_seconds
    st.neighbour, st.neighbour_note = neighbour_user(args)

    def watchdog() -> None:
        """The hard cap: whatever is still running is killed by PID."""
        print(f"\nbench_load: the {args.max_seconds:.0f} s cap was reached in phase {st.phase!r}: killing what is "
              "left by PID", file=sys.stderr, flush=True)
        for child in st.children:
            try:
                child.proc.kill()
            except OSError:
                pass
        if st.gateway is not None:
            st.remember_tree()
            try:
                st.gateway.proc.kill()
            except OSError:
                pass
            with st.lock:
                kill_by_pid(dict(st.seen), signal.SIGKILL)
        os._exit(124)

    timer = threading.Timer(args.max_seconds, watchdog)
    timer.daemon = True
    timer.start()

    def on_sigterm(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_sigterm)
    try:
        progress(st.t0, f"starting the gateway (state and logs in {st.tmp})")
        st.gateway = start_gateway(st.tmp, st.settings, timeout=120)
        st.sampling.set()
        threading.Thread(target=st.sample_forever, daemon=True, name="sampler").start()

        async def bounded() -> None:
            try:
                await asyncio.wait_for(run(st), hard_end - st.reserve - time.monotonic())
            except asyncio.TimeoutError:
                st.R["aborted"] = f"time budget used up in phase {st.phase!r}"
                if getattr(st, "owner", None) is not None:
                    try:
                        await asyncio.wait_for(disconnect(st.owner, GOODBYE), 5)
                    except Exception:  # noqa: BLE001
                        pass

        asyncio.run(bounded())
    except (KeyboardInterrupt, asyncio.CancelledError):
        st.R["aborted"] = f"interrupted in phase {st.phase!r}"
    except Exception as exc:  # noqa: BLE001 - reported with what was measured so far
        st.R["aborted"] = f"{type(exc).__name__} in phase {st.phase!r}: {exc}"
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the teardown is bounded; the watchdog backs it up
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        progress(st.t0, "stopping the helpers and the gateway")
        teardown(st, hard_end - 5)
        timer.cancel()
        if st.neighbour is not None:
            st.neighbour_note += delete_user(st.neighbour)
        report(st)


if __name__ == "__main__":
    main()
