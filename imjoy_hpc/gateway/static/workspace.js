/* The gateway's workspace page: the unmodified ImJoy core (vendored) with the imjoy-hpc engine registered from this
 * page, so the token stays here and plugin iframes live on another origin (the other loopback name of this
 * port). Catalog, loading from a URL or source (plain .py too), windows and dialogs (ImJoy's built-in types:
 * windows.js), ui forms (ui-form.js), ops and workflows (ops.js), ImJoy's URL parameters (url-params.js), a
 * built-in image viewer and a jobs panel. */
(function () {
  "use strict";

  // What this tab keeps for reloads: never the token, only the key derived from it for this gateway process
  // (rpc/proof.py tab_key), worthless to a program that holds the port after the gateway stopped.
  const TAB_KEY = "imjoy-hpc-tab-key";
  const SESSION_KEY = "imjoy-hpc-workspace-session";
  const VIEWER = "imjoy-hpc/image-viewer";
  const $ = (id) => document.getElementById(id);
  const state = { imjoy: null, engine: null, server: null, plugins: new Map(), jobs: new Map(), catalog: [],
                  loadedWaiters: [], route: null, workspace: null, startFailed: new Set(), store: null };
  window.imjoyHpcWorkspace = state;

  function frameOrigin() {
    const other = location.hostname === "localhost" ? "127.0.0.1" : "localhost";
    return `${location.protocol}//${other}${location.port ? ":" + location.port : ""}`;
  }

  /** A line in the messages list; `detail` (e.g. a traceback) folds out under it. */
  function say(text, detail) {
    const li = document.createElement("li");
    li.textContent = String(text);
    if (detail) {
      const more = document.createElement("details");
      const pre = document.createElement("pre");
      pre.textContent = detail;
      more.append(Object.assign(document.createElement("summary"), { textContent: "details" }), pre);
      li.appendChild(more);
    }
    $("messages").prepend(li);
  }

  /** Say what failed: "<what>: <the error's first line>", the rest as detail. */
  function sayError(what, e) {
    const { summary, detail } = errorWords.explain(e);
    say(`${what}: ${summary}`, detail);
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
      if (state.store) state.store.fillForm(title, box); // the values it last ran with (workspace-store.js)
      const run = document.createElement("button");
      run.textContent = "Run";
      run.className = "run-form";
      run.onclick = () => {
        const values = form.values();
        if (state.store) state.store.rememberForm(title, values);
        close(values);
      };
      const cancel = document.createElement("button");
      cancel.textContent = "Cancel";
      cancel.className = "cancel";
      cancel.onclick = () => close(null);
      box.append(run, cancel);
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
    box.dataset.type = w.type || "";
    box.window = w;
    closeButton.onclick = () => {
      try { state.imjoy.wm.closeWindow(w); } catch (e) { console.error(e); }
      removeBox(box);
    };
    box.addEventListener("mousedown", () => selectWindow(box));
    selectWindow(box);
    if (w.type && w.type.startsWith("imjoy/")) {
      // ImJoy's built-in window types: drawn here, their API merged into the window's before "ready"
      const own = dataIn.isStack(w) ? dataIn.mountStack(w, body)
        : builtinWindows.mount(w, body, { say, words: errorWords.words,
                                          plugin: (name) => state.imjoy.pm.plugin_names[name] });
      Object.assign(w.api, own);
      w.api.emit("ready");
    }
  }

  /** The active window (ImJoy's: ops with inputs take its data). */
  function selectWindow(box) {
    document.querySelectorAll(".window.active").forEach((b) => b.classList.remove("active"));
    box.classList.add("active");
    if (box.window) try { state.imjoy.wm.selectWindow(box.window); } catch (e) { /* closed */ }
  }

  function activeWindow() {
    const box = document.querySelector(".window.active");
    return box && box.isConnected && box.window ? box.window : null;
  }

  /** Show why a window's page cannot be shown, in the window, and fail the call with the same words. */
  function unreachableWindow(config, dialog) {
    const text = `This window's page ${config.src} cannot be shown here: the workspace shows plugin windows from ` +
      "its own plugin origin only, and pages of other sites (the internet) cannot be reached from it.";
    const { box, body, closeButton } = windowFrame(config.name || config.src, dialog);
    box.dataset.name = config.name || "";
    notice(body, text);
    closeButton.onclick = () => removeBox(box);
    throw plainError(text);
  }

  function notice(body, text) {
    const p = document.createElement("p");
    p.className = "window-notice";
    p.textContent = text;
    body.prepend(p);
  }

  /** A window for a type nothing here provides: say why in it and fail the call with the same words. */
  function unavailableWindow(config, dialog) {
    const type = config.type;
    const text = `Window type "${type}" cannot be shown offline: the ImJoy app would fetch it from its plugin ` +
      "repository on the internet. Load a plugin that provides it first (Load URL / Load source), or use a " +
      "built-in type (imjoy/image, imjoy/generic, imjoy-hpc/image-viewer for arrays).";
    const { box, body, closeButton } = windowFrame(config.name || type, dialog);
    box.dataset.name = config.name || "";
    box.dataset.type = type;
    notice(body, text);
    closeButton.onclick = () => removeBox(box);
    throw plainError(text);
  }

  /** An Error that reads as its words alone when it crosses to a plugin (no "Error: " in front). */
  function plainError(text) {
    const e = new Error(text);
    e.name = "";
    return e;
  }

  function provided(type) {
    const pm = state.imjoy.pm;
    return !type || type.startsWith("imjoy/") || type === VIEWER || Boolean(pm.registered.windows[type]);
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
      // published plugins register ops as {name, ui, run, inputs}: the core takes them as type "operator"
      register(plugin, config) {
        if (config && typeof config === "object" && !config.type) {
          config = Object.assign({}, config, { type: "operator" });
        }
        return state.imjoy.pm.register(plugin, config);
      },
      createWindow(plugin, config, extra) {
        config = builtinWindows.resolve(config, VIEWER);
        if (config && config.type === VIEWER) return openViewer(config, false);
        if (config && config.type === pluginEditor.TYPE) return openEditor(config, false);
        if (builtinWindows.farPage(config, frameOrigin())) return unreachableWindow(config, false);
        if (config && !config.src && !provided(config.type)) return unavailableWindow(config, false);
        return state.imjoy.pm.createWindow(plugin, config, extra);
      },
      showDialog(plugin, config, extra) {
        config = builtinWindows.resolve(config, VIEWER);
        if (config && config.type === VIEWER) return openViewer(config, true);
        if (config && config.type === pluginEditor.TYPE) return openEditor(config, true);
        if (config && config.ui && (!config.type || config.type === "imjoy/joy") && !config.src) {
          return formDialog(config.name || "", config.ui);
        }
        if (builtinWindows.farPage(config, frameOrigin())) return unreachableWindow(config, true);
        if (config && !config.src && !provided(config.type)) return unavailableWindow(config, true);
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
    imjoy.event_bus.on("register", (event) => { ops.onRegister(event); refreshOps(event.plugin); });
    imjoy.event_bus.on("unregister", (event) => refreshOps(event.plugin));
    imjoy.event_bus.on("plugin_loaded", (plugin) => { for (const fn of state.loadedWaiters.splice(0)) fn(plugin); });
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
        onTabKey: (key) => sessionStorage.setItem(TAB_KEY, key),
        onStartFailed: (config, reason) => {
          sayError(`${config.name} failed to start`, reason);
          for (const fn of state.startFailed) fn(config, reason);
        },
      });
    state.engine = engine;
    // plugins get the engine interface only, and ask the user before starting Python code (plugin-guard.js)
    imjoyHpcPluginGuard.install(imjoy, engine, (text) => textDialog(text, false, null, true));
    await imjoy.em.register(engine);
    // web-python plugins (Python in the browser elsewhere) run on the gateway too, as the script clients run them:
    // the core picks an engine by its pluginType, one each (same connection, another name: a name is a key)
    const webPython = Object.defineProperties({}, Object.getOwnPropertyDescriptors(engine));
    Object.assign(webPython, { pluginType: "web-python", name: "imjoy-hpc (web-python)" });
    await imjoy.em.register(webPython);
  }

  // ------------------------------------------------------------------ plugins
  const ops = workspaceOps.create({
    imjoy: () => state.imjoy, formDialog, say, words: errorWords.words, activeWindow,
  });

  /** Load a plugin's dependencies first: built-in window types need nothing, loaded plugins are kept, catalog
   * names come from the catalog, URLs are fetched; a repository reference not found here fails in words. */
  async function loadDependencies(config) {
    for (const dep of config.dependencies || []) {
      const name = pluginSources.dependencyName(dep);
      if (builtinWindows.builtinType({ type: name })) continue;
      if (state.imjoy.pm.plugin_names[name]) continue;
      if (state.catalog.some((e) => e.name === name && !e.error)) {
        await loadCode(await state.server.plugin_source(name));
      } else if (/^https?:\/\//i.test(dep)) {
        await loadUrl(dep);
      } else {
        throw new Error(`dependency "${dep}" of ${config.name} cannot be loaded: it is not in the catalog and the ` +
                        "ImJoy plugin repository is on the internet (load it by URL or source first)");
      }
    }
  }

  /** When the pasted plugin would start if loaded now: the scheduler is asked, nothing is submitted; its sooner
   * requests come with a button that loads the plugin with them. */
  async function predictSource() {
    let code = $("plugin-source").value;
    if (pluginSources.isPlainPython(code)) code = pluginSources.wrapPython(code);
    const told = await state.server.predict_start(code);
    loadOptions.renderPrediction(Object.assign({}, told, { state: "queued" }), $("prediction-answer"),
      (name, options) => loadCode(loadOptions.apply(code, options)).catch((e) => sayError("load failed", e)));
  }

  async function loadCode(code, meta) {
    const python = pluginSources.isPlainPython(code);
    if (python) code = pluginSources.wrapPython(code);
    const asOf = $("resolve-as-of").value;  // pip packages as they were on that date (issue 22)
    if (asOf && !(meta && meta.restoring) && /<script[^>]*lang=["']?python/i.test(code)) {
      code = loadOptions.apply(code, { "resolve-as-of": asOf });
    }
    else if (!/<config[\s>]/i.test(code)) {
      throw plainError("this source is not an ImJoy plugin: it has no <config> block (an .imjoy.html file) and " +
                       "does not read as a Python plugin (a .py file that calls api.export)");
    }
    code = pluginSources.withApiVersion(code);
    const config = state.imjoy.pm.parsePluginCode(code);
    if (config.type !== "window") say(`loading ${config.name} (${config.type})` +
      (["native-python", "web-python"].includes(config.type) || python ? ": its job is starting, see Jobs…" : "…"));
    await loadDependencies(config);
    const plugin = await startOrFail(config.name, state.imjoy.pm.reloadPlugin({ code }));
    addPlugin(plugin);
    say(`loaded ${plugin.name}`);
    if (state.store && !(meta && meta.restoring)) state.store.installed(plugin, code, meta);
    if (python) {
      // as the Run button of the ImJoy docs' code blocks: a pasted plain .py runs once loaded
      runPlugin(plugin).catch((e) => sayError(`${plugin.name} failed`, e));
    }
    return plugin;
  }

  /** `loading`, or its failure when the engine says the plugin `name` failed to start (the core never settles
   * its load then). */
  function startOrFail(name, loading) {
    let listener;
    const failed = new Promise((resolve, reject) => {
      listener = (config, reason) => { if (config.name === name) reject(plainError(String(reason))); };
      state.startFailed.add(listener);
    });
    return Promise.race([loading, failed]).finally(() => state.startFailed.delete(listener));
  }

  async function loadUrl(uri, meta) {
    let plugin;
    try {
      plugin = await state.imjoy.pm.reloadPluginRecursively({ uri });
    } catch (e) {
      const why = errorWords.words(e);
      throw plainError(`could not load the plugin at ${uri}: ${why}` + (/network error/i.test(why)
        ? " (this page cannot reach that address, or its server does not let other sites read it)" : ""));
    }
    addPlugin(plugin);
    say(`loaded ${plugin.name}`);
    if (state.store) {
      state.store.installed(plugin, plugin.config && plugin.config.code, Object.assign({ origin: uri }, meta));
    }
    return plugin;
  }

  /** Run a plugin's main op (its ui form first), as the ImJoy app's Run does. */
  async function runPlugin(plugin) {
    return runOp(plugin, plugin.name);
  }

  async function runOp(plugin, name) {
    const { result, cancelled } = await ops.run(plugin, name);
    if (cancelled) return undefined;
    const who = name === plugin.name ? plugin.name : `${plugin.name}/${name}`;
    if (result !== undefined && result !== null) say(`${who} returned ${JSON.stringify(result)}`);
    else say(`${who} done`);
    return result;
  }

  /** A workflow: ops run in order with their saved config, each on the previous one's result window (ImJoy's
   * workflow composition); plugins not loaded yet come from the catalog. */
  async function runWorkflow(steps) {
    for (const step of steps) {
      let plugin = state.imjoy.pm.plugin_names[step.plugin];
      if (!plugin && state.catalog.some((e) => e.name === step.plugin && !e.error)) {
        plugin = await loadCode(await state.server.plugin_source(step.plugin));
      }
      if (!plugin) throw new Error(`workflow step ${step.plugin}/${step.op}: no plugin "${step.plugin}" here`);
      const { result } = await ops.run(plugin, step.op, step.config);
      say(`workflow: ${step.plugin}/${step.op} returned ${JSON.stringify(result)}`);
    }
  }

  /** The plugin named `name` once it is loaded. */
  function whenLoaded(name) {
    const loaded = state.imjoy.pm.plugin_names[name];
    if (loaded) return Promise.resolve(loaded);
    return new Promise((resolve) => {
      const check = (plugin) => {
        if (plugin.name === name) resolve(plugin);
        else state.loadedWaiters.push(check);
      };
      state.loadedWaiters.push(check);
    });
  }

  /** The ops a plugin registered (beside its own Run), each with a button that runs it. */
  function refreshOps(plugin) {
    if (!plugin || !plugin.name) return;
    const li = document.querySelector(`#plugins li[data-name="${CSS.escape(plugin.name)}"]`);
    if (!li) return;
    let list = li.querySelector("ul.ops");
    if (!list) {
      list = document.createElement("ul");
      list.className = "ops";
      li.appendChild(list);
    }
    list.innerHTML = "";
    for (const name of ops.names(plugin).filter((n) => n !== plugin.name)) {
      const item = document.createElement("li");
      item.dataset.op = name;
      const label = document.createElement("span");
      label.className = "name";
      label.textContent = name;
      const run = document.createElement("button");
      run.textContent = "Run";
      run.className = "run-op";
      run.onclick = () => runOp(plugin, name).catch((e) => sayError(`${plugin.name}/${name} failed`, e));
      item.append(label, run);
      list.appendChild(item);
    }
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
    if (plugin.type !== "window" && (plugin.config || {}).runnable !== false) {
      const run = document.createElement("button");
      run.textContent = "Run";
      run.className = "run";
      run.onclick = () => runPlugin(plugin).catch((e) => sayError(`${plugin.name} failed`, e));
      li.appendChild(run);
    }
    const unload = document.createElement("button");
    unload.textContent = "Unload";
    unload.className = "unload";
    unload.onclick = async () => {
      await state.imjoy.pm.unloadPlugin(plugin);
      state.plugins.delete(plugin.name);
      li.remove();
      if (state.store) state.store.removed(plugin.name);
    };
    li.appendChild(unload);
    refreshOps(plugin);
  }

  async function showCatalog() {
    const entries = await state.server.list_plugins();
    state.catalog = entries;
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
            await loadCode(await state.server.plugin_source(entry.name), { origin: `catalog:${entry.name}` });
          } catch (e) {
            sayError(`${entry.name} failed to load`, e);
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
    const before = Object.assign({}, state.jobs.get(info.id) || {});
    state.jobs.set(info.id, Object.assign(state.jobs.get(info.id) || {}, info));
    if (window.imjoyHpcNotify) window.imjoyHpcNotify.onStatus(before, info); // while the tab is hidden
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
    loadOptions.renderPrediction(job, row.querySelector(".detail"), loadWithOptions);
    renderZarr(job, row.querySelector(".detail"));
    renderUsage(job, row.querySelector(".detail"));
    row.querySelector(".stop").hidden = !["queued", "installing", "starting", "running"].includes(job.state);
    if (!["queued", "installing", "starting", "running"].includes(job.state)) showLog(info.id, row);
  }

  /** Bytes of an amount as Dask writes it ("4GB", "512MiB", "1.5 G"); null when there is none. */
  function parseBytes(text) {
    const m = /^\s*([\d.]+)\s*([kmgtp]?)(i?)b?\s*$/i.exec(String(text || ""));
    if (!m) return null;
    return parseFloat(m[1]) * Math.pow(m[3] ? 1024 : 1000, " kmgtp".indexOf((m[2] || " ").toLowerCase()));
  }

  /** `bytes` in the unit of what was asked (GB or GiB), "0.8 of 4 GB"; without a request, GB alone. */
  function memoryOf(bytes, asked) {
    const unit = /i/i.test(String(asked || "")) ? ["GiB", 2 ** 30] : ["GB", 1e9];
    const total = parseBytes(asked);
    const used = (bytes / unit[1]).toFixed(1);
    return total ? `${used} of ${+(total / unit[1]).toFixed(1)} ${unit[0]}` : `${used} ${unit[0]}`;
  }

  /** What the plugin uses against what its job asked for (list_instances' `usage` and `asked`): live while it
   * runs ("using 1.3 of 4 cores, 0.8 of 4 GB"), then the summary of its life with the suggestion for next time. */
  function renderUsage(job, cell) {
    const usage = job.usage, asked = job.asked || {};
    let box = cell.querySelector(".usage");
    if (!usage) {
      if (box) box.remove();
      return;
    }
    if (!box) {
      box = document.createElement("div");
      box.className = "usage";
      cell.insertBefore(box, cell.querySelector("details"));
    }
    const of = asked.cores ? ` of ${asked.cores}` : "";
    let text, title;
    if (usage.live) {
      text = `using ${(usage.cores || 0).toFixed(1)}${of} cores, ${memoryOf(usage.rss || 0, asked.memory)}`;
      if (usage.gpus !== undefined) text += `, ${usage.gpus.toFixed(1)}${asked.gpus ? ` of ${asked.gpus}` : ""} GPUs`;
      title = `sampled every 3 s over the plugin's ${usage.processes || 1} process(es)`;
    } else {
      text = `used ${(usage.average_cores || 0).toFixed(1)}${of} cores on average (peak ` +
        `${(usage.peak_cores || 0).toFixed(1)}), ${memoryOf(usage.peak_rss || 0, asked.memory)} at most`;
      if (usage.core_hours !== undefined) text += `; ${usage.core_hours} core-h`;
      title = `${usage.cpu_seconds} s of CPU in ${usage.elapsed} s`;
    }
    box.dataset.live = usage.live ? "1" : "0";
    box.title = title;
    box.textContent = text;
    if (!usage.live && usage.suggestion) {
      const next = document.createElement("div");
      next.className = "suggestion";
      next.textContent = `next time: ${usage.suggestion}`;
      box.appendChild(next);
    }
  }

  /** The zarr URLs of a plugin's remote arrays (list_instances' `zarr`), each with a Copy button, for viewers. */
  function renderZarr(job, cell) {
    const stores = job.zarr || [];
    let box = cell.querySelector(".zarr");
    const key = JSON.stringify(stores.map((z) => z.zarr_path));
    if (box && box.dataset.key === key) return; // unchanged: keep a "copied" note and a selection as they are
    if (!box) {
      box = document.createElement("div");
      box.className = "zarr";
      cell.insertBefore(box, cell.querySelector("details"));
    }
    box.dataset.key = key;
    box.innerHTML = "";
    for (const z of stores) {
      // the page's own origin: through a tunnel it is the address that reaches the gateway from here
      const url = new URL(z.zarr_path, location.href).href;
      const item = document.createElement("div");
      item.className = "zarr-url";
      item.title = `zarr store of ${z.dtype} [${z.shape.join(" x ")}]` +
        (z.levels > 1 ? `, ${z.levels} OME-Zarr levels` : "") + ": open it in vizarr, napari or zarr-python";
      const text = document.createElement("code");
      text.textContent = url;
      const copy = document.createElement("button");
      copy.className = "copy";
      copy.textContent = "Copy";
      copy.onclick = async () => {
        try {
          await navigator.clipboard.writeText(url);
          copy.textContent = "copied";
        } catch (e) {
          getSelection().selectAllChildren(text); // the browser refused: the URL is selected for Ctrl/Cmd-C
          copy.textContent = "selected: press Ctrl-C";
        }
        setTimeout(() => { copy.textContent = "Copy"; }, 2500);
      };
      item.append("zarr ", text, " ", copy);
      box.appendChild(item);
    }
  }

  /** Load plugin `name` again (its source as installed, else the catalog's) with load options (a sooner choice). */
  async function loadWithOptions(name, options) {
    try {
      await loadCode(loadOptions.apply(await pluginSource(name), options), { origin: "source" });
    } catch (e) {
      sayError(`${name} could not be loaded with ${JSON.stringify(options)}`, e);
    }
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

  // ------------------------------------------------------------------ editor, remembered workspace, data, layout
  /** The plugin editor (editor.js) as a window or dialog; ImJoy's PluginEditorWindow when a plugin asks. */
  function openEditor(config, dialog) {
    const data = (config && config.data) || {};
    return pluginEditor.open({
      windowFrame, removeBox, loadCode, runPlugin, say, selectBox: selectWindow,
    }, { code: data.code, template: data.template, name: config && config.name, dialog });
  }

  /** The source of plugin `name`: as installed here, else the catalog's. */
  async function pluginSource(name) {
    const entry = state.store.entries.get(name);
    if (entry && entry.source) return entry.source;
    return state.server.plugin_source(name);
  }

  async function startWorkspace() {
    state.store = workspaceStore.create({
      server: () => state.server, say, sayError, loadCode, loadUrl, route: () => state.route,
      unloadAll: async () => {
        for (const plugin of [...state.plugins.values()]) {
          try { await state.imjoy.pm.unloadPlugin(plugin); } catch (e) { /* gone already */ }
          const li = document.querySelector(`#plugins li[data-name="${CSS.escape(plugin.name)}"]`);
          if (li) li.remove();
        }
        state.plugins.clear();
      },
    });
    state.store.wire((text, value) => textDialog(text, true, value, true),
                     (text) => textDialog(text, false, null, true));
    dataIn.install({
      createWindow: (config) => state.imjoy.pm.createWindow(null, config),
      token: () => sessionStorage.getItem(TAB_KEY),
      say, sayError, progress: (f) => imjoyApi().showProgress(null, f >= 1 ? 0 : f),
    });
    workspaceLayout.install({
      catalog: () => state.catalog, plugins: () => state.plugins, jobs: () => state.jobs, opNames: ops.names,
      loadCatalog: (name) => state.server.plugin_source(name)
        .then((code) => loadCode(code, { origin: `catalog:${name}` }))
        .catch((e) => sayError(`${name} failed to load`, e)),
      runOp: (plugin, op) => runOp(plugin, op).catch((e) => sayError(`${plugin.name}/${op} failed`, e)),
      openEditor: (code) => openEditor({ data: { code } }, false), source: pluginSource,
      saveActive: () => { const box = document.querySelector(".editor-window.active"); if (box) box.editor.save(); },
    });
    $("new-plugin").onclick = () => openEditor({ data: { template: $("new-plugin-template").value } }, false);
    await state.store.restore();
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

  /** The token from the address (then gone from it; ImJoy's `#/app?...` parameters stay; held in memory only) or
   * this tab's key from an earlier load. */
  function tokenFromAddress() {
    const parsed = urlParams.parse(location.hash);
    state.route = parsed;
    if (parsed.token) {
      history.replaceState(null, "", location.pathname + location.search + urlParams.hashWithout(parsed));
      return parsed.token;
    }
    return sessionStorage.getItem(TAB_KEY);
  }

  /** ImJoy's URL parameters (#/app?plugin=...&start=...). */
  function applyUrlParams() {
    const { route, params } = state.route || {};
    if (!route || ![...params.keys()].length) return Promise.resolve();
    return urlParams.apply(params, {
      say,
      confirm: (text) => textDialog(text, false, null, true),
      loadUrl,
      loadCatalog: async (name) => loadCode(await state.server.plugin_source(name)),
      hasCatalog: (name) => state.catalog.some((e) => e.name === name && !e.error),
      whenLoaded,
      runStart: async (plugin, data) => {
        const result = await plugin.api.run({ config: {}, data });
        say(`${plugin.name} started${result !== undefined && result !== null ? ": " + JSON.stringify(result) : ""}`);
      },
      runWorkflow,
      setWorkspace: (name) => { state.workspace = name; $("workspace").textContent = `workspace: ${name}`; },
    }).catch((e) => sayError("the link's parameters failed", e));
  }

  async function main() {
    $("load-url").onclick = () => loadUrl($("plugin-url").value.trim()).catch((e) => sayError("load failed", e));
    $("load-source").onclick = () => loadCode($("plugin-source").value).catch((e) => sayError("load failed", e));
    $("predict-source").onclick = () => predictSource().catch((e) => sayError("could not ask when it starts", e));
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
      await startWorkspace();
      await refreshJobs();
      setInterval(refreshJobs, 5000);
      setStatus("connected", "connected");
      applyUrlParams();
    } catch (e) {
      setStatus("failed", `could not connect: ${(e && e.message) || e}`);
    }
  }

  state.loadCode = loadCode;
  state.loadUrl = loadUrl;
  state.runPlugin = runPlugin;
  state.runOp = runOp;
  state.activeWindow = activeWindow;
  state.updateJob = updateJob;
  main();
})();
