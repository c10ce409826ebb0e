/* Ops and workflows as the ImJoy app runs them, through the ImJoy core's own op registry: every plugin's main op
 * and the ops it registers with `api.register` are listed under the plugin, each with its own ui form; running an
 * op calls its run with ctx {config, data, _op}. ctx.data is the active window's data when the op declares
 * `inputs` that this data matches (ImJoy's rule), so running an op on a previous op's result window composes a
 * workflow; a result that is not a window opens as a new window (imjoy/generic unless it names a type). */
(function (root) {
  "use strict";

  /** ops.create(host): host = {imjoy(), formDialog(title, ui), say(text), words(e), activeWindow()}. */
  function create(host) {
    const configs = new Map(); // "<plugin id>/<op name>" -> the op's registered config (ui, inputs, outputs)
    const key = (plugin, name) => `${plugin.id}/${name}`;

    function onRegister({ config, plugin }) {
      if (plugin && config && config.name) configs.set(key(plugin, config.name), config);
    }

    function opUi(plugin, name) {
      const config = configs.get(key(plugin, name));
      if (config && config.ui) return config.ui;
      return name === plugin.name ? (plugin.config && plugin.config.ui) || "" : "";
    }

    /** The op names of a plugin: its own first, then those it registered. */
    function names(plugin) {
      const all = Object.keys(plugin.ops || {});
      return all.includes(plugin.name) ? [plugin.name, ...all.filter((n) => n !== plugin.name)] : all;
    }

    /** Run op `name` of `plugin` as the ImJoy app does; a given `config` (over the ui's defaults) skips the
     * form. Resolves with
     * {result, window}: the op's result (its data) and the result window's API when one was opened. */
    async function run(plugin, name, config) {
      const pm = host.imjoy().pm;
      const op = plugin.ops && plugin.ops[name];
      if (!op) throw new Error(`plugin "${plugin.name}" has no op "${name}"`);
      if (config === undefined) {
        const ui = opUi(plugin, name);
        const title = name === plugin.name ? name : `${plugin.name}: ${name}`;
        config = root.uiForm.hasFields(ui) ? await host.formDialog(title, ui) : {};
        if (config === null) return { cancelled: true };
      } else {
        config = Object.assign(root.uiForm.defaults(opUi(plugin, name)), config);
      }
      let joy = {};
      const active = host.activeWindow();
      if (op.inputs_schema && active && active.data && op.inputs_schema(active.data)) joy = pm.plugin2joy(active) || {};
      joy.target = joy.target || {};
      joy.target._op = name;
      joy.target._source_op = null;
      joy.target._workflow_id = joy.target._workflow_id || `op_${name.trim().replace(/ /g, "_")}_${Date.now()}`;
      joy.data = config;
      const returned = await op.onexecute(joy);
      const out = returned ? pm.joy2plugin(returned) : null;
      if (!out || returned._rintf || out.data === null || out.data === undefined || typeof out.data !== "object") {
        return { result: out ? out.data : undefined };
      }
      const spec = { name: out.name || "result", type: out.type || "imjoy/generic", data: out.data };
      if (out.config) spec.config = out.config;
      const window = await pm.imjoy_api.createWindow(plugin, spec);
      return { result: out.data, window };
    }

    return { onRegister, names, run, opUi };
  }

  root.workspaceOps = { create };
})(window);
