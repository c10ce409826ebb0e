/* A plugin's or op's `ui` as a form, as the ImJoy app shows it (its Joy fields): text with
 * `{id: 'x', type: 'number', ...}` fields, lines separated by <br> (or a list of lines / {label: field} objects).
 * Field types: number (min, max, step), string, choose/select (options), color, boolean/checkbox, button; the
 * placeholder is the default value (ImJoy's rule; a number without one starts at 3 as in ImJoy). Field objects are
 * read by a small literal parser, never evaluated. */
(function (root) {
  "use strict";

  /** ImJoy's normalizeUI: a list of strings / {label: field} objects becomes one string of <br> lines. */
  function normalize(ui) {
    if (!ui) return "";
    if (Array.isArray(ui)) {
      return ui.map((item) => {
        if (typeof item === "string") return item;
        if (item && typeof item === "object") {
          return Object.entries(item).map(([k, v]) => `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`)
            .join("<br>");
        }
        return JSON.stringify(item);
      }).join("<br>");
    }
    return typeof ui === "string" ? ui.trim() : "";
  }

  /** Read one JS-style literal (object, array, quoted string, number, true/false/null, bare word) at text[i]. */
  function readLiteral(text, i) {
    const skip = () => { while (i < text.length && /\s/.test(text[i])) i++; };
    function value() {
      skip();
      const c = text[i];
      if (c === "{") {
        const obj = {};
        i++;
        for (;;) {
          skip();
          if (text[i] === "}") { i++; return obj; }
          if (i >= text.length) throw new Error("unclosed {");
          let key;
          if (text[i] === "'" || text[i] === '"') key = value();
          else {
            const m = /^[\w$-]+/.exec(text.slice(i));
            if (!m) throw new Error(`bad key at ${i}`);
            key = m[0];
            i += key.length;
          }
          skip();
          if (text[i] !== ":") throw new Error(`expected : after ${key}`);
          i++;
          obj[key] = value();
          skip();
          if (text[i] === ",") i++;
        }
      }
      if (c === "[") {
        const list = [];
        i++;
        for (;;) {
          skip();
          if (text[i] === "]") { i++; return list; }
          if (i >= text.length) throw new Error("unclosed [");
          list.push(value());
          skip();
          if (text[i] === ",") i++;
        }
      }
      if (c === "'" || c === '"') {
        let out = "";
        i++;
        while (i < text.length && text[i] !== c) {
          if (text[i] === "\\") i++;
          out += text[i++];
        }
        i++;
        return out;
      }
      const m = /^[^,}\]]+/.exec(text.slice(i));
      const word = m ? m[0].trim() : "";
      i += m ? m[0].length : 0;
      if (word === "true" || word === "false") return word === "true";
      if (word === "null") return null;
      if (word !== "" && !Number.isNaN(Number(word))) return Number(word);
      return word;
    }
    const v = value();
    return { value: v, end: i };
  }

  /** [{label, field}] from a ui; a field is {id, type, placeholder, options, min, max, step, label}. */
  function parse(ui) {
    const rows = [];
    for (const line of normalize(ui).split(/<br\s*\/?>|\n/i)) {
      let rest = line;
      for (;;) {
        const at = rest.indexOf("{");
        if (at < 0) break;
        let parsed;
        try { parsed = readLiteral(rest, at); } catch (e) { break; }
        const field = parsed.value;
        const label = rest.slice(0, at).replace(/<[^>]*>/g, "").replace(/:\s*$/, "").trim();
        rest = rest.slice(parsed.end);
        if (field && typeof field === "object" && field.id !== undefined) {
          field.id = String(field.id);
          rows.push({ label: label || field.id, field });
        }
      }
    }
    return rows;
  }

  /** A choose field's options as [{label, value}]. */
  function options(field) {
    return (field.options || []).map((o) => (o && typeof o === "object" && "value" in o)
      ? { label: String(o.label !== undefined ? o.label : o.value), value: o.value } : { label: String(o), value: o });
  }

  function clamp(value, field) {
    if (typeof field.min === "number" && value < field.min) value = field.min;
    if (typeof field.max === "number" && value > field.max) value = field.max;
    return value;
  }

  /** One field's input element and a getter for its value. */
  function fieldInput(field) {
    const type = String(field.type || "string").toLowerCase();
    const has = field.placeholder !== undefined && field.placeholder !== null;
    let input;
    let get;
    if (type === "choose" || type === "select") {
      const opts = options(field);
      input = document.createElement("select");
      opts.forEach((o, k) => {
        const el = document.createElement("option");
        el.value = String(k);
        el.textContent = o.label;
        input.appendChild(el);
      });
      const start = has ? opts.findIndex((o) => String(o.value) === String(field.placeholder) ||
                                                 o.label === String(field.placeholder)) : 0;
      input.value = String(Math.max(0, start));
      get = () => (opts[Number(input.value)] || {}).value;
    } else if (type === "number") {
      input = document.createElement("input");
      input.type = "number";
      if (field.min !== undefined) input.min = field.min;
      if (field.max !== undefined) input.max = field.max;
      input.step = field.step !== undefined ? field.step : "any";
      const start = has ? Number(field.placeholder) : 3;
      input.value = String(clamp(start, field));
      get = () => {
        const n = Number(input.value);
        return clamp(input.value === "" || Number.isNaN(n) ? start : n, field);
      };
    } else if (type === "color") {
      input = document.createElement("input");
      input.type = "color";
      if (has && /^#[0-9a-f]{6}$/i.test(String(field.placeholder))) input.value = field.placeholder;
      get = () => input.value;
    } else if (type === "boolean" || type === "checkbox" || type === "bool") {
      input = document.createElement("input");
      input.type = "checkbox";
      input.checked = has && field.placeholder !== false && field.placeholder !== "false";
      get = () => input.checked;
    } else if (type === "button") {
      input = document.createElement("button");
      input.type = "button";
      input.textContent = field.label || field.id;
      get = null;
    } else {
      input = document.createElement("input");
      input.type = "text";
      input.value = has ? String(field.placeholder) : "";
      get = () => input.value;
    }
    input.name = field.id;
    input.dataset.type = type;
    return { input, get };
  }

  /** Build the form into `container`; `values()` gives the config ({id: value}, each in its field's type);
   * `onchange(fn)` calls fn(values) when a field changes or a button is pressed. */
  function build(container, ui) {
    const rows = parse(ui);
    const getters = [];
    const listeners = [];
    const form = {
      rows,
      values() {
        const config = {};
        for (const [id, get] of getters) config[id] = get();
        return config;
      },
      onchange(fn) { listeners.push(fn); },
    };
    const changed = () => { for (const fn of listeners) fn(form.values()); };
    for (const { label, field } of rows) {
      const row = document.createElement("div");
      row.className = "form-row";
      const name = document.createElement("label");
      name.textContent = label;
      const { input, get } = fieldInput(field);
      if (get) getters.push([field.id, get]);
      if (input.tagName === "BUTTON") input.onclick = changed;
      else input.addEventListener("change", changed);
      row.append(name, input);
      container.appendChild(row);
    }
    return form;
  }

  /** Whether a ui has any field (an op without fields runs without a form). */
  function hasFields(ui) {
    return parse(ui).length > 0;
  }

  /** The config a ui gives when every field keeps its default. */
  function defaults(ui) {
    return build(document.createElement("div"), ui).values();
  }

  root.uiForm = { parse, build, normalize, hasFields, defaults, readLiteral };
})(window);
