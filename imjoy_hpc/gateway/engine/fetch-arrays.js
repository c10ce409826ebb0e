/* Large arrays from the gateway as HTTP responses: a browser takes bytes several times faster from fetch() than
 * from a websocket. The engine registers with a key of its own (`fetch_arrays_key`); the gateway then sends arrays
 * larger than its `fetch-array-bytes` as {_rtype: "ndarray", _rhttp: "/ndarray/<one-time capability>", _rbytes,
 * _rshape, _rdtype}. `install` puts itself between the vendored imjoy-rpc client's connection and its RPC: a
 * message holding such arrays is handed on once their bytes are fetched (with the key in a header), as the
 * ndarray value it would have been ({_rtype: "ndarray", _rvalue: ArrayBuffer, _rshape, _rdtype}), in order with
 * the other messages. Results, callbacks' arguments and calls into the page are all decoded so. */
(function (root) {
  "use strict";

  const KEY_FIELD = "fetch_arrays_key";
  const KEY_HEADER = "X-Array-Key";
  const MAX_DEPTH = 64;

  /** A random key for one client session (43 URL-safe characters). */
  function newKey() {
    const bytes = new Uint8Array(32);
    crypto.getRandomValues(bytes);
    return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function fetchable(value) {
    return value._rtype === "ndarray" && typeof value._rhttp === "string";
  }

  /** Every array to fetch inside `value` (plain objects and lists; bytes are not looked into). */
  function collect(value, found, depth) {
    if (value === null || typeof value !== "object" || depth > MAX_DEPTH) return found;
    if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) return found;
    if (fetchable(value)) {
      found.push(value);
      return found;
    }
    for (const key of Object.keys(value)) collect(value[key], found, depth + 1);
    return found;
  }

  /** Fetch one array's bytes into its value; a failure turns the value into an error value saying why. */
  async function fetchInto(base, key, value) {
    try {
      const response = await fetch(base + value._rhttp, { headers: { [KEY_HEADER]: key }, cache: "no-store",
                                                          credentials: "omit" });
      if (!response.ok) {
        let detail = response.statusText;
        try { detail = (await response.json()).detail || detail; } catch (e) { /* not the gateway's words */ }
        throw new Error(`${response.status} ${detail}`);
      }
      const buffer = await response.arrayBuffer();
      if (typeof value._rbytes === "number" && buffer.byteLength !== value._rbytes) {
        throw new Error(`got ${buffer.byteLength} of ${value._rbytes} bytes`);
      }
      value._rvalue = buffer;
      delete value._rhttp;
      delete value._rbytes;
    } catch (e) {
      const why = `an array of ${value._rbytes} bytes could not be fetched from the gateway: ${(e && e.message) || e}`;
      console.error("imjoy-hpc:", why);
      for (const k of Object.keys(value)) delete value[k];
      Object.assign(value, { _rtype: "error", _rvalue: why });
    }
  }

  /** Decode fetched arrays in every message `connection` (the vendored client's Connection) hands its RPC. */
  function install(connection, base, key) {
    if (!connection || typeof connection._fire !== "function" || connection.fetchArrays) return;
    const fire = connection._fire.bind(connection);
    let queue = Promise.resolve();
    let waiting = 0;
    connection.fetchArrays = { base, key };
    connection._fire = function (event, data) {
      // connection events (connected, disconnected...) carry no message: they never wait
      if (data === null || typeof data !== "object") return fire(event, data);
      const found = collect(data, [], 0);
      if (!found.length && !waiting) return fire(event, data);
      waiting += 1;
      const fetched = Promise.all(found.map((value) => fetchInto(base, key, value)));  // at once, in parallel
      queue = queue.then(() => fetched).then(() => fire(event, data)).finally(() => { waiting -= 1; });
      return undefined;
    };
  }

  root.imjoyHpcFetchArrays = { KEY_FIELD, KEY_HEADER, newKey, install, collect };
})(typeof window !== "undefined" ? window : self);
