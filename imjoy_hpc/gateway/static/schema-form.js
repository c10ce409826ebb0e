/* Forms from a schema, for SchemaIO windows: a JSON schema ({type: "object", properties}) or the field list that
 * ImJoy's SchemaIO plugin takes ({fields: [{type: "input" | "select" | "checkbox" | "textArea" | "radios" |
 * "checklist", model, label, values, inputType}]}). `build(container, schema, model)` returns {values()}. */
(function (root) {
  "use strict";

  function choices(values) {
    return (values || []).map((v) => (v && typeof v === "object")
      ? { label: String(v.name !== undefined ? v.name : (v.label !== undefined ? v.label : v.id)),
          value: v.id !== undefined ? v.id : v.value }
      : { label: String(v), value: v });
  }

  /** The schema as a list of {key, label, kind, choices, min, max, value} whatever form it came in. */
  function fieldsOf(schema, model) {
    model = model || {};
    const out = [];
    if (schema && Array.isArray(schema.fields)) {
      for (const f of schema.fields) {
        if (!f || !f.model) continue;
        const kind = f.type === "input" ? (f.inputType || "text") : String(f.type || "text").toLowerCase();
        out.push({ key: f.model, label: f.label || f.model, kind, choices: choices(f.values), min: f.min,
                   max: f.max, value: model[f.model] !== undefined ? model[f.model] : f.default });
      }
    } else if (schema && schema.properties) {
      for (const [key, p] of Object.entries(schema.properties)) {
        let kind = p.enum ? "select" : ({ integer: "number", number: "number", boolean: "checkbox" }[p.type] ||
                                        "text");
        if (p.type === "array" && p.items && p.items.enum) kind = "checklist";
        out.push({ key, label: p.title || key, kind, choices: choices(p.enum || (p.items && p.items.enum)),
                   min: p.minimum, max: p.maximum, integer: p.type === "integer",
                   value: model[key] !== undefined ? model[key] : p.default });
      }
    }
    return out;
  }

  function control(field) {
    const { kind } = field;
    let el;
    let get;
    if (kind === "select" || kind === "radios") {
      el = document.createElement("select");
      field.choices.forEach((c, k) => {
        const o = document.createElement("option");
        o.value = String(k);
        o.textContent = c.label;
        el.appendChild(o);
      });
      const at = field.choices.findIndex((c) => String(c.value) === String(field.value));
      el.value = String(Math.max(0, at));
      get = () => (field.choices[Number(el.value)] || {}).value;
    } else if (kind === "checklist") {
      el = document.createElement("span");
      const picked = new Set((field.value || []).map(String));
      const boxes = field.choices.map((c) => {
        const label = document.createElement("label");
        const box = document.createElement("input");
        box.type = "checkbox";
        box.checked = picked.has(String(c.value));
        label.append(box, " " + c.label);
        el.appendChild(label);
        return [box, c.value];
      });
      get = () => boxes.filter(([b]) => b.checked).map(([, v]) => v);
    } else if (kind === "checkbox" || kind === "switch") {
      el = document.createElement("input");
      el.type = "checkbox";
      el.checked = Boolean(field.value);
      get = () => el.checked;
    } else if (kind === "textarea") {
      el = document.createElement("textarea");
      el.value = field.value === undefined || field.value === null ? "" : String(field.value);
      get = () => el.value;
    } else {
      el = document.createElement("input");
      el.type = ["number", "range", "color", "email", "password", "date"].includes(kind) ? kind : "text";
      if (field.min !== undefined) el.min = field.min;
      if (field.max !== undefined) el.max = field.max;
      if (el.type === "number") el.step = field.integer ? "1" : "any";
      if (field.value !== undefined && field.value !== null) el.value = String(field.value);
      get = () => (el.type === "number" || el.type === "range")
        ? (el.value === "" ? null : Number(el.value)) : el.value;
    }
    if (el.tagName !== "SPAN") el.name = field.key;
    el.dataset.model = field.key;
    return { el, get };
  }

  function build(container, schema, model) {
    const getters = [];
    for (const field of fieldsOf(schema, model)) {
      const row = document.createElement("div");
      row.className = "form-row";
      const label = document.createElement("label");
      label.textContent = field.label;
      const { el, get } = control(field);
      row.append(label, el);
      container.appendChild(row);
      getters.push([field.key, get]);
    }
    return {
      values() {
        const out = Object.assign({}, model || {});
        for (const [key, get] of getters) out[key] = get();
        return out;
      },
    };
  }

  root.schemaForm = { build, fieldsOf };
})(window);
