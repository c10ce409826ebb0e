/* Data into the workspace: files dropped on it or picked with "Open files". PNG and JPEG become image windows,
 * TIFF (multi-page too, decoded by the vendored UTIF.js) becomes an image-viewer window; both carry the pixels
 * as an ndarray (`data.image`: [pages,] height, width[, channels]) that an op with inputs takes from the active
 * window, as in the ImJoy app. Other files, and any file over INLINE_MAX, are streamed to the gateway over HTTP
 * (PUT /upload, the page's token; bounded memory on the gateway) and listed in an imjoy/files window whose data
 * are {files: [{name, size, type, path}]}: `path` is where the plugin reads it on the cluster's file system. */
(function (root) {
  "use strict";

  const INLINE_MAX = 64 * 2 ** 20; // images up to this size are decoded here; larger files are uploaded
  const TIFF = /\.tiff?$/i;
  const PICTURE = /\.(png|jpe?g)$/i;

  const DTYPES = { 8: { 1: "uint8", 2: "int8" }, 16: { 1: "uint16", 2: "int16" },
                   32: { 1: "uint32", 2: "int32", 3: "float32" }, 64: { 3: "float64" } };

  function ndarray(buffer, shape, dtype) {
    return { _rtype: "ndarray", _rvalue: buffer, _rshape: shape, _rdtype: dtype };
  }

  /** A TIFF's pages as one ndarray: [pages, height, width] (one page: [height, width]; samples add a last axis). */
  function decodeTiff(bytes) {
    const UTIF = root.UTIF;
    const ifds = UTIF.decode(bytes).filter((ifd) => ifd.t256 && ifd.t257);
    if (!ifds.length) throw new Error("this TIFF has no image");
    const first = ifds[0];
    const width = first.t256[0];
    const height = first.t257[0];
    const bits = (first.t258 || [8])[0];
    const samples = (first.t277 || [1])[0];
    const format = (first.t339 || [1])[0];
    const dtype = (DTYPES[bits] || {})[format];
    if (!dtype) throw new Error(`TIFF samples of ${bits} bits (format ${format}) are not supported`);
    const pages = ifds.filter((ifd) => ifd.t256[0] === width && ifd.t257[0] === height);
    const pageBytes = width * height * samples * (bits / 8);
    const out = new Uint8Array(pageBytes * pages.length);
    const little = !!(new Uint8Array(bytes)[0] === 0x49);
    pages.forEach((ifd, i) => {
      UTIF.decodeImage(bytes, ifd, ifds);
      const data = ifd.data;
      if (data.length < pageBytes) {
        throw new Error(`TIFF page ${i + 1} has ${data.length} bytes, ${pageBytes} expected`);
      }
      const page = out.subarray(i * pageBytes, (i + 1) * pageBytes);
      page.set(data.subarray(0, pageBytes));
      if (bits > 8 && !little) swapBytes(page, bits / 8); // UTIF leaves big-endian samples as stored
    });
    const shape = (pages.length > 1 ? [pages.length] : []).concat([height, width], samples > 1 ? [samples] : []);
    return ndarray(out.buffer, shape, dtype);
  }

  function swapBytes(bytes, size) {
    for (let i = 0; i < bytes.length; i += size) {
      for (let a = i, b = i + size - 1; a < b; a++, b--) { const t = bytes[a]; bytes[a] = bytes[b]; bytes[b] = t; }
    }
  }

  /** A PNG/JPEG's pixels as an RGBA ndarray [height, width, 4] and its data URL. */
  async function decodePicture(file) {
    const src = await new Promise((resolve, reject) => {
      const reader = new FileReader();
      reader.onload = () => resolve(reader.result);
      reader.onerror = () => reject(reader.error);
      reader.readAsDataURL(file);
    });
    const bitmap = await createImageBitmap(file);
    const canvas = document.createElement("canvas");
    canvas.width = bitmap.width;
    canvas.height = bitmap.height;
    const g = canvas.getContext("2d");
    g.drawImage(bitmap, 0, 0);
    const rgba = g.getImageData(0, 0, bitmap.width, bitmap.height).data;
    return { src, image: ndarray(rgba.buffer, [bitmap.height, bitmap.width, 4], "uint8") };
  }

  /** Stream `file` to the gateway: resolves with {name, size, type, path}. */
  function upload(file, token, progress) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open("PUT", "upload/" + encodeURIComponent(file.name));
      xhr.setRequestHeader("Authorization", "Bearer " + token);
      xhr.upload.onprogress = (e) => { if (e.lengthComputable && progress) progress(e.loaded / e.total); };
      xhr.onload = () => {
        let answer = {};
        try { answer = JSON.parse(xhr.responseText); } catch (e) { /* words below */ }
        if (xhr.status === 200 && answer.path) {
          resolve({ name: file.name, size: file.size, type: file.type, path: answer.path });
          return;
        }
        reject(new Error(`uploading ${file.name} failed: ${answer.detail || xhr.status + " " + xhr.statusText}`));
      };
      xhr.onerror = () => reject(new Error(`uploading ${file.name} failed: the gateway could not be reached`));
      xhr.send(file);
    });
  }

  /** Stack windows (an ndarray image, no address): drawn by the ndarray viewer; other imjoy/image windows are
   * ImJoy's own. */
  function isStack(w) {
    const d = w && w.data;
    return w.type === "imjoy/image" && d && d.image && d.image._rtype === "ndarray" && !d.src;
  }

  function mountStack(w, body) {
    body.classList.add("builtin", "stack");
    const viewer = root.ndarrayView.createViewer(body);
    viewer.setImage(w.data.image).catch((e) => { body.textContent = `cannot show this stack: ${e.message || e}`; });
    return { setPlane: (i) => viewer.setPlane(i) };
  }

  /** host = {createWindow(config), token(), say(text), sayError(what, e), progress(fraction)}. */
  function install(host) {
    async function take(files) {
      const uploads = [];
      for (const file of files) {
        try {
          if (file.size <= INLINE_MAX && TIFF.test(file.name)) {
            const image = decodeTiff(await file.arrayBuffer());
            host.say(`${file.name}: ${image._rshape.join("×")} ${image._rdtype}`);
            await host.createWindow({ type: "imjoy/image", name: file.name, data: { image, name: file.name } });
          } else if (file.size <= INLINE_MAX && PICTURE.test(file.name)) {
            const { src, image } = await decodePicture(file);
            await host.createWindow({ type: "imjoy/image", name: file.name, data: { src, image, name: file.name } });
          } else {
            uploads.push(file);
          }
        } catch (e) {
          host.sayError(`${file.name} could not be opened`, e);
        }
      }
      if (!uploads.length) return;
      const done = [];
      for (const file of uploads) {
        try {
          host.say(`uploading ${file.name} (${(file.size / 2 ** 20).toFixed(1)} MB) to the gateway…`);
          done.push(await upload(file, host.token(), host.progress));
          host.progress(0);
        } catch (e) {
          host.progress(0);
          host.sayError(`${file.name} did not reach the gateway`, e);
        }
      }
      if (done.length) {
        host.say(`on the gateway: ${done.map((f) => f.path).join(", ")}`);
        await host.createWindow({ type: "imjoy/files", name: done.length === 1 ? done[0].name : "files",
                                  data: { files: done } });
      }
    }

    const target = document.body;
    target.addEventListener("dragover", (e) => {
      if (e.dataTransfer && [...e.dataTransfer.types].includes("Files")) {
        e.preventDefault();
        target.classList.add("dropping");
      }
    });
    target.addEventListener("dragleave", () => target.classList.remove("dropping"));
    target.addEventListener("drop", (e) => {
      target.classList.remove("dropping");
      if (!e.dataTransfer || !e.dataTransfer.files.length) return;
      e.preventDefault();
      take([...e.dataTransfer.files]).catch((err) => host.sayError("the dropped files", err));
    });
    const input = document.getElementById("open-files-input");
    document.getElementById("open-files").onclick = () => input.click();
    input.onchange = () => {
      const files = [...input.files];
      input.value = "";
      take(files).catch((err) => host.sayError("the picked files", err));
    };
    return { take };
  }

  root.dataIn = { install, decodeTiff, isStack, mountStack, upload };
})(window);
