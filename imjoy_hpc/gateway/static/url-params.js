/* ImJoy's URL parameters, so links made for the ImJoy app work against the gateway:
 * `#/app?plugin=URL_OR_NAME&start=NAME&w=WORKSPACE&workflow=...` (also `p`, `workspace`; the gateway's own
 * `token` may ride along in the same query). `plugin` installs from a URL after the user agrees (as the ImJoy
 * app's install dialog) or loads a catalog plugin by name; `start` runs the named plugin once it is loaded with
 * ctx {config: {}, data: <the URL's parameters>}, as the ImJoy app does; `workflow` runs its ops in order, each on
 * the previous one's result window. */
(function (root) {
  "use strict";

  const URL_LIKE = /^(https?:)?\/\//i;

  /** {route, params, token} of a location hash: "#/app?a=b&token=T" or the plain "#token=T". */
  function parse(hash) {
    hash = String(hash || "").replace(/^#/, "");
    if (hash.startsWith("/")) {
      const at = hash.indexOf("?");
      const route = at < 0 ? hash : hash.slice(0, at);
      const query = at < 0 ? "" : hash.slice(at + 1);
      const params = new URLSearchParams(query);
      const token = params.get("token");
      params.delete("token");
      // the query as it was written, without the token
      const kept = query.split("&").filter((pair) => pair && !/^token(=|$)/.test(pair)).join("&");
      return { route, params, token, kept };
    }
    const params = new URLSearchParams(hash);
    const token = params.get("token");
    params.delete("token");
    return { route: "", params, token };
  }

  /** The hash to keep in the address bar: the route and its parameters, never the token. */
  function hashWithout(parsed) {
    if (!parsed.route) return "";
    return `#${parsed.route}${parsed.kept ? "?" + parsed.kept : ""}`;
  }

  /** The ops of a workflow link (ImJoy's Joy.encodeWorkflow: compressed JSON of the workflow panel's data) as
   * [{plugin, op, config}]: every list named "ops" in it, each entry's type "Plugin/op" (or "Plugin"), its other
   * fields the op's config ({value} objects read as their value). */
  function workflowSteps(encoded) {
    let data = null;
    try { data = root.imjoyCore.Joy.decodeWorkflow(encoded); } catch (e) { data = null; }
    const steps = [];
    (function walk(node) {
      if (!node || typeof node !== "object") return;
      if (Array.isArray(node.ops)) {
        for (const entry of node.ops) {
          if (!entry || typeof entry.type !== "string") continue;
          const at = entry.type.indexOf("/");
          const plugin = at < 0 ? entry.type : entry.type.slice(0, at);
          const config = {};
          for (const [k, v] of Object.entries(entry)) {
            if (k === "type" || k === "id" || k.startsWith("_")) continue;
            config[k] = v && typeof v === "object" && "value" in v ? v.value : v;
          }
          steps.push({ plugin, op: at < 0 ? plugin : entry.type.slice(at + 1), config });
        }
        return;
      }
      for (const v of Object.values(node)) walk(v);
    })(data);
    return steps;
  }

  /** Act on the parameters. host: {say, confirm(text), loadUrl(url), loadCatalog(name), hasCatalog(name),
   * whenLoaded(name), runStart(plugin, data), runWorkflow(steps), setWorkspace(name)}. */
  async function apply(params, host) {
    const get = (...names) => {
      for (const n of names) {
        const v = params.get(n);
        if (v && v.trim()) return v.trim();
      }
      return null;
    };
    const workspace = get("workspace", "w");
    if (workspace) host.setWorkspace(workspace);
    for (const name of ["repo", "r", "engine"]) {
      if (get(name)) {
        host.say(`URL parameter "${name}" is not used by this workspace (it needs the ImJoy plugin repository or ` +
                 "another engine; plugins run on the cluster here)");
      }
    }
    const source = get("plugin", "p");
    const start = get("start");
    let starting = start ? host.whenLoaded(start) : null;
    const named = source && !URL_LIKE.test(source) ? source.split(":").pop().split("@")[0].trim() : null;
    if (source) {
      if (named && host.hasCatalog(named)) {
        await host.loadCatalog(named); // a catalog plugin by name, or the catalog's copy of "owner/repo:Name"
      } else if (URL_LIKE.test(source) || (source.includes("/") && source.includes(":"))) {
        const ok = await host.confirm(`Install the plugin at ${source}? It runs with your account (Python plugins ` +
                                      "on the cluster).");
        if (ok) await host.loadUrl(source);
        else host.say(`plugin ${source} was not installed`);
      } else {
        host.say(`URL parameter plugin=${source}: no plugin of that name in the catalog`);
      }
    } else if (get("workflow")) {
      const steps = workflowSteps(get("workflow"));
      if (!steps.length) host.say("URL parameter workflow: no ops found in it");
      else await host.runWorkflow(steps);
    }
    if (starting) {
      const plugin = await starting;
      await host.runStart(plugin, Object.fromEntries(params.entries()));
    }
  }

  root.urlParams = { parse, hashWithout, apply, workflowSteps };
})(window);
