/* A plugin's `ui` config as a form before `run`, as ImJoy shows it: text with `{id: 'x', type: 'number', ...}`
 * fields, lines separated by <br>. Field objects are read by a small parser, never evaluated. */
(function (root) {
  "use strict";

  const PAIR = /(\w+)\s*:\s*('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|\[[^\]]*\]|[^,}]+)/g;

  function literal(text) {
    text = text.trim();
    if (/^['"]/.test(text)) return text.slice(1, -1);
    if (text.startsWith("[")) {
      return text.slice(1, -1).split(",").map((s) => s.trim()).filter(Boolean).map(literal);
    }
    if (text === "true" || text === "false") return text === "true";
    if (text !== "" && !Number.isNaN(Number(text))) return Number(text);
    return text;
  }

  /** [{label, field}] from a ui string; a field is {id, type, placeholder, options, min, max}. */
  function parse(ui) {
    const rows = [];
    for (const line of String(ui || "").split(/<br\s*\/?>|\n/i)) {
      const match = line.match(/\{[^}]*\}/);
      if (!match) continue;
      const field = {};
      for (const [, key, value] of match[0].matchAll(PAIR)) field[key] = literal(value);
      if (!field.id) continue;
      const label = line.slice(0, match.index).replace(/<[^>]*>/g, "").replace(/:\s*$/, "").trim() || field.id;
      rows.push({ label, field });
    }
    return rows;
  }

  /** Build the form into `container`; `values()` gives the config (numbers as numbers). */
  function build(container, ui) {
    const rows = parse(ui);
    const inputs = [];
    for (const { label, field } of rows) {
      const row = document.createElement("div");
      row.className = "form-row";
      const name = document.createElement("label");
      name.textContent = label;
      let input;
      if (field.type === "choose" || field.type === "select") {
        input = document.createElement("select");
        for (const option of field.options || []) {
          const o = document.createElement("option");
          o.value = o.textContent = String(option);
          input.appendChild(o);
        }
        if (field.placeholder !== undefined) input.value = String(field.placeholder);
      } else {
        input = document.createElement("input");
        input.type = field.type === "number" ? "number" : "text";
        if (field.min !== undefined) input.min = field.min;
        if (field.max !== undefined) input.max = field.max;
        input.step = "any";
        if (field.placeholder !== undefined) input.value = String(field.placeholder);
      }
      input.name = field.id;
      input.dataset.type = field.type || "string";
      row.append(name, input);
      container.appendChild(row);
      inputs.push(input);
    }
    return {
      rows,
      values() {
        const config = {};
        for (const input of inputs) {
          config[input.name] = input.dataset.type === "number" ? Number(input.value) : input.value;
        }
        return config;
      },
    };
  }

  root.uiForm = { parse, build };
})(window);
