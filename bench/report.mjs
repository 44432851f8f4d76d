// Markdown report of one bench run: tapegrad's numbers, each peer's (and a --baseline build's) with its ratio
// to tapegrad, the same-run ratios to the baseline, and the targets of issues 5 and 9.
// `node bench/report.mjs [bench/results/latest.json]` reprints a saved run.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

const f = (x, d = 2) => (typeof x !== 'number' || !Number.isFinite(x) ? '–' : x >= 100 ? x.toFixed(0) : x.toFixed(d));
const row = (cells) => '| ' + cells.join(' | ') + ' |';
const table = (head, rows) => [row(head), row(head.map(() => '---')), ...rows.map(row)].join('\n');

/**
 * Each row: a label, how to read the value from a result, whether larger is better, and optionally the
 * target's verdict (true: met, shown as `ok`; false: `FAIL`). A peer's cell is `value (r×)` where r > 1
 * means tapegrad is better by that factor (peer time / ours, or ours / peer rate).
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
  for (const L of ['L1', 'L2']) {
    r.push(
      [`${L} steps done (of 20,000)`, (x) => x[L]?.stepsDone, true, (x) => x[L]?.pass?.completed],
      [`${L} ms/step, first 1,000`, (x) => x[L]?.firstMsPerStep, false],
      [`${L} ms/step, last 1,000 done`, (x) => x[L]?.lastMsPerStep, false],
      [`${L} last / first (≤ 1.5)`, (x) => x[L]?.ratio, false, (x) => x[L]?.pass?.ratio],
      [`${L} RSS growth MiB (< 50)`, (x) => x[L]?.rssGrowthMB, false, (x) => x[L]?.pass?.rss],
    );
  }
  r.push(
    ['L3 µs/add, no tapes', (x) => x.L3?.usPerAddBefore, false],
    ['L3 µs/add, after 5,000 tapes', (x) => x.L3?.usPerAddAfter, false],
    ['L3 after / before (≤ 1.5)', (x) => x.L3?.ratio, false, (x) => x.L3?.pass?.ratio],
  );
  return r;
}

const verdict = (ok) => (ok === undefined ? '' : ok ? ' ok' : ' FAIL');

/**
 * The acceptance check against a --baseline build: per round (of --repeat), ours / baseline for W1 fwd, W1 bwd
 * and W4 (times: below 1 means ours is faster), and the median over the rounds, which must be ≤ 1.05.
 */
export function baselineCheck(results) {
  const label = results.baseline?.label;
  if (!label) return undefined;
  const rounds = results.rounds ?? [{ tapegrad: results.tapegrad, baseline: results.peers?.[label] }];
  const metrics = [
    ['W1 fwd µs/op', (x) => x?.W1?.usPerOpFwd],
    ['W1 bwd µs/op', (x) => x?.W1?.usPerOpBwd],
    ['W4 ms/step', (x) => x?.W4?.msPerStep],
  ];
  const out = {};
  for (const [name, get] of metrics) {
    const ratios = rounds.map((r) => get(r.tapegrad) / get(r.baseline)).filter(Number.isFinite);
    if (!ratios.length) continue;
    const s = [...ratios].sort((a, b) => a - b);
    const median = s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    out[name] = { ratios, median, pass: median <= 1.05 };
  }
  return out;
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
      rows(sizes)
        .filter(([, get]) => [ours, ...peers].some((p) => typeof get(p) === 'number'))
        .map(([label, get, larger, pass = () => undefined]) => {
          const mine = get(ours);
          return [
            label,
            f(mine) + verdict(pass(ours)),
            ...peers.map((p) => {
              const v = get(p);
              if (typeof v !== 'number') return '–';
              if (typeof mine !== 'number') return f(v) + verdict(pass(p));
              const ratio = larger ? mine / v : v / mine;
              return `${f(v)} (${f(ratio, 2)}×)${verdict(pass(p))}`;
            }),
          ];
        }),
    ),
  );
  if ([ours, ...peers].some((p) => p.W1 || p.W4 || p.W5)) {
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
  }
  out.push('');
  out.push(...leakNotes([ours, ...peers]));
  out.push(...baselineLines(results));
  out.push(...targets(ours, results.peers ?? {}, results.quick));
  out.push('');
  out.push(`tapegrad: ${ours.info}`);
  for (const p of peers) if (p.info || p.error) out.push(`${p.peer}: ${p.info ?? p.error}`);
  return out.join('\n');
}

/** How far each stopped leak workload got, and the errors of killed ones. */
function leakNotes(records) {
  const lines = [];
  for (const p of records)
    for (const L of ['L1', 'L2', 'L3']) {
      const x = p[L];
      if (!x || (x.completed && !x.error)) continue;
      const windows = x.msPerStepWindows?.map((v) => f(v)).join(', ');
      const got = L === 'L3' ? `${x.tapesDone ?? 0} of ${x.tapes} tapes` : `${x.stepsDone ?? 0} of ${x.steps} steps`;
      lines.push(
        `- ${p.peer} ${L}: ${x.stopped ?? x.error ?? 'not completed'}${x.stopped && x.error ? ` (${x.error})` : ''}: ${got}` +
          (x.wallS ? ` in ${f(x.wallS, 1)} s` : '') +
          (windows ? `; ms/step per 1,000 steps: ${windows}` : '') +
          (x.rssMB ? `; RSS ${f(x.rssMB, 0)} MiB` : ''),
      );
    }
  return lines.length ? ['Leak workloads that did not finish:', '', ...lines, ''] : [];
}

/** The same-run ratios to the --baseline build (see baselineCheck). */
function baselineLines(results) {
  const check = results.baselineCheck ?? baselineCheck(results);
  if (!check || !Object.keys(check).length) return [];
  const n = results.rounds?.length ?? 1;
  const lines = [
    `Same-run ratios to ${results.baseline.label} (ours / baseline; ${n} round${n > 1 ? 's, alternating order' : ''}):`,
    '',
  ];
  for (const [name, c] of Object.entries(check))
    lines.push(
      `- ${c.pass ? 'met' : 'MISSED'}: ${name} no worse than before (median ≤ 1.05): ${f(c.median, 3)}` +
        (c.ratios.length > 1 ? ` (rounds: ${c.ratios.map((r) => f(r, 3)).join(', ')})` : ''),
    );
  return [...lines, ''];
}

/** The targets of issue 5, each with its measured ratio. */
function targets(ours, peers, quick) {
  const lines = ['Targets (issues 5 and 9):', ''];
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
  const what = {
    L1: 'L1 (20,000 forgotten tapes) last/first 1,000 steps ≤ 1.5 and RSS growth < 50 MiB',
    L2: 'L2 (20,000 forgotten persistent tapes, a variable) last/first ≤ 1.5 and RSS growth < 50 MiB',
    L3: 'L3 unrelated op after 5,000 forgotten tapes ≤ 1.5× before',
  };
  for (const p of [ours, ...Object.values(peers)])
    for (const L of ['L1', 'L2', 'L3']) {
      const x = p[L];
      if (!x) continue;
      const detail = !x.completed
        ? `not completed: ${x.stopped ?? x.error}`
        : L === 'L3'
          ? `${f(x.ratio)}×`
          : `${f(x.ratio)}×, ${f(x.rssGrowthMB, 1)} MiB`;
      check(`${p === ours ? '' : `${p.peer}: `}${what[L]} (issue 9)`, !!x.pass?.all, detail);
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
