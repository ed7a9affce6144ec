// The vanilla autoencoder of models.py trained in plain JavaScript, step for step as train.py trains it.
//
// The same initial weights as PyTorch draws them for a seed (its Mersenne Twister, nn.Linear's
// default initialisation), the same batch order (torch.randperm with a generator of that seed), the
// same loss (MSE averaged over pixels and batch) and the same optimiser (torch.optim.Adam with fused
// kernels, as train.py uses it). Tensors are Float32Arrays, as PyTorch keeps them: every result is
// rounded to float32 where PyTorch rounds it. Sums inside matrix products are accumulated in double
// precision (PyTorch's kernels accumulate in float32, in an order of their own), so results agree to
// float32 rounding, not bit for bit. The tests compare this file with PyTorch in Chromium.
//
// No DOM: the Play page runs it in a Web Worker (train-worker.js), and tests import it directly.

export const PIXELS = 784;
// Layer widths: 784 -> 512 -> 256 -> d -> 256 -> 512 -> 784. ReLU after every layer but the code
// (layer 3, no activation: z is any real vector) and the last (Sigmoid: pixels live in [0, 1]).
export const widths = (d = 2) => [PIXELS, 512, 256, d, 256, 512, PIXELS];
const CODE_LAYER = 2; // index of the layer whose output is z

const f32 = Math.fround;

// ------------------------------------------------------------------ PyTorch's CPU generator

// mt19937, the generator behind torch.manual_seed and torch.Generator().manual_seed on the CPU.
export class TorchGenerator {
  constructor(seed) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new RangeError(`trainer: a seed from 0 to 2^32 - 1, not ${seed}`);
    }
    this.state = new Uint32Array(624);
    this.state[0] = seed >>> 0;
    for (let i = 1; i < 624; i++) {
      const previous = this.state[i - 1] ^ (this.state[i - 1] >>> 30);
      this.state[i] = (Math.imul(1812433253, previous) + i) >>> 0;
    }
    this.index = 624;
  }

  // The next 32-bit draw, as generator->random() returns it.
  random() {
    const s = this.state;
    if (this.index >= 624) {
      for (let i = 0; i < 624; i++) {
        const y = (s[i] & 0x80000000) | (s[(i + 1) % 624] & 0x7fffffff);
        s[i] = s[(i + 397) % 624] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      this.index = 0;
    }
    let y = s[this.index++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  // tensor.uniform_(low, high) for float32, one draw per element: the draw's low 24 bits as a
  // fraction of 2^24, scaled into [low, high) in one fused multiply-add rounded to float32
  // (exact here in double, then rounded once).
  uniform(count, low, high) {
    const from = f32(low), range = f32(f32(high) - from), out = new Float32Array(count);
    for (let k = 0; k < count; k++) out[k] = (this.random() & 0xffffff) / 16777216 * range + from;
    return out;
  }
}

// torch.randperm(n, generator=...): Fisher-Yates with one draw modulo the number left per swap.
export function randperm(n, generator) {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = 0; i < n - 1; i++) {
    const j = i + (generator.random() % (n - i));
    const kept = order[i];
    order[i] = order[j];
    order[j] = kept;
  }
  return order;
}

// nn.Linear's default initialisation, in the order nn.Sequential builds the layers, from
// torch.manual_seed(seed): weights kaiming-uniform with a = sqrt(5), that is U(±1/sqrt(fan_in)),
// then biases U(±1/sqrt(fan_in)). The bounds are computed as torch.nn.init computes them.
export function initialLayers(seed, sizes = widths()) {
  const generator = new TorchGenerator(seed);
  const layers = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    const n = sizes[l], m = sizes[l + 1];
    const slope = Math.sqrt(5);
    const gain = Math.sqrt(2 / (1 + slope * slope));
    const bound = Math.sqrt(3) * (gain / Math.sqrt(n));
    const weight = generator.uniform(m * n, -bound, bound);
    const bias = generator.uniform(m, -1 / Math.sqrt(n), 1 / Math.sqrt(n));
    layers.push({ in: n, out: m, weight, bias });
  }
  return layers;
}

// ------------------------------------------------------------------ matrix products

// C (M x N) = A (M x K) times the transpose of B (N x K), plus bias[n] if given: every product of
// the network takes this form, once its operands are laid out so. Blocks of 4 x 4 outputs share
// each loaded value four times over; their 16 sums live in registers, in double precision.
export function matmulT(A, B, C, M, N, K, bias = null) {
  const M4 = M - (M % 4), N4 = N - (N % 4);
  for (let m = 0; m < M4; m += 4) {
    const a0 = m * K, a1 = a0 + K, a2 = a1 + K, a3 = a2 + K;
    for (let n = 0; n < N4; n += 4) {
      const b0 = n * K, b1 = b0 + K, b2 = b1 + K, b3 = b2 + K;
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      for (let k = 0; k < K; k++) {
        const x0 = A[a0 + k], x1 = A[a1 + k], x2 = A[a2 + k], x3 = A[a3 + k];
        const y0 = B[b0 + k], y1 = B[b1 + k], y2 = B[b2 + k], y3 = B[b3 + k];
        c00 += x0 * y0; c01 += x0 * y1; c02 += x0 * y2; c03 += x0 * y3;
        c10 += x1 * y0; c11 += x1 * y1; c12 += x1 * y2; c13 += x1 * y3;
        c20 += x2 * y0; c21 += x2 * y1; c22 += x2 * y2; c23 += x2 * y3;
        c30 += x3 * y0; c31 += x3 * y1; c32 += x3 * y2; c33 += x3 * y3;
      }
      const d0 = bias ? bias[n] : 0, d1 = bias ? bias[n + 1] : 0;
      const d2 = bias ? bias[n + 2] : 0, d3 = bias ? bias[n + 3] : 0;
      let o = m * N + n;
      C[o] = c00 + d0; C[o + 1] = c01 + d1; C[o + 2] = c02 + d2; C[o + 3] = c03 + d3; o += N;
      C[o] = c10 + d0; C[o + 1] = c11 + d1; C[o + 2] = c12 + d2; C[o + 3] = c13 + d3; o += N;
      C[o] = c20 + d0; C[o + 1] = c21 + d1; C[o + 2] = c22 + d2; C[o + 3] = c23 + d3; o += N;
      C[o] = c30 + d0; C[o + 1] = c31 + d1; C[o + 2] = c32 + d2; C[o + 3] = c33 + d3;
    }
  }
  // The edges: rows past the last block of four, then columns past it (the code has 2 units).
  for (let m = 0; m < M; m++) {
    for (let n = m < M4 ? N4 : 0; n < N; n++) {
      let sum = 0;
      for (let k = 0, a = m * K, b = n * K; k < K; k++) sum += A[a + k] * B[b + k];
      C[m * N + n] = sum + (bias ? bias[n] : 0);
    }
  }
}

// (rows x columns) -> (columns x rows)
function transpose(source, target, rows, columns) {
  for (let r = 0; r < rows; r++) {
    for (let c = 0, s = r * columns; c < columns; c++) target[c * rows + r] = source[s + c];
  }
}

// The first layer, whose inputs are images, four fifths of their pixels 0: each row of Y (batch x m)
// is bias + the sum, over the image's non-zero pixels i, of x_i times row i of WT (n x m, the weight
// transposed). A fifth of the work of the dense product.
function sparseInputLayer(X, WT, bias, Y, batch, n, m, sums) {
  for (let b = 0; b < batch; b++) {
    sums.fill(0, 0, m);
    for (let i = 0, x = b * n; i < n; i++) {
      const v = X[x + i];
      if (v === 0) continue;
      for (let o = 0, w = i * m; o < m; o++) sums[o] += v * WT[w + o];
    }
    for (let o = 0, y = b * m; o < m; o++) Y[y + o] = sums[o] + bias[o];
  }
}

// Its weight gradient the same way: dW^T (n x m) = X^T delta, one row of delta per non-zero pixel.
function sparseInputGradient(X, delta, dW, batch, n, m, sums) {
  sums.fill(0, 0, n * m);
  for (let b = 0; b < batch; b++) {
    for (let i = 0, x = b * n; i < n; i++) {
      const v = X[x + i];
      if (v === 0) continue;
      for (let o = 0, d = b * m, w = i * m; o < m; o++) sums[w + o] += v * delta[d + o];
    }
  }
  transpose(sums, dW, n, m);
}

// ------------------------------------------------------------------ the network

export class Autoencoder {
  // layers: [{in, out, weight: Float32Array (out x in, row-major like PyTorch), bias: Float32Array}]
  constructor(layers, maxBatch = 128) {
    this.layers = layers.map((l) => ({ ...l, weight: Float32Array.from(l.weight), bias: Float32Array.from(l.bias) }));
    this.maxBatch = maxBatch;
    const widest = Math.max(...this.layers.map((l) => Math.max(l.in, l.out)));
    // a[l]: the input of layer l (a[0] is the batch), a[L]: the reconstruction.
    this.a = [new Float32Array(maxBatch * PIXELS), ...this.layers.map((l) => new Float32Array(maxBatch * l.out))];
    this.grads = this.layers.map((l) => ({ weight: new Float32Array(l.out * l.in), bias: new Float32Array(l.out) }));
    this.delta = new Float32Array(maxBatch * widest); // dL/d(pre-activation) of the current layer
    this.below = new Float32Array(maxBatch * widest); // dL/d(input) of the current layer
    this.deltaT = new Float32Array(maxBatch * widest);
    this.inputT = new Float32Array(maxBatch * widest);
    this.weightT = new Float32Array(Math.max(...this.layers.map((l) => l.in * l.out)));
    this.inputWeightT = new Float32Array(this.layers[0].in * this.layers[0].out); // layer 0's weight, transposed
    this.sums = new Float64Array(this.layers[0].in * this.layers[0].out); // double-precision sums of layer 0
  }

  // y = layer l applied to this.a[l], with its activation, into this.a[l + 1].
  layer(l, batch) {
    const { in: n, out: m, weight, bias } = this.layers[l];
    const y = this.a[l + 1];
    if (l === 0) sparseInputLayer(this.a[0], this.inputWeightT, bias, y, batch, n, m, this.sums);
    else matmulT(this.a[l], weight, y, batch, m, n, bias);
    const size = batch * m;
    if (l === this.layers.length - 1) for (let k = 0; k < size; k++) y[k] = 1 / (1 + Math.exp(-y[k])); // Sigmoid
    else if (l !== CODE_LAYER) for (let k = 0; k < size; k++) if (y[k] < 0) y[k] = 0; // ReLU
  }

  // The forward pass of `batch` images held in this.a[0]; returns the reconstruction (a view).
  forward(batch) {
    transpose(this.layers[0].weight, this.inputWeightT, this.layers[0].out, this.layers[0].in);
    for (let l = 0; l < this.layers.length; l++) this.layer(l, batch);
    return this.a[this.layers.length].subarray(0, batch * PIXELS);
  }

  // F.mse_loss(model(x), x) for the images of `images` (count x 784) at `indices`, and its gradient
  // with respect to every weight and bias, left in this.grads.
  lossAndGradients(images, indices) {
    const batch = indices.length, x = this.a[0];
    for (let b = 0; b < batch; b++) x.set(images.subarray(indices[b] * PIXELS, (indices[b] + 1) * PIXELS), b * PIXELS);
    const y = this.forward(batch);
    const count = batch * PIXELS;
    let total = 0;
    const delta = this.delta;
    const scale = f32(2 / count); // mse_loss_backward: (y - x) * 2 / numel
    for (let k = 0; k < count; k++) {
      const error = f32(y[k] - x[k]);
      total += f32(error * error);
      // Through the Sigmoid: grad * (1 - y) * y, as PyTorch's sigmoid_backward.
      delta[k] = f32(f32(f32(error * scale) * f32(1 - y[k])) * y[k]);
    }
    this.backward(batch);
    return f32(total / count);
  }

  // Back from this.delta = dL/d(pre-activation of the last layer), layer by layer.
  backward(batch) {
    for (let l = this.layers.length - 1; l >= 0; l--) {
      const { in: n, out: m, weight } = this.layers[l];
      const { weight: dW, bias: db } = this.grads[l];
      // dW (m x n) = delta^T (m x batch) . input (batch x n); db = delta summed over the batch.
      transpose(this.delta, this.deltaT, batch, m);
      if (l === 0) {
        sparseInputGradient(this.a[0], this.delta, dW, batch, n, m, this.sums);
      } else {
        transpose(this.a[l], this.inputT, batch, n);
        matmulT(this.deltaT, this.inputT, dW, m, n, batch);
      }
      for (let o = 0; o < m; o++) {
        let sum = 0;
        for (let b = 0, row = o * batch; b < batch; b++) sum += this.deltaT[row + b];
        db[o] = sum;
      }
      if (l === 0) break; // no gradient for the images
      // d(input) (batch x n) = delta (batch x m) . W (m x n)
      transpose(weight, this.weightT, m, n);
      matmulT(this.delta, this.weightT, this.below, batch, n, m);
      // Through the activation that produced this layer's input: ReLU passes where its output > 0;
      // the code (input of layer CODE_LAYER + 1) had none.
      const input = this.a[l], size = batch * n;
      if (l - 1 === CODE_LAYER) this.delta.set(this.below.subarray(0, size));
      else for (let k = 0; k < size; k++) this.delta[k] = input[k] > 0 ? this.below[k] : 0;
    }
  }

  // The codes of `count` images (Float32Array, count x 784), in batches: a Float32Array (count x d).
  encode(images, count) {
    const d = this.layers[CODE_LAYER].out, codes = new Float32Array(count * d);
    transpose(this.layers[0].weight, this.inputWeightT, this.layers[0].out, this.layers[0].in);
    for (let start = 0; start < count; start += this.maxBatch) {
      const batch = Math.min(this.maxBatch, count - start);
      this.a[0].set(images.subarray(start * PIXELS, (start + batch) * PIXELS));
      for (let l = 0; l <= CODE_LAYER; l++) this.layer(l, batch);
      codes.set(this.a[CODE_LAYER + 1].subarray(0, batch * d), start * d);
    }
    return codes;
  }
}

// ------------------------------------------------------------------ the optimiser

// torch.optim.Adam(params, lr, fused=True) on the CPU, element by element in float32 as its kernel
// computes: m <- m + (1 - beta1)(g - m) (a fused multiply-add), v <- beta2 v + (1 - beta2) g g,
// p <- p - (lr / (1 - beta1^t)) m / (sqrt(v) / sqrt(1 - beta2^t) + eps), the corrections in double.
export class Adam {
  constructor(layers, { lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8 } = {}) {
    Object.assign(this, { lr, beta1, beta2, eps, t: 0 });
    this.moments = layers.map((l) => ({
      weight: [new Float32Array(l.weight.length), new Float32Array(l.weight.length)],
      bias: [new Float32Array(l.bias.length), new Float32Array(l.bias.length)],
    }));
  }

  step(layers, grads) {
    this.t += 1;
    const stepSize = this.lr / (1 - Math.pow(this.beta1, this.t));
    const correction = f32(Math.sqrt(1 - Math.pow(this.beta2, this.t)));
    const c1 = f32(1 - this.beta1), c2 = f32(1 - this.beta2), beta2 = f32(this.beta2);
    const eps = f32(this.eps), minusStep = f32(-stepSize);
    layers.forEach((layer, l) => {
      for (const name of ["weight", "bias"]) {
        const p = layer[name], g = grads[l][name], [m, v] = this.moments[l][name];
        for (let k = 0; k < p.length; k++) {
          const gk = g[k];
          const mk = f32(m[k] + c1 * f32(gk - m[k])); // exact in double, then rounded once: a fused multiply-add
          const vk = f32(f32(v[k] * beta2) + f32(f32(c2 * gk) * gk));
          m[k] = mk;
          v[k] = vk;
          const denominator = f32(f32(f32(Math.sqrt(vk)) / correction) + eps);
          p[k] = f32(p[k] + f32(f32(minusStep * mk) / denominator));
        }
      }
    });
  }
}

// ------------------------------------------------------------------ the training loop of train.py

export class Trainer {
  // images: Float32Array (count x 784) in [0, 1], the run's training images in the order
  // data.training_indices draws them. Initial weights from torch.manual_seed(seed); the batch order
  // from its own generator of the same seed, a fresh torch.randperm per epoch.
  constructor(images, { seed = 0, batchSize = 128, learningRate = 1e-3, latentDim = 2, layers = null } = {}) {
    this.images = images;
    this.count = images.length / PIXELS;
    this.batchSize = batchSize;
    this.net = new Autoencoder(layers ?? initialLayers(seed, widths(latentDim)), batchSize);
    this.optimizer = new Adam(this.net.layers, { lr: learningRate });
    this.order = new TorchGenerator(seed);
    this.stepsPerEpoch = Math.ceil(this.count / batchSize);
    this.steps = 0; // optimiser steps taken
    this.epochLosses = []; // the mean batch loss of every finished epoch: train.py's history
    this.running = 0; // the sum of this epoch's batch losses so far
    this.permutation = null;
  }

  get epoch() { return Math.floor(this.steps / this.stepsPerEpoch); } // epochs finished

  // One optimiser step on the next batch; returns its loss.
  step() {
    const within = this.steps % this.stepsPerEpoch;
    if (within === 0) this.permutation = randperm(this.count, this.order);
    const start = within * this.batchSize;
    const batch = this.permutation.subarray(start, Math.min(this.count, start + this.batchSize));
    const loss = this.net.lossAndGradients(this.images, batch);
    this.optimizer.step(this.net.layers, this.net.grads);
    this.steps += 1;
    this.running = f32(this.running + loss); // summed as float32 tensors, as train.py sums them
    if (this.steps % this.stepsPerEpoch === 0) {
      // As train.py: the float32 sum turned into a number, then divided.
      this.epochLosses.push(this.running / this.stepsPerEpoch);
      this.running = 0;
    }
    return loss;
  }
}

// ------------------------------------------------------------------ the page's files

// The inverse of replay.run_length: a run of n zeros is the pair (0, n); any other byte is itself.
export function unrunLength(bytes, size) {
  const out = new Uint8Array(size);
  let o = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === 0) o += bytes[++i];
    else out[o++] = b;
  }
  if (o !== size) throw new Error(`trainer: the data decode to ${o} pixels, expected ${size}`);
  return out;
}

// uint8 pixels -> float32 in [0, 1], as data.py scales them (uint8 / 255 in float32).
export function toFloat(pixels) {
  const out = new Float32Array(pixels.length);
  for (let k = 0; k < pixels.length; k++) out[k] = pixels[k] / 255;
  return out;
}
