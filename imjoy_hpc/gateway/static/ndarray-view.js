/* The workspace's built-in image viewer: draws imjoy-rpc ndarray values (2-D, RGB/RGBA, 3-D stacks with a
 * slider) into a canvas with a contrast range. Every dtype that maps to a JS TypedArray is shown; bool is shown
 * as 0/1, int64/uint64 through BigInt arrays. A remote array (a plugin's `remote_array(x)`: shape, dtype, get)
 * is read plane by plane as the slider moves, so a large stack never travels whole. */
(function (root) {
  "use strict";

  const TYPES = {
    int8: Int8Array, uint8: Uint8Array, int16: Int16Array, uint16: Uint16Array, int32: Int32Array,
    uint32: Uint32Array, float32: Float32Array, float64: Float64Array, bool: Uint8Array,
    int64: BigInt64Array, uint64: BigUint64Array,
  };

  function bytesOf(value) {
    const chunks = Array.isArray(value) ? value : [value];
    const parts = chunks.map((c) => (ArrayBuffer.isView(c) ? new Uint8Array(c.buffer, c.byteOffset, c.byteLength)
      : new Uint8Array(c)));
    if (parts.length === 1) return parts[0].slice().buffer;
    const joined = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) { joined.set(p, at); at += p.length; }
    return joined.buffer;
  }

  /** {values (numbers), shape, dtype} of an ndarray value; throws naming dtypes with no JS array. */
  function decode(nd) {
    if (!nd || nd._rtype !== "ndarray") throw new Error("not an ndarray value");
    const dtype = String(nd._rdtype).replace(/^[<|=]/, "");
    const Type = TYPES[dtype];
    if (!Type) throw new Error(`the image viewer cannot show dtype ${nd._rdtype} (no JavaScript typed array)`);
    const typed = new Type(bytesOf(nd._rvalue));
    const values = typed instanceof BigInt64Array || typed instanceof BigUint64Array ? Float64Array.from(typed, Number)
      : typed;
    return { values, shape: nd._rshape.slice(), dtype };
  }

  /** How to read the array as planes: {planes, height, width, channels}. */
  function layout(shape) {
    if (shape.length === 2) return { planes: 1, height: shape[0], width: shape[1], channels: 1 };
    if (shape.length === 3 && (shape[2] === 3 || shape[2] === 4)) {
      return { planes: 1, height: shape[0], width: shape[1], channels: shape[2] };
    }
    if (shape.length === 3) return { planes: shape[0], height: shape[1], width: shape[2], channels: 1 };
    if (shape.length === 4 && (shape[3] === 3 || shape[3] === 4)) {
      return { planes: shape[0], height: shape[1], width: shape[2], channels: shape[3] };
    }
    throw new Error(`the image viewer shows 2-D, RGB(A) and 3-D arrays, not shape [${shape}]`);
  }

  /** A plugin's remote_array: read on demand with get(region). */
  function isRemote(source) {
    return !!source && typeof source.get === "function" && Array.isArray(source.shape) && !source._rtype;
  }

  const PLANE_CACHE = 16;

  function range(values) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    return lo === Infinity ? [0, 1] : [lo, hi];
  }

  /** RGBA bytes of one plane, values mapped linearly from [lo, hi] to [0, 255]. */
  function render(image, plane, lo, hi) {
    const { height, width, channels } = image.layout;
    const n = height * width;
    const rgba = new Uint8ClampedArray(n * 4);
    const scale = hi > lo ? 255 / (hi - lo) : 0;
    const offset = plane * n * channels;
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < 3; c++) {
        const v = image.values[offset + i * channels + (channels === 1 ? 0 : c)];
        rgba[i * 4 + c] = hi > lo ? (v - lo) * scale : (v > lo ? 255 : 0);
      }
      rgba[i * 4 + 3] = channels === 4 ? image.values[offset + i * 4 + 3] : 255;
    }
    return new ImageData(rgba, width, height);
  }

  /** A viewer in `container`; returns {setImage(nd), setPlane(i), setContrast(lo, hi), state()}. */
  function createViewer(container) {
    container.classList.add("viewer");
    container.innerHTML = "";
    const controls = document.createElement("div");
    controls.className = "controls";
    controls.innerHTML = '<span class="info"></span>' +
      '<label>plane <input class="plane" type="range" min="0" max="0" value="0"></label>' +
      '<span class="plane-label"></span>' +
      '<label>min <input class="lo" type="number" step="any"></label>' +
      '<label>max <input class="hi" type="number" step="any"></label>';
    const canvas = document.createElement("canvas");
    container.append(controls, canvas);
    const $ = (selector) => controls.querySelector(selector);
    let image = null;
    let plane = 0;
    let lo = 0;
    let hi = 1;
    let remote = null; // a remote array: planes are fetched into `cache` (the last PLANE_CACHE kept)
    const cache = new Map();
    let fetched = 0;

    async function remotePlane(i) {
      if (!cache.has(i)) {
        const nd = await remote.get(image.layout.planes > 1 ? [i] : null);
        fetched += 1;
        container.dataset.fetched = String(fetched);
        cache.set(i, decode(nd).values);
        if (cache.size > PLANE_CACHE) cache.delete(cache.keys().next().value);
      }
      return cache.get(i);
    }

    async function draw() {
      if (!image) return;
      const shown = remote ? { layout: image.layout, values: await remotePlane(plane) } : image;
      canvas.width = image.layout.width;
      canvas.height = image.layout.height;
      canvas.getContext("2d").putImageData(render(shown, remote ? 0 : plane, lo, hi), 0, 0);
      $(".plane-label").textContent = image.layout.planes > 1 ? `${plane + 1}/${image.layout.planes}` : "";
      container.dataset.plane = String(plane);
    }

    function failed(error) {
      $(".info").textContent = `cannot show this image: ${error && error.message ? error.message : error}`;
      container.dataset.error = $(".info").textContent;
    }

    $(".plane").addEventListener("input", (e) => { plane = Number(e.target.value); draw().catch(failed); });
    $(".lo").addEventListener("change", (e) => { lo = Number(e.target.value); draw().catch(failed); });
    $(".hi").addEventListener("change", (e) => { hi = Number(e.target.value); draw().catch(failed); });

    function showControls() {
      $(".plane").max = String(image.layout.planes - 1);
      $(".plane").value = "0";
      $(".plane").parentElement.hidden = image.layout.planes <= 1;
      $(".lo").value = String(lo);
      $(".hi").value = String(hi);
      $(".info").textContent = `${image.shape.join("×")} ${image.dtype}${remote ? " (read plane by plane)" : ""}`;
    }

    return {
      async setImage(source) {
        plane = 0;
        cache.clear();
        if (isRemote(source)) {
          remote = source;
          const shape = Array.from(source.shape, Number);
          image = { shape, dtype: String(source.dtype), layout: layout(shape), values: null };
          [lo, hi] = range(await remotePlane(0)); // contrast from the first plane: the stack is not read whole
        } else {
          remote = null;
          const decoded = decode(source);
          image = Object.assign(decoded, { layout: layout(decoded.shape) });
          [lo, hi] = range(image.values);
        }
        showControls();
        await draw();
      },
      async setPlane(i) {
        plane = Math.max(0, Math.min(Number(i), image.layout.planes - 1));
        $(".plane").value = plane;
        await draw();
      },
      async setContrast(min, max) {
        lo = Number(min); hi = Number(max); $(".lo").value = lo; $(".hi").value = hi;
        await draw();
      },
      state() {
        return image ? { shape: image.shape, dtype: image.dtype, plane, lo, hi, remote: !!remote, fetched } : null;
      },
    };
  }

  root.ndarrayView = { createViewer, decode, layout };
})(window);
