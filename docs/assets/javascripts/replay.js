// The Play page's "Watch it learn": the replay of the build's own training of vanilla d = 2, and the
// same training run in the reader's browser.
//
// Loaded by the page's section only when the reader reaches it (see docs/play.md). The build writes
// ../replay/ (autoencoders.replay.page_files): replay.json describes everything, replay.bin holds the
// labels and the int16 codes of every recorded moment, one moment after the other, so the first one
// is drawn as soon as its bytes arrive. The training files are fetched by the worker, and only when
// the reader presses Train.

const FILES = new URL("../replay/", import.meta.url);
const STYLESHEET = new URL("../stylesheets/replay.css", import.meta.url);
const WORKER = new URL("train-worker.js", import.meta.url);
const FRAME_MS = 450; // how long the replay shows each moment while it plays
const TWEEN_MS = 300; // of which the points move for this long
const reducedMotion = () => window.matchMedia("(prefers-reduced-motion: reduce)").matches;

// ------------------------------------------------------------------ loading, once

const once = (f) => { let promise = null; return () => (promise ??= f()); };

const index = once(async () => {
  const response = await fetch(new URL("replay.json", FILES));
  if (!response.ok) throw new Error(`replay: replay.json could not be loaded (HTTP ${response.status})`);
  return response.json();
});

// The stylesheet, before a widget replaces its fallback (a failure leaves the page's own styles).
const stylesheet = once(() => new Promise((resolve) => {
  const link = Object.assign(document.createElement("link"), { rel: "stylesheet", href: STYLESHEET.href });
  link.onload = link.onerror = resolve;
  document.head.append(link);
}));

// replay.bin as it arrives: `labels` resolves first, then `frame(k)` for each moment in turn. Its
// download starts at once, beside replay.json's, which says how to read it.
class Recording {
  constructor(description) {
    this.frames = []; // Float32Array (count x 2) per moment, in order
    this.waiting = new Map();
    this.labels = new Promise((resolve, reject) => { this.resolveLabels = resolve; this.failed = reject; });
    this.load(fetch(new URL("replay.bin", FILES)), description)
      .catch((error) => { this.error = error; this.failed(error); this.waiting.forEach(([, no]) => no(error)); });
  }

  async load(request, description) {
    const [response, { bytes, count, codes, frame_bytes: size, frames }] = await Promise.all([request, description]);
    this.description = await description;
    if (!response.ok) throw new Error(`replay: replay.bin could not be loaded (HTTP ${response.status})`);
    const data = new Uint8Array(bytes), reader = response.body.getReader();
    let received = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      data.set(value.subarray(0, bytes - received), received);
      received += value.length;
      if (received >= count && !this.labelled) { this.labelled = true; this.resolveLabels(data.slice(0, count)); }
      while (this.frames.length < frames.length && received >= codes + (this.frames.length + 1) * size) {
        this.decode(data, this.frames.length);
      }
    }
    if (this.frames.length < frames.length) {
      throw new Error(`replay: replay.bin ended after ${received} of ${bytes} bytes`);
    }
  }

  decode(data, k) {
    const { count, dims, codes, frame_bytes: size, frames } = this.description;
    const values = new Int16Array(data.buffer, codes + k * size, count * dims);
    const { low, unit } = frames[k], z = new Float32Array(count * dims);
    for (let i = 0; i < values.length; i++) z[i] = low[i % dims] + (values[i] + 32767) * unit[i % dims];
    this.frames.push(z);
    this.waiting.get(k)?.[0](z);
    this.waiting.delete(k);
    this.onframe?.(k);
  }

  frame(k) {
    if (k < this.frames.length) return Promise.resolve(this.frames[k]);
    if (this.error) return Promise.reject(this.error);
    return new Promise((yes, no) => this.waiting.set(k, [yes, no]));
  }
}

const recording = once(() => new Recording(index().then((idx) => idx.replay)));

// ------------------------------------------------------------------ drawing

function element(tag, attributes = {}, children = []) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === "text") node.textContent = value;
    else node.setAttribute(key, value);
  }
  node.append(...children);
  return node;
}

const button = (text, attributes = {}) =>
  element("button", { type: "button", class: "ae-button", ...attributes, text });
const fixed = (value, digits = 4) => (Number.isFinite(value) ? value.toFixed(digits) : "–");
const thousands = (value) => value.toLocaleString("en");
const perDigit = (counts) => (Math.min(...counts) === Math.max(...counts) ? `${counts[0]} per digit`
  : `${Math.min(...counts)} to ${Math.max(...counts)} per digit`);

// A window on codes like replay.view: the middle 99% of each axis, 15% wider, square.
function viewOf(codes, dims = 2) {
  const low = [], high = [];
  for (let d = 0; d < 2; d++) {
    const values = Float64Array.from({ length: codes.length / dims }, (_, i) => codes[i * dims + d]).sort();
    const at = (q) => values[Math.min(values.length - 1, Math.max(0, Math.round(q * (values.length - 1))))];
    low.push(at(0.005));
    high.push(at(0.995));
  }
  const span = 1.15 * Math.max(high[0] - low[0], high[1] - low[1]);
  return { centre: [(low[0] + high[0]) / 2, (low[1] + high[1]) / 2], span: span > 0 ? span : 1 };
}

// Ticks at 1, 2 or 5 times a power of ten, about four across `span`.
function ticks(low, high) {
  const raw = (high - low) / 4, power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw);
  const first = Math.ceil(low / step), out = [];
  for (let k = first; k * step <= high; k++) out.push(Number((k * step).toPrecision(6)));
  return { values: out, step };
}

// The 2-D codes as a scatter on an opaque white square (like the figures), with axes that follow
// the window it is given; drawn at the screen's resolution.
class Scatter {
  constructor(canvas, colours) {
    this.canvas = canvas;
    this.colours = colours;
    this.last = null;
    new ResizeObserver(() => this.last && this.draw(...this.last)).observe(canvas);
  }

  draw(codes, labels, view) {
    this.last = [codes, labels, view];
    const canvas = this.canvas, ratio = window.devicePixelRatio || 1;
    const width = Math.max(1, Math.round(canvas.clientWidth * ratio));
    if (canvas.width !== width || canvas.height !== width) canvas.width = canvas.height = width;
    const context = canvas.getContext("2d");
    const px = width / 320; // drawing units: a 320-unit square, scaled
    const left = 42 * px, bottom = 34 * px, pad = 8 * px, side = width - left - pad;
    context.fillStyle = "#fff";
    context.fillRect(0, 0, width, width);
    const [cx, cy] = view.centre, half = view.span / 2;
    const x = (v) => left + ((v - cx + half) / view.span) * side;
    const y = (v) => pad + ((cy + half - v) / view.span) * side;

    // Grid and tick labels.
    context.font = `${10 * px}px system-ui, sans-serif`;
    context.fillStyle = "#444";
    context.strokeStyle = "#e6e6e6";
    context.lineWidth = px;
    const digits = (step) => Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
    const across = ticks(cx - half, cx + half), down = ticks(cy - half, cy + half);
    context.textAlign = "center";
    context.textBaseline = "top";
    for (const v of across.values) {
      context.beginPath(); context.moveTo(x(v), pad); context.lineTo(x(v), pad + side); context.stroke();
      context.fillText(v.toFixed(digits(across.step)), x(v), pad + side + 4 * px);
    }
    context.textAlign = "right";
    context.textBaseline = "middle";
    for (const v of down.values) {
      context.beginPath(); context.moveTo(left, y(v)); context.lineTo(left + side, y(v)); context.stroke();
      context.fillText(v.toFixed(digits(down.step)), left - 4 * px, y(v));
    }
    context.strokeStyle = "#999";
    context.strokeRect(left, pad, side, side);
    context.textAlign = "center";
    context.textBaseline = "bottom";
    context.font = `italic ${11 * px}px system-ui, sans-serif`;
    context.fillText("z₁", left + side / 2, width - 1 * px);
    context.save();
    context.translate(11 * px, pad + side / 2);
    context.rotate(-Math.PI / 2);
    context.textBaseline = "middle";
    context.fillText("z₂", 0, 0);
    context.restore();

    // The points, clipped to the square; one colour at a time.
    context.save();
    context.beginPath();
    context.rect(left, pad, side, side);
    context.clip();
    context.globalAlpha = 0.85;
    const size = Math.max(2, 2.6 * px), count = labels.length;
    for (let digit = 0; digit < this.colours.length; digit++) {
      context.fillStyle = this.colours[digit];
      for (let i = 0; i < count; i++) {
        if (labels[i] !== digit) continue;
        context.fillRect(x(codes[2 * i]) - size / 2, y(codes[2 * i + 1]) - size / 2, size, size);
      }
    }
    context.restore();
  }
}

// Codes and window moving from `from` to `to` over TWEEN_MS (at once if the reader prefers less
// motion); the window's span on a logarithmic scale, since it grows a hundredfold as the code forms.
class Motion {
  constructor(scatter, labels) {
    this.scatter = scatter;
    this.labels = labels;
    this.shown = null; // {codes, view}
    this.frame = 0;
    this.longestFrameMs = 0; // the longest one animation frame took to draw
  }

  to(codes, view, animate = true) {
    cancelAnimationFrame(this.frame);
    const from = this.shown;
    if (!animate || !from || reducedMotion()) {
      this.shown = { codes, view };
      this.scatter.draw(codes, this.labels, view);
      return;
    }
    const started = performance.now(), between = new Float32Array(codes.length);
    const tick = (now) => {
      const drawing = performance.now();
      const t = Math.min(1, (now - started) / TWEEN_MS), e = t * t * (3 - 2 * t); // smoothstep
      for (let i = 0; i < codes.length; i++) between[i] = from.codes[i] + (codes[i] - from.codes[i]) * e;
      const span = Math.exp(Math.log(from.view.span) + (Math.log(view.span) - Math.log(from.view.span)) * e);
      const centre = [0, 1].map((d) => from.view.centre[d] + (view.centre[d] - from.view.centre[d]) * e);
      this.shown = { codes: t < 1 ? between : codes, view: t < 1 ? { centre, span } : view };
      this.scatter.draw(this.shown.codes, this.labels, this.shown.view);
      this.longestFrameMs = Math.max(this.longestFrameMs, performance.now() - drawing);
      if (t < 1) this.frame = requestAnimationFrame(tick);
    };
    this.frame = requestAnimationFrame(tick);
  }
}

// Black or white, whichever contrasts more with `hex` (WCAG relative luminance), as the figures choose.
function textColour(hex) {
  const [r, g, b] = [1, 3, 5].map((k) => parseInt(hex.slice(k, k + 2), 16) / 255)
    .map((c) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  const luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  return (luminance + 0.05) / 0.05 > 1.05 / (luminance + 0.05) ? "#000" : "#fff";
}

// The ten digit colours with their digits, as figure 1 labels its classes.
function colourKey(colours) {
  return element("div", { class: "ae-watch-key", role: "list", "aria-label": "Colour key" }, [
    element("span", { text: "digit", "aria-hidden": "true" }),
    ...colours.map((colour, digit) => element("span", {
      class: "ae-watch-swatch", role: "listitem", style: `--swatch: ${colour}; --swatch-text: ${textColour(colour)}`,
      text: String(digit),
    })),
  ]);
}

function figure(root, title, caption, ...content) {
  const live = element("figure", { class: "ae-widget ae-watch-widget" }, [
    ...content, element("figcaption", {}, [element("strong", { text: `${title}. ` }), caption]),
  ]);
  root.querySelector(".ae-fallback")?.setAttribute("hidden", "");
  root.append(live);
  return live;
}

// ------------------------------------------------------------------ the replay

async function replayWidget(root, idx) {
  const description = idx.replay, moments = description.frames, last = moments.length - 1;
  const data = recording();
  const labels = await data.labels;
  const canvas = element("canvas", {
    class: "ae-watch-map", tabindex: "0", role: "img",
    "aria-label": `The codes of ${thousands(description.count)} test images at one moment of training. Keys: left and `
      + "right arrows step through the moments, Home and End go to the first and last, Space plays or pauses.",
  });
  const scatter = new Scatter(canvas, idx.colours), motion = new Motion(scatter, labels);
  const play = button("Play", { "aria-pressed": "false", class: "ae-button ae-watch-play" });
  const back = button("◀", { "aria-label": "Previous moment" });
  const forward = button("▶", { "aria-label": "Next moment" });
  const scrubber = element("input", { type: "range", min: "0", max: String(last), step: "1", value: "0",
    class: "ae-slider ae-watch-scrubber", "aria-label": "Moment of training" });
  const readout = element("p", { class: "ae-readout ae-watch-readout" });
  const state = { frame: 0, playing: false, loaded: 0, firstFrameAt: null };
  root.aeState = state;
  root.aeCodes = () => data.frames[state.frame]; // the decoded codes of the moment shown (for tests)

  const describe = (k) => {
    const m = moments[k], epoch = m.step / description.steps_per_epoch;
    return `step ${thousands(m.step)} of ${thousands(moments[last].step)}, epoch ${epoch.toFixed(epoch < 10 ? 2 : 0)}`;
  };
  const show = async (k, animate) => {
    state.frame = k;
    scrubber.value = String(k);
    scrubber.setAttribute("aria-valuetext", describe(k));
    const m = moments[k];
    readout.replaceChildren(
      element("strong", { text: describe(k)[0].toUpperCase() + describe(k).slice(1) }),
      element("br"),
      `Reconstruction error (MSE) of these images: ${fixed(m.test_loss)}`,
      element("br"),
      "Training loss, mean of the batches since the previous moment: "
        + (m.train_loss === null ? "none yet" : fixed(m.train_loss)),
    );
    const codes = await data.frame(k);
    if (state.frame !== k) return; // the reader moved on meanwhile
    motion.to(codes, { centre: m.centre, span: m.span }, animate);
    if (state.firstFrameAt === null) state.firstFrameAt = performance.now();
    root.dataset.frame = String(k);
  };

  let timer = null;
  const stop = () => {
    clearTimeout(timer);
    state.playing = false;
    play.textContent = "Play";
    play.setAttribute("aria-pressed", "false");
  };
  const advance = async () => {
    if (state.frame >= last) { stop(); return; }
    await show(state.frame + 1, true);
    if (state.playing) timer = setTimeout(advance, FRAME_MS);
  };
  const start = () => {
    state.playing = true;
    play.textContent = "Pause";
    play.setAttribute("aria-pressed", "true");
    if (state.frame >= last) show(0, false).then(() => { if (state.playing) timer = setTimeout(advance, FRAME_MS); });
    else advance();
  };
  const toggle = () => (state.playing ? stop() : start());
  const stepTo = (k) => { stop(); show(Math.max(0, Math.min(last, k)), !reducedMotion()); };

  play.addEventListener("click", toggle);
  back.addEventListener("click", () => stepTo(state.frame - 1));
  forward.addEventListener("click", () => stepTo(state.frame + 1));
  scrubber.addEventListener("input", () => { stop(); show(Number(scrubber.value), false); });
  canvas.addEventListener("keydown", (event) => {
    const keys = { ArrowLeft: -1, ArrowRight: 1, ArrowDown: -1, ArrowUp: 1, PageDown: -5, PageUp: 5 };
    if (event.key in keys) stepTo(state.frame + keys[event.key] * (event.shiftKey ? 5 : 1));
    else if (event.key === "Home") stepTo(0);
    else if (event.key === "End") stepTo(last);
    else if (event.key === " " || event.key === "Enter" || event.key.toLowerCase() === "k") toggle();
    else return;
    event.preventDefault(); // the page must not scroll
  });
  data.onframe = (k) => { state.loaded = k + 1; };
  state.loaded = data.frames.length;

  const run = idx.training.seeds[String(Object.keys(idx.training.seeds).sort((a, b) => a - b)[0])];
  figure(root, "Replay",
    `The codes of ${thousands(description.count)} test images (${perDigit(description.per_digit)}), coloured by `
    + `digit as in figure 1, at each of the ${moments.length} moments recorded while the build trained ${run.run}: `
    + "every step at first, then further apart, then once per epoch. The axes follow the codes' range.",
    element("div", { class: "ae-watch-row" }, [
      canvas,
      element("div", { class: "ae-watch-side" }, [
        element("div", { class: "ae-buttons" }, [play, back, forward]),
        scrubber, readout, colourKey(idx.colours),
      ]),
    ]));
  await show(0, false);
}

// ------------------------------------------------------------------ training in the browser

// Loss per epoch: the build's run of this seed (a grey line) and the reader's (dots).
function drawLosses(canvas, history, mine, running, epochs) {
  const ratio = window.devicePixelRatio || 1;
  const width = Math.max(1, Math.round(canvas.clientWidth * ratio)), height = Math.round(width * 0.36);
  if (canvas.width !== width || canvas.height !== height) { canvas.width = width; canvas.height = height; }
  const context = canvas.getContext("2d"), px = width / 320;
  context.fillStyle = "#fff";
  context.fillRect(0, 0, width, height);
  const values = [...history, ...mine, ...(Number.isFinite(running) ? [running] : [])];
  const low = Math.min(...values) * 0.95, high = Math.max(...values) * 1.02;
  const left = 40 * px, right = 8 * px, top = 8 * px, bottom = 20 * px;
  const x = (epoch) => left + ((epoch - 1) / Math.max(1, epochs - 1)) * (width - left - right);
  const y = (v) => top + (Math.log(high) - Math.log(v)) / (Math.log(high) - Math.log(low)) * (height - top - bottom);
  context.font = `${9 * px}px system-ui, sans-serif`;
  context.fillStyle = "#444";
  context.strokeStyle = "#e6e6e6";
  context.lineWidth = px;
  context.textAlign = "right";
  context.textBaseline = "middle";
  for (const v of [0.04, 0.05, 0.06, 0.08, 0.1, 0.15, 0.2]) {
    if (v < low || v > high) continue;
    context.beginPath(); context.moveTo(left, y(v)); context.lineTo(width - right, y(v)); context.stroke();
    context.fillText(String(v), left - 4 * px, y(v));
  }
  context.textBaseline = "top";
  for (const e of [1, 10, 20, 30].filter((e) => e <= epochs)) {
    context.textAlign = e === 1 ? "left" : e === epochs ? "right" : "center";
    context.fillText(e === 1 ? "epoch 1" : String(e), x(e), height - bottom + 4 * px);
  }
  context.strokeStyle = "#888";
  context.lineWidth = 1.5 * px;
  context.beginPath();
  history.forEach((v, k) => (k ? context.lineTo(x(k + 1), y(v)) : context.moveTo(x(k + 1), y(v))));
  context.stroke();
  context.fillStyle = "#D55E00";
  for (const [k, v] of mine.entries()) {
    context.beginPath(); context.arc(x(k + 1), y(v), 2.6 * px, 0, 2 * Math.PI); context.fill();
  }
  if (Number.isFinite(running) && mine.length < epochs) {
    context.strokeStyle = "#D55E00";
    context.beginPath(); context.arc(x(mine.length + 1), y(running), 2.6 * px, 0, 2 * Math.PI); context.stroke();
  }
}

async function trainWidget(root, idx) {
  const training = idx.training, seeds = Object.keys(training.seeds).sort((a, b) => a - b);
  const data = recording();
  const labels = (await data.labels).subarray(0, training.sample.count); // the sample's first images
  const canvas = element("canvas", { class: "ae-watch-map", role: "img",
    "aria-label": `The codes of ${thousands(training.sample.count)} test images under the model training in your browser`,
  });
  const scatter = new Scatter(canvas, idx.colours), motion = new Motion(scatter, labels);
  const chart = element("canvas", { class: "ae-watch-chart", role: "img",
    "aria-label": "Loss per epoch: the build's run as a grey line, your browser's as dots" });
  const go = button("Train", { class: "ae-button ae-watch-play" });
  const reset = button("Reset", { disabled: "" });
  const seed = element("select", { class: "ae-watch-seed", "aria-label": "Seed" },
    seeds.map((s) => element("option", { value: s, text: `seed ${s}` })));
  const status = element("p", { class: "ae-readout ae-watch-status", role: "status" });
  const readout = element("p", { class: "ae-readout ae-watch-readout" });
  const state = { status: "idle", seed: Number(seeds[0]), step: 0, epochLosses: [], snapshots: 0, snapshotTimes: [],
    messages: 0, longestUpdateMs: 0 }; // the longest the page's thread spent on one message
  root.aeState = state;
  let worker = null;

  const entry = () => training.seeds[String(state.seed)];
  const megabytes = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`;
  const idle = () => {
    const e = entry();
    status.textContent = `Train downloads the ${thousands(training.train_size)} training images of ${e.run} and `
      + `${thousands(training.sample.count)} test images (${megabytes(e.bytes + training.sample.bytes)}) and trains `
      + `${training.epochs} epochs of ${Math.ceil(training.train_size / training.batch_size)} steps.`;
    readout.textContent = "";
    drawLosses(chart, e.history, [], NaN, training.epochs);
    motion.shown = null; // no codes until the model exists
    scatter.draw(new Float32Array(0), new Uint8Array(0), { centre: [0, 0], span: 1 });
  };
  const stopWorker = () => { worker?.terminate(); worker = null; };
  const setStatus = (value) => {
    state.status = value;
    root.dataset.training = value;
    go.textContent = { idle: "Train", loading: "Pause", training: "Pause", paused: "Resume", done: "Train again",
      failed: "Train" }[value];
    reset.toggleAttribute("disabled", value === "idle");
    seed.toggleAttribute("disabled", value === "loading" || value === "training");
  };

  const onMessage = (event) => {
    const started = performance.now();
    handle(event.data);
    state.longestUpdateMs = Math.max(state.longestUpdateMs, performance.now() - started);
    state.longestFrameMs = motion.longestFrameMs;
  };
  const handle = (message) => {
    state.messages += 1;
    if (message.type === "loading") {
      status.textContent = `Downloading: ${megabytes(message.received)} of ${megabytes(message.total)}…`;
    } else if (message.type === "step") {
      if (state.status === "loading") setStatus("training");
      for (const key of ["step", "epoch", "loss", "epochLosses", "stepsPerSecond", "firstEpochSeconds", "elapsedSeconds"]) {
        state[key] = message[key];
      }
      const e = entry(), k = message.epochLosses.length;
      const compare = k ? `Epoch ${k}: loss ${fixed(message.epochLosses[k - 1], 5)} here, `
        + `${fixed(e.history[k - 1], 5)} in the build's run.` : "";
      readout.textContent = `Step ${thousands(message.step)} of ${thousands(message.totalSteps)}, epoch `
        + `${Math.min(training.epochs, message.epoch + 1)} of ${training.epochs}; batch loss ${fixed(message.loss)}. `
        + compare;
      if (message.stepsPerSecond) {
        status.textContent = `Your browser: ${message.stepsPerSecond.toFixed(1)} steps a second`
          + (message.firstEpochSeconds ? `; the first epoch took ${message.firstEpochSeconds.toFixed(1)} s.` : ".");
      }
      drawLosses(chart, e.history, message.epochLosses, message.running, training.epochs);
      if (message.codes) {
        state.snapshots += 1;
        state.snapshotTimes.push(performance.now());
        state.codes = message.codes;
        motion.to(message.codes, viewOf(message.codes), true);
      }
    } else if (message.type === "done") {
      setStatus("done");
      stopWorker();
    } else if (message.type === "error") {
      setStatus("failed");
      status.textContent = `Training stopped: ${message.message}`;
      stopWorker();
    }
  };

  const start = () => {
    stopWorker();
    const e = entry();
    worker = new Worker(WORKER, { type: "module" });
    worker.onmessage = onMessage;
    worker.onerror = (event) => handle({ type: "error", message: event.message || "the worker failed" });
    setStatus("loading");
    status.textContent = "Downloading…";
    worker.postMessage({
      type: "start", seed: state.seed, epochs: training.epochs, batchSize: training.batch_size,
      learningRate: training.learning_rate,
      images: { url: new URL(e.file, FILES).href, bytes: e.bytes, count: training.train_size },
      sample: { url: new URL(training.sample.file, FILES).href, bytes: training.sample.bytes,
        count: training.sample.count },
    });
  };
  go.addEventListener("click", () => {
    if (state.status === "idle" || state.status === "done" || state.status === "failed") start();
    else if (state.status === "training" || state.status === "loading") {
      worker?.postMessage({ type: "pause" });
      setStatus("paused");
    } else if (state.status === "paused") {
      worker?.postMessage({ type: "resume" });
      setStatus("training");
    }
  });
  const clear = () => {
    stopWorker();
    Object.assign(state, { step: 0, epochLosses: [], snapshots: 0, snapshotTimes: [], codes: null,
      longestUpdateMs: 0 });
    setStatus("idle");
    idle();
  };
  reset.addEventListener("click", clear);
  seed.addEventListener("change", () => { state.seed = Number(seed.value); clear(); });
  // Material's instant navigation swaps the page without unloading this module: stop with it.
  window.document$?.subscribe(() => { if (!root.isConnected) stopWorker(); });

  figure(root, "Train it yourself",
    `Vanilla d = 2 trained in your browser, in a Web Worker: the initial weights PyTorch draws for the seed, the `
    + `batches of ${training.batch_size} the build used (its ${thousands(training.train_size)} training images, in `
    + `torch.randperm's order), Adam at ${training.learning_rate}, the mean squared error. The map shows the codes of `
    + `${thousands(training.sample.count)} of the replay's test images, redrawn at least once a second; the chart, each `
    + "epoch's mean batch loss beside the build's (grey).",
    element("div", { class: "ae-watch-row" }, [
      canvas,
      element("div", { class: "ae-watch-side" }, [
        element("div", { class: "ae-buttons" }, [go, reset, seed]),
        status, chart, readout, colourKey(idx.colours),
      ]),
    ]));
  setStatus("idle");
  idle();
}

// ------------------------------------------------------------------ mounting

const WIDGETS = { replay: replayWidget, train: trainWidget };

// `root` becomes its widget; `restore()` brings back the static figures if it cannot.
export function mount(root, restore = () => {}) {
  if (root.dataset.mounted) return;
  root.dataset.mounted = "loading";
  recording(); // its download starts now, beside the others
  Promise.all([index(), stylesheet()])
    .then(([idx]) => WIDGETS[root.dataset.watch](root, idx))
    .then(() => { root.dataset.mounted = "ready"; })
    .catch((error) => {
      root.dataset.mounted = "failed";
      root.querySelector(".ae-fallback")?.removeAttribute("hidden");
      restore();
      console.warn(error);
    });
}
