/* What a plugin in the workspace reaches of the gateway: the ImJoy API that ImJoy gives plugins, where
 * `api.getEngine` hands out the engine interface only (never the gateway's authenticated connection), and where a
 * plugin running in the browser (a window, iframe or web-worker plugin: code from anywhere) must have the user's
 * consent before it starts Python code on the cluster (`api.loadPlugin` / `api.getPlugin` of a Python plugin, or
 * the engine's startPlugin), as a browser asks before a site uses the camera. Consent is asked the first time per
 * plugin and remembered for the tab. Python plugins already run on the cluster: they are not asked about. */
(function (root) {
  "use strict";

  const STORE = "imjoy-hpc-consent";
  const ENGINE_FIELDS = ["type", "pluginType", "factory", "icon", "name", "url", "config", "lazy_connection"];

  function remembered() {
    try {
      return new Set(JSON.parse(root.sessionStorage.getItem(STORE) || "[]"));
    } catch (e) {
      return new Set();
    }
  }

  function remember(name) {
    const names = remembered();
    names.add(name);
    try { root.sessionStorage.setItem(STORE, JSON.stringify([...names])); } catch (e) { /* private mode */ }
  }

  function callerName(plugin) {
    const config = (plugin && plugin.config) || {};
    // a window's instance is named after the window; the plugin that made it is its window_type
    return String(config.window_type || config.name || (plugin && plugin.name) || "a plugin");
  }

  function runsInBrowser(plugin) {
    const type = plugin && (plugin.type || (plugin.config && plugin.config.type));
    return !/^(native|web)-python/.test(String(type));  // web-python plugins run on the gateway here too
  }

  /**
   * Guard `imjoy` (an ImJoy core instance, started) for `engine` (the imjoy-hpc engine registered with it).
   * `ask(text)` shows the consent question and resolves true when the user agrees.
   */
  function install(imjoy, engine, ask) {
    const api = imjoy.pm.imjoy_api;
    const asking = new Map(); // caller name -> pending question (one at a time per plugin)
    const waiting = new Set(); // browser plugins whose loadPlugin/getPlugin call is under way

    async function consent(caller, what) {
      if (remembered().has(caller)) return;
      if (!asking.has(caller)) {
        asking.set(caller, Promise.resolve(ask(`The plugin "${caller}" wants to start Python code on the cluster ` +
          `(${what}) with your gateway, as you. Allow it (for this tab)?`)).finally(() => asking.delete(caller)));
      }
      if (!(await asking.get(caller))) {
        throw new Error(`you did not allow "${caller}" to start Python code on the cluster`);
      }
      remember(caller);
    }

    // A browser plugin's loadPlugin/getPlugin may end in the engine's startPlugin: while one is under way,
    // starting Python code needs that plugin's consent.
    for (const key of ["loadPlugin", "getPlugin"]) {
      const original = api[key];
      if (typeof original !== "function") continue;
      api[key] = async function (plugin, ...args) {
        if (!runsInBrowser(plugin)) return original.call(this, plugin, ...args);
        const caller = callerName(plugin);
        waiting.add(caller);
        try {
          return await original.call(this, plugin, ...args);
        } finally {
          waiting.delete(caller);
        }
      };
    }
    const start = engine.startPlugin;
    engine.startPlugin = async function (config, ...args) {
      for (const caller of [...waiting]) {
        await consent(caller, `the Python plugin "${(config && config.name) || "unnamed"}"`);
      }
      return start.call(this, config, ...args);
    };

    // api.getEngine: the engine interface, and starting Python code through it needs consent too.
    const getEngine = api.getEngine;
    api.getEngine = async function (plugin, url) {
      const found = await getEngine.call(this, plugin, url);
      if (found !== engine && !(found && found.factory === engine.factory)) return found;
      const facade = { _rintf: true };
      for (const key of ENGINE_FIELDS) facade[key] = engine[key];
      facade.heartbeat = () => engine.heartbeat();
      facade.getEngineStatus = () => engine.getEngineStatus();
      facade.killPluginProcess = (p) => engine.killPluginProcess(p);
      facade.startPlugin = async (config, imjoyInterface, engineUtils) => {
        if (runsInBrowser(plugin)) await consent(callerName(plugin), "through api.getEngine");
        return start.call(engine, config, imjoyInterface, engineUtils);
      };
      return facade;
    };
  }

  root.imjoyHpcPluginGuard = { install };
})(typeof window !== "undefined" ? window : self);
