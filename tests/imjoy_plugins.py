"""Plugin sources for the ImJoy browser tests: a JS window plugin that computes on the ndarray it is given and
shows the result in its DOM, a JS plugin other plugins get with getPlugin, and Python plugins that drive them."""

import json
import textwrap


def python_plugin(name: str, run: str, *, description: str = "", header: str = "", **config) -> str:
    """An ImJoy native-python plugin file whose class has an empty setup() and `async def run(self, ctx)` with
    the body `run`; `header` is module code after `from imjoy import api`; `config` adds or overrides fields."""
    fields = {"name": name, "type": "native-python", "version": "0.1.0", "api_version": "0.1.8", "tags": [],
              "ui": "", "description": description or name, "requirements": [], "dependencies": [], "flags": [],
              **config}
    return (f'<config lang="json">\n{json.dumps(fields)}\n</config>\n<script lang="python">\n'
            f"from imjoy import api\n{textwrap.dedent(header).strip()}\n\n\nclass Plugin:\n"
            f"    async def setup(self):\n        pass\n\n    async def run(self, ctx):\n"
            f"{textwrap.indent(textwrap.dedent(run).strip(), ' ' * 8)}\n\n\napi.export(Plugin())\n</script>\n")

# The raw imjoy-rpc ndarray ({_rtype, _rvalue: ArrayBuffer or a list of chunks, _rshape, _rdtype}) as a TypedArray.
DECODE_JS = """
function toTyped(nd) {
  const types = {int8: Int8Array, uint8: Uint8Array, int16: Int16Array, uint16: Uint16Array, int32: Int32Array,
                 uint32: Uint32Array, float32: Float32Array, float64: Float64Array};
  let value = nd._rvalue;
  const chunks = Array.isArray(value) ? value : [value];
  const parts = chunks.map((c) => ArrayBuffer.isView(c) ? new Uint8Array(c.buffer, c.byteOffset, c.byteLength)
                                                         : new Uint8Array(c));
  const joined = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { joined.set(p, at); at += p.length; }
  return new types[nd._rdtype](joined.buffer);
}
"""

WINDOW_PLUGIN = """
<config lang="json">
{"name": "Array Summer", "type": "window", "version": "0.1.0", "api_version": "0.1.8", "tags": [], "ui": "",
 "description": "Shows the sum and shape of the array it is given", "requirements": [], "dependencies": []}
</config>
<window lang="html">
  <div><span id="sum">pending</span> <span id="shape"></span> <span id="dtype"></span> <span id="title"></span></div>
</window>
<script lang="javascript">
DECODE_JS
let total = null;
api.export({
  setup() {},
  run(ctx) {
    const image = ctx.data.image;
    const values = toTyped(image);
    total = values.reduce((a, b) => a + Number(b), 0);
    document.getElementById("sum").textContent = String(total);
    document.getElementById("shape").textContent = image._rshape.join("x");
    document.getElementById("dtype").textContent = image._rdtype;
    document.getElementById("title").textContent = (ctx.config && ctx.config.title) || "";
  },
  getSum() { return total; },
});
</script>
""".replace("DECODE_JS", DECODE_JS)

ECHO_PLUGIN = """
<config lang="json">
{"name": "JS Echo", "type": "web-worker", "version": "0.1.0", "api_version": "0.1.8", "tags": [], "ui": "",
 "description": "Answers echo()", "requirements": [], "dependencies": []}
</config>
<script lang="javascript">
api.export({ setup() {}, echo(text) { return `JS Echo heard ${text}`; } });
</script>
"""

PYTHON_DRIVER = python_plugin("Window Driver", """
    image = np.arange(12, dtype=np.uint16).reshape(3, 4) * 3
    window = await api.createWindow(type="Array Summer", name="summer", data={"image": image})
    return await window.getSum()
""", description="Draws arrays in ImJoy windows", header="import numpy as np")
