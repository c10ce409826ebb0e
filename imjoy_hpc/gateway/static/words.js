/* Error words for people: one error prefix at most (no "RemoteError: RemoteError: ..."), the first line says what
 * failed (for a Python traceback, its last line), the rest is detail. */
(function (root) {
  "use strict";

  const PREFIX = /^\s*(?:Uncaught\s+)?(?:\(in promise\)\s*)?([A-Za-z_][\w.]*(?:Error|Exception)|Error)\s*:\s*/;

  /** {summary, detail} of an error, a string or anything thrown. */
  function explain(e) {
    let text = e && typeof e === "object" && "message" in e ? String(e.message) : String(e);
    if (e && typeof e === "object" && e.name && e.name !== "Error" && !text.startsWith(e.name)) {
      text = `${e.name}: ${text}`;
    }
    // drop the wrappers RPC hops add ("RemoteError: ", a bare "Error: " after another colon) wherever they are
    text = text.replace(/\bRemoteError:\s*/g, "").replace(/(:\s+)(?:Error:\s+)+/g, "$1");
    // and in front of the real error, keeping the innermost prefix
    let lastPrefix = "";
    for (;;) {
      const m = PREFIX.exec(text);
      if (!m) break;
      lastPrefix = m[1];
      text = text.slice(m[0].length);
    }
    const lines = text.split("\n").map((l) => l.trimEnd());
    let summary = lines.find((l) => l.trim()) || "";
    let detail = "";
    const traceback = lines.findIndex((l) => l.startsWith("Traceback (most recent call last)"));
    if (traceback >= 0) {
      const last = lines.slice(traceback + 1).reverse().find((l) => l.trim() && !l.startsWith(" "));
      if (last) summary = last.trim();
      detail = lines.join("\n");
    } else if (lines.length > 1) {
      detail = lines.join("\n");
    }
    const keep = lastPrefix && !["Error", "RemoteError"].includes(lastPrefix) && !PREFIX.test(summary);
    if (keep && summary === (lines.find((l) => l.trim()) || "")) summary = `${lastPrefix}: ${summary}`;
    return { summary: summary.trim() || "unknown error", detail };
  }

  /** One line for a message list. */
  function words(e) {
    return explain(e).summary;
  }

  root.errorWords = { explain, words };
})(window);
