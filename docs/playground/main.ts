/**
 * The playground: tapegrad's ES-module build in the page (WebAssembly kernels after `ready()`), a
 * textarea of TypeScript, stripped of its types by sucrase and run as an async function, with
 * `print` and `console` shown below it and `draw(tape, targets, sources)` drawing the recorded tape
 * (`tape.toGraph` → `toDot` → Graphviz compiled to WebAssembly, loaded on first use).
 * Bundled by scripts/build-playground.mjs into docs/api/playground/.
 */
import { transform } from 'sucrase';
import * as tapegrad from 'tapegrad';
import { EXAMPLES } from './examples.js';

/** What `draw()` collected during a run: one graph per call, drawn when the run ends. */
interface Drawing {
  readonly title: string;
  readonly dot: string;
}

const byId = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`playground: #${id} is missing from index.html`);
  return el as T;
};

const editor = byId<HTMLTextAreaElement>('code');
const output = byId<HTMLPreElement>('output');
const graphs = byId<HTMLDivElement>('graphs');
const status = byId<HTMLSpanElement>('status');
const runButton = byId<HTMLButtonElement>('run');
const picker = byId<HTMLSelectElement>('example');

/** A value as `print` shows it: a tensor as its nested array (`[[9, 10]]`), arrays element by element. */
function format(value: unknown): string {
  if (value instanceof tapegrad.Tensor) return JSON.stringify(value.arraySync()).replace(/,/g, ', ');
  if (Array.isArray(value)) return `[${value.map(format).join(', ')}]`;
  if (typeof value === 'string') return value;
  if (value instanceof Error) return value.stack ?? value.message;
  if (typeof value === 'object' && value !== null) {
    try {
      return JSON.stringify(value);
    } catch {
      return String(value);
    }
  }
  return String(value);
}

function write(text: string, kind: 'out' | 'error' = 'out'): void {
  const line = document.createElement('span');
  line.className = kind;
  line.textContent = text + '\n';
  output.append(line);
}

/** The TypeScript program as a function body: types stripped, `import ... from 'tapegrad'` turned into `require`. */
function compile(source: string): string {
  return transform(source, { transforms: ['typescript', 'imports'], disableESTransforms: true }).code;
}

const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (
  ...args: string[]
) => (...values: unknown[]) => Promise<unknown>;

let graphviz: Promise<{ dot(source: string): string }> | undefined;

/** Lays out each drawing with Graphviz (loaded once, on first use) into an <svg> under its title. */
async function render(drawings: readonly Drawing[]): Promise<void> {
  graphs.replaceChildren();
  if (drawings.length === 0) {
    graphs.textContent = 'Call draw(tape, targets, sources) to draw a tape.';
    return;
  }
  graphviz ??= import('@hpcc-js/wasm-graphviz').then(({ Graphviz }) => Graphviz.load());
  const gv = await graphviz;
  for (const { title, dot } of drawings) {
    const figure = document.createElement('figure');
    const caption = document.createElement('figcaption');
    caption.textContent = title;
    const svg = gv.dot(dot);
    figure.innerHTML = svg.slice(svg.indexOf('<svg'));
    figure.prepend(caption);
    const source = document.createElement('details');
    source.innerHTML = '<summary>DOT</summary>';
    const pre = document.createElement('pre');
    pre.textContent = dot;
    source.append(pre);
    figure.append(source);
    graphs.append(figure);
  }
}

let runs = 0;

async function run(): Promise<void> {
  const started = performance.now();
  output.replaceChildren();
  runButton.disabled = true;
  status.textContent = 'running…';
  const drawings: Drawing[] = [];
  const print = (...values: unknown[]) => write(values.map(format).join(' '));
  const draw = (
    tape: tapegrad.GradientTape,
    targets: tapegrad.Tensor | readonly tapegrad.Tensor[],
    sources: tapegrad.Sources,
    title?: string,
  ) => {
    drawings.push({
      title: title ?? `tape ${drawings.length + 1}`,
      dot: tapegrad.toDot(tape.toGraph(targets, sources)),
    });
  };
  const console = { log: print, info: print, debug: print, warn: print, error: print };
  const require = (name: string) => {
    if (name === 'tapegrad') return tapegrad;
    throw new Error(`only 'tapegrad' can be imported here, not '${name}'`);
  };
  let failed = false;
  try {
    const body = compile(editor.value);
    const program = new AsyncFunction('require', 'exports', 'print', 'draw', 'console', body);
    await program(require, {}, print, draw, console);
  } catch (error) {
    failed = true;
    write(format(error), 'error');
  }
  const ms = performance.now() - started;
  runs++;
  // For scripts/site-check.mjs: milliseconds from navigation to the first run's output, and to its drawings.
  document.body.dataset.firstOutputMs ??= performance.now().toFixed(0);
  document.body.dataset.runs = String(runs);
  status.textContent = `${failed ? 'failed' : 'ran'} in ${ms.toFixed(0)} ms · kernels: ${tapegrad.backend()}`;
  runButton.disabled = false;
  try {
    await render(drawings);
  } catch (error) {
    write(`drawing failed: ${format(error)}`, 'error');
  }
  document.body.dataset.firstDrawnMs ??= performance.now().toFixed(0);
  document.body.dataset.drawn = String(runs);
}

for (const [i, example] of EXAMPLES.entries()) picker.add(new Option(example.title, String(i)));
picker.addEventListener('change', () => {
  editor.value = EXAMPLES[Number(picker.value)]?.code ?? '';
  void run();
});
runButton.addEventListener('click', () => void run());
editor.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
    event.preventDefault();
    void run();
  } else if (event.key === 'Tab' && !event.shiftKey) {
    event.preventDefault();
    editor.setRangeText('  ', editor.selectionStart, editor.selectionEnd, 'end');
  }
});

editor.value = EXAMPLES[0]!.code;
status.textContent = 'loading the WebAssembly kernels…';
await tapegrad.ready();
await run();
