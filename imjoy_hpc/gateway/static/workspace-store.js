/* Workspaces the gateway remembers (its list/get/save/rename/delete/export/import_workspace calls): the plugins
 * installed in this page (source, where it came from, version, config) and their form values are saved on every
 * change and loaded again when the page opens (the `w=` URL parameter names the workspace, "default" otherwise),
 * in another browser or after a gateway restart. The Workspace box lists, switches, renames, deletes, exports and
 * imports them. */
(function (root) {
  "use strict";

  const SAVE_DELAY_MS = 300;

  /** workspaceStore.create(host): host = {server(), say(text), sayError(what, e), loadCode(code, meta),
   * loadUrl(uri, meta), unloadAll(), route()}. */
  function create(host) {
    const entries = new Map(); // plugin name -> {name, source, origin, version, config, form, forms}
    let name = "default";
    let restoring = false;
    let timer = null;
    let waiters = []; // resolvers of changed() calls since the last save
    let saving = Promise.resolve();
    const $ = (id) => document.getElementById(id);

    function fromAddress() {
      const route = host.route() || {};
      const params = route.params || new URLSearchParams();
      return params.get("w") || params.get("workspace") || "default";
    }

    function show() {
      $("workspace").textContent = `workspace: ${name}`;
      document.body.dataset.workspace = name;
    }

    /** Save soon (changes close together make one save); resolves once saved. */
    function changed() {
      if (restoring) return saving;
      clearTimeout(timer);
      const done = new Promise((resolve) => waiters.push(resolve));
      timer = setTimeout(() => {
        const these = waiters;
        waiters = [];
        timer = null;
        saving = save().then(() => these.forEach((r) => r()));
      }, SAVE_DELAY_MS);
      return done;
    }

    /** Resolves once every change so far is saved. */
    function flush() {
      return timer === null ? saving : new Promise((resolve) => waiters.push(resolve));
    }

    async function save() {
      const data = { plugins: [...entries.values()], settings: { saved_by: "workspace page" } };
      try {
        await host.server().save_workspace(name, data);
        document.body.dataset.saved = String(Date.now());
      } catch (e) {
        host.sayError(`workspace "${name}" could not be saved`, e);
      }
    }

    /** A plugin was loaded by the user (`source` is its file's text; null for one loaded by URL). */
    function installed(plugin, source, meta) {
      const old = entries.get(plugin.name) || {};
      const config = Object.assign({}, plugin.config || {});
      for (const k of ["code", "script", "window", "style", "docs", "attachments", "_id", "uri"]) delete config[k];
      let plain;
      try { plain = JSON.parse(JSON.stringify(config)); } catch (e) { plain = {}; }
      entries.set(plugin.name, {
        name: plugin.name, source: source || null, origin: (meta && meta.origin) || old.origin || "source",
        version: config.version || null, config: plain, form: old.form || {}, forms: old.forms || {},
      });
      refreshList();
      return changed();
    }

    function removed(pluginName) {
      if (entries.delete(pluginName)) changed();
    }

    /** The form of `title` ("<plugin>" or "<plugin>: <op>") was run with `values`: kept as the next defaults. */
    function rememberForm(title, values) {
      const { entry, op } = entryFor(title);
      if (!entry) return;
      if (op === null) entry.form = values;
      else entry.forms = Object.assign({}, entry.forms, { [op]: values });
      changed();
    }

    function entryFor(title) {
      if (entries.has(title)) return { entry: entries.get(title), op: null };
      for (const [pluginName, entry] of entries) {
        if (title.startsWith(pluginName + ": ")) return { entry, op: title.slice(pluginName.length + 2) };
      }
      return { entry: null, op: null };
    }

    /** Put the remembered values of `title`'s form into its inputs. */
    function fillForm(title, box) {
      const { entry, op } = entryFor(title);
      const values = entry ? (op === null ? entry.form : (entry.forms || {})[op]) : null;
      for (const [id, value] of Object.entries(values || {})) {
        const input = box.querySelector(`[name="${CSS.escape(id)}"]`);
        if (!input || value === null || value === undefined) continue;
        if (input.type === "checkbox") input.checked = Boolean(value);
        else if (input.tagName === "SELECT") {
          // a choose field's options may be indices with the choice as their text
          const option = [...input.options].find((o) => o.value === String(value)) ||
            [...input.options].find((o) => o.textContent === String(value));
          if (option) input.value = option.value;
        } else input.value = String(value);
      }
    }

    /** Load the plugins of workspace `which` (the one in the address by default). */
    async function restore(which) {
      name = which || fromAddress();
      show();
      let data;
      try {
        data = await host.server().get_workspace(name);
      } catch (e) {
        host.sayError(`workspace "${name}" could not be read`, e);
        return;
      }
      entries.clear();
      for (const p of data.plugins || []) entries.set(p.name, p);
      restoring = true;
      try {
        // all at once: a plugin whose job waits in the queue does not hold the others back
        await Promise.all((data.plugins || []).map(async (p) => {
          try {
            if (p.source) await host.loadCode(p.source, { origin: p.origin, restoring: true });
            else if (/^https?:/i.test(p.origin || "")) await host.loadUrl(p.origin, { origin: p.origin });
          } catch (e) {
            host.sayError(`${p.name} (workspace "${name}") could not be loaded again`, e);
          }
        }));
      } finally {
        restoring = false;
      }
      if (data.plugins && data.plugins.length) host.say(`workspace "${name}": ${data.plugins.length} plugin(s) back`);
      document.body.dataset.restored = name;
      await refreshList();
    }

    /** Open workspace `which`: this page's plugins are unloaded, its plugins loaded; the address says its name. */
    async function switchTo(which) {
      await flush();
      await host.unloadAll();
      entries.clear();
      const url = new URL(location.href);
      const hash = url.hash.replace(/([?&])(w|workspace)=[^&]*&?/g, "$1").replace(/[?&]$/, "");
      const base = hash && hash.includes("?") ? hash : (hash || "#/app") + (hash.includes("?") ? "" : "?");
      history.replaceState(null, "", url.pathname + url.search + base + (base.endsWith("?") ? "" : "&") +
                           "w=" + encodeURIComponent(which));
      await restore(which);
    }

    async function refreshList() {
      const select = $("workspace-list");
      if (!select) return;
      let all = [];
      try { all = await host.server().list_workspaces(); } catch (e) { return; }
      if (!all.some((w) => w.name === name)) all.unshift({ name, plugins: entries.size });
      select.innerHTML = "";
      for (const w of all) {
        const option = document.createElement("option");
        option.value = w.name;
        option.textContent = `${w.name} (${w.plugins})`;
        option.selected = w.name === name;
        select.appendChild(option);
      }
    }

    function download(filename, text) {
      const a = document.createElement("a");
      a.href = URL.createObjectURL(new Blob([text], { type: "application/json" }));
      a.download = filename;
      document.body.appendChild(a);
      a.click();
      setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
    }

    /** The Workspace box's buttons; `ask(text, value)` prompts for a name. */
    function wire(ask, confirm) {
      const run = (what, fn) => async () => {
        try { await fn(); } catch (e) { host.sayError(what, e); }
      };
      $("workspace-list").onchange = run("switching workspace failed",
                                         () => switchTo($("workspace-list").value));
      $("workspace-new").onclick = run("new workspace failed", async () => {
        const wanted = await ask("Name of the new workspace:", "");
        if (!wanted) return;
        await host.server().save_workspace(wanted, { plugins: [], settings: {} });
        await switchTo(wanted);
      });
      $("workspace-rename").onclick = run("rename failed", async () => {
        const wanted = await ask(`Rename workspace "${name}" to:`, name);
        if (!wanted || wanted === name) return;
        await flush();
        await save();
        await host.server().rename_workspace(name, wanted);
        await switchTo(wanted);
      });
      $("workspace-delete").onclick = run("delete failed", async () => {
        if (!(await confirm(`Delete workspace "${name}" (its plugins stay loaded here until you switch)?`))) return;
        await host.server().delete_workspace(name);
        host.say(`workspace "${name}" deleted`);
        await switchTo("default");
      });
      $("workspace-export").onclick = run("export failed", async () => {
        await flush();
        const text = await host.server().export_workspace(name);
        document.body.dataset.exported = text;
        download(`${name}.imjoy-workspace.json`, text);
      });
      $("workspace-import").onclick = () => $("workspace-import-file").click();
      $("workspace-import-file").onchange = run("import failed", async () => {
        const file = $("workspace-import-file").files[0];
        if (!file) return;
        const guess = file.name.replace(/\.imjoy-workspace\.json$|\.json$/i, "");
        const wanted = await ask("Import as workspace:", guess);
        $("workspace-import-file").value = "";
        if (!wanted) return;
        await host.server().import_workspace(await file.text(), wanted);
        host.say(`imported "${file.name}" as workspace "${wanted}"`);
        await switchTo(wanted);
      });
    }

    return { restore, switchTo, installed, removed, rememberForm, fillForm, wire, refreshList,
             name: () => name, entries, flush };
  }

  root.workspaceStore = { create };
})(window);
