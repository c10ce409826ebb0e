/* ImJoy's URL parameters, so links made for the ImJoy app work against the gateway:
 * `#/app?plugin=URL_OR_NAME&start=NAME&w=WORKSPACE&workflow=...` (also `p`, `workspace`; the gateway's own
 * `token` may ride along in the same query). `plugin` installs from a URL after the user agrees (as the ImJoy
 * app's install dialog) or loads a catalog plugin by name; `start` runs the named plugin once it is loaded with
 * ctx {config: {}, data: <the URL's parameters>}, as the ImJoy app does. */
(function (root) {
  "use strict";

  const URL_LIKE = /^(https?:)?\/\//i;

  /** {route, params, token} of a location hash: "#/app?a=b&token=T" or the plain "#token=T". */
  function parse(hash) {
    hash = String(hash || "").replace(/^#/, "");
    if (hash.startsWith("/")) {
      const at = hash.indexOf("?");
      const route = at < 0 ? hash : hash.slice(0, at);
      const params = new URLSearchParams(at < 0 ? "" : hash.slice(at + 1));
      const token = params.get("token");
      params.delete("token");
      return { route, params, token };
    }
    const params = new URLSearchParams(hash);
    const token = params.get("token");
    params.delete("token");
    return { route: "", params, token };
  }

  /** The hash to keep in the address bar: the route and its parameters, never the token. */
  function hashWithout(parsed) {
    if (!parsed.route) return "";
    const query = parsed.params.toString();
    return `#${parsed.route}${query ? "?" + query : ""}`;
  }

  /** Act on the parameters. host: {say, confirm(text), loadUrl(url), loadCatalog(name), hasCatalog(name),
   * plugin(name), whenLoaded(name), runStart(plugin, data), setWorkspace(name)}. */
  async function apply(params, host) {
    const get = (...names) => { for (const n of names) { const v = params.get(n); if (v && v.trim()) return v.trim(); } return null; };
    const workspace = get("workspace", "w");
    if (workspace) host.setWorkspace(workspace);
    for (const name of ["repo", "r", "engine"]) {
      if (get(name)) host.say(`URL parameter "${name}" is not used by this workspace (it needs the ImJoy plugin repository or another engine; plugins run on the cluster here)`);
    }
    const source = get("plugin", "p");
    const start = get("start");
    let starting = start ? host.whenLoaded(start) : null;
    if (source) {
      if (URL_LIKE.test(source) || (source.includes("/") && source.includes(":"))) {
        const ok = await host.confirm(`Install the plugin at ${source}? It runs with your account (Python plugins ` +
                                      "on the cluster).");
        if (ok) await host.loadUrl(source);
        else host.say(`plugin ${source} was not installed`);
      } else if (host.hasCatalog(source)) {
        await host.loadCatalog(source);
      } else {
        host.say(`URL parameter plugin=${source}: no plugin of that name in the catalog`);
      }
    } else if (get("workflow")) {
      host.say("URL parameter workflow: saved workflows are not supported by this workspace yet; run the ops one " +
               "after another (each on the previous result window)");
    }
    if (starting) {
      const plugin = await starting;
      await host.runStart(plugin, Object.fromEntries(params.entries()));
    }
  }

  root.urlParams = { parse, hashWithout, apply };
})(window);
