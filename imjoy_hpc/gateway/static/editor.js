/* The plugin editor (CodeMirror 6, vendored): a window holding one plugin file. Save loads it (a plugin already
 * running is reloaded: a new process or job, as its config says), Run saves when needed and runs its main op; a
 * Python error marks its line. Ctrl/Cmd-S saves, Shift-Enter or Ctrl/Cmd-Enter runs. The same window is ImJoy's
 * PluginEditorWindow (`api.createWindow/showDialog({type: "imjoy/plugin-editor", data: {code}})`). */
(function (root) {
  "use strict";

  const TYPE = "imjoy/plugin-editor";

  /** The file line an error's words point at: "(line N of its script)" and tracebacks (the gateway runs a plugin's
   * script at its lines in the file), or "line N: invalid Python" of the parser. null if none. */
  function errorLine(text) {
    text = String(text || "");
    let m = /\(line (\d+) of its script\)/.exec(text);
    if (m) return Number(m[1]);
    const frames = [...text.matchAll(/File "([^"]+)", line (\d+)/g)];
    if (frames.length) {
      const own = frames.filter((f) => f[1] === frames[0][1]);
      return Number(own[own.length - 1][2]);
    }
    m = /\bline (\d+): /.exec(text);
    return m ? Number(m[1]) : null;
  }

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  /** The highlighted error line: a line decoration set by `markLine`. */
  function errorField(CM) {
    const markLine = CM.StateEffect.define();
    const field = CM.StateField.define({
      create: () => CM.Decoration.none,
      update(marks, tr) {
        marks = marks.map(tr.changes);
        for (const e of tr.effects) {
          if (!e.is(markLine)) continue;
          if (e.value === null) marks = CM.Decoration.none;
          else {
            const line = tr.state.doc.line(e.value);
            marks = CM.Decoration.set([CM.Decoration.line({
              class: "cm-error-line", attributes: { "data-error-line": String(e.value) } }).range(line.from)]);
          }
        }
        return marks;
      },
      provide: (f) => CM.EditorView.decorations.from(f),
    });
    return { field, markLine };
  }

  function language(CM, code) {
    if (/<config[\s>]/i.test(code)) {
      return CM.html({ nestedLanguages: [
        { tag: "script", attrs: (a) => /python/i.test(a.lang || ""), parser: CM.pythonLanguage.parser },
      ] });
    }
    return CM.python();
  }

  /** Open an editor window. host = {windowFrame(title, dialog), removeBox(box), loadCode(code, meta),
   * runPlugin(plugin), say(text), words(e), selectBox(box)}; opts = {code, template, dialog, name}. */
  function open(host, opts) {
    const CM = root.CM;
    opts = opts || {};
    const code = opts.code !== undefined && opts.code !== null ? String(opts.code)
      : root.pluginTemplates.code(opts.template);
    const { box, body, closeButton } = host.windowFrame(opts.name || "Plugin editor", Boolean(opts.dialog));
    box.classList.add("editor-window");
    box.dataset.type = TYPE;
    box.dataset.name = opts.name || "Plugin editor";
    const bar = el("div", "editor-bar");
    const templates = el("select", "template");
    templates.title = "start a new plugin from a template";
    templates.appendChild(el("option", "", "New from template…")).value = "";
    for (const name of root.pluginTemplates.names) {
      templates.appendChild(el("option", "", root.pluginTemplates.label(name))).value = name;
    }
    const saveButton = el("button", "save", "Save");
    saveButton.title = "Save: load this plugin (reload it if it runs) (Ctrl/Cmd-S)";
    const runButton = el("button", "run", "Run");
    runButton.title = "Run its main op (Shift-Enter or Ctrl/Cmd-Enter)";
    const status = el("span", "editor-status", "not saved yet");
    bar.append(templates, saveButton, runButton, status);
    const host_ = el("div", "cm-host");
    const error = el("pre", "editor-error");
    error.hidden = true;
    body.append(bar, host_, error);

    let plugin = null;
    let savedCode = null;
    const { field, markLine } = errorField(CM);
    const keys = CM.keymap.of([
      { key: "Mod-s", preventDefault: true, run: () => { save(); return true; } },
      { key: "Shift-Enter", preventDefault: true, run: () => { run(); return true; } },
      { key: "Mod-Enter", preventDefault: true, run: () => { run(); return true; } },
    ]);
    const view = new CM.EditorView({
      parent: host_,
      doc: code,
      extensions: [keys, CM.basicSetup, CM.keymap.of([CM.indentWithTab]), language(CM, code), field,
                   CM.EditorView.lineWrapping,
                   CM.lintGutter(),
                   CM.EditorView.updateListener.of((u) => { if (u.docChanged) dirty(); })],
    });
    box.editorView = view;

    function dirty() {
      const changed = view.state.doc.toString() !== savedCode;
      box.dataset.dirty = String(changed);
      if (changed && plugin) status.textContent = "edited (not saved)";
    }

    function setStatus(text, kind) {
      status.textContent = text;
      status.dataset.kind = kind || "";
    }

    function clearError() {
      error.hidden = true;
      error.textContent = "";
      delete box.dataset.errorLine;
      view.dispatch({ effects: markLine.of(null) });
      view.dispatch(CM.setDiagnostics(view.state, []));
    }

    /** Show an error under the editor and mark its line (when it names one in this file). */
    function markError(e) {
      const text = e && e.message ? e.message : String(e);
      error.hidden = false;
      error.textContent = text;
      const line = errorLine(text);
      const doc = view.state.doc;
      if (line && line >= 1 && line <= doc.lines) {
        const at = doc.line(line);
        box.dataset.errorLine = String(line);
        view.dispatch({ effects: markLine.of(line), selection: { anchor: at.from },
                        scrollIntoView: true });
        view.dispatch(CM.setDiagnostics(view.state, [{ from: at.from, to: at.to, severity: "error",
                                                       message: text.split("\n")[0] }]));
        setStatus(`error at line ${line}`, "error");
      } else {
        setStatus("error", "error");
      }
    }

    let saving = null; // one save at a time: a second load while one starts would leave two instances

    function save() {
      if (!saving) saving = saveNow().finally(() => { saving = null; });
      return saving;
    }

    async function saveNow() {
      const text = view.state.doc.toString();
      clearError();
      setStatus(plugin ? "saving: reloading the plugin…" : "saving: loading the plugin…", "busy");
      try {
        plugin = await host.loadCode(text, { origin: "editor" });
        savedCode = text;
        box.dataset.plugin = plugin.name;
        box.dataset.saves = String(Number(box.dataset.saves || 0) + 1);
        box.querySelector(".title span").textContent = `${plugin.name} (editor)`;
        dirty();
        setStatus(`saved: ${plugin.name} loaded`, "ok");
        return plugin;
      } catch (e) {
        markError(e);
        return null;
      }
    }

    async function run() {
      if (!plugin || view.state.doc.toString() !== savedCode) {
        if (!(await save())) return undefined;
      }
      clearError();
      setStatus(`running ${plugin.name}…`, "busy");
      try {
        const result = await host.runPlugin(plugin);
        setStatus(`${plugin.name} ran`, "ok");
        return result;
      } catch (e) {
        markError(e);
        return undefined;
      }
    }

    templates.onchange = () => {
      if (!templates.value) return;
      view.dispatch({ changes: { from: 0, to: view.state.doc.length,
                                 insert: root.pluginTemplates.code(templates.value) } });
      templates.value = "";
    };
    saveButton.onclick = () => save();
    runButton.onclick = () => run();
    let closed = false;
    closeButton.onclick = () => { closed = true; view.destroy(); host.removeBox(box); };
    if (host.selectBox) host.selectBox(box);
    view.focus();
    box.editor = { save, run };
    return {
      _rintf: true,
      getCode: () => view.state.doc.toString(),
      setCode: (text) => view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: String(text) } }),
      save: async () => { const p = await save(); return p ? p.name : null; },
      run: () => run(),
      close: () => { if (!closed) closeButton.onclick(); },
    };
  }

  root.pluginEditor = { open, errorLine, TYPE };
})(window);
