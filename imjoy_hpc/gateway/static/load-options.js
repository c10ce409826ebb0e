/* Load options the page gives a plugin (issue 22's `resolve-as-of`, issue 24's sooner alternatives: queue, cores,
 * memory, walltime...) travel in its file's `hpc` section, where the gateway reads the same keys; and what the
 * jobs panel says of a waiting plugin's start: the scheduler's predicted start (or why there is none) and the
 * smaller requests predicted to start sooner, each with a button that loads the plugin with them. */
(function (root) {
  "use strict";

  const CONFIG = /(<config\b[^>]*>)([\s\S]*?)(<\/config>)/i;

  /** `code` with `options` merged into its config's hpc section (a JSON <config> block; YAML ones are refused). */
  function apply(code, options) {
    if (!options || !Object.keys(options).length) return code;
    const m = CONFIG.exec(code);
    if (!m || /lang\s*=\s*["']?yaml/i.test(m[1])) {
      throw new Error("load options need the plugin's <config lang=\"json\"> block (this plugin has none)");
    }
    const config = JSON.parse(m[2]);
    config.hpc = Object.assign({}, config.hpc || {}, options);
    return code.replace(CONFIG, (all, open, body, close) => `${open}\n${JSON.stringify(config)}\n${close}`);
  }

  function clock(epoch) {
    const at = new Date(epoch * 1000);
    const minutes = Math.round((epoch * 1000 - Date.now()) / 60000);
    const when = at.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    return minutes > 0 ? `${when} (in ${minutes} min)` : `${when} (now)`;
  }

  /** Draw a waiting job's predicted start and its sooner alternatives into `cell`;
   * `load(name, options)` loads the plugin again with a choice's options. */
  function renderPrediction(job, cell, load) {
    let box = cell.querySelector(".prediction");
    if (!box) {
      box = document.createElement("div");
      box.className = "prediction";
      cell.insertBefore(box, cell.querySelector("details"));
    }
    box.innerHTML = "";
    if (job.state !== "queued") return;
    const line = document.createElement("div");
    line.className = "predicted-start";
    if (job.predicted_start) {
      line.textContent = `expected to start ${clock(job.predicted_start)}` + (job.start_note ? `: ${job.start_note}` : "");
    } else if (job.start_note) line.textContent = job.start_note;
    if (line.textContent) box.appendChild(line);
    for (const choice of job.sooner || []) {
      const item = document.createElement("div");
      item.className = "sooner";
      const words = document.createElement("span");
      words.textContent = `${choice.change}: ${choice.predicted_start ? "starts " + clock(choice.predicted_start)
        : "starts sooner"}`;
      const button = document.createElement("button");
      button.textContent = "Load so";
      button.title = `load ${job.name} again with ${JSON.stringify(choice.options)}`;
      button.onclick = () => load(job.name, choice.options);
      item.append(words, " ", button);
      box.appendChild(item);
    }
  }

  root.loadOptions = { apply, renderPrediction };
})(window);
