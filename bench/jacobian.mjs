// The cost of GradientTape.jacobian against a loop of gradient() calls, for f(x) = tanh(W x) with W [64, 64]:
//   jacobian:  one forward pass, one tape pruning, 64 reverse replays (one per output element);
//   loop:      64 times a fresh tape, the forward pass again, and gradient() seeded with a one-hot vector.
// Also batchJacobian of the same layer applied to a batch of 64 rows, against jacobian of the same.
// Usage: npm run build && node bench/jacobian.mjs   (or TAPEGRAD_DIST=/path/to/esm/index.js node bench/jacobian.mjs)
import { pathToFileURL } from 'node:url';

const entry = process.env.TAPEGRAD_DIST ?? new URL('../dist/esm/index.js', import.meta.url).href;
const tg = await import(entry.startsWith('file:') ? entry : pathToFileURL(entry).href);
const { GradientTape, tensor, tanh, matmul, reshape } = tg;

const N = 64;
let s = 1;
const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296) * 2 - 1;
const W = tensor(Float32Array.from({ length: N * N }, rand), [N, N]);
const x = tensor(Float32Array.from({ length: N }, rand), [N, 1]);
const f = (v) => reshape(tanh(matmul(W, v)), [N]);

function viaJacobian() {
  const tape = new GradientTape();
  tape.watch(x);
  return tape.jacobian(f(x), x);
}

function viaGradientLoop() {
  const rows = [];
  for (let i = 0; i < N; i++) {
    const tape = new GradientTape();
    tape.watch(x);
    const seed = new Float32Array(N);
    seed[i] = 1;
    rows.push(tape.gradient(f(x), x, tensor(seed)));
  }
  return rows;
}

const X = tensor(Float32Array.from({ length: N * N }, rand), [N, N]); // 64 rows of 64
const layer = (v) => tanh(matmul(v, W));
function viaBatchJacobian() {
  const tape = new GradientTape();
  tape.watch(X);
  return tape.batchJacobian(layer(X), X);
}
function viaFullJacobian() {
  const tape = new GradientTape();
  tape.watch(X);
  return tape.jacobian(layer(X), X);
}

/** Median milliseconds per call over `runs` timed runs after `warmup` untimed ones. */
function time(fn, runs = 100, warmup = 20) {
  for (let i = 0; i < warmup; i++) fn();
  const ms = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  return ms[Math.floor(runs / 2)];
}

// Same numbers both ways, or the timing means nothing.
const j = viaJacobian().dataSync();
const rows = viaGradientLoop();
let worst = 0;
rows.forEach((g, i) => g.dataSync().forEach((v, k) => (worst = Math.max(worst, Math.abs(v - j[i * N + k])))));
if (worst > 1e-6) throw new Error(`jacobian and the gradient loop differ by ${worst}`);

const a = time(viaJacobian);
const b = time(viaGradientLoop);
console.log(
  `[${N}] -> [${N}] tanh(W x): jacobian ${a.toFixed(2)} ms, ${N} gradient() calls ${b.toFixed(2)} ms, ratio ${(b / a).toFixed(2)}x`,
);
const c = time(viaBatchJacobian, 5, 1);
const d = time(viaFullJacobian, 3, 1);
console.log(
  `[${N},${N}] -> [${N},${N}] tanh(X W): batchJacobian ${c.toFixed(1)} ms, full jacobian ${d.toFixed(1)} ms, ratio ${(d / c).toFixed(1)}x`,
);
