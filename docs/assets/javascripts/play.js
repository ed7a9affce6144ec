// The site's trained autoencoders, run in the reader's browser, and the Play page's three widgets.
//
// The build (figures/play.py) exports the models into ../models/: index.json describes every model
// (its run, its layers and their byte offsets) and one .bin file per model holds its int8 weights,
// float32 row scales and biases. Nothing is fetched until a widget comes into view or a script
// calls window.autoencoders, and nothing is fetched from outside the site.

const MODELS = new URL("../models/", import.meta.url);
const SIDE = 28;
const PIXELS = SIDE * SIDE;

// ------------------------------------------------------------------ loading, once per file

const fetched = new Map();

function fetchOnce(name, read) {
  if (!fetched.has(name)) {
    fetched.set(name, fetch(new URL(name, MODELS)).then((response) => {
      if (!response.ok) throw new Error(`autoencoders: ${name} could not be loaded (HTTP ${response.status})`);
      return read(response);
    }).catch((error) => {
      fetched.delete(name);  // a failed download is tried again on the next call, not remembered
      throw error;
    }));
  }
  return fetched.get(name);
}

const index = () => fetchOnce("index.json", (r) => r.json());
const binary = (name) => fetchOnce(name, (r) => r.arrayBuffer());
const compiled = new Map();

// A model's layers with float32 weights: an int8 times its float32 row scale, rounded to float32,
// which is exactly the weight PyTorch computes with after export.load().
function model(name) {
  if (!compiled.has(name)) {
    compiled.set(name, index().then(async (idx) => {
      const spec = idx.models[name];
      if (!spec) throw new Error(`autoencoders: no model "${name}"; the site has ${Object.keys(idx.models).join(", ")}`);
      const buffer = await binary(spec.file);
      const compile = (layer) => {
        if (!("weight" in layer)) return layer;
        const values = new Int8Array(buffer, layer.weight, layer.rows * layer.columns);
        const scale = new Float32Array(buffer, layer.scale, layer.rows);
        const weight = new Float32Array(values.length);
        for (let k = 0; k < values.length; k++) weight[k] = values[k] * scale[Math.floor(k / layer.columns)];
        return { ...layer, weight, bias: new Float32Array(buffer, layer.bias, layer.out) };
      };
      return { ...spec, encoder: spec.encoder.map(compile), decoder: spec.decoder.map(compile) };
    }).catch((error) => {
      compiled.delete(name);
      throw error;
    }));
  }
  return compiled.get(name);
}

// ------------------------------------------------------------------ the layers of models.py
// Tensors stay flat, in PyTorch's (channel, row, column) order; images are square.

function linear({ weight, bias, in: n, out: m }, x) {
  const y = new Float64Array(m);
  for (let o = 0; o < m; o++) {
    let sum = bias[o];
    for (let i = 0, row = o * n; i < n; i++) sum += weight[row + i] * x[i];
    y[o] = sum;
  }
  return y;
}

// nn.Conv2d: out[o, y, x] = bias[o] + sum over i, ky, kx of weight[o, i, ky, kx] in[i, y s - p + ky, x s - p + kx].
function conv2d({ weight, bias, in: channels, out, kernel: k, stride: s, padding: p }, x) {
  const side = Math.round(Math.sqrt(x.length / channels));
  const outSide = Math.floor((side + 2 * p - k) / s) + 1;
  const y = new Float64Array(out * outSide * outSide);
  for (let o = 0; o < out; o++) {
    for (let r = 0; r < outSide; r++) {
      for (let c = 0; c < outSide; c++) {
        let sum = bias[o];
        for (let i = 0; i < channels; i++) {
          for (let kr = 0; kr < k; kr++) {
            const row = r * s - p + kr;
            if (row < 0 || row >= side) continue;
            for (let kc = 0; kc < k; kc++) {
              const column = c * s - p + kc;
              if (column < 0 || column >= side) continue;
              sum += weight[((o * channels + i) * k + kr) * k + kc] * x[(i * side + row) * side + column];
            }
          }
        }
        y[(o * outSide + r) * outSide + c] = sum;
      }
    }
  }
  return y;
}

// nn.ConvTranspose2d, the gradient of a convolution: every input pixel spreads weight[i, o, ., .] over the
// output, at stride s, cropped by p on each side; output_padding adds rows and columns at the end.
function convtranspose2d({ weight, bias, in: channels, out, kernel: k, stride: s, padding: p, output_padding: extra }, x) {
  const side = Math.round(Math.sqrt(x.length / channels));
  const outSide = (side - 1) * s - 2 * p + k + extra;
  const y = new Float64Array(out * outSide * outSide);
  for (let o = 0; o < out; o++) y.fill(bias[o], o * outSide * outSide, (o + 1) * outSide * outSide);
  for (let i = 0; i < channels; i++) {
    for (let r = 0; r < side; r++) {
      for (let c = 0; c < side; c++) {
        const v = x[(i * side + r) * side + c];
        for (let o = 0; o < out; o++) {
          for (let kr = 0; kr < k; kr++) {
            const row = r * s - p + kr;
            if (row < 0 || row >= outSide) continue;
            for (let kc = 0; kc < k; kc++) {
              const column = c * s - p + kc;
              if (column < 0 || column >= outSide) continue;
              y[(o * outSide + row) * outSide + column] += weight[((i * out + o) * k + kr) * k + kc] * v;
            }
          }
        }
      }
    }
  }
  return y;
}

const WEIGHTED = { linear, conv2d, convtranspose2d };

function forward(layers, input) {
  let x = Float64Array.from(input);
  for (const layer of layers) {
    if (layer.op in WEIGHTED) {
      x = WEIGHTED[layer.op](layer, x);
    } else if (layer.op === "relu") {
      x = x.map((v) => (v > 0 ? v : 0));
    } else if (layer.op === "sigmoid") {
      x = x.map((v) => 1 / (1 + Math.exp(-v)));
    } else {
      throw new Error(`autoencoders: unknown layer "${layer.op}"`);
    }
  }
  return x;
}

function checked(what, values, length) {
  if (!values || typeof values.length !== "number" || values.length !== length) {
    throw new Error(`autoencoders.${what}: expected ${length} numbers, got ${values && values.length}`);
  }
  return values;
}

// Synchronous once loaded: the widgets call these on every pointer move.
const encodeWith = (net, pixels) => forward(net.encoder, checked("encode", pixels, PIXELS));
const decodeWith = (net, z) => forward(net.decoder, checked("decode", z, net.latent_dim));

// ------------------------------------------------------------------ a drawing as MNIST made its digits

// Round half up, the same in the Python reference (Math.round and Python's round differ at .5).
const roundHalfUp = (v) => Math.floor(v + 0.5);

// Weights of an area-averaging resampling from n source pixels to m target pixels:
// target i averages the source over [i n/m, (i+1) n/m), each source pixel weighted by its overlap.
function areaWeights(n, m) {
  const ratio = n / m;
  const rows = [];
  for (let i = 0; i < m; i++) {
    const lo = i * ratio, hi = (i + 1) * ratio;
    const row = [];
    for (let j = Math.floor(lo); j < Math.min(n, Math.ceil(hi)); j++) {
      const overlap = Math.min(hi, j + 1) - Math.max(lo, j);
      if (overlap > 0) row.push([j, overlap / ratio]);
    }
    rows.push(row);
  }
  return rows;
}

// Ink in [0, 1] (width x height, row-major) -> 784 pixels: the ink's bounding box scaled into a 20x20
// box keeping its aspect ratio, then placed in 28x28 with its centre of mass at the centre.
function preprocess(ink, width, height) {
  let x0 = width, x1 = -1, y0 = height, y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (ink[y * width + x] > 0) {
        x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
      }
    }
  }
  const out = new Array(PIXELS).fill(0);
  if (x1 < 0) return out;  // nothing drawn
  const w = x1 - x0 + 1, h = y1 - y0 + 1;
  const scale = 20 / Math.max(w, h);
  const tw = Math.max(1, roundHalfUp(w * scale)), th = Math.max(1, roundHalfUp(h * scale));
  const across = areaWeights(w, tw), down = areaWeights(h, th);
  // Rows first (h x tw), then columns (th x tw).
  const rows = new Float64Array(h * tw);
  for (let y = 0; y < h; y++) {
    for (let i = 0; i < tw; i++) {
      let sum = 0;
      for (const [j, weight] of across[i]) sum += weight * ink[(y0 + y) * width + x0 + j];
      rows[y * tw + i] = sum;
    }
  }
  const box = new Float64Array(th * tw);
  let mass = 0, mx = 0, my = 0;
  for (let i = 0; i < th; i++) {
    for (let x = 0; x < tw; x++) {
      let sum = 0;
      for (const [j, weight] of down[i]) sum += weight * rows[j * tw + x];
      box[i * tw + x] = sum;
      mass += sum; mx += sum * x; my += sum * i;
    }
  }
  // Pixel centres sit at whole indices, so the 28x28 field's centre is 13.5.
  const ox = Math.min(SIDE - tw, Math.max(0, roundHalfUp(13.5 - mx / mass)));
  const oy = Math.min(SIDE - th, Math.max(0, roundHalfUp(13.5 - my / mass)));
  for (let y = 0; y < th; y++) {
    for (let x = 0; x < tw; x++) out[(oy + y) * SIDE + ox + x] = Math.min(1, Math.max(0, box[y * tw + x]));
  }
  return out;
}

// ------------------------------------------------------------------ the public API

const autoencoders = {
  /** The code of 784 pixels in [0, 1] (row-major 28x28) by the model `name`, e.g. "vanilla-d2". */
  async encode(name, pixels) {
    return Array.from(encodeWith(await model(name), pixels));
  },
  /** The 784 pixels that the model `name` decodes from the code `z`. */
  async decode(name, z) {
    return Array.from(decodeWith(await model(name), z));
  },
  /** The names of the models the site exports. */
  async models() {
    return Object.keys((await index()).models);
  },
  preprocess,
};
window.autoencoders = autoencoders;

// ------------------------------------------------------------------ drawing helpers

function element(tag, attributes = {}, children = []) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === "text") node.textContent = value;
    else node.setAttribute(key, value);
  }
  node.append(...children);
  return node;
}

// A 28x28 image canvas, black ink on white like the figures, drawn with crisp pixels.
function digitCanvas(label, size = "") {
  return element("canvas", { width: SIDE, height: SIDE, class: `ae-digit ${size}`, role: "img", "aria-label": label });
}

function paintDigit(canvas, pixels) {
  const context = canvas.getContext("2d");
  const image = context.createImageData(SIDE, SIDE);
  for (let k = 0; k < PIXELS; k++) {
    const grey = Math.round(255 * (1 - Math.min(1, Math.max(0, pixels[k]))));
    image.data.set([grey, grey, grey, 255], 4 * k);
  }
  context.putImageData(image, 0, 0);
}

function figure(root, title, caption, ...content) {
  const live = element("figure", { class: "ae-widget" }, [
    ...content, element("figcaption", {}, [element("strong", { text: `${title}. ` }), caption]),
  ]);
  root.querySelector(".ae-fallback")?.setAttribute("hidden", "");
  root.append(live);
  return live;
}

function button(text, attributes = {}) {
  return element("button", { type: "button", class: "ae-button", ...attributes, text });
}

const runName = (spec) => `${spec.run}, int8 weights`;
const prose = (name) => name.replace(/-d(\d+)$/, " d = $1").replace(/^conv /, "convolutional ");

// The value below which a fraction q of `values` lies.
function quantile(values, q) {
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

// The 2-D map of the test codes, coloured as figure 1, on an opaque white square with equal axes.
// It frames the middle 99% of the codes: the few far outliers would leave the clusters tiny.
class LatentMap {
  constructor(canvas, map, codes, labels) {
    this.canvas = canvas;
    const along = (d) => codes.filter((_, k) => k % 2 === d);
    const low = [0, 1].map((d) => quantile(along(d), 0.005)), high = [0, 1].map((d) => quantile(along(d), 0.995));
    this.centre = [(low[0] + high[0]) / 2, (low[1] + high[1]) / 2];
    this.span = 1.15 * Math.max(high[0] - low[0], high[1] - low[1]);
    this.background = document.createElement("canvas");
    this.background.width = this.background.height = canvas.width;
    const context = this.background.getContext("2d");
    context.fillStyle = "#fff";
    context.fillRect(0, 0, canvas.width, canvas.height);
    context.globalAlpha = 0.6;
    for (let k = 0; k < map.count; k++) {
      const [x, y] = this.toCanvas([codes[2 * k], codes[2 * k + 1]]);
      context.fillStyle = map.colours[labels[k]];
      context.fillRect(x - 1, y - 1, 2.2, 2.2);
    }
  }

  toCanvas(z) {
    const n = this.canvas.width;
    return [n / 2 + (z[0] - this.centre[0]) / this.span * n, n / 2 - (z[1] - this.centre[1]) / this.span * n];
  }

  fromEvent(event) {
    const box = this.canvas.getBoundingClientRect();
    const u = (event.clientX - box.left) / box.width - 0.5, v = (event.clientY - box.top) / box.height - 0.5;
    return [this.centre[0] + u * this.span, this.centre[1] - v * this.span];
  }

  // Markers: [{z, label, style}] with style "point" (a labelled ring) or "drawn" (a cross in a ring).
  draw(markers) {
    const context = this.canvas.getContext("2d");
    context.drawImage(this.background, 0, 0);
    for (const { z, label, style } of markers) {
      const [x, y] = this.toCanvas(z);
      context.lineWidth = 2.5;
      context.strokeStyle = "#000";
      context.fillStyle = style === "hover" ? "rgba(255,255,255,0.5)" : "#fff";
      context.beginPath();
      context.arc(x, y, style === "hover" ? 6 : 11, 0, 2 * Math.PI);
      context.fill();
      context.stroke();
      if (style === "drawn") {
        context.beginPath();
        context.moveTo(x - 7, y - 7); context.lineTo(x + 7, y + 7);
        context.moveTo(x + 7, y - 7); context.lineTo(x - 7, y + 7);
        context.stroke();
      } else if (label) {
        context.fillStyle = "#000";
        context.font = "bold 13px sans-serif";
        context.textAlign = "center";
        context.textBaseline = "middle";
        context.fillText(label, x, y + 1);
      }
    }
  }
}

async function mapData(idx) {
  const buffer = await binary("map.bin");
  const raw = new Int16Array(buffer, idx.map.codes, idx.map.count * 2);
  const codes = Float64Array.from(raw, (v, k) => idx.map.low[k % 2] + (v + 32767) * idx.map.step[k % 2]);
  return { codes, labels: new Uint8Array(buffer, idx.map.labels, idx.map.count) };
}

async function digitData(idx) {
  const buffer = await binary("digits.bin");
  const { count, pixels, noise } = idx.digits;
  return {
    clean: (k) => Array.from(new Uint8Array(buffer, pixels + k * PIXELS, PIXELS), (v) => Math.fround(v / 255)),
    noise: (k) => new Float32Array(buffer, noise + 4 * k * PIXELS, PIXELS),
    count,
  };
}

const mse = (a, b) => a.reduce((sum, v, k) => sum + (v - b[k]) ** 2, 0) / a.length;

// ------------------------------------------------------------------ widget 1: the latent explorer

async function latentExplorer(root, idx) {
  const name = idx.widgets.latent.models[0];
  const [net, { codes, labels }] = await Promise.all([model(name), mapData(idx)]);
  const canvas = element("canvas", {
    width: 480, height: 480, class: "ae-map", tabindex: "0", role: "application",
    "aria-label": `Map of the ${idx.map.count} test codes of ${prose(name)}. Drag or tap to move the selected point; `
      + "arrow keys move it too; A and B choose which point moves.",
  });
  const map = new LatentMap(canvas, idx.map, codes, labels);
  const output = digitCanvas("The digit decoded at the selected point", "ae-digit--large");
  const readout = element("output", { class: "ae-readout", "aria-live": "polite" });
  const choose = { A: button("Move A", { "aria-pressed": "true" }), B: button("Move B", { "aria-pressed": "false" }) };
  const strip = element("div", { class: "ae-strip", role: "group", "aria-label": "The straight path from A to B, decoded" });
  const steps = Array.from({ length: 10 }, (_, k) => digitCanvas(`Step ${k + 1} of 10 from A to B`));
  strip.append(...steps);

  // A starts at the centroid of the zeros, B at the class centroid farthest from it.
  const centroid = (digit) => {
    let x = 0, y = 0, n = 0;
    for (let k = 0; k < labels.length; k++) if (labels[k] === digit) { x += codes[2 * k]; y += codes[2 * k + 1]; n++; }
    return [x / n, y / n];
  };
  const centroids = [...new Set(labels)].map(centroid);
  const distance = (a, b) => Math.hypot(a[0] - b[0], a[1] - b[1]);
  const start = centroid(labels.includes(0) ? 0 : labels[0]);
  const state = { A: start, B: centroids.reduce((far, c) => (distance(c, start) > distance(far, start) ? c : far)),
    active: "A", hover: null };
  root.aeState = state;

  const render = () => {
    const shown = state.hover ?? state[state.active];
    paintDigit(output, decodeWith(net, shown));
    steps.forEach((step, k) => {
      const t = k / (steps.length - 1);
      paintDigit(step, decodeWith(net, state.A.map((a, d) => a + t * (state.B[d] - a))));
    });
    const markers = [{ z: state.A, label: "A" }, { z: state.B, label: "B" }];
    if (state.hover) markers.push({ z: state.hover, style: "hover" });
    map.draw(markers);
    readout.textContent = `${state.hover ? "under the pointer" : `point ${state.active}`}: `
      + `z = (${shown[0].toFixed(2)}, ${shown[1].toFixed(2)})`;
  };
  const select = (which) => {
    state.active = which;
    for (const [key, node] of Object.entries(choose)) node.setAttribute("aria-pressed", String(key === which));
    render();
  };
  choose.A.addEventListener("click", () => select("A"));
  choose.B.addEventListener("click", () => select("B"));

  let dragging = false;
  canvas.addEventListener("pointerdown", (event) => {
    dragging = true;
    canvas.setPointerCapture(event.pointerId);
    state[state.active] = map.fromEvent(event);
    state.hover = null;
    render();
  });
  canvas.addEventListener("pointermove", (event) => {
    if (dragging) state[state.active] = map.fromEvent(event);
    else if (event.pointerType === "mouse") state.hover = map.fromEvent(event);  // a preview, mouse only
    render();
  });
  const release = () => { dragging = false; };
  canvas.addEventListener("pointerup", release);
  canvas.addEventListener("pointercancel", release);
  canvas.addEventListener("pointerleave", () => { state.hover = null; render(); });
  const arrows = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] };
  canvas.addEventListener("keydown", (event) => {
    const key = event.key.toUpperCase();
    if (key === "A" || key === "B") { select(key); return; }
    if (!(event.key in arrows)) return;
    event.preventDefault();  // the page must not scroll
    const step = map.span * (event.shiftKey ? 0.1 : 0.02);
    state[state.active] = state[state.active].map((v, d) => v + arrows[event.key][d] * step);
    state.hover = null;
    render();
  });

  figure(root, "Latent explorer",
    `The 2-D codes of the ${idx.map.count.toLocaleString("en")} test images by ${prose(name)} (${runName(idx.models[name])}), `
    + "coloured by digit as in figure 1. The large digit is what the decoder makes of the selected point (or of the "
    + "point under the mouse); the strip decodes ten equally spaced points on the straight line from A to B.",
    element("div", { class: "ae-row" }, [
      canvas,
      element("div", { class: "ae-side" }, [output, readout, element("div", { class: "ae-buttons" }, [choose.A, choose.B])]),
    ]),
    strip);
  render();
}

// ------------------------------------------------------------------ widget 2: draw a digit

async function drawDigit(root, idx) {
  const names = idx.widgets.draw.models;  // the first places the drawing on the map
  const [nets, { codes, labels }, digits] = await Promise.all([Promise.all(names.map(model)), mapData(idx), digitData(idx)]);
  const pad = element("canvas", {
    width: 280, height: 280, class: "ae-pad", role: "img",
    "aria-label": "Drawing area: draw a digit with the mouse, a pen or a finger",
  });
  const mapCanvas = element("canvas", {
    width: 480, height: 480, class: "ae-map ae-map--small", role: "img",
    "aria-label": `Where ${prose(names[0])} puts the drawn digit (a crossed ring) among the test codes`,
  });
  const map = new LatentMap(mapCanvas, idx.map, codes, labels);
  const input = digitCanvas("The drawing as a 28 by 28 MNIST-style input");
  const outputs = names.map((name) => digitCanvas(`Reconstruction by ${prose(name)}`));
  const readout = element("output", { class: "ae-readout", "aria-live": "polite" });
  const context = pad.getContext("2d", { willReadFrequently: true });  // read back on every stroke
  const state = { input: null, code: null };
  root.aeState = state;

  const update = () => {
    const ink = context.getImageData(0, 0, pad.width, pad.height).data;
    const alpha = new Float64Array(pad.width * pad.height);
    for (let k = 0; k < alpha.length; k++) alpha[k] = ink[4 * k + 3] / 255;
    state.input = preprocess(alpha, pad.width, pad.height);
    paintDigit(input, state.input);
    if (!state.input.some((v) => v > 0)) {
      state.code = null;
      outputs.forEach((canvas) => paintDigit(canvas, new Array(PIXELS).fill(0)));
      map.draw([]);
      readout.textContent = "Draw a digit, or start from a test digit.";
      return;
    }
    state.code = Array.from(encodeWith(nets[0], state.input));
    nets.forEach((net, k) => paintDigit(outputs[k], forward([...net.encoder, ...net.decoder], state.input)));
    map.draw([{ z: state.code, style: "drawn" }]);
    readout.textContent = `code by ${prose(names[0])}: z = (${state.code[0].toFixed(2)}, ${state.code[1].toFixed(2)})`;
  };

  let last = null, pending = false;
  const point = (event) => {
    const box = pad.getBoundingClientRect();
    return [(event.clientX - box.left) / box.width * pad.width, (event.clientY - box.top) / box.height * pad.height];
  };
  const scheduleUpdate = () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => { pending = false; update(); });
  };
  pad.addEventListener("pointerdown", (event) => {
    pad.setPointerCapture(event.pointerId);
    last = point(event);
    context.fillStyle = "#000";
    context.beginPath();
    context.arc(...last, 11, 0, 2 * Math.PI);
    context.fill();
    scheduleUpdate();
  });
  pad.addEventListener("pointermove", (event) => {
    if (!last) return;
    const next = point(event);
    Object.assign(context, { lineWidth: 22, lineCap: "round", lineJoin: "round", strokeStyle: "#000" });
    context.beginPath();
    context.moveTo(...last);
    context.lineTo(...next);
    context.stroke();
    last = next;
    scheduleUpdate();
  });
  const end = () => { if (last) { last = null; update(); } };
  pad.addEventListener("pointerup", end);
  pad.addEventListener("pointercancel", end);

  const clear = button("Clear");
  clear.addEventListener("click", () => { context.clearRect(0, 0, pad.width, pad.height); update(); });
  // A test digit painted onto the pad, one 10x10 square per pixel, to be drawn over.
  const starts = Array.from({ length: digits.count }, (_, k) => {
    const start = button(String(idx.digits.labels[k]), { "aria-label": `Start from the test digit ${idx.digits.labels[k]}` });
    start.addEventListener("click", () => {
      const pixels = digits.clean(k), cell = pad.width / SIDE;
      context.clearRect(0, 0, pad.width, pad.height);
      for (let p = 0; p < PIXELS; p++) {
        if (pixels[p] <= 0) continue;
        context.fillStyle = `rgba(0, 0, 0, ${pixels[p]})`;
        context.fillRect((p % SIDE) * cell, Math.floor(p / SIDE) * cell, cell, cell);
      }
      update();
    });
    return start;
  });

  const labelled = (canvas, text) => element("div", { class: "ae-labelled" }, [canvas, element("span", { text })]);
  figure(root, "Draw a digit",
    `Your drawing is made into an MNIST-style input (its ink scaled into a 20 × 20 box, then centred by its centre `
    + `of mass in 28 × 28), placed on the map by ${prose(names[0])} and reconstructed by it and by `
    + `${names.slice(1).map(prose).join(" and ")} (runs ${names.map((n) => idx.models[n].run).join(", ")}; int8 weights).`,
    element("div", { class: "ae-row" }, [pad, mapCanvas]),
    element("div", { class: "ae-buttons" }, [clear,
      element("div", { class: "ae-buttons ae-buttons--digits", role: "group", "aria-label": "Start from a test digit" },
        [element("span", { text: "or start from:" }), ...starts])]),
    element("div", { class: "ae-outputs" }, [labelled(input, "input"),
      ...outputs.map((canvas, k) => labelled(canvas, prose(names[k])))]),
    readout);
  update();
}

// ------------------------------------------------------------------ widget 3: the noise slider

async function noiseSlider(root, idx) {
  const [denoiserName, vanillaName] = idx.widgets.noise.models;
  const [denoiser, vanilla, digits] = await Promise.all([model(denoiserName), model(vanillaName), digitData(idx)]);
  const slider = element("input", { type: "range", min: "0", max: "0.7", step: "0.01", value: String(idx.digits.sigma),
    class: "ae-slider", "aria-label": "Noise standard deviation σ" });
  const sigmaText = element("output", { class: "ae-readout" });
  const panels = ["clean", "noisy input", prose(denoiserName), prose(vanillaName)].map((text) => {
    const canvas = digitCanvas(text), note = element("span", { class: "ae-mse" });
    return { canvas, note, node: element("div", { class: "ae-labelled" }, [canvas, element("span", { text }), note]) };
  });
  const state = { digit: 0, sigma: idx.digits.sigma, mse: null };
  root.aeState = state;

  const update = () => {
    const clean = digits.clean(state.digit), noise = digits.noise(state.digit), sigma = Math.fround(state.sigma);
    // As add_noise computes it in float32: clip(x + σ n, 0, 1).
    const noisy = clean.map((x, k) => Math.min(1, Math.max(0, Math.fround(x + Math.fround(sigma * noise[k])))));
    const images = [clean, noisy, ...[denoiser, vanilla].map((net) => forward([...net.encoder, ...net.decoder], noisy))];
    state.mse = images.slice(1).map((image) => mse(image, clean));
    images.forEach((image, k) => paintDigit(panels[k].canvas, image));
    panels.slice(1).forEach((panel, k) => { panel.note.textContent = `MSE ${state.mse[k].toFixed(3)}`; });
    sigmaText.textContent = `σ = ${state.sigma.toFixed(2)}`;
  };
  slider.addEventListener("input", () => { state.sigma = Number(slider.value); update(); });
  const choices = Array.from({ length: digits.count }, (_, k) => {
    const choice = button(String(idx.digits.labels[k]), { "aria-pressed": String(k === 0),
      "aria-label": `Test digit ${idx.digits.labels[k]}` });
    choice.addEventListener("click", () => {
      state.digit = k;
      choices.forEach((c, j) => c.setAttribute("aria-pressed", String(j === k)));
      update();
    });
    return choice;
  });

  figure(root, "Noise slider",
    `The first test image of each class with Gaussian noise of standard deviation σ (the evaluation's noise, seed `
    + `${idx.digits.noise_seed}: one fixed pattern scaled by σ, pixels clipped to [0, 1]), cleaned by `
    + `${prose(denoiserName)} (${runName(idx.models[denoiserName])}) and passed through ${prose(vanillaName)} `
    + `(${runName(idx.models[vanillaName])}). MSE: each image's mean squared error against the clean digit; at `
    + `σ = ${idx.digits.sigma} they are figure 2's, up to the effect of the int8 weights.`,
    element("div", { class: "ae-buttons ae-buttons--digits", role: "group", "aria-label": "Choose a test digit" },
      [element("span", { text: "digit:" }), ...choices]),
    element("div", { class: "ae-buttons" }, [slider, sigmaText]),
    element("div", { class: "ae-outputs" }, panels.map((panel) => panel.node)));
  update();
}

// ------------------------------------------------------------------ mounting, lazily

const WIDGETS = { latent: latentExplorer, draw: drawDigit, noise: noiseSlider };

function mount(root) {
  if (root.dataset.mounted) return;
  root.dataset.mounted = "loading";
  index()
    .then((idx) => WIDGETS[root.dataset.widget](root, idx))
    .then(() => { root.dataset.mounted = "ready"; })
    .catch((error) => {
      root.dataset.mounted = "failed";  // the static figure stays
      console.warn(error);
    });
}

// Each widget loads its models when it comes into view, not before.
function mountAll() {
  const roots = [...document.querySelectorAll(".ae-play[data-widget]")];
  if (!roots.length) return;
  const observer = new IntersectionObserver((entries) => {
    for (const entry of entries) {
      if (entry.isIntersecting) { observer.unobserve(entry.target); mount(entry.target); }
    }
  });
  roots.forEach((root) => observer.observe(root));
}

// Material's instant navigation swaps pages without reloading scripts; document$ emits on every page.
if (window.document$) window.document$.subscribe(mountAll);
else document.addEventListener("DOMContentLoaded", mountAll);
