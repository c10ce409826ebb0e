/* New plugins for the editor: the ImJoy plugin file of each kind, ready to save and run. */
(function (root) {
  "use strict";

  function config(fields) {
    return `<config lang="json">\n${JSON.stringify(Object.assign({
      version: "0.1.0", api_version: "0.1.8", description: "", tags: [], ui: "", requirements: [],
      dependencies: [], flags: [] }, fields), null, 2)}\n</config>\n`;
  }

  const SIGMA_UI = "sigma {id: 'sigma', type: 'number', placeholder: 1.5}";

  const PYTHON_BODY = `<script lang="python">
from imjoy import api


class ImJoyPlugin:
    async def setup(self):
        await api.log("ready")

    async def run(self, ctx):
        sigma = ctx.config.get("sigma", 1.0)
        await api.showMessage(f"running with sigma={sigma}")
        return {"sigma": sigma}


api.export(ImJoyPlugin())
</script>
`;

  const TEMPLATES = {
    "native-python": {
      label: "Python plugin",
      code: () => config({ name: "Untitled Python Plugin", type: "native-python",
                           description: "A Python plugin", ui: SIGMA_UI }) +
        PYTHON_BODY,
    },
    "python-hpc": {
      label: "Python plugin in a job (hpc section)",
      code: () => config({ name: "Untitled HPC Plugin", type: "native-python",
                           description: "A Python plugin with the resources of its job",
                           hpc: { cores: 1, memory: "1GB", walltime: "00:30:00" },
                           ui: SIGMA_UI }) +
        PYTHON_BODY.replace("await api.showMessage(f\"running with sigma={sigma}\")", "import os\n        " +
                            "await api.showMessage(f\"sigma={sigma} in job {os.environ.get('SLURM_JOB_ID', '-')}\")"),
    },
    window: {
      label: "Window plugin",
      code: () => config({ name: "Untitled Window", type: "window", description: "A window",
                           defaults: { w: 20, h: 10 } }) + `<window lang="html">
  <div id="out">Hello from a window</div>
</window>

<style lang="css">
#out { font: 1.2em sans-serif; padding: 1em; }
</style>

<script lang="javascript">
class ImJoyPlugin {
  async setup() {}

  async run(ctx) {
    document.getElementById("out").textContent = JSON.stringify(ctx.data || {});
  }
}

api.export(new ImJoyPlugin());
</script>
`,
    },
    "web-worker": {
      label: "JavaScript plugin",
      code: () => config({ name: "Untitled JS Plugin", type: "web-worker", description: "A JavaScript plugin" }) +
        `<script lang="javascript">
class ImJoyPlugin {
  async setup() {}

  async run(ctx) {
    await api.alert("Hello from JavaScript");
  }
}

api.export(new ImJoyPlugin());
</script>
`,
    },
  };

  root.pluginTemplates = {
    names: Object.keys(TEMPLATES),
    label: (name) => TEMPLATES[name].label,
    code: (name) => TEMPLATES[name || "native-python"].code(),
  };
})(window);
