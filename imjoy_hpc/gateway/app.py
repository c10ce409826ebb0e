"""The gateway process: front door, plugin door, plugin instances and the cluster manager, started and stopped
together."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from pathlib import Path
from typing import Any

import dask.config
import psutil
import tornado.httpserver
import tornado.netutil
import tornado.web

from imjoy_hpc.backends.base import DASK_SETTINGS
from imjoy_hpc.cluster import ClusterManager, cancel_orphans
from imjoy_hpc.gateway import http
from imjoy_hpc.gateway.auth import GatewayToken
from imjoy_hpc.cluster.profiles import profile_from_settings
from imjoy_hpc.gateway.client_api import ClientAPI, PluginHostAPI
from imjoy_hpc.gateway.workspaces import WorkspaceStore
from imjoy_hpc.files import private_dir
from imjoy_hpc.gateway.instances import InstanceManager
from imjoy_hpc.gateway.challenge import CHALLENGE_PATH, ChallengeHandler
from imjoy_hpc.gateway import fetch_arrays, zarr_store
from imjoy_hpc.transport import (OTHER_USER, UPLOAD_PATH, ArrayUploadHandler, CappedHTTPServer, Connection, LinkDoor,
                                 NotFoundHandler, Registration, RegistrationRefused, SocketDoor, Uploads,
                                 client_uploads, connection_cap, count_library_logs, raise_descriptor_limit)
from imjoy_hpc.plugins.catalog import Catalog
from imjoy_hpc.rpc.proof import CLIENT, SERVER, Tickets, proof, proof_matches
from imjoy_hpc.settings import Settings

logger = logging.getLogger("imjoy_hpc.gateway")
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
SOCKET_FILE = "gateway.sock"
MAX_SOCKET_PATH = 107  # bytes of sun_path, less its terminating NUL
UPLOAD_READ_BYTES = 1 << 20  # the plugin door reads uploaded arrays in pieces of this size


def _hostname_of(host_header: str) -> str:
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[: host.index("]") + 1] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def interface_address(interface: str) -> str | None:
    """The IPv4 address of a network interface (e.g. ib0), as dask-jobqueue's `interface` option uses it."""
    for addr in psutil.net_if_addrs().get(interface, []):
        if addr.family == socket.AF_INET:
            return addr.address
    return None


def door_address(settings: Settings | dict) -> str:
    """Where compute nodes reach the plugin door: the address of the default profile's `interface`, which is the
    network its workers reach the Dask scheduler on; 127.0.0.1 when no interface is set (local, one node)."""
    settings = Settings.of(settings)
    # the profile as its workers get it: an interface set in the jobqueue.<backend> section counts too
    interface = profile_from_settings(settings, settings.default_profile).interface
    if not interface:
        return "127.0.0.1"
    address = interface_address(interface)
    if address is None:
        raise ValueError(f"network interface {interface!r} of profile {settings.default_profile!r} "
                         f"has no IPv4 address (interfaces here: {', '.join(psutil.net_if_addrs())})")
    return address


class Gateway:
    """One user's gateway on a login node (or a laptop, with the embedded local cluster)."""

    def __init__(self, settings: Settings | dict, *, token: str, state_dir: Path, host: str | None = None,
                 port: int | None = None, relay_arrays: bool = True) -> None:
        self.settings = settings = Settings.of(settings)
        server = settings.server
        self.token = token
        self.keys = GatewayToken(token)
        self.tickets = Tickets()
        self.state_dir = state_dir
        self.host = host or server.host
        self.port = port if port is not None else server.port
        # TCP door: on unless the site turns it off (login nodes); an explicit port turns it on again.
        self.tcp = port is not None or host is not None or server.tcp
        # Unix-socket door in the 0700 state directory: a neighbour can neither reach it nor take its place.
        self.socket_path: Path | None = state_dir / SOCKET_FILE if server.unix_socket else None
        self.max_bytes = server.max_message_bytes
        self.chunk_bytes = min(server.chunk_bytes, self.max_bytes // 2)
        self.allowed_origins = set(server.allowed_origins)
        self.allowed_hosts = {h.lower() for h in server.allowed_hosts}
        self.plugin_host = server.plugin_host or door_address(settings)
        self.run_id = f"{socket.gethostname().split('.')[0]}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.log_dir = state_dir / "logs" / self.run_id
        private_dir(self.log_dir)  # logs/ and its runs: 0700, as everything under the state directory
        self.catalog = Catalog(tuple(Path(os.path.expanduser(d)) for d in settings.plugins.directories))
        self.workspaces = WorkspaceStore(state_dir / "workspaces")
        self.zarr = zarr_store.ZarrArrays(lambda: self.url, owner_of=self._plugin_serving)
        self.env_cache = Path(os.path.expanduser(settings.plugins.env_cache or state_dir / "envs"))
        self.cluster: ClusterManager | None = None
        self.instances: InstanceManager | None = None
        self.front = SocketDoor("front", register=self._register_client, max_message_bytes=self.max_bytes,
                                chunk_bytes=self.chunk_bytes, origin_allowed=self.origin_allowed,
                                preauth_max_bytes=server.preauth_max_bytes,
                                max_pending=server.max_pending_connections,
                                registrations_per_second=server.registrations_per_second,
                                credentials=self._token_wrong, grace=settings.sessions.grace_period,
                                prove=lambda client_nonce, server_nonce: proof(self.token, SERVER, client_nonce,
                                                                               server_nonce),
                                ping_interval=server.ping_interval, ping_timeout=server.ping_timeout)
        self.max_connections = server.max_connections
        self.max_foreign = server.max_foreign_connections
        # Arrays held while they pass through wait in a private (0700) directory of the system's temporary
        # directory ($TMPDIR): local disk on a login node, unlike a home directory on NFS.
        # (when it has no room, in the state directory).
        self.door = LinkDoor("plugin", register=self._register_plugin, max_message_bytes=self.max_bytes,
                             chunk_bytes=self.chunk_bytes, relay_arrays=relay_arrays,
                             uploads=Uploads(fallback=state_dir / "spool"), preauth_max_bytes=server.preauth_max_bytes,
                             max_pending=server.max_pending_connections,
                             registrations_per_second=server.registrations_per_second,
                             credentials=self._secret_wrong, register_timeout=server.plugin_register_timeout,
                             ping_interval=server.ping_interval, ping_timeout=server.ping_timeout)
        # Large arrays to pages that fetch them over HTTP (GET /ndarray/...), served from the same spools.
        self.fetch_arrays = fetch_arrays.FetchArrays(server.fetch_array_bytes, self.door.uploads.place_for)
        self.front.uploads = self.door.uploads  # clients' large arrays are spooled as plugins' are (PUT /array/)
        self._servers: list[tornado.httpserver.HTTPServer] = []
        self.door_port: int | None = None

    # ------------------------------------------------------------------ policies
    def host_allowed(self, host_header: str) -> bool:
        """Host headers we answer to: loopback names, configured hosts, or anything when bound beyond loopback."""
        if self.host not in LOOPBACK_HOSTS:
            return True
        name = _hostname_of(host_header)
        return name in LOOPBACK_HOSTS or name in self.allowed_hosts or host_header.lower() in self.allowed_hosts

    def origin_allowed(self, origin: str | None, environ: dict) -> bool:
        """Same origin as the request (through any tunnel port) or an explicitly configured origin."""
        if origin is None:
            return True  # not a browser: scripts authenticate with the token
        own = f"{environ.get('wsgi.url_scheme', 'http')}://{environ.get('HTTP_HOST', '')}"
        if origin == own and self.host_allowed(environ.get("HTTP_HOST", "")):
            return True
        return origin in self.allowed_origins

    # ------------------------------------------------------------------ registration
    def _token_wrong(self, config: dict) -> str | None:
        """None when the registration holds the token (or this process's tab key), or a proof of one of them over
        its auth_challenge's nonces or a ticket of this process."""
        if self.keys.accepts(config.get("token")):
            return None
        given = config.get("token_proof")
        ticket = (config.get("client_nonce"), config.get("server_nonce"))  # a ticket from GET /api/challenge
        for nonces in (config.get("_nonces"), ticket if self.tickets.valid(*ticket) else None):
            if isinstance(nonces, tuple) and any([proof_matches(given, secret, CLIENT, *nonces)
                                                  for secret in self.keys.accepted]):
                return None
        return "invalid or missing token"

    def challenge(self, client_nonce: str) -> dict:
        """GET /api/challenge: a ticket of this process and the gateway's proofs over it, of knowing the token and
        of knowing the tab key of this process (`process` names it: a page derives its tab key from it)."""
        server_nonce = self.tickets.issue(client_nonce)
        return {"success": True, "server_nonce": server_nonce, "process": self.keys.process,
                "proof": proof(self.token, SERVER, client_nonce, server_nonce),
                "tab_proof": proof(self.keys.tab_key, SERVER, client_nonce, server_nonce)}

    def _secret_wrong(self, config: dict) -> str | None:
        """Checked before the door spends anything on the registration; claim() then uses the secret up."""
        if self.instances is None or not self.instances.secret_known(config):
            return "invalid or already used plugin secret"
        return None

    async def _register_client(self, config: dict, sid: str) -> Registration:
        wrong = self._token_wrong(config)
        if wrong is not None:
            raise RegistrationRefused(wrong)
        name = str(config.get("name") or "client")[:80]

        def on_close(session: Connection, reason: str) -> None:
            if not session.replaced:  # a session re-attached on a new connection keeps its zarr URLs
                self.zarr.end_session(session.session_id)
                self.fetch_arrays.end_session(session.session_id)
            self.instances.client_gone(session, reason)

        def api(session: Connection) -> dict:
            # a plugin's remote array on its way to this client gets a zarr URL bound to this session
            session.peer.codec.relayed_object = lambda value: self.zarr.offer(value, session.session_id)
            key = fetch_arrays.session_key(session.config)  # a page that fetches large arrays over HTTP
            if key is not None:
                session.peer.codec.relayed_array = lambda value: self.fetch_arrays.offer(value, session.session_id,
                                                                                         key)
            return ClientAPI(self.instances, self.catalog, session, self.workspaces, zarr=self.zarr).exported()

        return Registration(kind="client", name=f"{name} ({sid[:6]})", api=api,
                            on_close=on_close, on_takeover=lambda old, new: self.instances.transfer(old, new))

    def _plugin_serving(self, fn: Any) -> tuple[str | None, Any]:
        """(instance id, alive()) of the plugin whose remote function `fn` is (a zarr store lives as long)."""
        peer = getattr(fn, "_peer", None)
        for instance in (self.instances.instances.values() if self.instances else []):
            if instance.connection is not None and instance.connection.peer is peer and peer is not None:
                return instance.id, lambda: instance.state.active and not peer.closed
        return None, lambda: peer is not None and not peer.closed

    async def _register_plugin(self, config: dict, sid: str) -> Registration:
        instance, renewal = self.instances.claim(config)  # renewal: the replacement process of a renewal

        def api(connection: Connection) -> dict:
            self.instances.plugin_connected(instance, connection, renewal)
            return PluginHostAPI(self.instances, self.catalog, instance, zarr=self.zarr).exported()

        def on_ready(connection: Connection, remote_api: Any) -> None:
            asyncio.ensure_future(self.instances.plugin_ready(instance, remote_api, renewal))

        def on_close(connection: Connection, reason: str) -> None:
            self.instances.plugin_disconnected(instance, reason, connection)

        return Registration(kind="plugin", name=f"plugin {instance.spec.name} ({instance.id})", api=api,
                            on_ready=on_ready, on_close=on_close, defer_peer_close=True)

    # ------------------------------------------------------------------ start / stop
    @property
    def url(self) -> str:
        """The page's URL: on the TCP door, or (Unix socket only) where the suggested `ssh -L` line puts it."""
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::") or not self.tcp else self.host
        return f"http://{host}:{self.port}/"

    def info(self) -> dict:
        return {
            "session": self.run_id,
            "instances": self.instances.list() if self.instances else [],
            "jobs": self.cluster.list_jobs() if self.cluster else [],
            "clients": [c.name for c in self.front.connections.values()],
        }

    async def start(self, front: bool = True) -> None:
        """Open the plugin door (and the front door unless `front` is False, as for headless runs)."""
        try:
            cancelled = await asyncio.to_thread(cancel_orphans, self.state_dir, settings=self.settings)
            if cancelled:
                logger.warning("cancelled %d job(s) left by a gateway that died: %s", len(cancelled), cancelled)
        except Exception:  # noqa: BLE001
            logger.exception("looking for jobs left by dead gateways")
        dask.config.set(DASK_SETTINGS)  # local workers inherit them; batch jobs export them (see cluster_kwargs)
        self.cluster = ClusterManager(self.settings.with_state_dir(self.state_dir), run_id=self.run_id,
                                      log_dir=self.log_dir, on_event=lambda e: self.instances.on_cluster_event(e),
                                      status_events=True)
        count_library_logs(self.door.causes)
        door_app = tornado.web.Application(
            [self.door.handler(),
             (UPLOAD_PATH + r"([0-9a-f]{32})", ArrayUploadHandler, {"uploads": self.door.uploads})],
            websocket_max_message_size=self.max_bytes, default_handler_class=NotFoundHandler)
        descriptors = raise_descriptor_limit()
        # Plugin processes on compute nodes are other machines: only other users of this one are capped here.
        door_server = CappedHTTPServer(door_app, max_buffer_size=self.max_bytes * 2, chunk_size=UPLOAD_READ_BYTES,
                                       max_body_size=self.settings.server.preauth_max_bytes,
                                       idle_connection_timeout=60, body_timeout=60,
                                       max_connections=connection_cap(descriptors, self.max_connections),
                                       max_foreign=self.max_foreign, capped=frozenset({OTHER_USER}),
                                       foreign_per_second=self.settings.server.foreign_connections_per_second,
                                       causes=self.door.causes, door="plugin")
        door_socket = tornado.netutil.bind_sockets(0, self.plugin_host)
        door_server.add_sockets(door_socket)
        self.door_port = door_socket[0].getsockname()[1]
        self._servers.append(door_server)
        self.instances = InstanceManager(
            self.cluster, door_url=f"http://{self.plugin_host}:{self.door_port}", settings=self.settings.plugins,
            log_dir=self.log_dir, env_cache=self.env_cache, chunk_bytes=self.chunk_bytes,
            ping=(self.settings.server.ping_interval, self.settings.server.ping_timeout),
            work_root=self.state_dir / "plugin-work",
        )
        asyncio.get_running_loop().create_task(self._warm_up())
        idle_limit = self.settings.sessions.detach_idle_limit
        if idle_limit:
            self._reaper = asyncio.get_running_loop().create_task(self.instances.reap_detached(idle_limit))
        if not front:
            return
        front_app = tornado.web.Application(
            http.handlers(self.front.handler(), host_allowed=self.host_allowed, accepts=self.keys.accepts, info=self.info,
                          origin_allowed=self.origin_allowed, upload_dir=self.state_dir / "uploads")
            + [(CHALLENGE_PATH, ChallengeHandler, {"host_allowed": self.host_allowed, "challenge": self.challenge,
                                                   "origin_allowed": self.origin_allowed})]
            + client_uploads.handlers(uploads=self.door.uploads, host_allowed=self.host_allowed,
                                      origin_allowed=self.origin_allowed)
            + zarr_store.handlers(host_allowed=self.host_allowed, accepts=self.keys.accepts, arrays=self.zarr,
                                  origins=self.settings.server.zarr_origins)
            + fetch_arrays.handlers(host_allowed=self.host_allowed, origin_allowed=self.origin_allowed,
                                    arrays=self.fetch_arrays),
            websocket_max_message_size=self.max_bytes, default_handler_class=NotFoundHandler,
        )
        cap = connection_cap(descriptors, self.max_connections)
        # No route reads a body before authenticating it; the server's own limit is the backstop.
        front_server = CappedHTTPServer(front_app, max_buffer_size=self.max_bytes * 2, xheaders=False,
                                        idle_connection_timeout=60, body_timeout=60, max_connections=cap,
                                        max_body_size=self.settings.server.preauth_max_bytes,
                                        causes=self.front.causes, max_foreign=self.max_foreign,
                                        foreign_per_second=self.settings.server.foreign_connections_per_second)
        if self.socket_path is not None and len(str(self.socket_path).encode()) > MAX_SOCKET_PATH:
            if not self.tcp:
                raise OSError(f"the state directory's path is too long for a Unix socket ({self.socket_path}); "
                              "set imjoy-hpc.state-dir to a shorter path or turn on the TCP door (--port)")
            logger.warning("no Unix-socket door: the path %s is too long for a Unix socket", self.socket_path)
            self.socket_path = None
        if self.socket_path is not None:
            front_server.add_socket(tornado.netutil.bind_unix_socket(str(self.socket_path), mode=0o600))
        if self.tcp:
            sockets = tornado.netutil.bind_sockets(self.port, self.host)
            front_server.add_sockets(sockets)
            self.port = sockets[0].getsockname()[1]
        self._servers.append(front_server)
        self.instances.engine_url = self.url.rstrip("/")

    async def _warm_up(self) -> None:
        """Start the default profile's cluster in the background so the first plugin starts sooner."""
        try:
            await self.cluster.client(self.cluster.resolve(None))
        except Exception:  # noqa: BLE001
            logger.exception("starting the default profile's cluster")

    async def stop(self) -> None:
        """Stop plugins, close both doors, cancel every job: nothing is left running."""
        if getattr(self, "_reaper", None) is not None:
            self._reaper.cancel()
        for server in self._servers:
            server.stop()
        if self.instances is not None:
            await self.instances.close()
        await self.front.close()
        await self.door.close()
        if self.cluster is not None:
            await self.cluster.close()
        for server in self._servers:
            try:
                await asyncio.wait_for(server.close_all_connections(), 5)
            except Exception:  # noqa: BLE001
                pass
        if self.socket_path is not None:
            self.socket_path.unlink(missing_ok=True)
        self.fetch_arrays.close()
        self.door.uploads.close()

