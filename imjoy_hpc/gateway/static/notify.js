// Browser notifications about plugin jobs, raised while the workspace tab is hidden: a plugin's job started, it
// failed (with the reason), its walltime ends soon, it ended. Each kind is turned on or off in the jobs panel's
// "Notify me" settings (kept in this browser); the browser's permission is asked only when the user turns one on.
(function (root) {
  "use strict";
  const KINDS = {
    started: "its job started",
    failed: "failed",
    walltime: "its job's walltime ends soon",
    ended: "ended",
  };
  const KEY = "imjoy-hpc.notifications";

  function settings() {
    try {
      return JSON.parse(root.localStorage.getItem(KEY)) || {};
    } catch (e) {
      return {};
    }
  }

  function save(value) {
    root.localStorage.setItem(KEY, JSON.stringify(value));
  }

  /** Which event a status update is, compared with the plugin's previous status (null: none to tell). */
  function kindOf(before, info) {
    if (info.warning === "walltime") return "walltime";
    if (!info.state || info.state === (before && before.state)) return null;
    if (info.state === "running") return "started";
    if (info.state === "failed") return "failed";
    if (info.state === "stopped") return "ended";
    return null;
  }

  function body(kind, info) {
    if (kind === "failed") return String(info.error || info.ended_reason || "no reason given").split("\n")[0];
    if (kind === "walltime") {
      const left = Math.max(0, Math.round((info.walltime_left || 0) / 60));
      return `job ${info.job_id || "?"} reaches its walltime in ${left} min: save your work`;
    }
    if (kind === "started") return info.job_id ? `job ${info.job_id}${info.node ? ` on ${info.node}` : ""}` : "";
    return info.ended_reason || "";
  }

  /** Raise the notification a status update calls for (when the tab is hidden and the user wants it). */
  function onStatus(before, info) {
    const kind = kindOf(before, info);
    if (!kind || !settings()[kind] || !root.document.hidden) return null;
    if (!("Notification" in root) || root.Notification.permission !== "granted") return null;
    return new root.Notification(`${info.name || "plugin"}: ${KINDS[kind]}`,
      { body: body(kind, info), tag: `${info.id}-${kind}` });
  }

  /** The "Notify me" settings: one checkbox a kind; turning one on asks for the permission if needed. */
  function renderSettings(container) {
    const details = root.document.createElement("details");
    details.id = "notify-settings";
    details.innerHTML = "<summary>Notify me</summary>";
    const note = root.document.createElement("span");
    note.className = "notify-note";
    for (const [kind, label] of Object.entries(KINDS)) {
      const box = root.document.createElement("label");
      const input = root.document.createElement("input");
      input.type = "checkbox";
      input.name = kind;
      input.checked = Boolean(settings()[kind]);
      input.onchange = async () => {
        const now = settings();
        now[kind] = input.checked;
        save(now);
        if (!input.checked) return;
        if (!("Notification" in root)) {
          note.textContent = "this browser has no notifications";
        } else if (root.Notification.permission === "default") {
          const answer = await root.Notification.requestPermission();
          note.textContent = answer === "granted" ? "" : "the browser did not allow notifications";
        } else if (root.Notification.permission === "denied") {
          note.textContent = "notifications are blocked for this page in the browser's settings";
        }
      };
      box.append(input, ` when a plugin ${label}`);
      details.append(box);
    }
    details.append(note);
    container.append(details);
    return details;
  }

  root.imjoyHpcNotify = { onStatus, renderSettings, kindOf, KINDS };
  root.addEventListener("DOMContentLoaded", () => {
    const jobs = root.document.getElementById("jobs");
    const place = jobs && (jobs.closest("section") || jobs.parentElement);
    if (place && !root.document.getElementById("notify-settings")) renderSettings(place);
  });
})(window);
