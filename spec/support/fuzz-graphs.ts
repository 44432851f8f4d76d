/**
 * Random op graphs for spec/fuzz.spec.ts: the graph model, its builder and
 * its fast-check arbitrary. The op catalogue is in fuzz-ops.ts.
 *
 * fast-check draws a recipe (input shapes, an input seed, a list of steps,
 * each an op of the catalogue and a few random numbers); `buildGraph` turns it
 * into a graph by running the ops on the actual input values. Running them is
 * what keeps the graph checkable: the builder sees the values an op will get,
 * so it puts guards in front of ops that need them (a log gets a positive
 * argument, an exp a bounded one, a relu or a maximum an argument shifted away
 * from its kink or tie) and skips ops whose argument has a tie it cannot shift
 * away (a max over duplicated values). Guards are ordinary nodes of the graph,
 * and every node is printed as the TypeScript that computes it.
 */
import fc from 'fast-check';
import { addN, mul, randomNormal, sum, tensor, type Shape, type Tensor } from '../../lib/index.js';
import { sampleInput } from './inputs.js';

/** The largest rank and size a node may have (bigger ones are rejected, so graphs stay fast). */
export const MAX_RANK = 4;
export const MAX_SIZE = 128;

/** How close a value may come to a kink or tie: far more than a central difference moves it. */
export const KINK_MARGIN = 1e-3;

/**
 * checkGradients' defaults, pinned. With h = 1e-6 in float64, central
 * differences agree with the tape on these graphs to 1e-6 relative at worst
 * (400,000 graphs at both orders: no error above 0.4 of this tolerance), and
 * a gradient 5e-4 wrong is 50 times the tolerance: spec/fuzz.spec.ts's self-test
 * shows that it is caught.
 */
export const FUZZ_TOLERANCES = { rtol: 1e-5, atol: 1e-7 };

/**
 * Nodes larger in magnitude than this are scaled down: moderate values keep
 * the derivatives of a graph within a few orders of magnitude of each other,
 * so that the round-off of central differences stays far below the tolerance.
 */
const MAGNITUDE = 10;

/** One node of a graph: an input, or an op on earlier nodes and literal attributes. */
export interface GraphNode {
  /** `x0`, `x1`, ... for inputs; `n3`, ... for ops. */
  readonly name: string;
  /** The TypeScript expression that computes it from earlier nodes' names (inputs: how they are drawn). */
  readonly expression: string;
  readonly shape: Shape;
  /** The earlier nodes it reads, by index. */
  readonly args: readonly number[];
  /** Computes it from the args' tensors (inputs: unused). */
  readonly apply: (args: readonly Tensor[]) => Tensor;
  /** The catalogue op it was built for, or 'guard' for a guard, 'input' for an input. */
  readonly role: string;
}

/** What fast-check draws: `buildGraph` turns it into a graph. */
export interface Recipe {
  readonly shapes: readonly Shape[];
  /** Seeds the inputs, the loss weights and checkGradients' directions. */
  readonly seed: number;
  readonly steps: readonly { readonly op: number; readonly picks: readonly number[] }[];
  readonly order: 1 | 2;
}

/** Thrown by a catalogue op that does not apply to the nodes it drew; the builder tries the next op. */
export class NotApplicable extends Error {}

/**
 * A generated graph: inputs, op nodes, and a scalar loss summing every sink
 * (a node no other node reads) weighted by a fixed random tensor.
 */
export class FuzzGraph {
  constructor(
    readonly nodes: readonly GraphNode[],
    readonly inputCount: number,
    readonly seed: number,
    readonly order: 1 | 2,
  ) {}

  /** The nodes the loss reads: op nodes that nothing reads (the inputs when there are no ops). */
  get sinks(): number[] {
    const read = new Set(this.nodes.flatMap((n) => n.args));
    const ops = this.nodes.map((_, i) => i).filter((i) => i >= this.inputCount && !read.has(i));
    return ops.length > 0 ? ops : this.nodes.slice(0, this.inputCount).map((_, i) => i);
  }

  /** The names of the catalogue ops the graph applies, in order. */
  get ops(): string[] {
    return [...new Set(this.nodes.filter((n) => n.role !== 'guard' && n.role !== 'input').map((n) => n.role))];
  }

  /** The input tensors, float64 in [-2, 2]. */
  inputs(): Tensor[] {
    return this.nodes.slice(0, this.inputCount).map((n, i) => sampleInput(n.shape, 'any', i, this.seed));
  }

  /** The loss as a function of the inputs, for checkGradients. */
  readonly f = (...xs: Tensor[]): Tensor => {
    const values: Tensor[] = xs.slice(0, this.inputCount);
    for (const node of this.nodes.slice(this.inputCount)) values.push(node.apply(node.args.map((a) => values[a]!)));
    const terms = this.sinks.map((i) => sum(mul(values[i]!, this.weight(i))));
    return terms.length === 1 ? terms[0]! : addN(terms);
  };

  private weight(i: number): Tensor {
    return randomNormal(this.nodes[i]!.shape, 0, 1, 'float64', this.seed + i);
  }

  /** The graph as TypeScript that rebuilds the loss, with each node's shape. */
  toString(): string {
    const w = (i: number) => `randomNormal(${literal(this.nodes[i]!.shape)}, 0, 1, 'float64', ${this.seed + i})`;
    const terms = this.sinks.map((i) => `sum(mul(${this.nodes[i]!.name}, ${w(i)}))`);
    const inputs = this.nodes.slice(0, this.inputCount).map((n) => n.name);
    const lines = [
      `FuzzGraph (order ${this.order}, seed ${this.seed}; ops: ${this.ops.join(', ') || 'none'})`,
      ...this.nodes.slice(0, this.inputCount).map((n) => `  const ${n.name} = ${n.expression};`),
      `  const f = (${inputs.join(', ')}: Tensor) => {`,
      ...this.nodes
        .slice(this.inputCount)
        .map(
          (n) => `    const ${n.name} = ${n.expression}; // ${literal(n.shape)}${n.role === 'guard' ? ' guard' : ''}`,
        ),
      `    return ${terms.length === 1 ? terms[0] : `addN([\n      ${terms.join(',\n      ')},\n    ])`};`,
      '  };',
      `  checkGradients(f, [${inputs.join(', ')}], { order: ${this.order}, seed: ${this.seed}, rtol: ${FUZZ_TOLERANCES.rtol}, atol: ${FUZZ_TOLERANCES.atol} });`,
    ];
    return lines.join('\n');
  }

  [fc.toStringMethod](): string {
    return this.toString();
  }
}

/** A literal as TypeScript: numbers, strings, arrays of them, int32 tensors. */
export function literal(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(literal).join(', ')}]`;
  if (typeof value === 'string') return `'${value}'`;
  if (value !== null && typeof value === 'object' && 'dtype' in value) {
    const t = value as Tensor;
    return `tensor(${literal(Array.from(t.values))}, ${literal(t.shape)}, '${t.dtype}')`;
  }
  return String(value);
}

/** A step's random numbers, read in order (past the end, a hash of them keeps coming). */
export class Picks {
  private next = 0;
  constructor(private readonly values: readonly number[]) {}

  /** An integer in [0, n). */
  int(n: number): number {
    const k = this.next++;
    const v = this.values[k % this.values.length] ?? 0;
    return (k < this.values.length ? v : (Math.imul(v + k, 0x9e3779b1) >>> 0) >>> 8) % n;
  }

  /** One of `options`. */
  of<T>(options: readonly T[]): T {
    return options[this.int(options.length)]!;
  }

  bool(): boolean {
    return this.int(2) === 1;
  }
}

/** The NumPy broadcast of two shapes, or undefined when they do not broadcast. */
export function broadcastShape(a: Shape, b: Shape): number[] | undefined {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return undefined;
    out.push(Math.max(x, y));
  }
  return out;
}

export const sizeOf = (shape: Shape): number => shape.reduce((p, d) => p * d, 1);

/** A number to three significant digits, to print short. */
export const round3 = (x: number): number => Number(x.toPrecision(3));

/**
 * Builds a graph node by node, keeping every node's actual value so that ops
 * can choose guards, attributes and operands that fit.
 */
export class GraphBuilder {
  readonly nodes: GraphNode[] = [];
  readonly values: Tensor[] = [];
  /** The catalogue op being built (nodes it emits carry its name; guards carry 'guard'). */
  role = 'input';

  /** The current step's random numbers. */
  picks = new Picks([]);

  get count(): number {
    return this.nodes.length;
  }

  shape(i: number): Shape {
    return this.nodes[i]!.shape;
  }

  value(i: number): Float64Array {
    return this.values[i]!.values as Float64Array;
  }

  /** An earlier node that passes `where`: one of the last three, one nothing reads yet, or any. */
  node(where: (i: number) => boolean = () => true): number {
    const fits = this.nodes.map((_, i) => i).filter(where);
    if (fits.length === 0) throw new NotApplicable();
    const read = new Set(this.nodes.flatMap((n) => n.args));
    const unread = fits.filter((i) => !read.has(i));
    const recent = fits.slice(-3).reverse();
    return this.picks.of([recent, unread.length > 0 ? unread : fits, fits][this.picks.int(3)]!);
  }

  addInput(shape: Shape, value: Tensor, expression: string): number {
    return this.push({ name: `x${this.count}`, expression, shape, args: [], apply: () => value, role: 'input' }, value);
  }

  /**
   * Adds the node `render(names of args)`, computed by `apply`, and returns
   * its index. Rejects (NotApplicable) a node too big, of too high a rank, or
   * not finite.
   */
  emit(args: readonly number[], render: (names: string[]) => string, apply: (xs: readonly Tensor[]) => Tensor): number {
    const value = apply(args.map((a) => this.values[a]!));
    if (value.dtype !== 'float64') throw new Error(`fuzz: ${render(this.names(args))} gave ${value.dtype}`);
    if (value.rank > MAX_RANK || value.size > MAX_SIZE || value.size === 0) throw new NotApplicable();
    if (!(value.values as Float64Array).every(Number.isFinite)) throw new NotApplicable();
    const name = `n${this.count}`;
    return this.push(
      { name, expression: render(this.names(args)), shape: value.shape, args, apply, role: this.role },
      value,
    );
  }

  /** `fn(args..., literals...)` as a node. */
  call(fn: string, impl: (...a: never[]) => Tensor, args: readonly number[], ...literals: unknown[]): number {
    const run = impl as (...a: unknown[]) => Tensor;
    return this.emit(
      args,
      (names) => `${fn}(${[...names, ...literals.map(literal)].join(', ')})`,
      (xs) => run(...xs, ...literals),
    );
  }

  /** `fn([args...], literals...)` as a node: concat, stack, addN. */
  callList(fn: string, impl: (...a: never[]) => Tensor, args: readonly number[], ...literals: unknown[]): number {
    const run = impl as (...a: unknown[]) => Tensor;
    return this.emit(
      args,
      (names) => `${fn}(${[`[${names.join(', ')}]`, ...literals.map(literal)].join(', ')})`,
      (xs) => run(xs, ...literals),
    );
  }

  /** Runs `build` as a guard: the nodes it adds are marked as guards. */
  guard(build: () => number): number {
    const role = this.role;
    this.role = 'guard';
    try {
      return build();
    } finally {
      this.role = role;
    }
  }

  /** Forgets the nodes from `count` on (an op that turned out not to apply). */
  truncate(count: number): void {
    this.nodes.length = count;
    this.values.length = count;
  }

  private names(args: readonly number[]): string[] {
    return args.map((a) => this.nodes[a]!.name);
  }

  private push(node: GraphNode, value: Tensor): number {
    this.nodes.push(node);
    this.values.push(value);
    return this.nodes.length - 1;
  }
}

/** One op of the catalogue: adds its node (and any guards) to the builder, or throws NotApplicable. */
export type OpBuilder = (b: GraphBuilder) => void;

/**
 * Builds the graph of `recipe` with the ops of `catalogue`: each step runs
 * its op, or when that op does not apply, the next ones in the catalogue (up
 * to five); a node that grew past MAGNITUDE is scaled down by a guard.
 */
export function buildGraph(recipe: Recipe, catalogue: readonly (readonly [string, OpBuilder])[]): FuzzGraph {
  const b = new GraphBuilder();
  recipe.shapes.forEach((shape, i) =>
    b.addInput(
      shape,
      sampleInput(shape, 'any', i, recipe.seed),
      `sampleInput(${literal(shape)}, 'any', ${i}, ${recipe.seed})`,
    ),
  );
  for (const step of recipe.steps) {
    for (let attempt = 0; attempt < 5; attempt++) {
      const [name, build] = catalogue[(step.op + attempt) % catalogue.length]!;
      const mark = b.count;
      b.picks = new Picks([...step.picks, attempt]);
      b.role = name;
      try {
        build(b);
      } catch (e) {
        if (!(e instanceof NotApplicable)) throw e;
        b.truncate(mark);
        continue;
      }
      const last = b.count - 1;
      const big = Math.max(...b.value(last).map(Math.abs));
      if (big > MAGNITUDE) b.guard(() => b.call('mul', mul, [last], round3(MAGNITUDE / big)));
      break;
    }
  }
  return new FuzzGraph(b.nodes, recipe.shapes.length, recipe.seed, recipe.order);
}

/** A shape of rank 0-3 (2 and 3 likelier) with dimensions 1-4. */
const anyShape = fc
  .constantFrom(0, 1, 2, 2, 3, 3)
  .chain((rank) => fc.array(fc.integer({ min: 1, max: 4 }), { minLength: rank, maxLength: rank }));

/**
 * Input shapes: one to three, broadcast-compatible with a common full shape:
 * each is the full shape (half of them), or drops some of its leading axes,
 * and has some of its other dimensions (one in four) set to 1. A fourth,
 * unrelated shape joins one time in four. Unbiased: fast-check would favour
 * small dimensions, and so scalars.
 */
export const inputShapes: fc.Arbitrary<Shape[]> = fc.noBias(
  anyShape
    .chain((full) => {
      const drop = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: full.length }));
      const toOne = fc.array(
        fc.nat(3).map((k) => k === 0),
        { minLength: full.length, maxLength: full.length },
      );
      const operand = fc.tuple(drop, toOne).map(([d, ones]) => full.map((n, i) => (ones[i] ? 1 : n)).slice(d));
      return fc.tuple(
        fc.array(operand, { minLength: 1, maxLength: 3, size: 'max' }),
        fc.oneof({ arbitrary: fc.constant(null), weight: 3 }, { arbitrary: anyShape, weight: 1 }),
      );
    })
    .map(([shapes, other]) => (other === null ? shapes : [...shapes, other])),
);

/** Recipes of 2 to `maxSteps` steps over a catalogue of `ops` ops; about one in three is checked at order 2. */
export function recipes(ops: number, maxSteps = 16): fc.Arbitrary<Recipe> {
  const step = fc.record({
    op: fc.nat(ops - 1),
    picks: fc.array(fc.nat(0xffff), { minLength: 12, maxLength: 12 }),
  });
  return fc.record({
    shapes: inputShapes,
    seed: fc.nat(999_999),
    steps: fc.array(step, { minLength: 2, maxLength: maxSteps, size: 'max' }),
    order: fc.nat(2).map((k): 1 | 2 => (k === 2 ? 2 : 1)),
  });
}

/** An int32 tensor constant, for gather's indices. */
export const int32 = (values: number[], shape: Shape): Tensor => tensor(values, shape, 'int32');
