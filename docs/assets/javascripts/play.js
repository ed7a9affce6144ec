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
// Bytes received so far, over every file; the widgets' loading state shows it.
const received = { bytes: 0, listeners: new Set() };

function fetchOnce(name, read) {
  if (!fetched.has(name)) {
    fetched.set(name, fetch(new URL(name, MODELS)).then((response) => {
      if (!response.ok) throw new Error(`autoencoders: ${name} could not be loaded (HTTP ${response.status})`);
      return read(response);
    }).catch((error) => {
      fetched.delete(name);  // a failed download is tried again on the next call, not remembered
      if (error instanceof TypeError) error = new Error(`autoencoders: ${name} could not be loaded (${error.message})`);
      throw error;
    }));
  }
  return fetched.get(name);
}

// The body of a response as an ArrayBuffer, counting its bytes as they arrive.
async function counted(response) {
  if (!response.body) return response.arrayBuffer();
  const reader = response.body.getReader(), chunks = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    length += value.length;
    received.bytes += value.length;
    received.listeners.forEach((listener) => listener(received.bytes));
  }
  const buffer = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) { buffer.set(chunk, offset); offset += chunk.length; }
  return buffer.buffer;
}

const index = () => fetchOnce("index.json", (r) => r.json());
const binary = (name) => fetchOnce(name, counted);
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

// Controls are disabled until their widget's models have arrived.
function button(text, attributes = {}) {
  return element("button", { type: "button", class: "ae-button", disabled: "", ...attributes, text });
}

const prose = (name) => name.replace(/-d(\d+)$/, " d = $1").replace(/^conv /, "convolutional ");
// The same, short enough for the label of a small panel: "vanilla, d = 32", "conv., d = 32".
const short = (name) => name.replace(/-d(\d+)$/, ", d\u00a0=\u00a0$1").replace(/^conv,/, "conv.,").replace(/^denoising,/, "denoiser,");

// The value below which a fraction q of `values` lies.
function quantile(values, q) {
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

// The 2-D map of the test codes, coloured as figure 1 (the palette of src/autoencoders/palette.py,
// which the build writes into index.json), each class's centroid labelled, on an opaque white square
// with equal axes. It frames the middle 99% of the codes: the few far outliers would leave the
// clusters tiny.
class LatentMap {
  constructor(canvas, map, codes, labels) {
    this.canvas = canvas;
    const along = (d) => codes.filter((_, k) => k % 2 === d);
    const low = [0, 1].map((d) => quantile(along(d), 0.005)), high = [0, 1].map((d) => quantile(along(d), 0.995));
    this.centre = [(low[0] + high[0]) / 2, (low[1] + high[1]) / 2];
    this.span = 1.15 * Math.max(high[0] - low[0], high[1] - low[1]);
    this.colours = map.colours;
    const sums = new Map();
    for (let k = 0; k < map.count; k++) {
      const sum = sums.get(labels[k]) || [0, 0, 0];
      sum[0] += codes[2 * k]; sum[1] += codes[2 * k + 1]; sum[2] += 1;
      sums.set(labels[k], sum);
    }
    this.centroids = [...sums].sort((a, b) => a[0] - b[0]).map(([digit, [x, y, n]]) => ({ digit, z: [x / n, y / n] }));

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
    context.globalAlpha = 1;
    for (const { digit, z } of this.centroids) this.label(context, z, String(digit), map.colours[digit]);
  }

  // A circled digit, ringed in its class's colour, as the figures mark centroids.
  label(context, z, text, colour) {
    const [x, y] = this.toCanvas(z);
    context.beginPath();
    context.arc(x, y, 10, 0, 2 * Math.PI);
    context.fillStyle = "rgba(255, 255, 255, 0.9)";
    context.fill();
    context.lineWidth = 3;
    context.strokeStyle = colour;
    context.stroke();
    context.fillStyle = "#000";
    context.font = "bold 12px sans-serif";
    context.textAlign = "center";
    context.textBaseline = "middle";
    context.fillText(text, x, y + 1);
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

  // The distance, in CSS pixels on the screen, between the pointer of `event` and the point z.
  screenDistance(event, z) {
    const box = this.canvas.getBoundingClientRect(), [x, y] = this.toCanvas(z);
    const scale = box.width / this.canvas.width;
    return Math.hypot(event.clientX - box.left - x * scale, event.clientY - box.top - y * scale);
  }

  // Markers: [{z, label, style}] with style "point" (a labelled ring), "hover" or "drawn" (a crossed
  // ring); `line`, when given, is [A, B]: the straight path the strip decodes, with its ten stops.
  draw(markers, line = null, stops = 0) {
    const context = this.canvas.getContext("2d");
    context.drawImage(this.background, 0, 0);
    if (line) {
      const [a, b] = line.map((z) => this.toCanvas(z));
      for (const [width, colour] of [[5, "rgba(255, 255, 255, 0.85)"], [2, "#000"]]) {
        context.beginPath();
        context.moveTo(...a);
        context.lineTo(...b);
        context.lineWidth = width;
        context.strokeStyle = colour;
        context.setLineDash(width === 2 ? [6, 4] : []);
        context.stroke();
      }
      context.setLineDash([]);
      context.fillStyle = "#000";
      for (let k = 1; k < stops - 1; k++) {
        const t = k / (stops - 1);
        context.beginPath();
        context.arc(a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1]), 3, 0, 2 * Math.PI);
        context.fill();
      }
    }
    for (const { z, label, style } of markers) {
      const [x, y] = this.toCanvas(z);
      context.lineWidth = 2.5;
      context.strokeStyle = "#000";
      context.fillStyle = style === "hover" ? "rgba(255,255,255,0.5)" : "#fff";
      context.beginPath();
      context.arc(x, y, style === "hover" ? 6 : 12, 0, 2 * Math.PI);
      context.fill();
      context.stroke();
      if (style === "drawn") {
        context.beginPath();
        context.moveTo(x - 7, y - 7); context.lineTo(x + 7, y + 7);
        context.moveTo(x + 7, y - 7); context.lineTo(x - 7, y + 7);
        context.stroke();
      } else if (label) {
        context.fillStyle = "#000";
        context.font = "bold 14px sans-serif";
        context.textAlign = "center";
        context.textBaseline = "middle";
        context.fillText(label, x, y + 1);
      }
    }
  }
}

// The digits' colours as a key: one swatch and numeral per class, as text for screen readers too.
function colourKey(colours) {
  return element("ul", { class: "ae-key", "aria-label": "Colour key: one colour per digit" },
    colours.map((colour, digit) => element("li", {}, [
      element("span", { class: "ae-swatch", style: `background: ${colour}`, "aria-hidden": "true" }),
      element("span", { text: String(digit) }),
    ])));
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
const enable = (stage) => stage.querySelectorAll("button[disabled], input[disabled]").forEach((node) => {
  node.disabled = false;
});

// ------------------------------------------------------------------ the widgets
// Each widget is built at once, in its final size (play.css gives every part of it a fixed place), with
// blank digits and disabled controls; `start(idx)` brings it to life when its models have arrived, so
// that nothing on the page moves when they do.

function latentExplorer() {
  const map = element("canvas", {
    width: 480, height: 480, class: "ae-map", tabindex: "0", role: "application",
    "aria-label": "Map of the test codes. Drag or tap to move the selected point, or drag a point to move it; "
      + "the arrow keys move the selected point too, and A and B choose which point moves.",
  });
  const large = digitCanvas("The digit decoded at the selected point", "ae-digit--large");
  const readout = element("output", { class: "ae-readout", "aria-live": "polite", text: "z = (…)" });
  const choose = { A: button("Move A", { "aria-pressed": "true" }), B: button("Move B", { "aria-pressed": "false" }) };
  const key = element("ul", { class: "ae-key" });
  const steps = Array.from({ length: 10 }, (_, k) => digitCanvas(`Step ${k + 1} of 10 from A to B`));
  const stage = element("div", { class: "ae-stage" }, [
    map, large,
    element("div", { class: "ae-side" }, [readout, element("div", { class: "ae-buttons" }, [choose.A, choose.B]), key]),
    element("div", { class: "ae-strip", role: "group", "aria-label": "The straight path from A to B, decoded" }, steps),
  ]);

  async function start(root, idx) {
    const name = idx.widgets.latent.models[0];
    const [net, { codes, labels }] = await Promise.all([model(name), mapData(idx)]);
    const latent = new LatentMap(map, idx.map, codes, labels);
    key.replaceWith(colourKey(idx.map.colours));
    map.setAttribute("aria-label", `Map of the ${idx.map.count.toLocaleString("en")} test codes of ${prose(name)}, `
      + "coloured by digit, centroids labelled. " + map.getAttribute("aria-label").replace(/^Map of the test codes\. /, ""));

    // A starts at the centroid of the zeros, B at the class centroid farthest from it.
    const distance = (a, b) => Math.hypot(a[0] - b[0], a[1] - b[1]);
    const centroids = latent.centroids.map((c) => c.z);
    const start = (latent.centroids.find((c) => c.digit === 0) || latent.centroids[0]).z;
    const state = { A: start, B: centroids.reduce((far, c) => (distance(c, start) > distance(far, start) ? c : far)),
      active: "A", hover: null, centroids: latent.centroids };
    root.aeState = state;
    root.aeMapPoint = (z) => latent.toCanvas(z);  // for the tests: a code's place on the map's canvas

    const render = () => {
      const shown = state.hover ?? state[state.active];
      paintDigit(large, decodeWith(net, shown));
      steps.forEach((step, k) => {
        const t = k / (steps.length - 1);
        paintDigit(step, decodeWith(net, state.A.map((a, d) => a + t * (state.B[d] - a))));
      });
      const markers = [{ z: state.A, label: "A" }, { z: state.B, label: "B" }];
      if (state.hover) markers.push({ z: state.hover, style: "hover" });
      latent.draw(markers, [state.A, state.B], steps.length);
      const where = `z = (${shown[0].toFixed(2)}, ${shown[1].toFixed(2)})`;
      readout.textContent = `${state.hover ? "pointer" : state.active}: ${where}`;
      large.setAttribute("aria-label", `The digit decoded at ${state.hover ? "the pointer" : `point ${state.active}`}, ${where}`);
    };
    const select = (which) => {
      state.active = which;
      for (const [name, node] of Object.entries(choose)) node.setAttribute("aria-pressed", String(name === which));
      render();
    };
    choose.A.addEventListener("click", () => select("A"));
    choose.B.addEventListener("click", () => select("B"));

    // A press near a marker grabs the nearest one; anywhere else it moves the selected point there.
    const GRAB = 28;  // CSS pixels: a fingertip
    let dragging = false;
    map.addEventListener("pointerdown", (event) => {
      dragging = true;
      map.setPointerCapture(event.pointerId);
      const near = ["A", "B"].map((which) => [latent.screenDistance(event, state[which]), which]).sort((a, b) => a[0] - b[0])[0];
      if (near[0] <= GRAB) select(near[1]);
      state[state.active] = latent.fromEvent(event);
      state.hover = null;
      render();
    });
    map.addEventListener("pointermove", (event) => {
      if (dragging) state[state.active] = latent.fromEvent(event);
      else if (event.pointerType === "mouse") state.hover = latent.fromEvent(event);  // a preview, mouse only
      else return;
      render();
    });
    const release = () => { dragging = false; };
    map.addEventListener("pointerup", release);
    map.addEventListener("pointercancel", release);
    map.addEventListener("pointerleave", () => { if (state.hover) { state.hover = null; render(); } });
    const arrows = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] };
    map.addEventListener("keydown", (event) => {
      const letter = event.key.toUpperCase();
      if (letter === "A" || letter === "B") { select(letter); return; }
      if (!(event.key in arrows)) return;
      event.preventDefault();  // the page must not scroll
      const step = latent.span * (event.shiftKey ? 0.1 : 0.02);
      state[state.active] = state[state.active].map((v, d) => v + arrows[event.key][d] * step);
      state.hover = null;
      render();
    });
    enable(stage);
    render();
  }
  return { stage, start, title: "The latent explorer" };
}

function drawDigit() {
  const pad = element("canvas", {
    width: 280, height: 280, class: "ae-pad", role: "img",
    "aria-label": "Drawing area: draw a digit with the mouse, a pen or a finger, or start from a test digit below",
  });
  const mapCanvas = element("canvas", {
    width: 480, height: 480, class: "ae-map ae-map--small", role: "img",
    "aria-label": "Where the two-dimensional model puts the drawn digit (a crossed ring) among the test codes",
  });
  const input = digitCanvas("The drawing as a 28 by 28 MNIST-style input");
  const outputs = Array.from({ length: 3 }, (_, k) => digitCanvas(`Reconstruction ${k + 1}`));
  const names = outputs.map(() => element("span", { text: "…" }));
  const readout = element("output", { class: "ae-readout", "aria-live": "polite" });
  const clear = button("Clear");
  const starts = Array.from({ length: 10 }, (_, k) => button(String(k), { "aria-label": `Start from a test digit ${k}` }));
  const labelled = (canvas, text) => element("div", { class: "ae-labelled" }, [canvas, text]);
  const stage = element("div", { class: "ae-stage" }, [
    pad,
    element("div", { class: "ae-outputs" }, [labelled(input, element("span", { text: "input" })),
      ...outputs.map((canvas, k) => labelled(canvas, names[k]))]),
    mapCanvas,
    element("div", { class: "ae-starts" }, [
      element("span", { class: "ae-label", text: "Clear the pad, or start from a test digit and draw over it:" }),
      element("div", { class: "ae-buttons ae-buttons--digits", role: "group", "aria-label": "Start from a test digit" },
        [clear, ...starts]),
    ]),
    readout,
  ]);

  async function start(root, idx) {
    const models = idx.widgets.draw.models;  // the first places the drawing on the map
    const [nets, { codes, labels }, digits] = await Promise.all([Promise.all(models.map(model)), mapData(idx), digitData(idx)]);
    const map = new LatentMap(mapCanvas, idx.map, codes, labels);
    models.forEach((name, k) => {
      names[k].textContent = short(name);
      outputs[k].setAttribute("aria-label", `Reconstruction by ${prose(name)}`);
    });
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
      readout.textContent = `Code by ${prose(models[0])}: z = (${state.code[0].toFixed(2)}, ${state.code[1].toFixed(2)})`;
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

    clear.addEventListener("click", () => { context.clearRect(0, 0, pad.width, pad.height); update(); });
    // A test digit painted onto the pad, one 10x10 square per pixel, to be drawn over.
    starts.forEach((startButton, k) => {
      const label = idx.digits.labels[k];
      startButton.textContent = String(label);
      startButton.setAttribute("aria-label", `Start from a test digit ${label}`);
      startButton.addEventListener("click", () => {
        const pixels = digits.clean(k), cell = pad.width / SIDE;
        context.clearRect(0, 0, pad.width, pad.height);
        for (let p = 0; p < PIXELS; p++) {
          if (pixels[p] <= 0) continue;
          context.fillStyle = `rgba(0, 0, 0, ${pixels[p]})`;
          context.fillRect((p % SIDE) * cell, Math.floor(p / SIDE) * cell, cell, cell);
        }
        update();
      });
    });
    enable(stage);
    update();
  }
  return { stage, start, title: "Drawing" };
}

function noiseSlider() {
  const slider = element("input", { type: "range", min: "0", max: "0.7", step: "0.01", value: "0.3", disabled: "",
    class: "ae-slider", "aria-label": "Noise standard deviation σ" });
  const sigmaText = element("output", { class: "ae-readout", text: "σ = …" });
  const texts = ["clean", "noisy input", "denoiser", "vanilla"];
  const panels = texts.map((text) => {
    const canvas = digitCanvas(text), note = element("span", { class: "ae-mse" }), name = element("span", { text });
    return { canvas, note, name, node: element("div", { class: "ae-labelled" }, [canvas, name, note]) };
  });
  const choices = Array.from({ length: 10 }, (_, k) => button(String(k), { "aria-pressed": String(k === 0) }));
  const stage = element("div", { class: "ae-stage" }, [
    element("div", { class: "ae-choices" }, [
      element("span", { class: "ae-label", text: "Test digit:" }),
      element("div", { class: "ae-buttons ae-buttons--digits", role: "group", "aria-label": "Choose a test digit" }, choices),
    ]),
    element("div", { class: "ae-sigma" }, [slider, sigmaText]),
    element("div", { class: "ae-outputs" }, panels.map((panel) => panel.node)),
  ]);

  async function start(root, idx) {
    const [denoiserName, vanillaName] = idx.widgets.noise.models;
    const [denoiser, vanilla, digits] = await Promise.all([model(denoiserName), model(vanillaName), digitData(idx)]);
    [denoiserName, vanillaName].forEach((name, k) => {
      panels[k + 2].name.textContent = short(name);
      panels[k + 2].canvas.setAttribute("aria-label", `${prose(name)}'s output`);
    });
    slider.value = String(idx.digits.sigma);
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
      slider.setAttribute("aria-valuetext", `σ = ${state.sigma.toFixed(2)}`);
    };
    slider.addEventListener("input", () => { state.sigma = Number(slider.value); update(); });
    choices.forEach((choice, k) => {
      const label = idx.digits.labels[k];
      choice.textContent = String(label);
      choice.setAttribute("aria-label", `Test digit ${label}`);
      choice.addEventListener("click", () => {
        state.digit = k;
        choices.forEach((c, j) => c.setAttribute("aria-pressed", String(j === k)));
        update();
      });
    });
    enable(stage);
    update();
  }
  return { stage, start, title: "The noise slider" };
}

// ------------------------------------------------------------------ building, loading and its states

const WIDGETS = { latent: latentExplorer, draw: drawDigit, noise: noiseSlider };

// Build the widget at once, in its final size, with a status over it: what it will load and how
// much, a button to load it now; then the progress; then, if it fails, why, and a button to try again.
function build(root) {
  const widget = WIDGETS[root.dataset.widget]();
  const bytes = root.dataset.bytes || "";
  const message = element("p", { class: "ae-status__message" });
  const action = element("button", { type: "button", class: "ae-button ae-status__button" });
  const status = element("div", { class: "ae-status", role: "status" }, [message, action]);
  widget.stage.append(status);
  const caption = root.querySelector(".ae-caption");
  const figure = element("figure", { class: "ae-widget" }, [
    widget.stage, element("figcaption", {}, caption ? [...caption.childNodes] : []),
  ]);
  caption?.remove();
  root.prepend(figure);
  root.aeWidget = widget;

  const show = (state, text, label) => {
    root.dataset.mounted = state;
    message.textContent = text;
    action.hidden = !label;
    action.textContent = label || "";
  };
  root.aeLoad = () => {
    if (["loading", "ready"].includes(root.dataset.mounted)) return;
    const base = received.bytes;  // the page's own figure of the size (data-bytes) is in MB
    const progress = (now) => {
      const got = (now - base) / 1e6;
      show("loading", `Loading ${widget.title.toLowerCase()}: ${got.toFixed(2)} of ${bytes || "its models"}…`);
    };
    received.listeners.add(progress);
    show("loading", `Loading ${widget.title.toLowerCase()}: ${bytes || "its models"}…`);
    index()
      .then((idx) => widget.start(root, idx))
      .then(() => { show("ready", ""); })
      .catch((error) => {
        show("failed", `${widget.title} could not be loaded: ${error.message.replace(/^autoencoders: /, "")}. `
          + "The static figure below shows what it would show.", "Try again");
        console.warn(error);
      })
      .finally(() => received.listeners.delete(progress));
  };
  action.addEventListener("click", () => root.aeLoad());
  show("idle", `${widget.title} runs the trained models in your browser: ${bytes || "its models"} to download, `
    + "when you scroll to it or ask for it.", `Load it now (${bytes || "models"})`);
}

// Models load when the reader scrolls to a widget (after a first scroll, so that a visit that only
// opens the page downloads none), comes to it by its address, or presses its button.
let armed = false, observer = null;
const intersecting = new Set();

// In view: some of it within the screen, not counting a tenth at the top (where the header lies) and
// at the bottom (a sliver that the reader has not yet scrolled to).
const MARGIN = "-10% 0px -10% 0px";
const inView = (root) => {
  const box = root.getBoundingClientRect();
  return box.bottom > 0.1 * innerHeight && box.top < 0.9 * innerHeight;
};

function arm() {
  if (armed) return;
  armed = true;
  // (The observer's record may be a frame old: a jump to an anchor scrolls past widgets.)
  requestAnimationFrame(() => intersecting.forEach((root) => { if (inView(root)) root.aeLoad(); }));
}
["scroll", "wheel", "touchmove", "keydown"].forEach((type) => window.addEventListener(type, arm, { passive: true, once: true }));

function mountAll() {
  const roots = [...document.querySelectorAll(".ae-play[data-widget]")].filter((root) => !root.dataset.mounted);
  observer?.disconnect();
  intersecting.clear();
  if (!roots.length) return;
  roots.forEach(build);
  observer = new IntersectionObserver((entries) => {
    for (const entry of entries) {
      if (entry.isIntersecting) intersecting.add(entry.target);
      else intersecting.delete(entry.target);
      if (entry.isIntersecting && armed) entry.target.aeLoad();
    }
  }, { rootMargin: MARGIN });
  roots.forEach((root) => observer.observe(root));
  // An address that points at a widget's section (play/#draw) asks for that widget.
  const target = location.hash && document.getElementById(decodeURIComponent(location.hash.slice(1)));
  const asked = target && roots.find((root) => root.contains(target)
    || target.compareDocumentPosition(root) & Node.DOCUMENT_POSITION_FOLLOWING);
  if (asked) asked.aeLoad();
}

// Material's instant navigation swaps pages without reloading scripts; document$ emits on every page.
if (window.document$) window.document$.subscribe(mountAll);
else document.addEventListener("DOMContentLoaded", mountAll);
