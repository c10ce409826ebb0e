"""The plugin process: connects back to the gateway's plugin door with its one-time secret, runs the plugin script
and serves its exported API. Started by launcher.launch_plugin with a JSON bootstrap on stdin."""

from __future__ import annotations

import asyncio
import faulthandler
import linecache
import os
import signal
import socket
import sys
import traceback
from typing import Any

from imjoy_hpc.backends import job_id
from imjoy_hpc.plugins.launch_request import Bootstrap
from imjoy_hpc.plugins.processes import die_with_parent
from imjoy_hpc.plugins.shim import PluginApi, install
from imjoy_hpc.plugins.unpinned import unpinned_hint
from imjoy_hpc.plugins.unreachable import unreachable_note
from imjoy_hpc.rpc.codec import add_error_hint, error_text
from imjoy_hpc.rpc.linkclient import LinkPeer, RegistrationError, UnreachableError
from imjoy_hpc.tuning import tune_malloc



class PluginProcess:
    """One plugin process: its link to the plugin door, and the plugin's own script."""

    def __init__(self, boot: Bootstrap) -> None:
        self.boot = boot
        self.connection = LinkPeer(
            boot.door_url,
            {"name": boot.name, "instance_id": boot.instance_id, "secret": boot.secret,
             "pid": os.getpid(), "hostname": socket.gethostname(), "job_id": job_id()},
            config={"name": boot.name, "type": "rpc-worker"},
            chunk_bytes=boot.chunk_bytes, sync_in_thread=True, ping=(boot.ping_interval, boot.ping_timeout),
        )

    async def run(self) -> int:
        boot = self.boot
        asyncio.get_running_loop().add_signal_handler(signal.SIGUSR2, print_tasks)
        try:
            # a registration refused for now (a neighbour's flood) is tried again until the start would time out
            host_api = await self.connection.connect(float(boot.start_timeout))
        except (RegistrationError, UnreachableError) as exc:
            print(f"imjoy-hpc: {exc}", file=sys.stderr)
            return 3
        print(f"[imjoy-hpc] plugin process {os.getpid()} registered with the gateway", file=sys.stderr, flush=True)
        api = PluginApi(self.connection.peer, host_api, boot.config, boot.tag,
                        attachments=boot.attachments, engine_url=boot.engine_url)
        install(api)
        filename = boot.filename or boot.name
        try:
            padding = "\n" * max(0, int(boot.script_line) - 1)  # tracebacks show the file's lines
            source = padding + boot.script
            code = compile(source, filename, "exec")
            # Tracebacks show the script's own lines (as run: de-indented), also for plugins given as source text.
            linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
            # As the legacy engine did: `api` is there without an import.
            namespace = {"__name__": "__main__", "__file__": filename, "api": api}
            exec(code, namespace)  # noqa: S102 - running the user's plugin is the point
            await asyncio.wait_for(api.exported.wait(), float(boot.export_timeout))
        except asyncio.TimeoutError:
            return await self.fail(host_api, "the plugin script did not call api.export(...) within "
                                             f"{float(boot.export_timeout):.0f} s")
        except BaseException as exc:  # noqa: BLE001 - report any failure of the user's script
            return await self.fail(host_api, script_error(exc, filename))
        await self.connection.closed.wait()
        return 0

    async def fail(self, host_api: Any, text: str) -> int:
        print(text, file=sys.stderr)
        try:
            await asyncio.wait_for(host_api.startupFailed(text), 5)
        except Exception:  # noqa: BLE001
            pass
        return 1


def script_error(exc: BaseException, filename: str) -> str:
    """The failure of a plugin's script in words first (with the line of the script where it happened), then the
    plugin's own traceback."""
    text = error_text(exc)
    lines = [f.lineno for f in traceback.extract_tb(exc.__traceback__) if f.filename == filename]
    if not lines:
        return text
    first, _, rest = text.partition("\n")
    return f"{first} (line {lines[-1]} of its script)" + (f"\n{rest}" if rest else "")


def print_tasks() -> None:
    """The event loop's tasks with their stacks, into the plugin's log (on SIGUSR2)."""
    for task in asyncio.all_tasks():
        task.print_stack(file=sys.stderr)
    sys.stderr.flush()


async def serve(boot: Bootstrap) -> int:
    """Run the plugin process; made inside the running loop (on Python 3.9 asyncio's events and queues belong to
    the loop current when they are made)."""
    return await PluginProcess(boot).run()


def main() -> None:
    die_with_parent()
    # What a stuck plugin waits for: `kill -USR1 <pid>` writes its threads' stacks into its log, `kill -USR2 <pid>`
    # its asyncio tasks'.
    faulthandler.register(signal.SIGUSR1)
    tune_malloc()
    add_error_hint(unpinned_hint)
    add_error_hint(unreachable_note, first_line=True)
    boot = Bootstrap.from_json(sys.stdin.read())
    sys.path.insert(0, os.getcwd())
    try:
        code = asyncio.run(serve(boot))
    except KeyboardInterrupt:
        code = 130
    except Exception:  # noqa: BLE001
        traceback.print_exc()
        code = 2
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # do not wait for threads still running a plugin call


if __name__ == "__main__":
    main()
