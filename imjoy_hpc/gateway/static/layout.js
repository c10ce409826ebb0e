/* What makes the workspace feel like a tool: windows in a grid that are moved by their title bar (dropped on another
 * window, they take its place) and resized by their corner; the Plugins menu (catalog and installed plugins
 * together, each with its ops); a status bar with the engine's and the jobs' states; keyboard shortcuts
 * (Ctrl/Cmd-O open files, Ctrl/Cmd-E new plugin in the editor, Ctrl/Cmd-S saves the active editor window, Escape
 * closes the menu). */
(function (root) {
  "use strict";

  const $ = (id) => document.getElementById(id);

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  /** Move a window by dragging its title bar onto another window's place. */
  function dragWindows(grid) {
    let moving = null;
    grid.addEventListener("mousedown", (e) => {
      const bar = e.target.closest(".window > .title");
      if (!bar || e.target.closest("button") || e.button !== 0) return;
      moving = bar.parentElement;
      moving.classList.add("moving");
      e.preventDefault();
    });
    document.addEventListener("mousemove", (e) => {
      if (!moving) return;
      const over = document.elementFromPoint(e.clientX, e.clientY);
      const target = over && over.closest("#windows > .window");
      if (!target || target === moving) return;
      const boxes = [...grid.children];
      grid.insertBefore(moving, boxes.indexOf(target) < boxes.indexOf(moving) ? target : target.nextSibling);
    });
    document.addEventListener("mouseup", () => {
      if (moving) moving.classList.remove("moving");
      moving = null;
    });
  }

  /** The Plugins menu: host = {catalog(), plugins(), opNames(plugin), loadCatalog(name), runOp(plugin, op),
   * openEditor(code), source(name)}. */
  function pluginMenu(host) {
    const menu = $("plugin-menu");
    const button = $("plugin-menu-button");
    function draw() {
      menu.innerHTML = "";
      const loaded = host.plugins();
      const names = new Set([...host.catalog().map((e) => e.name), ...loaded.keys()]);
      for (const name of [...names].sort((a, b) => a.localeCompare(b))) {
        const entry = host.catalog().find((e) => e.name === name);
        const plugin = loaded.get(name);
        const li = el("li", plugin ? "installed" : "catalog");
        li.dataset.name = name;
        const head = el("div", "head");
        head.append(el("span", "name", name), el("span", "kind", plugin ? plugin.type : "catalog"));
        if (!plugin && entry && !entry.error) {
          const load = el("button", "load", "Load");
          load.onclick = () => { close(); host.loadCatalog(name); };
          head.appendChild(load);
        }
        if (plugin || (entry && !entry.error)) {
          const edit = el("button", "edit", "Edit");
          edit.title = "open its source in the editor";
          edit.onclick = async () => { close(); host.openEditor(await host.source(name)); };
          head.appendChild(edit);
        }
        li.appendChild(head);
        if (plugin && plugin.type !== "window") {
          const ops = el("ul", "ops");
          for (const op of host.opNames(plugin)) {
            const item = el("li", "op", op === plugin.name ? "Run" : op);
            item.dataset.op = op;
            item.onclick = () => { close(); host.runOp(plugin, op); };
            ops.appendChild(item);
          }
          li.appendChild(ops);
        }
        if (entry && entry.error) li.appendChild(el("p", "error", entry.error));
        menu.appendChild(li);
      }
      if (!menu.children.length) menu.appendChild(el("li", "empty", "no plugins yet"));
    }
    function close() { menu.hidden = true; }
    button.onclick = (e) => {
      e.stopPropagation();
      if (menu.hidden) { draw(); menu.hidden = false; } else close();
    };
    document.addEventListener("click", (e) => { if (!menu.hidden && !menu.contains(e.target)) close(); });
    return { draw, close };
  }

  /** The status bar: the engine's state and the jobs by state, every second. */
  function statusBar(host) {
    const bar = $("statusbar");
    function draw() {
      const engine = $("status").dataset.state || "connecting";
      const counts = {};
      for (const row of document.querySelectorAll("#jobs tbody tr")) {
        counts[row.dataset.state] = (counts[row.dataset.state] || 0) + 1; // as the jobs panel shows them
      }
      const jobs = ["queued", "installing", "starting", "running", "failed"]
        .filter((s) => counts[s]).map((s) => `${counts[s]} ${s}`).join(", ") || "no jobs";
      bar.querySelector(".engine").textContent = `engine: ${engine}`;
      bar.querySelector(".engine").dataset.state = engine;
      bar.querySelector(".jobs").textContent = `jobs: ${jobs}`;
      bar.querySelector(".windows").textContent = `${$("windows").children.length} window(s)`;
      bar.querySelector(".ws").textContent = document.body.dataset.workspace
        ? `workspace: ${document.body.dataset.workspace}` : "";
    }
    draw();
    // redrawn when the engine's state, the windows or the jobs panel change
    const observer = new MutationObserver(draw);
    observer.observe($("status"), { attributes: true });
    observer.observe($("windows"), { childList: true });
    observer.observe($("jobs"), { subtree: true, attributes: true, attributeFilter: ["data-state"], childList: true });
    observer.observe(document.body, { attributes: true, attributeFilter: ["data-workspace"] });
    return { draw };
  }

  function shortcuts(host) {
    document.addEventListener("keydown", (e) => {
      if (e.defaultPrevented) return; // the editor took it
      const mod = e.ctrlKey || e.metaKey;
      if (mod && e.key.toLowerCase() === "o") { e.preventDefault(); $("open-files").click(); }
      else if (mod && e.key.toLowerCase() === "s") { e.preventDefault(); host.saveActive(); }
      else if (mod && e.key.toLowerCase() === "e") { e.preventDefault(); host.openEditor(); }
      else if (e.key === "Escape") $("plugin-menu").hidden = true;
    });
  }

  function install(host) {
    dragWindows($("windows"));
    const menu = pluginMenu(host);
    statusBar(host);
    shortcuts(host);
    return { menu };
  }

  root.workspaceLayout = { install };
})(window);
