/* The imjoy-hpc engine for ImJoy core: native-python plugins run on an imjoy-hpc gateway, and every api.* call
 * they make is served by the ImJoy app that started them. Shared by the engine plugin file
 * (GET /imjoy/engine.imjoy.html, which inlines this file) and the gateway's own workspace page. */
(function (root) {
  "use strict";

  const CONFIG_KEY = "gateway_url";
  const PROMPT = "URL of your imjoy-hpc gateway, as `imjoy-hpc serve` or `imjoy-hpc connect` prints it " +
    "(http://127.0.0.1:PORT/#token=...)";
  const ACTIVE = ["queued", "installing", "starting", "running"];
  // While the connection is down (a cut tunnel), the engine still counts as alive for this long, so ImJoy keeps
  // its plugins; the gateway keeps them for its sessions.grace-period and the engine re-attaches them.
  const RECONNECT_GRACE_MS = 120000;

  function newSessionId() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  /** The gateway's base URL and token from the URL the gateway prints (`.../#token=...`). */
  function parseGatewayUrl(text) {
    let url;
    try {
      url = new URL(String(text || "").trim());
    } catch (e) {
      throw new Error(`not a URL: ${text}`);
    }
    const token = new URLSearchParams(url.hash.slice(1)).get("token");
    if (!token) throw new Error("the URL has no #token=...: paste the whole URL the gateway printed");
    url.hash = "";
    url.search = "";
    return { base: url.href.replace(/\/+$/, ""), token };
  }

  /** Load the gateway's socket.io client (the vendored imjoy-rpc one) into this page, once. */
  function loadClient(base) {
    if (root.imjoyRPCSocketIO) return Promise.resolve(root.imjoyRPCSocketIO.connectToServer);
    return new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = `${base}/static/vendor/imjoy-rpc-socketio.js`;
      script.onload = () => resolve(root.imjoyRPCSocketIO.connectToServer);
      script.onerror = () => reject(new Error(`could not load ${script.src} (is the gateway running and this ` +
        "origin in its allowed-origins?)"));
      document.head.appendChild(script);
    });
  }

  // ------------------------------------------------------------------ the gateway proves it knows the token
  const SERVER_ROLE = "imjoy-hpc gateway";
  const CLIENT_ROLE = "imjoy-hpc client";
  const TAB_PREFIX = "tab";

  function hex(buffer) {
    return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");
  }

  async function hmacHex(token, text) {
    const enc = new TextEncoder();
    const key = await crypto.subtle.importKey("raw", enc.encode(token), { name: "HMAC", hash: "SHA-256" }, false,
      ["sign"]);
    return hex(await crypto.subtle.sign("HMAC", key, enc.encode(text)));
  }

  /** The key a page keeps instead of the token (rpc/proof.py `tab_key`): it is worth the token with this one
   * gateway process only, so whoever holds the port after the gateway stopped finds nothing usable in the tab. */
  async function tabKey(token, process) {
    return `${TAB_PREFIX}.${process}.${await hmacHex(token, `imjoy-hpc tab\n${process}`)}`;
  }

  /** Once the gateway at `base` has proved that it knows `secret` (the token, or a tab key of this gateway
   * process; GET /api/challenge): `{credentials: {token_proof, client_nonce, server_nonce}, tabKey}`, never the
   * secret itself. A server that cannot prove it (a program holding the port of a gateway that stopped) gets
   * nothing: an error saying so. */
  async function proveGateway(base, secret) {
    const clientNonce = newSessionId();
    const response = await fetch(`${base}/api/challenge?client_nonce=${clientNonce}`, { cache: "no-store" });
    let answer = null;
    try { answer = await response.json(); } catch (e) { /* not the gateway's answer */ }
    const serverNonce = answer && typeof answer.server_nonce === "string" ? answer.server_nonce : "";
    const isTabKey = String(secret).startsWith(`${TAB_PREFIX}.`);
    const process = answer && typeof answer.process === "string" ? answer.process : "";
    if (isTabKey && serverNonce && process && !String(secret).startsWith(`${TAB_PREFIX}.${process}.`)) {
      const error = new Error(`${base}: this tab was opened for an earlier run of the gateway and keeps no ` +
        "token; open the URL that `imjoy-hpc serve` (or `imjoy-hpc connect`) printed (…/#token=…) again");
      error.notGateway = true;
      error.staleKey = true;
      throw error;
    }
    const given = answer && (isTabKey ? answer.tab_proof : answer.proof);
    const expected = serverNonce ? await hmacHex(secret, `${SERVER_ROLE}\n${clientNonce}\n${serverNonce}`) : null;
    if (!answer || !expected || given !== expected) {
      const error = new Error(`${base} is not your imjoy-hpc gateway: it did not prove that it knows the token ` +
        "(another program may hold the port of a gateway that stopped); the token was not sent");
      error.notGateway = true;
      throw error;
    }
    return {
      credentials: { token_proof: await hmacHex(secret, `${CLIENT_ROLE}\n${clientNonce}\n${serverNonce}`),
                     client_nonce: clientNonce, server_nonce: serverNonce },
      tabKey: isTabKey ? secret : await tabKey(secret, process),
    };
  }

  function firstLine(error) {
    const text = String((error && error.message) || error || "unknown error");
    return text.split("\n")[0];
  }

  /**
   * The engine object ImJoy core registers (`api.register(engine)` from a plugin, or `imjoy.em.register(engine)`
   * from a host page). `api` is the ImJoy API of the engine's plugin (prompt, getConfig, setConfig,
   * showMessage); `options.gatewayUrl` skips the prompt; `options.clientApi` is exported to the gateway (e.g.
   * onPluginStatus for a jobs panel); `options.onConnected(server)` sees the gateway API; `options.onTabKey(key)`
   * gets the key a page on the gateway's origin keeps for reloads instead of the token.
   */
  function createEngine(api, options) {
    options = options || {};
    let server = null;
    let base = null;
    let connecting = null;
    let lostAt = null;
    const sessionId = options.sessionId || newSessionId();
    const arrays = root.imjoyHpcFetchArrays;  // large arrays over HTTP, when the page has it
    const arrayKey = arrays ? arrays.newKey() : null;
    const uploads = root.imjoyHpcUploadArrays;  // large arrays to the gateway over HTTP, when the page has it
    const uploadKey = uploads ? uploads.newKey() : null;
    const started = new Map(); // instance id -> {name, iface, handle}: to list and to re-attach them
    const lostWaiters = [];

    /** A call that fails at once when the connection drops (its answer cannot come back on the old peer). */
    function whileConnected(promise) {
      let fail;
      const lost = new Promise((_, reject) => {
        fail = () => reject(new Error("connection to the gateway lost during the call; the plugin is still running"));
        lostWaiters.push(fail);
      });
      return Promise.race([promise, lost]).finally(() => {
        const i = lostWaiters.indexOf(fail);
        if (i >= 0) lostWaiters.splice(i, 1);
      });
    }

    /** The plugin's API as ImJoy keeps it: every method goes to the plugin's current remote API, which
     * re-attaching replaces. */
    function stableApi(id, remote) {
      const handle = { current: remote };
      const api = { _rintf: true };
      for (const key of Object.keys(remote)) {
        if (key === "_rintf") continue;
        if (typeof remote[key] === "function") {
          api[key] = (...args) => whileConnected(Promise.resolve(handle.current[key](...args)));
        } else {
          api[key] = remote[key];
        }
      }
      return { api, handle };
    }

    function watch(connection, target) {
      const socket = connection._rpc && connection._rpc._connection;
      if (!socket || typeof socket.on !== "function") return;
      socket.on("disconnected", () => {
        if (lostAt !== null) return;
        lostAt = Date.now();
        for (const fail of lostWaiters.splice(0)) fail();
        if (options.onConnectionLost) options.onConnectionLost();
        checkStillGateway(target);
      });
      // The socket.io client reconnects by itself and registers again with this session id: the gateway hands the
      // session's plugins back; each gets the plugin's ImJoy interface again over the new connection.
      if (socket.rpc && typeof socket.rpc.on === "function") {
        socket.rpc.on("remoteReady", () => {
          if (lostAt === null) return;
          reattach(socket.rpc.getRemote() || server).catch((e) => {
            console.error("imjoy-hpc: re-attaching failed", e);
            if (options.onReattached) options.onReattached(e);
          });
        });
      }
    }

    /** While the connection is down, ask whoever answers on the gateway's port to prove it is the gateway; say
     * so when it cannot (the client re-registers by itself, with a proof that is worthless to anyone else). */
    function checkStillGateway(target) {
      let tries = 0;
      const check = () => {
        if (lostAt === null || !target || tries++ > 60) return;
        proveGateway(target.base, target.token).then(() => setTimeout(check, 2000), (e) => {
          if (!e.notGateway) { setTimeout(check, 2000); return; }
          if (options.onNotGateway) options.onNotGateway(firstLine(e));
          else Promise.resolve(api.showMessage(firstLine(e))).catch(() => {});
        });
      };
      setTimeout(check, 500);
    }

    async function reattach(remote) {
      server = remote; // the client exports this page's own API (clientApi) again by itself
      for (const [id, record] of started) {
        try {
          record.handle.current = await server.get_plugin(id, { interface: record.iface });
        } catch (e) {
          started.delete(id); // it ended meanwhile; ImJoy learns it at its next call
        }
      }
      lostAt = null;
      if (options.onConnected) options.onConnected(server);
      if (options.onReattached) options.onReattached(null);
    }

    async function askUrl(reason) {
      if (options.gatewayUrl && !reason) return options.gatewayUrl;
      let text = reason || !api.getConfig ? null : await api.getConfig(CONFIG_KEY);
      if (!text) {
        text = await api.prompt(reason ? `${reason}\n${PROMPT}` : PROMPT, "http://127.0.0.1:9527/#token=");
        if (!text) throw new Error("no imjoy-hpc gateway URL was given");
      }
      return text;
    }

    async function open() {
      let reason = null;
      for (let attempt = 0; attempt < 3; attempt++) {
        const text = await askUrl(reason);
        let target;
        try {
          target = parseGatewayUrl(text);
        } catch (e) {
          reason = firstLine(e);
          continue;
        }
        try {
          const { credentials, tabKey: key } = await proveGateway(target.base, target.token);
          const connectToServer = await loadClient(target.base);
          // no `token`: the client would send it again to whatever answers on this port after a drop
          const connection = await connectToServer(Object.assign({
            server_url: target.base, name: "imjoy-hpc engine", session_id: sessionId,
          }, arrays ? { [arrays.KEY_FIELD]: arrayKey } : {}, uploads ? { [uploads.KEY_FIELD]: uploadKey } : {},
          credentials));
          // large arrays come as URLs: fetched before ImJoy sees the message (fetch-arrays.js)
          if (arrays) arrays.install(connection._rpc && connection._rpc._connection, target.base, arrayKey);
          // large arrays go as uploads, each before the message that holds it (upload-arrays.js)
          if (uploads) uploads.install(connection._rpc && connection._rpc._connection, target.base, uploadKey);
          watch(connection, target);
          if (options.clientApi) await connection.export(Object.assign({ _rintf: true }, options.clientApi));
          server = connection;
          base = target.base;
          if (!options.gatewayUrl && api.setConfig) await api.setConfig(CONFIG_KEY, text);
          if (options.onTabKey) options.onTabKey(key);
          if (options.onConnected) options.onConnected(server);
          return;
        } catch (e) {
          reason = `could not connect to ${target.base}: ${firstLine(e)}`;
          if (options.gatewayUrl) break;
        }
      }
      throw new Error(reason);
    }

    async function connect() {
      if (server) return true;
      if (!connecting) connecting = open().finally(() => { connecting = null; });
      await connecting;
      return true;
    }

    async function instances() {
      await connect();
      return await server.list_instances();
    }

    return {
      type: "engine",
      pluginType: "native-python",
      factory: "imjoy-hpc",
      icon: "🖥️",
      name: "imjoy-hpc",
      get url() { return base || "imjoy-hpc"; },
      config: {},
      lazy_connection: false,
      connect,
      async disconnect() {
        const connection = server;
        server = null;
        if (connection) {
          try { connection.disconnect ? await connection.disconnect() : connection.dispose(); } catch (e) { /* gone */ }
        }
      },
      async heartbeat() {
        if (!server) return false;
        if (lostAt !== null) return Date.now() - lostAt < RECONNECT_GRACE_MS;
        try {
          await Promise.race([server.list_instances(),
            new Promise((_, reject) => setTimeout(() => reject(new Error("timeout")), 4000))]);
          return true;
        } catch (e) {
          return false;
        }
      },
      async startPlugin(config, imjoyInterface, engineUtils) {
        try {
          await connect();
          // the ImJoy API bound to this plugin: the gateway sends the plugin's api.* calls to it
          const iface = Object.assign({}, imjoyInterface, { _rintf: true });
          const plugin = await whileConnected(server.load_plugin(config.code, { tag: config.tag || undefined,
            interface: iface }));
          const { api: stable, handle } = stableApi(plugin.id, plugin);
          started.set(plugin.id, { name: config.name, iface, handle });
          return stable;
        } catch (e) {
          // ImJoy core never settles loadPlugin when startPlugin fails: tell the user here.
          const text = `Plugin ${config.name} failed to start on imjoy-hpc: ${firstLine(e)}`;
          if (options.onStartFailed) options.onStartFailed(config, String((e && e.message) || e)); // says it
          else try { await api.showMessage(text); } catch (ignored) { console.error(text); }
          try { if (engineUtils && engineUtils.terminatePlugin) engineUtils.terminatePlugin(); } catch (ignored) {}
          throw e;
        }
      },
      async getEngineStatus() {
        const all = await instances();
        const active = all.filter((i) => ACTIVE.includes(i.state));
        return {
          name: "imjoy-hpc", url: base, connected: Boolean(server),
          plugin_processes: active.map((i) => ({
            pid: i.id, name: i.name, state: i.state, job_id: i.job_id, node: i.node, reason: i.reason,
            walltime_left: i.walltime_left, started_here: started.has(i.id),
          })),
          jobs: await server.list_jobs(),
        };
      },
      async killPluginProcess(p) {
        await connect();
        if (p && p.all) {
          for (const i of (await server.list_instances()).filter((i) => ACTIVE.includes(i.state))) {
            await server.kill_plugin(i.id);
          }
          return;
        }
        await server.kill_plugin(p && p.pid !== undefined ? p.pid : p);
      },
      // No `server`: ImJoy hands this object to any plugin that asks (api.getEngine), so it holds the engine
      // interface only, never the gateway's authenticated connection (the page gets that from onConnected).
    };
  }

  root.imjoyHpcEngine = { createEngine, parseGatewayUrl, proveGateway, CONFIG_KEY };
})(typeof window !== "undefined" ? window : self);
