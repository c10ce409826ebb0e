/* Large arrays to the gateway as HTTP uploads: a websocket message has a size limit and the gateway would hold it
 * whole; an upload goes to a spool file as it arrives. The engine registers with a key of its own
 * (`upload_arrays_key`: a page cannot read the registration's reply); `install` puts itself between the vendored
 * imjoy-rpc client's RPC and its connection: an ndarray value ({_rtype: "ndarray", _rvalue: ArrayBuffer, a view or
 * a list of chunks, _rshape, _rdtype}) larger than UPLOAD_BYTES is first sent as the body of
 * `PUT /array/<stream id>` (the key in the Authorization header), then the message goes out with
 * {_rtype: "ndarray", _rstream: id, _rshape, _rdtype} in its place, in order with the other messages. An array
 * larger than PART_BYTES goes in parts, one request after the other, each with `Content-Range: bytes
 * START-END/TOTAL` (Chromium fails a single request body of some hundreds of MB; a part is copied into a Blob only
 * while it is sent). A failed upload sends `_rerror` with the reason instead: the call fails with it. The caller's
 * own values are not changed. */
(function (root) {
  "use strict";

  const KEY_FIELD = "upload_arrays_key";
  const UPLOAD_BYTES = 2 * 1024 * 1024;  // larger arrays are uploaded (one browser chunk of the other direction)
  const PART_BYTES = 64 * 1024 * 1024;
  const MAX_DEPTH = 64;

  /** A random key for one client session (43 URL-safe characters). */
  function newKey() {
    const bytes = new Uint8Array(32);
    crypto.getRandomValues(bytes);
    return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function streamId() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function isBytes(value) {
    return value instanceof ArrayBuffer || ArrayBuffer.isView(value);
  }

  /** The bytes of an ndarray value as one upload body, or null when it is not one to upload. */
  function bodyOf(value) {
    if (value._rtype !== "ndarray" || typeof value._rdtype !== "string") return null;
    const raw = value._rvalue;
    const parts = Array.isArray(raw) ? raw : [raw];
    if (!parts.length || !parts.every(isBytes)) return null;
    const size = parts.reduce((n, p) => n + p.byteLength, 0);
    if (size <= UPLOAD_BYTES) return null;
    const views = parts.map((p) => p instanceof ArrayBuffer ? new Uint8Array(p)
                                                            : new Uint8Array(p.buffer, p.byteOffset, p.byteLength));
    return { size, views };
  }

  /** Every ndarray value inside `value` to upload (plain objects and lists; bytes are not looked into). */
  function collect(value, found, depth) {
    if (value === null || typeof value !== "object" || depth > MAX_DEPTH || isBytes(value)) return found;
    const upload = bodyOf(value);
    if (upload) {
      found.push(Object.assign(upload, { value }));
      return found;
    }
    for (const key of Object.keys(value)) collect(value[key], found, depth + 1);
    return found;
  }

  /** `value` with the values in `swaps` (a Map) replaced: the containers on their way are copied, not changed. */
  function swapped(value, swaps, depth) {
    if (swaps.has(value)) return swaps.get(value);
    if (value === null || typeof value !== "object" || depth > MAX_DEPTH || isBytes(value)) return value;
    if (Array.isArray(value)) return value.map((v) => swapped(v, swaps, depth + 1));
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return value;
    const copy = {};
    for (const key of Object.keys(value)) copy[key] = swapped(value[key], swaps, depth + 1);
    return copy;
  }

  /** Bytes [start, end) of `views` (the array's chunks, in order) as a Blob. */
  function slice(views, start, end) {
    const pieces = [];
    let at = 0;
    for (const view of views) {
      const from = Math.max(start - at, 0);
      const to = Math.min(end - at, view.byteLength);
      if (from < to) pieces.push(view.subarray(from, to));
      at += view.byteLength;
    }
    // a Blob: the browser sends it from its blob store (a bytes body is copied into the request whole first)
    return new Blob(pieces, { type: "application/octet-stream" });
  }

  async function put(url, key, body, range) {
    const headers = { Authorization: `Bearer ${key}`, "Content-Type": "application/octet-stream" };
    if (range) headers["Content-Range"] = range;
    const response = await fetch(url, { method: "PUT", body, headers, cache: "no-store", credentials: "omit" });
    if (!response.ok) {
      let detail = response.statusText;
      try { detail = (await response.json()).detail || detail; } catch (e) { /* not the gateway's words */ }
      throw new Error(`${response.status} ${detail}`);
    }
  }

  /** Upload one array (in parts when it is large); the value that stands for it in the message. */
  async function upload(base, key, found) {
    const id = streamId();
    const value = found.value;
    const stands = { _rtype: "ndarray", _rstream: id, _rshape: value._rshape, _rdtype: value._rdtype };
    const url = `${base}/array/${id}`;
    try {
      if (found.size <= PART_BYTES) {
        await put(url, key, slice(found.views, 0, found.size), null);
      } else {
        for (let start = 0; start < found.size; start += PART_BYTES) {
          const end = Math.min(start + PART_BYTES, found.size);
          await put(url, key, slice(found.views, start, end), `bytes ${start}-${end - 1}/${found.size}`);
        }
      }
    } catch (e) {
      const why = `an array of ${found.size} bytes could not be uploaded to the gateway: ${(e && e.message) || e}`;
      console.error("imjoy-hpc:", why);
      stands._rerror = why;
    }
    return stands;
  }

  /** Upload large arrays of every message the vendored client's `connection` sends, before sending it. */
  function install(connection, base, key) {
    if (!connection || typeof connection.emit !== "function" || connection.uploadArrays) return;
    const emit = connection.emit.bind(connection);
    let queue = Promise.resolve();
    let waiting = 0;
    connection.uploadArrays = { base, key };
    connection.emit = function (data) {
      const found = data !== null && typeof data === "object" ? collect(data, [], 0) : [];
      if (!found.length && !waiting) return emit(data);
      waiting += 1;
      const uploaded = Promise.all(found.map((f) => upload(base, key, f)));  // at once, in parallel
      queue = queue.then(() => uploaded).then((stands) => {
        const swaps = new Map(found.map((f, i) => [f.value, stands[i]]));
        emit(swaps.size ? swapped(data, swaps, 0) : data);
      }).catch((e) => console.error("imjoy-hpc: a message could not be sent", e))
        .finally(() => { waiting -= 1; });
      return undefined;
    };
  }

  root.imjoyHpcUploadArrays = { KEY_FIELD, UPLOAD_BYTES, PART_BYTES, newKey, install, collect };
})(typeof window !== "undefined" ? window : self);
