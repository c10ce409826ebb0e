/*
 * imjoy-hpc web page.
 *
 * Connects to the gateway with the real ImJoy RPC socket.io client (static/vendor/imjoy-rpc-socketio.js,
 * global `imjoyRPCSocketIO`), exports the page's own API (showMessage, showProgress, ...) so plugins can talk
 * to the user, lists the gateway's plugins, loads one, calls its functions and shows the results: arrays
 * (`_rtype: "ndarray"`) are drawn on a canvas, anything else is shown as JSON.
 *
 * Plain JavaScript, no build step. Tests drive the page through `window.imjoyHpc`.
 */
"use strict";

(function () {
  const CONNECT_TIMEOUT_MS = 30000;
  const LIST_TIMEOUT_MS = 60000;
  const LOG_LIMIT = 500;
  const JSON_LIMIT = 100000;
  const MAX_CANVAS_SIDE = 16384;
  // What this tab keeps for reloads: the key derived from the token for this gateway process (rpc/proof.py
  // tab_key), never the token itself: a program holding the port after the gateway stopped finds nothing usable.
  const TAB_KEY = "imjoy-hpc-tab-key";
  const SESSION_KEY = "imjoy-hpc-session";

  const $ = (id) => document.getElementById(id);

  let resolveReady;
  // Test and console hook: the gateway API, the loaded plugin's API, the last call's result (as the RPC client
  // returned it) and, for an array result, its decoded form {data: TypedArray | null, shape, dtype}.
  const state = {
    serverUrl: serverUrl(),
    api: null,
    plugin: null,
    pluginName: null,
    lastResult: undefined,
    lastArray: null,
    lastError: null,
    attempted: false,
    // This tab's session on the gateway: its plugins keep running while the connection is down, and the page
    // re-attaches them when it is back (the RPC client reconnects by itself).
    sessionId: sessionStorage.getItem(SESSION_KEY) || newSessionId(),
    reattached: 0,
    connectionLost: false,
    ready: new Promise((resolve) => {
      resolveReady = resolve;
    }),
  };
  window.imjoyHpc = state;

  // ---------------------------------------------------------------- helpers

  function newSessionId() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    const id = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    sessionStorage.setItem(SESSION_KEY, id);
    return id;
  }

  /** The gateway's URL: this page's origin and directory (the gateway may sit under a base path). */
  function serverUrl() {
    return window.location.origin + window.location.pathname.replace(/[^/]*$/, "");
  }

  function describe(err) {
    if (err === undefined || err === null) return "unknown error";
    if (err instanceof Error) return err.message || String(err);
    if (typeof err === "string") return err;
    try {
      return JSON.stringify(err);
    } catch (_) {
      return String(err);
    }
  }

  function withTimeout(promise, ms, what) {
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(what)), ms);
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
  }

  function setStatus(stateName, text) {
    const el = $("status");
    el.dataset.state = stateName;
    el.textContent = text;
  }

  function showError(text) {
    state.lastError = text;
    const el = $("error");
    el.textContent = text;
    el.hidden = false;
    addLog("error", text);
  }

  function clearError() {
    state.lastError = null;
    const el = $("error");
    el.textContent = "";
    el.hidden = true;
  }

  function addLog(kind, text) {
    const list = $("log");
    const item = document.createElement("li");
    item.className = "log-" + kind;
    const time = document.createElement("time");
    time.textContent = new Date().toLocaleTimeString();
    const body = document.createElement("span");
    body.textContent = (kind === "log" ? "" : kind + ": ") + text;
    item.append(time, body);
    list.append(item);
    while (list.children.length > LOG_LIMIT) list.firstElementChild.remove();
    item.scrollIntoView({ block: "nearest" });
  }

  function joinArgs(args) {
    return args.map((a) => (typeof a === "string" ? a : describe(a))).join(" ");
  }

  // ---------------------------------------------------------------- the page's own API (called by plugins)

  const pageApi = {
    setup() {},
    log(...args) {
      addLog("log", joinArgs(args));
    },
    error(...args) {
      addLog("error", joinArgs(args));
    },
    showMessage(message) {
      addLog("message", describe(message));
    },
    showStatus(status) {
      $("plugin-state").textContent = describe(status);
      addLog("status", describe(status));
    },
    showProgress(progress) {
      // ImJoy semantics: values below 1 are fractions, otherwise percent.
      let p = Number(progress);
      if (!Number.isFinite(p)) return;
      if (p < 1) p *= 100;
      $("progress").value = Math.max(0, Math.min(100, p));
    },
    alert(message) {
      addLog("alert", describe(message));
    },
    // Questions a plugin asks (api.prompt / api.confirm) are answered by the person at the page.
    prompt(message, defaultValue) {
      addLog("prompt", describe(message));
      const answer = window.prompt(describe(message), defaultValue === undefined ? "" : String(defaultValue));
      return answer === null ? null : answer;
    },
    confirm(message) {
      addLog("confirm", describe(message));
      return window.confirm(describe(message));
    },
  };

  // ---------------------------------------------------------------- connecting

  function gatewayBase() {
    return state.serverUrl.replace(/\/+$/, "");
  }

  function tokenFromFragment() {
    const params = new URLSearchParams(window.location.hash.replace(/^#/, ""));
    return params.get("token") || "";
  }

  async function connect(token) {
    clearError();
    if (!token) {
      showError("No token: paste the token printed by `imjoy-hpc serve` and press Connect.");
      return;
    }
    if (typeof window.imjoyRPCSocketIO === "undefined") {
      // E.g. blocked by a Content-Security-Policy without 'unsafe-eval' (the client calls eval when it loads).
      setStatus("failed", "not connected");
      showError("The ImJoy RPC client (static/vendor/imjoy-rpc-socketio.js) did not load; see the browser console.");
      return;
    }
    state.attempted = true;
    $("connect").disabled = true;
    setStatus("connecting", "connecting to " + state.serverUrl + " ...");
    try {
      // the gateway proves it knows the token first; the client gets a proof over its ticket, never the token
      const { credentials, tabKey } = await window.imjoyHpcEngine.proveGateway(gatewayBase(), token);
      const api = await withTimeout(
        window.imjoyRPCSocketIO.connectToServer(Object.assign({
          server_url: state.serverUrl,
          name: "imjoy-hpc web",
          session_id: state.sessionId,
        }, credentials)),
        CONNECT_TIMEOUT_MS,
        "no answer from the gateway within " + CONNECT_TIMEOUT_MS / 1000 + " s"
      );
      await api.export(pageApi);
      state.api = api;
      sessionStorage.setItem(TAB_KEY, tabKey);
      watchConnection(api);
      setStatus("connected", "connected to " + state.serverUrl);
      addLog("status", "connected to " + state.serverUrl);
      $("refresh").disabled = false;
      resolveReady(state);
      await refreshPlugins();
    } catch (err) {
      if (!state.api) {
        let text = describe(err);
        // The RPC client reports a refused socket.io handshake and an unreachable server alike.
        if (text === "connection error") {
          text += " (the gateway refused the connection, e.g. a wrong token, or cannot be reached)";
        }
        setStatus("failed", "not connected");
        showError("Could not connect to the gateway at " + state.serverUrl + ": " + text);
      } else {
        showError(describe(err));
      }
    } finally {
      $("connect").disabled = Boolean(state.api);
    }
  }

  /** A lost connection: the status line says so while the RPC client reconnects by itself; once it is back, the
   * page re-attaches its session (same session id: the gateway hands its plugins back) and the loaded plugin. */
  function watchConnection(api) {
    const connection = api._rpc && api._rpc._connection;
    if (!connection || typeof connection.on !== "function") return;
    connection.on("disconnected", () => {
      if (state.connectionLost) return;
      state.connectionLost = true;
      for (const fail of lostWaiters.splice(0)) fail();
      setStatus("reconnecting", "connection lost; reconnecting (your plugins keep running on the gateway) ...");
      addLog("status", "connection to the gateway lost; calls in flight fail: connection lost during the call; " +
        "the plugin is still running");
    });
    // The RPC client reconnects by itself and registers again with this page's session id; the gateway's API then
    // arrives anew (the client updates the same object in place): re-attach.
    if (connection.rpc && typeof connection.rpc.on === "function") {
      connection.rpc.on("remoteReady", () => {
        if (!state.connectionLost) return;
        reattach(connection.rpc.getRemote() || state.api).catch((err) => showError("Re-attaching failed: " + describe(err)));
      });
    }
  }

  // Calls in flight when the connection drops fail at once (their answers cannot come back on the old peer).
  const lostWaiters = [];
  function whileConnected(promise) {
    let fail;
    const lost = new Promise((_, reject) => {
      fail = () => reject(new Error("connection lost during the call; the plugin is still running"));
      lostWaiters.push(fail);
    });
    return Promise.race([promise, lost]).finally(() => {
      const i = lostWaiters.indexOf(fail);
      if (i >= 0) lostWaiters.splice(i, 1);
    });
  }

  async function reattach(remote) {
    state.api = remote;
    if (state.plugin && state.plugin.id) {
      state.plugin = await withTimeout(state.api.get_plugin(state.plugin.id), LIST_TIMEOUT_MS,
        "the gateway did not hand the plugin back within " + LIST_TIMEOUT_MS / 1000 + " s");
    }
    state.connectionLost = false;
    state.reattached += 1;
    setStatus("connected", "re-attached to the gateway (session " + state.sessionId.slice(0, 8) + ")");
    addLog("status", "re-attached to the gateway; your plugins are back");
  }

  // ---------------------------------------------------------------- plugins

  let pluginEntries = [];

  async function refreshPlugins() {
    if (!state.api) return;
    const list = await withTimeout(
      state.api.list_plugins(),
      LIST_TIMEOUT_MS,
      "the gateway did not list its plugins within " + LIST_TIMEOUT_MS / 1000 + " s"
    );
    pluginEntries = Array.isArray(list) ? list : [];
    const select = $("plugin-list");
    const previous = select.value;
    select.replaceChildren();
    for (const entry of pluginEntries) {
      const option = document.createElement("option");
      option.value = entry.name;
      option.textContent = entry.error ? entry.name + " (error)" : entry.name;
      if (entry.error) option.className = "has-error";
      select.append(option);
    }
    if (pluginEntries.some((e) => e.name === previous)) select.value = previous;
    else if (pluginEntries.length) select.selectedIndex = 0;
    describeSelected();
    $("load").disabled = pluginEntries.length === 0;
    addLog("status", pluginEntries.length + " plugin(s) available");
  }

  function describeSelected() {
    const entry = pluginEntries.find((e) => e.name === $("plugin-list").value);
    const el = $("plugin-description");
    if (!entry) {
      el.textContent = pluginEntries.length ? "" : "No plugins found on the gateway.";
      return;
    }
    const parts = [];
    if (entry.description) parts.push(entry.description);
    if (entry.type) parts.push("type " + entry.type);
    if (Array.isArray(entry.tags) && entry.tags.length) parts.push("tags " + entry.tags.join(", "));
    if (entry.file) parts.push(entry.file);
    if (entry.error) parts.push("error: " + entry.error);
    el.textContent = parts.join(" | ");
  }

  function functionNames(obj) {
    return Object.keys(obj || {}).filter((k) => !k.startsWith("_") && typeof obj[k] === "function");
  }

  async function loadPlugin(name) {
    clearError();
    if (!state.api) throw new Error("not connected");
    $("load").disabled = true;
    $("plugin-state").textContent = "loading " + name + " ...";
    addLog("status", "loading " + name);
    try {
      const plugin = await state.api.load_plugin(name, {});
      state.plugin = plugin;
      state.pluginName = name;
      const names = functionNames(plugin);
      const datalist = $("fn-names");
      datalist.replaceChildren(
        ...names.map((n) => {
          const option = document.createElement("option");
          option.value = n;
          return option;
        })
      );
      const fn = $("fn");
      if (!names.includes(fn.value) && names.length) fn.value = names[0];
      $("call").disabled = false;
      $("plugin-state").textContent = name + " loaded: " + (names.join(", ") || "no functions");
      addLog("status", name + " loaded");
      return plugin;
    } catch (err) {
      $("plugin-state").textContent = "";
      showError("Could not load plugin " + JSON.stringify(name) + ": " + describe(err));
      throw err;
    } finally {
      $("load").disabled = false;
    }
  }

  function parseArgs(text) {
    let value;
    try {
      value = text.trim() ? JSON.parse(text) : [];
    } catch (err) {
      throw new Error("Arguments: not valid JSON (" + err.message + ")");
    }
    if (Array.isArray(value)) return value;
    if (value !== null && typeof value === "object") return [Object.assign({}, value, { _rkwargs: true })];
    return [value];
  }

  async function call(fn, args) {
    clearError();
    const plugin = state.plugin;
    if (!plugin) throw new Error("no plugin loaded");
    if (typeof plugin[fn] !== "function") {
      const err = new Error(
        "Plugin " + JSON.stringify(state.pluginName) + " has no function " + JSON.stringify(fn) +
          "; it has: " + (functionNames(plugin).join(", ") || "none")
      );
      showError(err.message);
      throw err;
    }
    $("call").disabled = true;
    $("progress").value = 0;
    addLog("status", "calling " + fn);
    const started = performance.now();
    try {
      const result = await whileConnected(plugin[fn](...args));
      state.lastResult = result;
      showResult(result);
      addLog("status", fn + " returned after " + Math.round(performance.now() - started) + " ms");
      return result;
    } catch (err) {
      showError(fn + " failed: " + describe(err));
      throw err;
    } finally {
      $("call").disabled = false;
    }
  }

  // ---------------------------------------------------------------- results

  // numpy dtype -> TypedArray. The RPC client itself only decodes ndarrays when numjs/tfjs are present;
  // otherwise it hands over {_rtype: "ndarray", _rvalue: bytes (or a list of byte chunks), _rshape, _rdtype}.
  const TYPED = {
    int8: Int8Array,
    int16: Int16Array,
    int32: Int32Array,
    uint8: Uint8Array,
    uint16: Uint16Array,
    uint32: Uint32Array,
    float32: Float32Array,
    float64: Float64Array,
    bool: Uint8Array,
    int64: BigInt64Array,
    uint64: BigUint64Array,
  };
  if (typeof Float16Array !== "undefined") TYPED.float16 = Float16Array;
  const SHORT_DTYPES = {
    b1: "bool", i1: "int8", i2: "int16", i4: "int32", i8: "int64",
    u1: "uint8", u2: "uint16", u4: "uint32", u8: "uint64", f2: "float16", f4: "float32", f8: "float64",
  };

  function isNdarray(value) {
    return value !== null && typeof value === "object" && value._rtype === "ndarray";
  }

  function joinBytes(value) {
    if (value instanceof ArrayBuffer) return value;
    if (ArrayBuffer.isView(value)) return value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength);
    if (Array.isArray(value)) {
      const parts = value.map(joinBytes);
      if (parts.some((p) => p === null)) return null;
      const total = parts.reduce((n, p) => n + p.byteLength, 0);
      const out = new Uint8Array(total);
      let offset = 0;
      for (const p of parts) {
        out.set(new Uint8Array(p), offset);
        offset += p.byteLength;
      }
      return out.buffer;
    }
    return null;
  }

  /** {data: TypedArray or null, shape, dtype, problem?} for an encoded ndarray. */
  function decodeNdarray(value) {
    const shape = Array.isArray(value._rshape) ? value._rshape.map(Number) : [];
    let dtype = String(value._rdtype || "");
    const result = { data: null, shape: shape, dtype: dtype };
    if (dtype.startsWith(">")) {
      result.problem = "big-endian data is not supported";
      return result;
    }
    dtype = dtype.replace(/^[<|=]/, "");
    dtype = SHORT_DTYPES[dtype] || dtype;
    result.dtype = dtype;
    const Typed = TYPED[dtype];
    if (!Typed) {
      result.problem = "no JavaScript typed array for dtype " + dtype;
      return result;
    }
    const buffer = joinBytes(value._rvalue);
    if (buffer === null) {
      result.problem = "the array's data is not binary";
      return result;
    }
    const count = shape.reduce((n, d) => n * d, 1);
    if (buffer.byteLength !== count * Typed.BYTES_PER_ELEMENT) {
      result.problem =
        "the array's data has " + buffer.byteLength + " bytes but shape " + JSON.stringify(shape) +
        " of " + dtype + " needs " + count * Typed.BYTES_PER_ELEMENT;
      return result;
    }
    result.data = new Typed(buffer);
    return result;
  }

  /** Draw a (h, w), (h, w, 1), (h, w, 3) or (h, w, 4) array; uint8 as is, others min-max scaled. */
  function drawArray(canvas, arr) {
    const s = arr.shape;
    let h, w, c;
    if (s.length === 2) [h, w, c] = [s[0], s[1], 1];
    else if (s.length === 3 && [1, 3, 4].includes(s[2])) [h, w, c] = s;
    else return false;
    if (!h || !w || h > MAX_CANVAS_SIDE || w > MAX_CANVAS_SIDE) return false;
    const src = arr.data;
    const n = h * w * c;
    let scale = (v) => v;
    if (arr.dtype !== "uint8") {
      let min = Infinity;
      let max = -Infinity;
      for (let i = 0; i < n; i++) {
        const v = Number(src[i]);
        if (Number.isFinite(v)) {
          if (v < min) min = v;
          if (v > max) max = v;
        }
      }
      const range = max - min;
      scale = (v) => {
        const x = Number(v);
        if (!Number.isFinite(x)) return 0;
        return range > 0 ? ((x - min) * 255) / range : x > 0 ? 255 : 0;
      };
    }
    canvas.width = w;
    canvas.height = h;
    const ctx = canvas.getContext("2d");
    const image = ctx.createImageData(w, h);
    const out = image.data;
    for (let i = 0, j = 0; i < h * w; i++, j += 4) {
      const k = i * c;
      if (c < 3) {
        out[j] = out[j + 1] = out[j + 2] = scale(src[k]);
      } else {
        out[j] = scale(src[k]);
        out[j + 1] = scale(src[k + 1]);
        out[j + 2] = scale(src[k + 2]);
      }
      out[j + 3] = c === 4 ? scale(src[k + 3]) : 255;
    }
    ctx.putImageData(image, 0, 0);
    // Small images are shown enlarged (pixelated), large ones fit the panel.
    const zoom = Math.max(1, Math.floor(384 / Math.max(w, h)));
    canvas.style.width = w * zoom + "px";
    canvas.hidden = false;
    return true;
  }

  function toJson(value) {
    if (value === undefined) return "(no value)";
    const seen = new WeakSet();
    let text;
    try {
      text = JSON.stringify(
        value,
        (key, v) => {
          if (typeof v === "function") return "[function " + key + "]";
          if (typeof v === "bigint") return v.toString();
          if (v instanceof Error) return "Error: " + v.message;
          if (v instanceof ArrayBuffer) return "[ArrayBuffer " + v.byteLength + " bytes]";
          if (ArrayBuffer.isView(v)) return "[" + v.constructor.name + " " + v.length + "]";
          if (v instanceof Map) return Object.fromEntries(v);
          if (v instanceof Set) return Array.from(v);
          if (v !== null && typeof v === "object") {
            if (seen.has(v)) return "[circular]";
            seen.add(v);
          }
          return v;
        },
        2
      );
    } catch (err) {
      text = String(value);
    }
    if (text.length > JSON_LIMIT) text = text.slice(0, JSON_LIMIT) + "\n... (" + text.length + " characters)";
    return text;
  }

  function showResult(value) {
    const info = $("result-info");
    const canvas = $("result-canvas");
    const pre = $("result-json");
    info.textContent = "";
    pre.textContent = "";
    canvas.hidden = true;
    state.lastArray = null;
    if (!isNdarray(value)) {
      pre.textContent = toJson(value);
      return;
    }
    const arr = decodeNdarray(value);
    state.lastArray = arr;
    const kind = arr.data ? arr.data.constructor.name : arr.problem;
    info.textContent = "shape " + JSON.stringify(arr.shape) + " dtype " + arr.dtype + " (" + kind + ")";
    if (arr.data && drawArray(canvas, arr)) return;
    if (arr.data) {
      const head = Array.from(arr.data.subarray(0, 100), (v) => (typeof v === "bigint" ? v.toString() : v));
      pre.textContent = JSON.stringify(head) + (arr.data.length > 100 ? " ... (" + arr.data.length + " values)" : "");
    }
  }

  // ---------------------------------------------------------------- wiring

  state.connect = connect;
  state.refreshPlugins = refreshPlugins;
  state.loadPlugin = loadPlugin;
  state.call = call;
  state.decodeNdarray = decodeNdarray;

  function init() {
    $("connect-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const token = $("token").value.trim();
      if (state.attempted && token) {
        // A fresh page gives a fresh RPC client; the failed attempt's connection goes away with it. The page
        // keeps the tab key for the reload, and only once the gateway has proved that it knows the token.
        window.imjoyHpcEngine.proveGateway(gatewayBase(), token).then(({ tabKey }) => {
          sessionStorage.setItem(TAB_KEY, tabKey);
          window.location.reload();
        }, (err) => showError(describe(err)));
        return;
      }
      connect(token);
    });
    $("plugin-list").addEventListener("change", describeSelected);
    $("plugin-list").addEventListener("dblclick", () => $("load").click());
    $("refresh").addEventListener("click", () => refreshPlugins().catch((err) => showError(describe(err))));
    $("load").addEventListener("click", () => {
      const name = $("plugin-list").value;
      if (name) loadPlugin(name).catch(() => {});
    });
    $("call-form").addEventListener("submit", (event) => {
      event.preventDefault();
      let args;
      try {
        args = parseArgs($("args").value);
      } catch (err) {
        showError(err.message);
        return;
      }
      call($("fn").value.trim(), args).catch(() => {});
    });

    // The token comes from the address (#token=...), held in memory only, and is then removed from the address
    // bar so it does not end up in bookmarks or screenshots; a reload uses the tab key kept after connecting.
    let token = tokenFromFragment();
    if (token) {
      history.replaceState(null, "", window.location.pathname + window.location.search);
    } else {
      token = sessionStorage.getItem(TAB_KEY) || "";
    }
    $("token").value = token;
    if (token) connect(token);
    else setStatus("idle", "not connected: enter the token");
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
