/* ImJoy's built-in window types, drawn in the workspace (no internet, no extra frames): imjoy/generic,
 * imjoy/image, imjoy/image-list, imjoy/image-compare, imjoy/markdown, imjoy/panel, imjoy/log, imjoy/files,
 * imjoy/url_list and SchemaIO (imjoy/schema-io). Each takes the data fields of the ImJoy app's window of that type;
 * `api.run({data})` (ImJoy's window API) redraws it. Markdown goes through marked and DOMPurify. */
(function (root) {
  "use strict";

  /** Window types that plugins name but that the ImJoy app fetches from its plugin repository or a web page:
   * served by a built-in window here. */
  const ALIASES = { "SchemaIO": "imjoy/schema-io", "imjoy/schemaio": "imjoy/schema-io",
                    "JSON Schema Form": "imjoy/schema-io" };
  const SCHEMA_FORM_PAGE = /imjoy-json-schema-form/i;

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = String(text);
    return e;
  }

  function markdown(source) {
    const html = root.marked ? root.marked.parse(String(source || "")) : el("pre", "", source).outerHTML;
    return root.DOMPurify ? root.DOMPurify.sanitize(html) : el("pre", "", source).outerHTML;
  }

  function isNdarray(v) {
    return v && typeof v === "object" && v._rtype === "ndarray";
  }

  /** An image that says in words when its address cannot be loaded. */
  function image(src, alt) {
    const box = el("div", "image-box");
    if (!src) { box.appendChild(el("p", "empty", "No image available for display.")); return box; }
    const img = el("img");
    img.alt = alt || "";
    img.onerror = () => {
      const where = String(src).startsWith("data:") ? "this data URL" : String(src);
      box.replaceChildren(el("p", "error", `The image could not be loaded from ${where}: the address cannot be ` +
        "reached from this workspace (offline?) or is not an image."));
    };
    img.src = String(src);
    box.appendChild(img);
    return box;
  }

  // ------------------------------------------------------------------ generic: a tree of the data
  function tree(value, depth) {
    if (isNdarray(value)) {
      return el("span", "value ndarray", `ndarray ${(value._rshape || []).join("×")} ${value._rdtype}`);
    }
    if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) {
      return el("span", "value", `${value.byteLength} bytes`);
    }
    if (typeof value === "function") return el("span", "value", "function");
    if (value === null || typeof value !== "object") {
      return el("span", "value " + typeof value, typeof value === "string" ? value : JSON.stringify(value));
    }
    const keys = Object.keys(value).filter((k) => !k.startsWith("_") || Array.isArray(value));
    const list = el("ul", "tree");
    for (const key of keys.slice(0, 500)) {
      const li = el("li");
      li.dataset.key = key;
      const child = value[key];
      const nested = child && typeof child === "object" && !isNdarray(child) && !ArrayBuffer.isView(child);
      if (nested) {
        const details = el("details");
        details.open = depth < 2;
        const summary = el("summary");
        const kind = Array.isArray(child) ? ` [${child.length}]` : " {…}";
        summary.append(el("span", "key", key), el("span", "kind", kind));
        details.append(summary, tree(child, depth + 1));
        li.appendChild(details);
      } else {
        li.append(el("span", "key", key), ": ", tree(child, depth + 1));
      }
      list.appendChild(li);
    }
    if (keys.length > 500) list.appendChild(el("li", "more", `… ${keys.length - 500} more`));
    return list;
  }

  // ------------------------------------------------------------------ one renderer per type
  const RENDER = {
    "imjoy/generic"(w, body) {
      body.replaceChildren(w.data === null || w.data === undefined ? el("p", "empty", "No data.") : tree(w.data, 0));
    },
    "imjoy/image"(w, body) {
      body.replaceChildren(image(w.data && w.data.src, w.name));
    },
    "imjoy/image-list"(w, body) {
      const images = (w.data && w.data.images) || [];
      body.replaceChildren(...(images.length ? images.map((i) => image(i && i.src ? i.src : i, i && i.name))
        : [el("p", "empty", "No image available for display.")]));
    },
    "imjoy/image-compare"(w, body) {
      const d = w.data || {};
      if (!d.first || !d.second) { body.replaceChildren(el("p", "empty", "No image available for display.")); return; }
      const stage = el("div", "compare");
      const first = image(d.first);
      const second = image(d.second);
      second.classList.add("second");
      const slider = el("input", "offset");
      slider.type = "range";
      slider.min = 0;
      slider.max = 100;
      slider.value = d.offset !== undefined ? d.offset : 50;
      const clip = () => {
        second.style.clipPath = `inset(0 0 0 ${slider.value}%)`;
        stage.dataset.offset = slider.value;
      };
      slider.oninput = clip;
      clip();
      stage.append(first, second);
      body.replaceChildren(stage, slider);
    },
    "imjoy/markdown"(w, body) {
      const d = w.data || {};
      const box = el("div", "markdown");
      if (d.source && String(d.source).trim()) box.innerHTML = markdown(d.source);
      else box.appendChild(el("p", "empty", "No content."));
      for (const a of box.querySelectorAll("a[href]")) { a.target = "_blank"; a.rel = "noopener noreferrer"; }
      body.replaceChildren(box);
    },
    "imjoy/panel"(w, body) {
      const config = w.config || {};
      const box = el("div", "panel");
      const form = root.uiForm.build(box, config.ui || "");
      if (typeof config.onupdate === "function") form.onchange((values) => config.onupdate(values));
      w._panelForm = form;
      body.replaceChildren(box);
    },
    "imjoy/log"(w, body, ctx) {
      const d = w.data || {};
      let history = d.log_history;
      if (!history && d.plugin_name) {
        const plugin = ctx.plugin(d.plugin_name);
        history = plugin && plugin._log_history;
      }
      const list = el("ul", "log");
      for (const entry of history || []) {
        const item = entry && typeof entry === "object" ? entry : { type: "info", value: entry };
        const li = el("li", item.type === "error" ? "error" : "info");
        if (item.type === "image") li.appendChild(image(item.value));
        else li.textContent = String(item.value !== undefined ? item.value : item);
        list.appendChild(li);
      }
      body.replaceChildren(list.children.length ? list : el("p", "empty", "No log available."));
    },
    "imjoy/files"(w, body) {
      const files = Array.isArray(w.data) ? w.data : ((w.data && w.data.files) || []);
      const list = el("ul", "files");
      for (const f of files) {
        const name = typeof f === "string" ? f : (f.relativePath || f.name || f.path || JSON.stringify(f));
        const li = el("li", "", name);
        if (f && f.size !== undefined) li.appendChild(el("span", "size", ` (${f.size} bytes)`));
        list.appendChild(li);
      }
      body.replaceChildren(list.children.length ? list : el("p", "empty", "No files."));
    },
    "imjoy/url_list"(w, body) {
      const urls = Array.isArray(w.data) ? w.data : ((w.data && w.data.urls) || []);
      const list = el("ul", "urls");
      for (const u of urls) {
        const a = el("a", "", (u && u.text) || (u && u.url) || u);
        a.href = (u && u.url) || u;
        a.target = "_blank";
        a.rel = "noopener noreferrer";
        const li = el("li");
        li.appendChild(a);
        list.appendChild(li);
      }
      body.replaceChildren(list.children.length ? list : el("p", "empty", "No url."));
    },
  };

  // ------------------------------------------------------------------ SchemaIO: forms with a submit callback
  /** SchemaIO's panels: each a form from a schema; Submit calls its callback (form_schema_input), emits its
   * buttons' events (ImJoy's schema-io panels) and answers a waiting get_data(). */
  function schemaIO(w, body, ctx) {
    const panels = [];
    const waiting = [];
    const box = el("div", "schema-io");
    body.replaceChildren(box);

    function append(spec) {
      if (Array.isArray(spec)) { spec.forEach(append); return; }
      spec = spec || {};
      const panel = el("div", "panel");
      panel.dataset.id = spec.id !== undefined ? String(spec.id) : String(panels.length);
      if (spec.title) panel.appendChild(el("h4", "", spec.title));
      if (spec.description) {
        const d = el("div", "description");
        d.innerHTML = markdown(spec.description);
        panel.appendChild(d);
      }
      const form = root.schemaForm.build(panel, spec.schema || {}, spec.model || spec.data || {});
      const entry = { id: panel.dataset.id, form, panel };
      const submit = async (eventId) => {
        const values = form.values();
        try {
          if (eventId) await w.api.emit(eventId, values);
          if (spec.callback) await spec.callback(values);
          while (waiting.length) waiting.shift()(values);
          panel.dataset.submitted = "yes";
        } catch (e) {
          ctx.say(`${w.name}: the form's callback failed: ${ctx.words(e)}`);
        }
      };
      const buttons = spec.buttons && spec.buttons.length ? spec.buttons : [{ label: spec.submit_label || "Submit" }];
      for (const b of buttons) {
        const button = el("button", "submit", b.label || "Submit");
        button.onclick = () => submit(b.event_id);
        panel.appendChild(button);
      }
      panels.push(entry);
      box.appendChild(panel);
    }

    const d = w.data || w.config || {};
    if (Array.isArray(d)) append(d);
    else if (d.schema || d.fields || d.properties) {
      append(d.schema ? d : { schema: d, callback: (w.config || {}).callback });
    }

    return {
      form_schema_input: (spec) => append(spec),
      append,
      remove(id) {
        const at = panels.findIndex((p) => p.id === String(id));
        if (at >= 0) { panels[at].panel.remove(); panels.splice(at, 1); }
      },
      getData(id) {
        if (id !== undefined && id !== null) {
          const p = panels.find((q) => q.id === String(id));
          return p ? p.form.values() : null;
        }
        const out = {};
        for (const p of panels) out[p.id] = p.form.values();
        return out;
      },
      /** The values of the next Submit (the JSON schema form plugin's get_data). */
      get_data: () => new Promise((resolve) => waiting.push(resolve)),
      appendDataPoint() { throw new Error("SchemaIO's vega plots are not available in this workspace"); },
    };
  }

  // ------------------------------------------------------------------ mounting
  /** The built-in type a window config asks for, or null: ImJoy's own types, SchemaIO and the JSON schema form
   * page. */
  function builtinType(config) {
    if (!config) return null;
    if (config.type && ALIASES[config.type]) return ALIASES[config.type];
    if (config.type && (RENDER[config.type] || config.type === "imjoy/schema-io")) return config.type;
    if (config.src && SCHEMA_FORM_PAGE.test(String(config.src))) return "imjoy/schema-io";
    return null;
  }

  /** ImJoy's window config, with types the ImJoy app fetches from its repository or a web page served by a
   * built-in equivalent: SchemaIO and the JSON schema form page, "Image Viewer" (`viewer` for an ndarray,
   * imjoy/image for an address). */
  function resolve(config, viewer) {
    if (!config || typeof config !== "object") return config;
    const builtin = builtinType(config);
    if (builtin) {
      const out = Object.assign({}, config, { type: builtin });
      if (config.src && builtin === "imjoy/schema-io") { delete out.src; out.data = out.data || config.config; }
      return out;
    }
    if (config.type === "Image Viewer" || config.type === "ImageViewer") {
      const data = config.data || {};
      const image = data.image !== undefined ? data.image : data.src;
      if (isNdarray(image)) return Object.assign({}, config, { type: viewer, data: { image } });
      if (typeof image === "string") return Object.assign({}, config, { type: "imjoy/image", data: { src: image } });
    }
    return config;
  }

  /** Whether a window's src is a web page (not a plugin file) on a site other than `frameOrigin`: the workspace
   * frames only its plugin origin, so such a page cannot be shown. */
  function farPage(config, frameOrigin) {
    const src = config && typeof config.src === "string" ? config.src : "";
    if (!/^https?:\/\//i.test(src) || /\.imjoy\.html(\?|#|$)/i.test(src) || /github\.com/i.test(src)) return false;
    if (builtinType(config)) return false;
    try { return new URL(src).origin !== frameOrigin; } catch (e) { return false; }
  }

  /** Draw window `w` (a core window object) into `body`; redraws when w.data or w.config is assigned (ImJoy's
   * api.run({data})). Returns the window's own API functions (merged into w.api before "ready"). */
  function mount(w, body, ctx) {
    body.classList.add("builtin", w.type.replace(/\W+/g, "-"));
    if (w.type === "imjoy/schema-io") return schemaIO(w, body, ctx);
    const draw = RENDER[w.type];
    if (!draw) {
      body.replaceChildren(el("p", "error", `Window type "${w.type}" is part of the ImJoy app but not of this ` +
        "workspace; it cannot be shown here."));
      return {};
    }
    const redraw = () => {
      try {
        draw(w, body, ctx);
      } catch (e) {
        body.replaceChildren(el("p", "error", `cannot show this data: ${ctx.words(e)}`));
      }
    };
    for (const key of ["data", "config"]) {
      let value = w[key];
      Object.defineProperty(w, key, { configurable: true, enumerable: true, get: () => value,
                                      set: (v) => { value = v; redraw(); } });
    }
    redraw();
    return {};
  }

  root.builtinWindows = { mount, builtinType, resolve, farPage, markdown,
                          types: Object.keys(RENDER).concat(["imjoy/schema-io"]) };
})(window);
