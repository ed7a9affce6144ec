// The Play page's training, off the page's thread: a Web Worker that trains the vanilla d = 2
// autoencoder (trainer.js) and reports to the page as it goes.
//
// Messages in:  {type: "start", seed, images: {url, bytes, count}, sample: {url, bytes, count},
//                 epochs, batchSize, learningRate}, {type: "pause"}, {type: "resume"}.
// Messages out: {type: "loading", received, total}; {type: "step", ...} after every step, with the
//               codes of the test sample (a Float32Array, transferred) at least once a second and
//               at the end of every epoch; {type: "done"}; {type: "error", message}.

import { PIXELS, Trainer, toFloat, unrunLength } from "./trainer.js";

// The page's map is redrawn at least once a second: new codes are due this long after the last ones,
// leaving room for the time a message takes to arrive.
const SNAPSHOT_MS = 900;

let trainer = null, sample = null, sampleCount = 0, totalSteps = 0;
let paused = false, running = false;
// Times in ms: training steps alone, and everything but pauses (steps and the codes for the page).
let trainingMs = 0, elapsedMs = 0, firstEpochMs = null, lastSnapshot = 0, encodeMs = 0;

self.onmessage = ({ data }) => {
  const fail = (error) => self.postMessage({ type: "error", message: String(error.message || error) });
  if (data.type === "start") start(data).catch(fail);
  else if (data.type === "pause") paused = true;
  else if (data.type === "resume") { paused = false; run(); }
};

// A file of run-length coded pixels, fetched with its progress reported, decoded to float32.
async function pixels({ url, bytes, count }, progress) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  const buffer = new Uint8Array(bytes);
  const reader = response.body.getReader();
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (received + value.length > bytes) throw new Error(`${url}: more than the ${bytes} bytes expected`);
    buffer.set(value, received);
    received += value.length;
    progress(value.length);
  }
  if (received !== bytes) throw new Error(`${url}: ${received} bytes, expected ${bytes}`);
  return toFloat(unrunLength(buffer, count * PIXELS));
}

async function start({ seed, images, sample: test, epochs, batchSize, learningRate }) {
  const total = images.bytes + test.bytes;
  let received = 0;
  const progress = (n) => { received += n; self.postMessage({ type: "loading", received, total }); };
  const [train, held] = await Promise.all([pixels(images, progress), pixels(test, progress)]);
  trainer = new Trainer(train, { seed, batchSize, learningRate });
  sample = held;
  sampleCount = test.count;
  totalSteps = epochs * trainer.stepsPerEpoch;
  report(NaN, true);
  run();
}

// Give the worker's event loop a turn (pause and resume arrive as messages) without the delay of
// nested timers.
function yieldOnce() {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = resolve;
    channel.port2.postMessage(null);
  });
}

async function run() {
  if (running || !trainer) return;
  running = true;
  while (!paused && trainer.steps < totalSteps) {
    const started = performance.now();
    const loss = trainer.step();
    const stepped = performance.now();
    trainingMs += stepped - started;
    if (trainer.steps === trainer.stepsPerEpoch) firstEpochMs = elapsedMs + stepped - started;
    // Codes at every epoch's end, and often enough that the map never waits more than a second
    // (the next step and the encoding take about as long as the last ones did).
    const due = stepped - lastSnapshot + (stepped - started) + encodeMs >= SNAPSHOT_MS;
    report(loss, due || trainer.steps % trainer.stepsPerEpoch === 0);
    elapsedMs += performance.now() - started;
    await yieldOnce(); // time paused or yielding is not counted
  }
  running = false;
  if (trainer.steps >= totalSteps) self.postMessage({ type: "done" });
}

function report(loss, withCodes) {
  const message = {
    type: "step", step: trainer.steps, epoch: trainer.epoch, stepsPerEpoch: trainer.stepsPerEpoch, totalSteps,
    loss, epochLosses: trainer.epochLosses, running: trainer.running / (trainer.steps % trainer.stepsPerEpoch || NaN),
    stepsPerSecond: trainer.steps ? trainer.steps / (trainingMs / 1000) : null,
    firstEpochSeconds: firstEpochMs === null ? null : firstEpochMs / 1000, elapsedSeconds: elapsedMs / 1000,
  };
  if (!withCodes) {
    self.postMessage(message);
    return;
  }
  const started = performance.now();
  message.codes = trainer.net.encode(sample, sampleCount);
  lastSnapshot = performance.now();
  message.encodeMs = encodeMs = lastSnapshot - started;
  self.postMessage(message, [message.codes.buffer]);
}
