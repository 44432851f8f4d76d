// Markdown report of one bench run: tapegrad's numbers, each peer's with its ratio to tapegrad, and the
// targets of issue 5. `node bench/report.mjs [bench/results/latest.json]` reprints a saved run.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

const f = (x, d = 2) => (typeof x !== 'number' || !Number.isFinite(x) ? '–' : x >= 100 ? x.toFixed(0) : x.toFixed(d));
const row = (cells) => '| ' + cells.join(' | ') + ' |';
const table = (head, rows) => [row(head), row(head.map(() => '---')), ...rows.map(row)].join('\n');

/**
 * Each row: a label, how to read the value from a result, and whether larger is better. A peer's cell is
 * `value (r×)` where r > 1 means tapegrad is better by that factor (peer time / ours, or ours / peer rate).
 */
function rows(sizes) {
  const r = [
    ['W1 fwd µs/op', (x) => x.W1?.usPerOpFwd, false],
    ['W1 bwd µs/op', (x) => x.W1?.usPerOpBwd, false],
  ];
  for (const n of sizes) {
    r.push([`W2 n=${n} fwd GFLOP/s`, (x) => x.W2?.[n]?.fwdGflops, true]);
    r.push([`W2 n=${n} fwd+bwd GFLOP/s`, (x) => x.W2?.[n]?.fwdBwdGflops, true]);
  }
  r.push(
    ['W3 fwd ms', (x) => x.W3?.fwdMs, false],
    ['W3 fwd+bwd ms', (x) => x.W3?.fwdBwdMs, false],
    ['W4 ms/step', (x) => x.W4?.msPerStep, false],
    ['W5 peak RSS MiB', (x) => x.W5?.peakRssMB, false],
    ['W5 growth MiB (peak − start)', (x) => (x.W5 ? x.W5.peakRssMB - x.W5.rssStartMB : undefined), false],
  );
  return r;
}

export function report(results) {
  const ours = results.tapegrad;
  const peers = Object.values(results.peers ?? {});
  const sizes = Object.keys(ours.W2 ?? {}).map(Number);
  const out = [];
  const load = (l) => l?.map((x) => x.toFixed(2)).join(' ');
  out.push(`## tapegrad bench, ${results.date}${results.quick ? ' (QUICK: tiny sizes, numbers meaningless)' : ''}`);
  out.push('');
  out.push(
    `Node ${results.node}, ${results.cpus} CPUs, load average before ${load(results.loadBefore)}, after ${load(results.loadAfter)}.`,
  );
  out.push(`Workloads from ${results.definitions}. Peer cells: value (ratio), ratio > 1 means tapegrad is better.`);
  out.push('');
  const head = ['workload', 'tapegrad', ...peers.map((p) => p.peer)];
  out.push(
    table(
      head,
      rows(sizes).map(([label, get, larger]) => {
        const mine = get(ours);
        return [
          label,
          f(mine),
          ...peers.map((p) => {
            const v = get(p);
            if (typeof v !== 'number') return '–';
            const ratio = larger ? mine / v : v / mine;
            return `${f(v)} (${f(ratio, 2)}×)`;
          }),
        ];
      }),
    ),
  );
  out.push('');
  out.push('Check values (all peers agree on 148.499, 2.52784, 0.47105, 0.00353 in a full run):');
  out.push('');
  out.push(
    table(
      ['', 'W1 grad', 'W4 loss step 0', 'W4 loss step 60', 'W5 loss step 1000', 'W5 ms/step (mean incl. warm-up)'],
      [ours, ...peers].map((p) => [
        p.peer,
        (p.W1?.grad?.toFixed(3) ?? '–') + (p.W1?.error ? ` (${p.W1.ops} ops: ${p.W1.error})` : ''),
        p.W4?.loss0?.toFixed(5) ?? '–',
        p.W4?.loss60?.toFixed(5) ?? '–',
        p.W5?.loss1000?.toFixed(5) ?? '–',
        f(p.W5?.msPerStep),
      ]),
    ),
  );
  out.push('');
  out.push(...targets(ours, results.peers ?? {}, results.quick));
  out.push('');
  out.push(`tapegrad: ${ours.info}`);
  for (const p of peers) if (p.info || p.error) out.push(`${p.peer}: ${p.info ?? p.error}`);
  return out.join('\n');
}

/** The targets of issue 5, each with its measured ratio. */
function targets(ours, peers, quick) {
  const lines = ['Targets (issue 5):', ''];
  const check = (name, ok, detail) =>
    lines.push(`- ${ok === undefined ? '?' : ok ? 'met' : 'MISSED'}: ${name}: ${detail}`);
  const mini = peers['js-mini'];
  if (mini?.W1 && ours.W1) {
    const fwd = ours.W1.usPerOpFwd / mini.W1.usPerOpFwd;
    const bwd = ours.W1.usPerOpBwd / mini.W1.usPerOpBwd;
    check('W1 ≤ 2× js-mini', fwd <= 2 && bwd <= 2, `fwd ${f(fwd)}×, bwd ${f(bwd)}× js-mini`);
  }
  const jax = peers['jaxjs-wasm'];
  for (const n of [256, 512, 1024]) {
    const a = ours.W2?.[n];
    const b = jax?.W2?.[n];
    if (a?.fwdBwdGflops && b?.fwdBwdGflops) {
      const r = a.fwdBwdGflops / b.fwdBwdGflops;
      check(`W2 n=${n} fwd+bwd ≥ 1.5× jaxjs-wasm`, r >= 1.5, `${f(r)}×`);
    }
    if (a?.fwdMs) {
      const bwdMs = a.fwdBwdMs - a.fwdMs;
      check(`W2 n=${n} backward ≤ two forwards`, bwdMs <= 2 * a.fwdMs, `backward ${f(bwdMs / a.fwdMs)}× a forward`);
    }
  }
  if (jax?.W3 && ours.W3) {
    check(
      'W3 ≤ jaxjs-wasm',
      ours.W3.fwdMs <= jax.W3.fwdMs && ours.W3.fwdBwdMs <= jax.W3.fwdBwdMs,
      `fwd ${f(ours.W3.fwdMs / jax.W3.fwdMs)}×, fwd+bwd ${f(ours.W3.fwdBwdMs / jax.W3.fwdBwdMs)}× jax-js's time`,
    );
  }
  const jit = peers['jaxjs-wasm-jit'];
  if (jit?.W4 && ours.W4) {
    const r = ours.W4.msPerStep / jit.W4.msPerStep;
    check('W4 ≤ 0.5× jaxjs-wasm-jit', r <= 0.5, `${f(r)}× its time`);
  }
  if (ours.W5?.peakRssMB) {
    const g = ours.W5.peakRssMB - ours.W5.rssStartMB;
    check('W5 peak RSS growth < 50 MiB over 1,000 steps', g < 50, `${f(g, 1)} MiB`);
  }
  if (ours.W4) {
    const [l0, l60] = [2.52784, quick ? 1.80001 : 0.47105]; // QUICK's "step 60" is step 15
    const ok = Math.abs(ours.W4.loss0 - l0) < 5e-5 && Math.abs(ours.W4.loss60 - l60) < 5e-5;
    check(`W4 losses ${l0} / ${l60} to 4 digits`, ok, `${ours.W4.loss0?.toFixed(5)} / ${ours.W4.loss60?.toFixed(5)}`);
  }
  return lines;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const file = process.argv[2] ?? fileURLToPath(new URL('./results/latest.json', import.meta.url));
  console.log(report(JSON.parse(fs.readFileSync(file, 'utf8'))));
}
