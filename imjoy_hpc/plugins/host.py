"""The plugin process: connects back to the gateway's plugin door with its one-time secret, runs the plugin script
and serves its exported API. Started by launcher.launch_plugin with a JSON bootstrap on stdin."""

from __future__ import annotations

import asyncio
import ctypes
import json
import os
import signal
import socket
import sys
import traceback
from typing import Any

import socketio

from imjoy_hpc.plugins.launcher import job_id_from_env
from imjoy_hpc.plugins.shim import PluginApi, install
from imjoy_hpc.rpc import RPCPeer



def _die_with_parent() -> None:
    """Linux: get SIGTERM when the worker that started us dies, so no plugin outlives its worker."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class PluginProcess:
    """One plugin process: socket.io client, RPC peer (plugin role) and the plugin's own script."""

    def __init__(self, boot: dict[str, Any]) -> None:
        self.boot = boot
        self.stopped = asyncio.Event()
        self.sio = socketio.AsyncClient(reconnection=False, websocket_extra_options={"max_msg_size": 0})
        self.queue: asyncio.Queue = asyncio.Queue()
        self.peer: RPCPeer | None = None

    def send(self, message: dict) -> None:
        message["peer_id"] = self.peer.peer_id
        self.queue.put_nowait(message)

    async def writer(self) -> None:
        while True:
            message = await self.queue.get()
            try:
                await self.sio.emit("plugin_message", message)
            except Exception:  # noqa: BLE001
                traceback.print_exc()
                self.stopped.set()
                return

    def on_message(self, data: Any) -> None:
        if self.peer is None or not isinstance(data, dict) or data.get("peer_id") != self.peer.peer_id:
            return
        try:
            self.peer.handle_message(data)
        except Exception:  # noqa: BLE001
            traceback.print_exc()

    async def run(self) -> int:
        boot = self.boot
        self.sio.on("plugin_message", self.on_message)
        self.sio.on("disconnect", lambda *a: self.stopped.set())
        await self.sio.connect(boot["door_url"], transports=["websocket"], socketio_path="socket.io",
                               wait_timeout=30)
        reply = await self.sio.call("register_plugin", {
            "name": boot["name"], "instance_id": boot["instance_id"], "secret": boot["secret"],
            "pid": os.getpid(), "hostname": socket.gethostname(), "job_id": job_id_from_env(),
        }, timeout=30)
        if not isinstance(reply, dict) or not reply.get("success"):
            print(f"imjoy-hpc: the gateway refused this plugin: {reply}", file=sys.stderr)
            return 3
        self.peer = RPCPeer(self.send, config={"name": boot["name"], "type": "rpc-worker"},
                            chunk_bytes=boot.get("chunk_bytes", 0), sync_in_thread=True)
        asyncio.get_running_loop().create_task(self.writer())
        self.peer.connect()
        host_api = await self.peer.wait_remote(30)
        api = PluginApi(self.peer, host_api, boot.get("config") or {}, boot.get("tag"))
        install(api)
        try:
            padding = "\n" * max(0, int(boot.get("script_line") or 1) - 1)  # tracebacks show the file's lines
            code = compile(padding + boot["script"], boot.get("filename") or boot["name"], "exec")
            namespace = {"__name__": "__main__", "__file__": boot.get("filename")}
            exec(code, namespace)  # noqa: S102 - running the user's plugin is the point
            await asyncio.wait_for(api.exported.wait(), float(boot.get("export_timeout", 30)))
        except asyncio.TimeoutError:
            return await self.fail(host_api, "the plugin script did not call api.export(...)")
        except BaseException:  # noqa: BLE001 - report any failure of the user's script
            return await self.fail(host_api, traceback.format_exc())
        await self.stopped.wait()
        return 0

    async def fail(self, host_api: Any, text: str) -> int:
        print(text, file=sys.stderr)
        try:
            await asyncio.wait_for(host_api.startupFailed(text), 5)
        except Exception:  # noqa: BLE001
            pass
        return 1


def main() -> None:
    _die_with_parent()
    boot = json.loads(sys.stdin.read())
    if boot.get("parent_pid") and os.getppid() != boot["parent_pid"]:
        sys.exit(4)
    sys.path.insert(0, os.getcwd())
    try:
        code = asyncio.run(PluginProcess(boot).run())
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
