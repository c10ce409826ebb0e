/* Plugin sources as the ImJoy docs show them: a plain Python plugin (no <config> block, as the docs' code blocks)
 * becomes an ImJoy native-python plugin file; name, description and requirements come from a top-level
 * IMJOY_CONFIG = {...} when there is one (read by a literal parser, never run). */
(function (root) {
  "use strict";

  function isPlainPython(code) {
    return !/<(config|script|window)[\s>]/i.test(code) &&
      (/api\.export\(/.test(code) || /^\s*(from\s+\S+\s+import|import\s|def\s|class\s|async\s+def\s)/m.test(code));
  }

  function wrapPython(code) {
    const config = { name: "Python plugin", type: "native-python", version: "0.1.0", api_version: "0.1.8",
                     description: "a Python plugin pasted as a .py source", tags: [], ui: "", requirements: [],
                     dependencies: [], flags: [] };
    const at = code.search(/^IMJOY_CONFIG\s*=\s*\{/m);
    if (at >= 0) {
      try {
        const python = code.replace(/\bTrue\b/g, "true").replace(/\bFalse\b/g, "false").replace(/\bNone\b/g, "null");
        const given = root.uiForm.readLiteral(python, code.indexOf("{", at)).value;
        for (const k of ["name", "description", "requirements", "dependencies", "tags", "ui", "env", "flags"]) {
          if (given[k] !== undefined) config[k] = given[k];
        }
      } catch (e) { /* keep the defaults */ }
    }
    return `<config lang="json">\n${JSON.stringify(config)}\n</config>\n<script lang="python">\n${code}\n</script>\n`;
  }

  /** A plugin file whose config has no api_version (the ImJoy docs' code blocks leave it to their runner, which
   * fills in 0.1.8) gets that default, as ImJoy's own loaders give it; the core's parser fails without one. */
  function withApiVersion(code) {
    const open = /<config(\s[^>]*)?>/i.exec(code);
    if (!open) return code;
    const end = code.indexOf("</config>", open.index);
    const body = code.slice(open.index + open[0].length, end < 0 ? undefined : end);
    if (/\bapi_version\b/.test(body)) return code;
    const at = open.index + open[0].length;
    if (/lang\s*=\s*["']?yaml/i.test(open[0])) return `${code.slice(0, at)}\napi_version: 0.1.8${code.slice(at)}`;
    const brace = code.indexOf("{", at);
    if (brace < 0 || (end >= 0 && brace > end)) return code;
    return `${code.slice(0, brace + 1)}"api_version": "0.1.8", ${code.slice(brace + 1)}`;
  }

  /** The plugin name a dependency refers to: "owner/repo:Name@tag" or a plain name gives Name. */
  function dependencyName(dep) {
    return String(dep).split(":").pop().split("@")[0].trim();
  }

  root.pluginSources = { isPlainPython, wrapPython, withApiVersion, dependencyName };
})(window);
