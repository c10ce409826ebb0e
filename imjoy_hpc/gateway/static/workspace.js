/* The gateway's workspace page: the unmodified ImJoy core (vendored) with the imjoy-hpc engine registered from this
 * page, so the token stays here and plugin iframes live on another origin (the other loopback name of this
 * port). Catalog, loading from a URL or source, windows and dialogs, ui forms, a built-in image viewer and a jobs
 * panel. */
(function () {
  "use strict";

  const TOKEN_KEY = "imjoy-hpc-token";
  const SESSION_KEY = "imjoy-hpc-workspace-session";
  const VIEWER = "imjoy-hpc/image-viewer";
  const $ = (id) => document.getElementById(id);
  const state = { imjoy: null, engine: null, server: null, plugins: new Map(), jobs: new Map() };
  window.imjoyHpcWorkspace = state;

  function frameOrigin() {
    const other = location.hostname === "localhost" ? "127.0.0.1" : "localhost";
    return `${location.protocol}//${other}${location.port ? ":" + location.port : ""}`;
  }

  function say(text) {
    const li = document.createElement("li");
    li.textContent = String(text);
    $("messages").prepend(li);
  }

  function setStatus(kind, text) {
    $("status").dataset.state = kind;
    $("status").textContent = text;
  }

  // ------------------------------------------------------------------ dialogs of the workspace itself
  function modal(build) {
    return new Promise((resolve) => {
      const box = document.createElement("div");
      box.className = "dialog";
      const close = (value) => {
        box.remove();
        if (!$("dialogs").children.length) $("overlay").hidden = true;
        resolve(value);
      };
      build(box, close);
      $("dialogs").appendChild(box);
      $("overlay").hidden = false;
    });
  }

  function textDialog(text, withInput, value, withCancel) {
    return modal((box, close) => {
      const p = document.createElement("p");
      p.textContent = String(text);
      box.appendChild(p);
      let input = null;
      if (withInput) {
        input = document.createElement("input");
        input.className = "prompt-input";
        input.value = value === undefined || value === null ? "" : String(value);
        box.appendChild(input);
      }
      const ok = document.createElement("button");
      ok.textContent = "OK";
      ok.className = "ok";
      ok.onclick = () => close(withInput ? input.value : true);
      box.appendChild(ok);
      if (withCancel) {
        const cancel = document.createElement("button");
        cancel.textContent = "Cancel";
        cancel.className = "cancel";
        cancel.onclick = () => close(withInput ? null : false);
        box.appendChild(cancel);
      }
    });
  }

  function formDialog(title, ui) {
    return modal((box, close) => {
      box.classList.add("ui-form");
      const h = document.createElement("h3");
      h.textContent = title;
      box.appendChild(h);
      const form = uiForm.build(box, ui);
      const run = document.createElement("button");
      run.textContent = "Run";
      run.className = "run-form";
      run.onclick = () => close(form.values());
      box.appendChild(run);
    });
  }

  /** ImJoy's showFileDialog over the gateway host's files (list_files): a path, or a list in "multiple" mode;
   * for type "directory" the directory shown (or the one selected). Cancel rejects. */
  function fileDialog(config) {
    const multiple = config.mode === "multiple";
    const directories = config.type === "directory";
    return modal((box, close) => {
      box.classList.add("file-dialog");
      box.innerHTML = '<h3></h3><div class="where"><button class="up">↑</button> <code class="path"></code></div>' +
        '<ul class="entries"></ul><p class="error"></p>' +
        '<button class="ok">OK</button> <button class="cancel">Cancel</button>';
      const q = (sel) => box.querySelector(sel);
      q("h3").textContent = config.title || (directories ? "Choose a directory" : "Choose a file");
      let listing = null;
      let chosen = [];
      async function show(path) {
        try {
          listing = await state.server.list_files(path || null);
        } catch (e) {
          q(".error").textContent = String(e && e.message ? e.message : e);
          return;
        }
        chosen = [];
        q(".error").textContent = "";
        q(".path").textContent = listing.path;
        box.dataset.path = listing.path;
        const ul = q(".entries");
        ul.innerHTML = "";
        for (const entry of listing.entries) {
          const li = document.createElement("li");
          li.textContent = entry.type === "dir" ? `${entry.name}/` : entry.name;
          li.dataset.name = entry.name;
          li.dataset.type = entry.type;
          li.onclick = () => {
            if (entry.type === "dir" && !directories) { show(entry.path); return; }
            if (entry.type === "file" && directories) return;
            if (!multiple) { chosen = []; ul.querySelectorAll(".chosen").forEach((e) => e.classList.remove("chosen")); }
            const at = chosen.indexOf(entry.path);
            if (at >= 0) chosen.splice(at, 1);
            else chosen.push(entry.path);
            li.classList.toggle("chosen", at < 0);
          };
          if (entry.type === "dir" && directories) li.ondblclick = () => show(entry.path);
          ul.appendChild(li);
        }
      }
      q(".up").onclick = () => { if (listing && listing.parent) show(listing.parent); };
      q(".cancel").onclick = () => close({ cancelled: true });
      q(".ok").onclick = () => {
        const picked = chosen.length ? chosen.slice() : (directories && listing ? [listing.path] : []);
        if (!picked.length) { q(".error").textContent = "nothing chosen"; return; }
        close({ picked });
      };
      show(config.root);
    }).then((answer) => {
      if (answer.cancelled) throw new Error("the file dialog was cancelled");
      return multiple ? answer.picked : answer.picked[0];
    });
  }

  // ------------------------------------------------------------------ windows
  function windowFrame(title, dialog) {
    const box = document.createElement("div");
    box.className = dialog ? "window dialog" : "window";
    const bar = document.createElement("div");
    bar.className = "title";
    const name = document.createElement("span");
    name.textContent = title;
    const x = document.createElement("button");
    x.textContent = "×";
    x.className = "close";
    x.title = "close";
    bar.append(name, x);
    const body = document.createElement("div");
    body.className = "body";
    box.append(bar, body);
    (dialog ? $("dialogs") : $("windows")).appendChild(box);
    if (dialog) $("overlay").hidden = false;
    return { box, body, closeButton: x };
  }

  function removeBox(box) {
    box.remove();
    if (!$("dialogs").children.length) $("overlay").hidden = true;
  }

  function onAddWindow(w) {
    const { box, body, closeButton } = windowFrame(w.name || w.type, w.dialog);
    body.id = w.window_id;
    box.dataset.windowId = w.window_id;
    box.dataset.name = w.name || "";
    closeButton.onclick = () => {
      try { state.imjoy.wm.closeWindow(w); } catch (e) { console.error(e); }
      removeBox(box);
    };
  }

  function onCloseWindow(w) {
    const box = document.querySelector(`[data-window-id="${CSS.escape(w.window_id || "")}"]`);
    if (box) removeBox(box);
  }

  function openViewer(config, dialog) {
    const { box, body, closeButton } = windowFrame(config.name || "Image viewer", dialog);
    box.classList.add("image-viewer");
    box.dataset.name = config.name || "";
    const viewer = ndarrayView.createViewer(body);
    const data = config.data || {};
    if (data.image) viewer.setImage(data.image).catch((e) => say(`image viewer: ${e.message || e}`));
    let closed = false;
    closeButton.onclick = () => { closed = true; removeBox(box); };
    box.viewer = viewer;
    return {
      _rintf: true,
      setImage: (nd) => viewer.setImage(nd),
      setPlane: (i) => viewer.setPlane(i),
      setContrast: (lo, hi) => viewer.setContrast(lo, hi),
      getState: () => viewer.state(),
      close: () => { if (!closed) closeButton.onclick(); },
    };
  }

  // ------------------------------------------------------------------ ImJoy core
  function imjoyApi() {
    return {
      showMessage(plugin, text) { say(`${plugin && plugin.name ? plugin.name + ": " : ""}${text}`); },
      showSnackbar(plugin, text) { say(text); },
      showStatus(plugin, text) { say(text); },
      showProgress(plugin, value) {
        value = Number(value) || 0;
        $("progress").hidden = value <= 0 || value >= 100;
        $("progress").value = value <= 1 ? value * 100 : value;
      },
      alert(plugin, text) { return textDialog(text, false); },
      confirm(plugin, text) { return textDialog(text, false, null, true); },
      prompt(plugin, text, value) { return textDialog(text, true, value, true); },
      showFileDialog(plugin, config) { return fileDialog(config || {}); },
      createWindow(plugin, config, extra) {
        if (config && config.type === VIEWER) return openViewer(config, false);
        return state.imjoy.pm.createWindow(plugin, config, extra);
      },
      showDialog(plugin, config, extra) {
        if (config && config.type === VIEWER) return openViewer(config, true);
        if (config && config.ui && !config.type && !config.src) return formDialog(config.name || "", config.ui);
        return state.imjoy.pm.createWindow(plugin, config, Object.assign({}, extra, { dialog: true }));
      },
    };
  }

  async function startCore(token) {
    const imjoy = new imjoyCore.ImJoy({
      imjoy_api: imjoyApi(),
      default_base_frame: frameOrigin() + "/default_base_frame.html",
      default_rpc_base_url: "/static/vendor/imjoy-core/",
    });
    imjoy.pm.internal_plugins = {};
    imjoy.event_bus.on("add_window", onAddWindow);
    imjoy.event_bus.on("close_window", onCloseWindow);
    state.imjoy = imjoy;
    await imjoy.start({});
    const engine = imjoyHpcEngine.createEngine(
      { prompt: (text) => textDialog(text, true, "", true), showMessage: say },
      {
        gatewayUrl: `${location.origin}/#token=${encodeURIComponent(token)}`,
        sessionId: tabSession(),
        clientApi: { onPluginStatus: updateJob, showMessage: say, showStatus: say },
        onConnectionLost: () => setStatus("reconnecting",
          "connection lost; reconnecting (your plugins keep running on the gateway)…"),
        onReattached: (error) => {
          state.reattached = (state.reattached || 0) + (error ? 0 : 1);
          if (error) setStatus("failed", `re-attaching failed: ${error}`);
          else setStatus("connected", "connected (re-attached)");
        },
        onConnected: (server) => { state.server = server; },
        onStartFailed: (config, reason) => say(`${config.name} failed to start: ${reason}`),
      });
    state.engine = engine;
    await imjoy.em.register(engine);
  }

  // ------------------------------------------------------------------ plugins
  async function loadCode(code) {
    const plugin = await state.imjoy.pm.reloadPlugin({ code });
    addPlugin(plugin);
    say(`loaded ${plugin.name}`);
    return plugin;
  }

  async function loadUrl(uri) {
    const plugin = await state.imjoy.pm.reloadPluginRecursively({ uri });
    addPlugin(plugin);
    say(`loaded ${plugin.name}`);
    return plugin;
  }

  async function runPlugin(plugin) {
    let config = {};
    const ui = plugin.config && plugin.config.ui;
    if (ui && ui.includes("{")) {
      config = await formDialog(plugin.name, ui);
    }
    const result = await plugin.api.run({ config, data: {} });
    if (result !== undefined && result !== null) say(`${plugin.name} returned ${JSON.stringify(result)}`);
    return result;
  }

  function addPlugin(plugin) {
    state.plugins.set(plugin.name, plugin);
    let li = document.querySelector(`#plugins li[data-name="${CSS.escape(plugin.name)}"]`);
    if (!li) {
      li = document.createElement("li");
      li.dataset.name = plugin.name;
      $("plugins").appendChild(li);
    }
    li.innerHTML = "";
    const name = document.createElement("span");
    name.className = "name";
    name.textContent = `${plugin.name} (${plugin.type})`;
    li.appendChild(name);
    if (plugin.type !== "window") {
      const run = document.createElement("button");
      run.textContent = "Run";
      run.className = "run";
      run.onclick = () => runPlugin(plugin).catch((e) => say(`${plugin.name}: ${e}`));
      li.appendChild(run);
    }
    const unload = document.createElement("button");
    unload.textContent = "Unload";
    unload.className = "unload";
    unload.onclick = async () => {
      await state.imjoy.pm.unloadPlugin(plugin);
      state.plugins.delete(plugin.name);
      li.remove();
    };
    li.appendChild(unload);
  }

  async function showCatalog() {
    const entries = await state.server.list_plugins();
    $("catalog").innerHTML = "";
    for (const entry of entries) {
      const li = document.createElement("li");
      li.dataset.name = entry.name;
      const name = document.createElement("span");
      name.className = "name";
      name.textContent = entry.name;
      name.title = entry.error || entry.description || "";
      li.appendChild(name);
      if (!entry.error) {
        const load = document.createElement("button");
        load.textContent = "Load";
        load.onclick = async () => {
          try {
            await loadCode(await state.server.plugin_source(entry.name));
          } catch (e) {
            say(`${entry.name}: ${e}`);
          }
        };
        li.appendChild(load);
      }
      $("catalog").appendChild(li);
    }
  }

  // ------------------------------------------------------------------ jobs panel
  function minutes(seconds) {
    return seconds === null || seconds === undefined ? "" : `${Math.max(0, Math.round(seconds / 60))} min left`;
  }

  function updateJob(info) {
    state.jobs.set(info.id, Object.assign(state.jobs.get(info.id) || {}, info));
    const job = state.jobs.get(info.id);
    let row = document.querySelector(`#jobs tr[data-id="${CSS.escape(info.id)}"]`);
    if (!row) {
      row = document.createElement("tr");
      row.dataset.id = info.id;
      row.innerHTML = '<td class="name"></td><td class="state"></td><td class="job"></td>' +
        '<td class="detail"><span class="where"></span><details><summary>log</summary><pre class="log"></pre>' +
        '</details></td><td><button class="stop">Stop</button></td>';
      row.querySelector(".stop").onclick = () => state.server.kill_plugin(info.id).catch((e) => say(String(e)));
      row.querySelector("details").ontoggle = (e) => { if (e.target.open) showLog(info.id, row); };
      $("jobs").querySelector("tbody").prepend(row);
    }
    row.dataset.state = job.state;
    row.querySelector(".name").textContent = job.name;
    row.querySelector(".state").textContent = job.installing && job.state === "installing"
      ? `installing (${job.installing})` : job.state;
    row.querySelector(".job").textContent = job.job_id ? `job ${job.job_id}` : (job.profile || "");
    let where = "";
    if (job.state === "queued") where = job.reason ? `pending: ${job.reason}` : "pending";
    else if (["starting", "running", "installing"].includes(job.state)) {
      where = [job.node ? `on ${job.node}` : "", minutes(job.walltime_left)].filter(Boolean).join(", ");
    } else where = job.ended_reason || job.error || "";
    row.querySelector(".where").textContent = where;
    row.querySelector(".stop").hidden = !["queued", "installing", "starting", "running"].includes(job.state);
    if (!["queued", "installing", "starting", "running"].includes(job.state)) showLog(info.id, row);
  }

  async function showLog(id, row) {
    try {
      const log = await state.server.plugin_log(id);
      row.querySelector(".log").textContent = [...log.messages, "--- log ---", log.log_tail].join("\n");
    } catch (e) {
      row.querySelector(".log").textContent = String(e);
    }
  }

  async function refreshJobs() {
    if (!state.server) return;
    try {
      for (const info of await state.server.list_instances()) updateJob(info);
    } catch (e) { /* reconnecting */ }
  }

  // ------------------------------------------------------------------ start
  /** This tab's session on the gateway: its plugins outlive a cut connection and come back to this tab. */
  function tabSession() {
    let id = sessionStorage.getItem(SESSION_KEY);
    if (!id) {
      const bytes = new Uint8Array(16);
      crypto.getRandomValues(bytes);
      id = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
      sessionStorage.setItem(SESSION_KEY, id);
    }
    return id;
  }

  function tokenFromAddress() {
    const token = new URLSearchParams(location.hash.slice(1)).get("token");
    if (token) {
      sessionStorage.setItem(TOKEN_KEY, token);
      history.replaceState(null, "", location.pathname + location.search);
      return token;
    }
    return sessionStorage.getItem(TOKEN_KEY);
  }

  async function main() {
    $("load-url").onclick = () => loadUrl($("plugin-url").value.trim()).catch((e) => say(`load failed: ${e}`));
    $("load-source").onclick = () => loadCode($("plugin-source").value).catch((e) => say(`load failed: ${e}`));
    const token = tokenFromAddress();
    if (!token) {
      setStatus("failed", "no token: open the URL that imjoy-hpc serve printed (…/#token=…)");
      return;
    }
    if (!["127.0.0.1", "localhost"].includes(location.hostname)) {
      // Plugin frames live on the other loopback name of this port, away from the token: reachable only when the
      // page itself is opened on a loopback name (through imjoy-hpc connect or ssh -L).
      say(`plugin windows need this page opened at http://127.0.0.1:${location.port || 80}/ (imjoy-hpc connect ` +
          `or ssh -L); at ${location.hostname} they cannot be shown`);
    }
    try {
      await startCore(token);
      await showCatalog();
      await refreshJobs();
      setInterval(refreshJobs, 5000);
      setStatus("connected", "connected");
    } catch (e) {
      setStatus("failed", `could not connect: ${(e && e.message) || e}`);
    }
  }

  state.loadCode = loadCode;
  state.loadUrl = loadUrl;
  state.runPlugin = runPlugin;
  main();
})();
