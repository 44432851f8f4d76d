/**
 * A second thread for large matrix products and convolutions (Node only). The kernel module
 * then works in a shared WebAssembly memory, and one worker thread
 * instantiates the same module on the same memory. A product is cut into
 * tasks, each a block of rows (or of columns) of C across all of k; this
 * thread copies the operands in (only it can read the input arrays) and packs
 * B (or A), publishes the tasks, and both threads claim tasks from a shared
 * counter until none are left; each task packs its own rows of A (or columns
 * of B, in WebAssembly) as it runs. Each element of C is still summed in k
 * order by the one thread that owns it, so results are bit for bit those of
 * one thread.
 *
 * A job may also be a program of calls of the module's functions (`Calls`),
 * written whole by this thread before it is posted, each task running its
 * calls in the running thread's own scratch: the convolutions use it so that
 * both threads build their own patch rows.
 *
 * Synchronisation is `Atomics` on a small control array: the main thread
 * waits only for a task the worker is running, spinning for up to SPIN_US
 * (while the worker keeps up), then blocking in `Atomics.wait` (Node allows
 * that on its main thread; browsers never start the worker); the worker
 * likewise spins a little before it sleeps, and each thread notifies the
 * other only when it sleeps. A task that was published but not yet claimed
 * is simply taken by the main thread, so a slow, busy or dead worker costs
 * speed, never correctness. The worker is
 * `unref()`ed, so it never keeps Node alive, and it starts only when first
 * needed (`launch()`, called by the first large product or by `ready()`): a
 * program with no large products never has a second thread.
 *
 * Start-up needs no event loop either: the worker is constructed
 * synchronously (through `process.getBuiltinModule`) with the compiled module,
 * the memory and the control array in its `workerData`; it instantiates the
 * module on its own thread and sets the control array's UP slot, which each
 * large product reads with `Atomics.load` (never waiting on it). So a training
 * loop that never awaits shares its products from the first one after the
 * worker is up (about 20 ms after the first large product).
 */
import type { KernelExports, Runtime, WasmApi, WasmMemory, WasmModule } from './runtime.js';

/** Products with fewer multiply-adds than this stay on one thread (measured: below it the hand-off costs more than it saves). */
export const THREAD_MIN_WORK = 2 ** 21;

/** Slots of the control array, each on its own 64-byte cache line (they are written by different threads). */
const UP = 0; // 1 once the worker has instantiated the module
const SEQ = 16; // job sequence: odd while the main thread writes a job, even once it is posted
const NEXT = 32; // (job tag << 20) | next unclaimed task
const PACKED = 48; // tasks whose operands are packed
const DONE = 64; // tasks finished
const FAILED = 80; // 1 + a task the worker failed on, or 0
const WORKER_TASKS = 96; // tasks the worker has run, in all (for tests)
// 1 while that thread may sleep in Atomics.wait on PACKED (the worker) or DONE (this thread); the other thread
// notifies only then. A notify takes a lock that the woken thread takes too, and one per task measured up to
// 1 ms on a busy machine. (Each thread stores its flag before reading the slot it would wait on, and the other
// stores that slot before reading the flag, so at least one of them sees the other's store.)
const WORKER_WAITING = 112;
const MAIN_WAITING = 128;
/** The job: byte addresses of packed A, packed B and C, then sizes (see {@link Job}). */
const P = 160;
const [P_F64, P_A, P_B, P_C, P_M, P_MPAD, P_NPAD, P_K, P_KC, P_MR, P_ROWS, P_TPB, P_TASKS, P_RAW, P_TA] = [
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
];
const [P_COLS, P_NR, P_RAWB, P_TB] = [15, 16, 17, 18];
// A job of calls (see `Calls`): the program's byte address (0: not such a job), its length in words, and the
// first thread's scratch (a byte address) and the distance to the next thread's.
const [P_CALLS, P_CALLS_WORDS, P_SCRATCH, P_SCRATCH_STRIDE] = [19, 20, 21, 22];
// A product's tasks: their pack kernel's index in the exports' names, sorted (see `packKernel`).
const P_PACK = 23;
const CONTROL_INTS = P + 32;
/**
 * How long a thread spins on a slot before it sleeps in `Atomics.wait` (us): the worker between jobs and while a
 * task's operands are packed, this thread while the worker finishes its last task. Waking a sleeping thread
 * measured 30 to 50 us on this thread's critical path, per wake, and the products of a training step come well
 * within this of each other. But a thread that spins is one the scheduler then ranks behind other processes, so
 * on a busy machine the worker, once asleep, wakes late: the spin is on only after CALM_JOBS jobs in a row in
 * which the worker kept up (see `run`), and the current setting travels in the control array's SPIN slot.
 */
const SPIN_US = 1000;
/** Jobs in a row in which the worker kept up, before both threads spin (see {@link SPIN_US}). */
const CALM_JOBS = 4;
/** The spin (us) the worker uses, set by this thread for each job. */
const SPIN = 144;

/**
 * One product (or a group of batches of one) cut into tasks. Task t covers
 * batch `floor(t / tasksPerBatch)` of the group and, in it, rows
 * `r0 = (t mod tasksPerBatch) * rows` up to `min(r0 + rows, m)`. Per batch,
 * A is packed at `a + batch * mPad * k` elements, each task's rows in turn
 * (`rPad` rows, a multiple of MR, by each block of k: `r0 * k + pc * rPad`),
 * B at `b + batch * nPad * k` (block of k `pc` at `pc * nPad`), and C at
 * `c + batch * mPad * nPad` with row stride `nPad`. A arrives raw at
 * `raw + batch * mPad * k`, zero-padded to `mPad` rows of op(A): as mPad x k
 * rows, or with `transposeA` as k rows of mPad; each task packs its own rows
 * of it (in WebAssembly, block of k by block of k, just before multiplying).
 *
 * With `cols` (a multiple of `nr`), tasks are blocks of columns instead, for
 * products with few rows: task t covers batch `floor(t / tasksPerBatch)` and,
 * in it, all rows and columns `j0 = (t mod tasksPerBatch) * cols` up to
 * `min(j0 + cols, nPad)`. A arrives packed (block of k `pc` at
 * `a + batch * mPad * k + pc * mPad`, in panels of `mr` rows over all `mPad`
 * rows), B raw at `rawB + batch * k * nPad`, zero-padded to `nPad` columns of
 * op(B): as k rows of nPad, or with `transposeB` as nPad rows of k; each task
 * packs its own columns of it, into packed B's place for them, and multiplies.
 */
export interface Job {
  readonly f64: boolean;
  /** Element offsets in the memory. */
  readonly a: number;
  readonly b: number;
  readonly c: number;
  readonly m: number;
  readonly mPad: number;
  readonly nPad: number;
  readonly k: number;
  /** Steps of k per block (a `gemm` call). */
  readonly kc: number;
  /** The register tile's rows. */
  readonly mr: number;
  /** Rows per task, a multiple of `mr`. */
  readonly rows: number;
  readonly tasksPerBatch: number;
  readonly tasks: number;
  /** Element offset of raw A (see above). */
  readonly raw: number;
  readonly transposeA: boolean;
  /** Columns per task (a multiple of `nr`), or 0 or absent for tasks of rows. */
  readonly cols?: number;
  /** The register tile's columns (only with `cols`). */
  readonly nr?: number;
  /** Element offset of raw B (only with `cols`). */
  readonly rawB?: number;
  readonly transposeB?: boolean;
  /** A job of calls instead (see {@link Calls}); the fields above are then unused. */
  readonly calls?: Calls;
}

/**
 * A job whose tasks are lists of calls of the module's exported functions, written by this thread into the
 * memory as Int32 words at byte address `program`: first `tasks + 1` word offsets (from `program`), task t's calls
 * running from offset t to offset t + 1; then each call as `[function, argc, relative, ...args]`, where `function`
 * indexes the exports' names in sorted order ({@link MatmulThreads.functionIndex}) and bit i of `relative` marks
 * argument i as an offset into the running thread's scratch: `scratch` for this thread, `scratch + stride` for the
 * worker. Tasks must be independent of one another (each writes its own outputs, and its scratch only while it
 * runs), so that either thread may run any of them, in any order. A task
 * that the worker fails on part way is run again on this thread: one whose
 * calls add onto memory must give `reset`, which undoes what a partial run
 * may have added (the other tasks overwrite what they write).
 */
export interface Calls {
  readonly program: number;
  readonly words: number;
  readonly tasks: number;
  readonly scratch: number;
  readonly stride: number;
  /** Called on this thread before it runs again a task the worker failed on. */
  readonly reset?: (task: number) => void;
  /**
   * A job too short to say whether the worker has a core (it may finish before the worker wakes): it neither
   * starts nor ends a back-off (see {@link MatmulThreads.share}).
   */
  readonly brief?: boolean;
}

/** Builds a {@link Calls} program: `task()` starts the next task, `call()` adds a call to it. */
export class CallProgram {
  private readonly tasks: number[][] = [];

  constructor(private readonly threads: MatmulThreads) {}

  /** Starts the next task. */
  task(): this {
    this.tasks.push([]);
    return this;
  }

  /** Adds a call of the exported function `name` to the current task; `relative`: indices of scratch offsets in `args`. */
  call(name: string, args: readonly number[], relative: readonly number[] = []): this {
    let mask = 0;
    for (const i of relative) mask |= 1 << i;
    this.tasks[this.tasks.length - 1]!.push(this.threads.functionIndex(name), args.length, mask, ...args);
    return this;
  }

  /** Words the program takes in memory. */
  get words(): number {
    return this.tasks.length + 1 + this.tasks.reduce((sum, calls) => sum + calls.length, 0);
  }

  /**
   * Writes the program at byte address `at` of `runtime`'s memory (which must hold {@link words} words
   * there) and returns the job, with `scratch` bytes of scratch per thread from byte address `scratchAt`.
   */
  write(runtime: Runtime, at: number, scratchAt: number, scratch: number): Calls {
    const words = new Int32Array(runtime.memory.buffer, at, this.words);
    let offset = this.tasks.length + 1;
    this.tasks.forEach((calls, t) => {
      words[t] = offset;
      words.set(calls, offset);
      offset += calls.length;
    });
    words[this.tasks.length] = offset;
    return { program: at, words: this.words, tasks: this.tasks.length, scratch: scratchAt, stride: scratch };
  }
}

/**
 * Reserves `elements` float32 elements for a shared job's operands, then its program and each thread's
 * `scratch` elements, writes the program there and returns it as a job of calls.
 */
export function placeProgram(runtime: Runtime, elements: number, program: CallProgram, scratch: number): Calls {
  const at = Math.ceil(elements / 16) * 16 * 4;
  const scratchAt = Math.ceil((at + program.words * 4) / 64) * 64;
  runtime.reserve(scratchAt + 2 * scratch * 4);
  return program.write(runtime, at, scratchAt, scratch * 4);
}

/** How many jobs are kept per threads (a model has a few convolutions, each with three jobs). */
const JOBS_KEPT = 32;
const jobCache = new WeakMap<MatmulThreads, Map<string, unknown>>();

/**
 * The jobs `build()` makes for `key` (which must name everything that decides the operands' places in memory,
 * so the jobs too), made once per key and threads and then kept: a training step runs the same few convolutions
 * every step, and building a job's calls (some 600 for conv2's filter gradient in W7) took 0.3-0.5 ms of this
 * thread before the worker could start.
 */
export function keptJobs<T>(threads: MatmulThreads, key: string, build: () => T): T {
  let cache = jobCache.get(threads);
  if (cache === undefined) jobCache.set(threads, (cache = new Map()));
  const cached = cache.get(key) as T | undefined;
  if (cached !== undefined) return cached;
  const jobs = build();
  if (cache.size >= JOBS_KEPT) cache.clear();
  cache.set(key, jobs);
  return jobs;
}

/** Every slot of the control array, for {@link taskCode} (which cannot see this module's constants). */
const LAYOUT = {
  UP,
  SEQ,
  NEXT,
  PACKED,
  DONE,
  FAILED,
  WORKER_TASKS,
  WORKER_WAITING,
  MAIN_WAITING,
  SPIN,
  P,
  CONTROL_INTS,
  P_F64,
  P_A,
  P_B,
  P_C,
  P_M,
  P_MPAD,
  P_NPAD,
  P_K,
  P_KC,
  P_MR,
  P_ROWS,
  P_TPB,
  P_TASKS,
  P_RAW,
  P_TA,
  P_COLS,
  P_NR,
  P_RAWB,
  P_TB,
  P_CALLS,
  P_CALLS_WORDS,
  P_SCRATCH,
  P_SCRATCH_STRIDE,
  P_PACK,
} as const;
type Layout = typeof LAYOUT;

/** What the worker is started with (its `workerData`). */
interface WorkerData {
  readonly module: WasmModule;
  readonly memory: WasmMemory;
  readonly control: SharedArrayBuffer;
}

/**
 * The task code of both threads, in one place: this thread calls it for
 * `runTask` and `claim`, and the worker's script is this function's own text
 * (see {@link WORKER_SOURCE}), which calls it likewise and runs `serve`. So
 * it must stay self-contained: it may use its parameter and the globals every
 * thread has (`Atomics`, `Math`, `globalThis`), never anything imported or
 * declared elsewhere in this module (none of that exists in the worker, and
 * the CommonJS build renames imports); types are erased, so they are free.
 * Coverage tools must leave it alone too: the counters they insert are
 * module variables (`jest --coverage` would break the worker without the hint).
 */
/* istanbul ignore next */
function taskCode(L: Layout) {
  // Methods, not inner function declarations: bundlers that keep function names (esbuild's
  // keepNames) wrap those in calls to a helper of the bundle, which the worker would not have.
  const code = {
    // The task code allocates nothing per task (no destructured arrays, no kernel names built from template
    // strings: this thread names a job's pack kernel by index, no views): whatever it allocates is alive while a collection runs, and such survivors are
    // promoted. On the bench's W5 loop it once promoted 9 MB of the main thread's heap against 2 MB on one
    // thread, and made the young generation grow from 16 to 41 MB.

    /** Runs task `t` of the job in `p` (the control array's job slots), with the kernels `x`. */
    runTask(t: number, p: Int32Array, x: KernelExports, memory: WasmMemory, thread: number): void {
      if (p[L.P_CALLS] !== 0) {
        code.runCalls(t, p, x, memory, thread);
        return;
      }
      const f64 = p[L.P_F64] !== 0;
      const bytes = f64 ? 8 : 4;
      const tpb = p[L.P_TPB]!;
      const batch = Math.floor(t / tpb);
      if (p[L.P_COLS]! > 0) {
        code.runColumns(t - batch * tpb, batch, p, x);
        return;
      }
      const m = p[L.P_M]!;
      const mPad = p[L.P_MPAD]!;
      const nPad = p[L.P_NPAD]!;
      const k = p[L.P_K]!;
      const kc = p[L.P_KC]!;
      const mr = p[L.P_MR]!;
      const rows = p[L.P_ROWS]!;
      const r0 = (t - batch * tpb) * rows;
      const rPad = Math.ceil(Math.min(rows, m - r0) / mr) * mr;
      const a = (p[L.P_A]! >>> 0) + (batch * mPad * k + r0 * k) * bytes;
      const b = (p[L.P_B]! >>> 0) + batch * nPad * k * bytes;
      const c = (p[L.P_C]! >>> 0) + (batch * mPad + r0) * nPad * bytes;
      const ta = p[L.P_TA] === 1;
      const raw = (p[L.P_RAW]! >>> 0) + batch * mPad * k * bytes;
      const pack = code.table(x)[p[L.P_PACK]!]!;
      for (let pc = 0; pc < k; pc += kc) {
        const steps = Math.min(kc, k - pc);
        if (ta) pack(raw + (pc * mPad + r0) * bytes, mPad * bytes, steps, rPad / mr, a + pc * rPad * bytes);
        else pack(raw + (r0 * k + pc) * bytes, k * bytes, steps, rPad / mr, a + pc * rPad * bytes);
        code.gemm(x, f64, pc === 0)(a + pc * rPad * bytes, b + pc * nPad * bytes, c, rPad, nPad, steps, nPad * bytes);
      }
    },

    /** `x`'s micro-kernel: the one that overwrites C for the first block of k, else the one that adds onto C. */
    gemm(x: KernelExports, f64: boolean, first: boolean): KernelExports['gemmF32'] {
      if (first) return f64 ? x.gemmSetF64 : x.gemmSetF32;
      return f64 ? x.gemmF64 : x.gemmF32;
    },

    /** The exported functions of `x` by their names' sorted order (see `Calls`), made once per instance. */
    functions: new WeakMap<object, ((...args: number[]) => void)[]>(),

    /** {@link functions} of `x`, made on first use. */
    table(x: KernelExports): ((...args: number[]) => void)[] {
      let fns = code.functions.get(x);
      if (fns === undefined) {
        const table = x as unknown as Record<string, (...args: number[]) => void>;
        fns = Object.keys(table)
          .sort()
          .map((name) => table[name]!);
        code.functions.set(x, fns);
      }
      return fns;
    },

    /** An int32 view of the whole memory, made again only when the memory has grown. */
    words: new Int32Array(0),

    /** The argument list `runCalls` fills for each call. */
    args: [] as number[],

    /** Runs task `t` of a job of calls (see `Calls`) as thread `thread` (0: the main thread, 1: the worker). */
    runCalls(t: number, p: Int32Array, x: KernelExports, memory: WasmMemory, thread: number): void {
      const fns = code.table(x);
      if (code.words.buffer !== memory.buffer) code.words = new Int32Array(memory.buffer);
      const words = code.words;
      const base = (p[L.P_CALLS]! >>> 0) / 4;
      const scratch = (p[L.P_SCRATCH]! >>> 0) + thread * (p[L.P_SCRATCH_STRIDE]! >>> 0);
      const args = code.args;
      for (let i = base + words[base + t]!, end = base + words[base + t + 1]!; i < end;) {
        const fn = fns[words[i]!]!;
        const argc = words[i + 1]!;
        const relative = words[i + 2]!;
        args.length = argc;
        for (let j = 0; j < argc; j++) args[j] = words[i + 3 + j]! + ((relative >>> j) & 1 ? scratch : 0);
        fn(...args);
        i += 3 + argc;
      }
    },

    /** Runs task `j` of batch `batch` of a job of column tasks (see `Job`): packs its columns of B, multiplies. */
    runColumns(j: number, batch: number, p: Int32Array, x: KernelExports): void {
      const f64 = p[L.P_F64] !== 0;
      const bytes = f64 ? 8 : 4;
      const mPad = p[L.P_MPAD]!;
      const nPad = p[L.P_NPAD]!;
      const k = p[L.P_K]!;
      const kc = p[L.P_KC]!;
      const nr = p[L.P_NR]!;
      const cols = p[L.P_COLS]!;
      const j0 = j * cols;
      const width = Math.min(cols, nPad - j0);
      const a = (p[L.P_A]! >>> 0) + batch * mPad * k * bytes;
      const b = (p[L.P_B]! >>> 0) + batch * nPad * k * bytes;
      const c = (p[L.P_C]! >>> 0) + (batch * mPad * nPad + j0) * bytes;
      const raw = (p[L.P_RAWB]! >>> 0) + batch * k * nPad * bytes;
      const tb = p[L.P_TB] === 1;
      const pack = code.table(x)[p[L.P_PACK]!]!;
      for (let pc = 0; pc < k; pc += kc) {
        const steps = Math.min(kc, k - pc);
        const dst = b + (pc * nPad + j0 * steps) * bytes;
        if (tb) pack(raw + (j0 * k + pc) * bytes, k * bytes, steps, width / nr, dst);
        else pack(raw + (pc * nPad + j0) * bytes, nPad * bytes, steps, width / nr, dst);
        code.gemm(x, f64, pc === 0)(a + pc * mPad * bytes, dst, c, mPad, width, steps, nPad * bytes);
      }
    },

    /** Polls between two readings of the clock in `spin` (a power of two; see there). */
    pollsPerRead: 256,

    /** Returns once `ready()` holds or `us` microseconds have passed, whichever is first. */
    spin(ready: () => boolean, us: number): void {
      if (us <= 0 || ready()) return;
      const clock = (globalThis as unknown as { performance: { now(): number } }).performance;
      let last = clock.now();
      const until = last + us / 1000;
      // The clock is read only every `pollsPerRead` polls, doubled while readings come under 20 us apart and
      // halved when they come over 80 us apart (the spin then ends at most that late): each performance.now()
      // allocates its result on the heap. Read every 256 polls (about 1 us), a 1 ms spin allocated 10 KB, and
      // the worker's young generation grew from 4 to 9 MB over the bench's W5 loop.
      for (let polls = 1; !ready(); polls++) {
        if ((polls & (code.pollsPerRead - 1)) !== 0) continue;
        const time = clock.now();
        if (time - last < 0.02 && code.pollsPerRead < 1 << 20) code.pollsPerRead *= 2;
        else if (time - last > 0.08 && code.pollsPerRead > 256) code.pollsPerRead /= 2;
        if (time >= until) return;
        last = time;
      }
    },

    /** Claims the next task of the job tagged `tag`, or returns -1 when none is left. */
    claim(ctl: Int32Array, tag: number, tasks: number): number {
      for (;;) {
        const next = Atomics.load(ctl, L.NEXT);
        const t = next & 0xfffff;
        if (next >>> 20 !== tag || t >= tasks) return -1;
        if (Atomics.compareExchange(ctl, L.NEXT, next, next + 1) === next) return t;
      }
    },

    /**
     * The worker's program: instantiate the module on the shared memory, say
     * so, then for each posted job claim tasks until none are left (never returns).
     */
    serve({ module, memory, control }: WorkerData): void {
      const ctl = new Int32Array(control);
      const wasm = (globalThis as unknown as { WebAssembly: Pick<WasmApi, 'Instance'> }).WebAssembly;
      const x = new wasm.Instance(module, { env: { memory } }).exports as KernelExports;
      Atomics.store(ctl, L.UP, 1);
      Atomics.notify(ctl, L.UP);
      let seen = 0;
      const posted = (seq: number) => seq !== seen && (seq & 1) === 0;
      // Made once, like the job's slots: the loop allocates nothing per job or task (see `runTask`).
      const jobPosted = () => posted(Atomics.load(ctl, L.SEQ));
      let task = 0;
      const taskPacked = () => Atomics.load(ctl, L.PACKED) > task;
      const p = new Int32Array(L.CONTROL_INTS - L.P);
      for (;;) {
        code.spin(jobPosted, Atomics.load(ctl, L.SPIN));
        const seq = Atomics.load(ctl, L.SEQ);
        if (!posted(seq)) {
          Atomics.store(ctl, L.WORKER_WAITING, 1);
          Atomics.wait(ctl, L.SEQ, seq);
          Atomics.store(ctl, L.WORKER_WAITING, 0);
          continue;
        }
        for (let i = 0; i < p.length; i++) p[i] = ctl[L.P + i]!;
        if (Atomics.load(ctl, L.SEQ) !== seq) continue; // the main thread was writing the next job
        seen = seq;
        const tag = (seq >>> 1) & 0xfff;
        for (let t; (t = code.claim(ctl, tag, p[L.P_TASKS]!)) >= 0;) {
          task = t;
          if (Atomics.load(ctl, L.PACKED) <= t) code.spin(taskPacked, Atomics.load(ctl, L.SPIN));
          if (Atomics.load(ctl, L.PACKED) <= t) {
            Atomics.store(ctl, L.WORKER_WAITING, 1);
            for (let packed; (packed = Atomics.load(ctl, L.PACKED)) <= t;) Atomics.wait(ctl, L.PACKED, packed);
            Atomics.store(ctl, L.WORKER_WAITING, 0);
          }
          try {
            code.runTask(t, p, x, memory, 1);
          } catch (error) {
            Atomics.store(ctl, L.FAILED, t + 1);
            Atomics.notify(ctl, L.DONE);
            throw error;
          }
          Atomics.add(ctl, L.WORKER_TASKS, 1);
          Atomics.add(ctl, L.DONE, 1);
          if (Atomics.load(ctl, L.MAIN_WAITING) === 1) Atomics.notify(ctl, L.DONE);
        }
      }
    },
  };
  return code;
}

const { runTask, claim, spin } = taskCode(LAYOUT);

/** For tests: a fresh copy of the task code (its own `pollsPerRead`), as this thread runs it. */
export function freshTaskCode(): ReturnType<typeof taskCode> {
  return taskCode(LAYOUT);
}

/**
 * The worker's script (CommonJS, run with `eval: true`): {@link taskCode}'s
 * text, called with {@link LAYOUT}, serving the `workerData` it was started with.
 */
const WORKER_SOURCE = `'use strict';
(${taskCode.toString()})(${JSON.stringify(LAYOUT)}).serve(require('node:worker_threads').workerData);
`;

/** The few parts of Node's `worker_threads` used here (typed locally: the build has no Node types). */
interface NodeWorker {
  unref(): void;
  on(event: 'message' | 'error' | 'exit', listener: (value: unknown) => void): void;
  terminate(): Promise<number>;
}
interface WorkerThreads {
  readonly Worker: new (source: string, options: { eval: true; workerData: WorkerData }) => NodeWorker;
}
interface NodeProcess {
  readonly versions?: { readonly node?: string };
  readonly env?: Record<string, string | undefined>;
  getBuiltinModule?(id: string): unknown;
}
interface NodeOs {
  availableParallelism?(): number;
}
interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
}

const nodeProcess = (globalThis as { process?: NodeProcess }).process;

/**
 * Whether large products may use a second thread here: in Node, unless
 * `TAPEGRAD_THREADS` is set below 2 (`TAPEGRAD_THREADS=1`), and where
 * WebAssembly memory can be shared. Never in browsers (their main thread may
 * not block, and shared memory needs cross-origin isolation).
 */
export function threadsWanted(env: Record<string, string | undefined> | undefined = nodeProcess?.env): boolean {
  if (nodeProcess?.versions?.node === undefined || typeof SharedArrayBuffer !== 'function') return false;
  const setting = env?.TAPEGRAD_THREADS;
  if (setting !== undefined && setting.trim() !== '' && !(Number(setting) >= 2)) return false;
  try {
    const wasm = (globalThis as { WebAssembly?: { Memory: new (d: object) => object } }).WebAssembly;
    if (wasm === undefined) return false;
    new wasm.Memory({ initial: 1, maximum: 1, shared: true }); // throws where memory cannot be shared
    return true;
  } catch {
    return false;
  }
}

/** A Node built-in module, now if Node has `process.getBuiltinModule` (20.16 and later), else undefined. */
function builtinNow<T>(id: string): T | undefined {
  return nodeProcess?.getBuiltinModule?.(id) as T | undefined;
}

/** A Node built-in module, loaded so that bundlers and browsers never see it (the name is not a literal import). */
async function loadBuiltin<T>(id: string): Promise<T> {
  return builtinNow<T>(id) ?? ((await import(/* webpackIgnore: true */ /* @vite-ignore */ id)) as T);
}

const clock = (globalThis as { performance?: { now(): number } }).performance;
/**
 * The pack kernel of a product's tasks, which pack their own panels: rows of A (`mr` wide) in tasks of rows,
 * columns of B (`nr` wide) in tasks of columns, from runs (`packRuns`) or from columns (`packCols`) of the raw
 * operand as it lies in memory.
 */
function packKernel(job: Job): string {
  const bytes = job.f64 ? 8 : 4;
  const columns = (job.cols ?? 0) > 0;
  const width = columns ? job.nr! : job.mr;
  const runs = columns ? job.transposeB !== true : job.transposeA;
  return runs ? `packRuns${width * bytes}` : `packCols${bytes}x${width}`;
}

/** Milliseconds from some origin. */
const now = (): number => (clock !== undefined ? clock.now() : Date.now());

/** How long the worker may take to come up before it is given up on (it takes about 20 ms). */
const START_TIMEOUT_MS = 10_000;

/**
 * The worker thread of one shared-memory {@link Runtime}, and the main
 * thread's side of the task protocol.
 */
export class MatmulThreads {
  /** Products with at least this many multiply-adds are shared (tests lower it). */
  minWork = THREAD_MIN_WORK;
  /** A product's batches are packed in groups of at most this many elements in all (at least one batch; tests lower it). */
  groupElements = 2 ** 22;
  /** For tests: the main thread only packs and waits, so the worker runs every task. */
  workerOnly = false;
  /** How `matmul` cuts a product into tasks: by its shape (`auto`), or always into blocks of rows or of columns (tests). */
  split: 'auto' | 'rows' | 'columns' = 'auto';
  private readonly ctl = new Int32Array(new SharedArrayBuffer(CONTROL_INTS * 4));
  /** The control array's job slots, as the task code reads them. */
  private readonly slots = this.ctl.subarray(P, CONTROL_INTS);
  private worker: NodeWorker | undefined;
  /** When `launch()` constructed the worker (undefined before). */
  private launchedAt: number | undefined;
  private launching: Promise<void> | undefined;
  private starting: Promise<boolean> | undefined;
  private broken = false;
  private seq = 0;
  /** Large products left to run on this thread alone, and how many the next backing-off skips. */
  private skip = 0;
  private backoff = 1;
  /** Jobs in a row in which the worker kept up (see {@link SPIN_US}). */
  private calm = 0;

  /** `runtime` must be shared. */
  constructor(private readonly runtime: Runtime) {}

  /** Whether the worker is up and well: products then use it. */
  get ready(): boolean {
    return !this.broken && Atomics.load(this.ctl, UP) === 1;
  }

  /**
   * Whether the next large product should be shared: the worker is up, and
   * not backing off. A job in which the worker was starved of a core (it ran
   * under a quarter of the tasks, or this thread waited for it a quarter of
   * the time: another process had the second core) makes the next 1, 2, 4,
   * ... 64 products run on this thread alone, where they are faster then.
   * Until the worker is up this launches it (once) and says no: it reads the
   * UP slot and never waits for it, so a loop that never yields to the event
   * loop starts sharing as soon as the worker is up.
   */
  share(): boolean {
    if (!this.ready) {
      this.launch();
      if (this.launchedAt !== undefined && !this.broken && now() - this.launchedAt > START_TIMEOUT_MS) void this.stop();
      return false;
    }
    if (this.skip === 0 || this.workerOnly) return true;
    this.skip--;
    return false;
  }

  /** Tasks the worker has run so far. */
  get workerTasks(): number {
    return Atomics.load(this.ctl, WORKER_TASKS);
  }

  /**
   * Constructs the worker (once), synchronously where Node has
   * `process.getBuiltinModule`, and returns without waiting for it to come
   * up; products use it once it is up. On one core, or without shared
   * memory, it starts none.
   */
  launch(): void {
    if (this.launchedAt !== undefined || this.launching !== undefined || this.broken) return;
    if (!this.runtime.shared) {
      this.broken = true;
      return;
    }
    const os = builtinNow<NodeOs>('node:os');
    const threads = builtinNow<WorkerThreads>('node:worker_threads');
    if (os !== undefined && threads !== undefined) this.spawn(os, threads);
    else
      this.launching = Promise.all([loadBuiltin<NodeOs>('node:os'), loadBuiltin<WorkerThreads>('node:worker_threads')])
        .then(([o, t]) => this.spawn(o, t))
        .catch(() => {
          this.broken = true;
        });
  }

  /**
   * Launches the worker (once) and resolves to whether it came up; products
   * stay on this thread until it has. (A timer polls the UP slot meanwhile,
   * and keeps Node alive for those few milliseconds.)
   */
  start(): Promise<boolean> {
    this.launch();
    this.starting ??= (this.launching ?? Promise.resolve()).then(() => this.whenUp());
    return this.starting;
  }

  /** Stops the worker; products stay on this thread from then on. */
  async stop(): Promise<void> {
    this.broken = true;
    await this.worker?.terminate();
  }

  /** Constructs the worker, `unref()`ed, with everything it needs in its `workerData`. */
  private spawn(os: NodeOs, { Worker }: WorkerThreads): void {
    // On one core a second thread only competes for it.
    this.broken = (os.availableParallelism?.() ?? 2) < 2;
    if (this.broken) return;
    try {
      const workerData: WorkerData = {
        module: this.runtime.module,
        memory: this.runtime.memory,
        control: this.ctl.buffer,
      };
      const worker = new Worker(WORKER_SOURCE, { eval: true, workerData });
      this.worker = worker;
      this.launchedAt = now();
      worker.unref();
      worker.on('error', () => (this.broken = true));
      worker.on('exit', () => (this.broken = true));
    } catch {
      this.broken = true;
    }
  }

  /** Resolves to whether the worker came up, polling the UP slot. */
  private whenUp(): Promise<boolean> {
    const timers = globalThis as unknown as Timers;
    return new Promise<boolean>((resolve) => {
      const poll = () => {
        if (this.ready) resolve(true);
        else if (this.broken || this.launchedAt === undefined) resolve(false);
        else if (now() - this.launchedAt > START_TIMEOUT_MS) {
          void this.stop();
          resolve(false);
        } else timers.setTimeout(poll, 2);
      };
      poll();
    });
  }

  /**
   * Runs `job` on both threads. `pack(t)` is called on this thread for each
   * task in order and must make its operands ready (raw A copied in, and its batch's B packed before the
   * batch's first task); each task is published as soon as it is packed.
   * `published()`, if given, is called on this thread once every task is
   * published, before it takes tasks itself: work there (such as touching the
   * output's fresh pages) runs alongside the worker's tasks.
   */
  run(job: Job, pack: (t: number) => void, published?: () => void): void {
    const ctl = this.ctl;
    const { tasks } = job;
    const started = now();
    const workerBefore = Atomics.load(ctl, WORKER_TASKS);
    // Post: SEQ odd while the job is written, even once it is complete.
    Atomics.store(ctl, SEQ, ++this.seq);
    ctl[P + P_F64] = job.f64 ? 1 : 0;
    const bytes = job.f64 ? 8 : 4;
    ctl[P + P_A] = job.a * bytes;
    ctl[P + P_B] = job.b * bytes;
    ctl[P + P_C] = job.c * bytes;
    ctl[P + P_M] = job.m;
    ctl[P + P_MPAD] = job.mPad;
    ctl[P + P_NPAD] = job.nPad;
    ctl[P + P_K] = job.k;
    ctl[P + P_KC] = job.kc;
    ctl[P + P_MR] = job.mr;
    ctl[P + P_ROWS] = job.rows;
    ctl[P + P_TPB] = job.tasksPerBatch;
    ctl[P + P_TASKS] = tasks;
    ctl[P + P_RAW] = job.raw * bytes;
    ctl[P + P_TA] = job.transposeA ? 1 : 0;
    ctl[P + P_COLS] = job.cols ?? 0;
    ctl[P + P_NR] = job.nr ?? 0;
    ctl[P + P_RAWB] = (job.rawB ?? 0) * bytes;
    ctl[P + P_TB] = job.transposeB === true ? 1 : 0;
    ctl[P + P_CALLS] = job.calls?.program ?? 0;
    ctl[P + P_CALLS_WORDS] = job.calls?.words ?? 0;
    ctl[P + P_SCRATCH] = job.calls?.scratch ?? 0;
    ctl[P + P_SCRATCH_STRIDE] = job.calls?.stride ?? 0;
    ctl[P + P_PACK] = job.calls === undefined ? this.functionIndex(packKernel(job)) : 0;
    const tag = ((this.seq + 1) >>> 1) & 0xfff;
    Atomics.store(ctl, PACKED, 0);
    Atomics.store(ctl, DONE, 0);
    Atomics.store(ctl, FAILED, 0);
    Atomics.store(ctl, NEXT, tag << 20);
    Atomics.store(ctl, SEQ, ++this.seq);
    if (Atomics.load(ctl, WORKER_WAITING) === 1) Atomics.notify(ctl, SEQ);
    // Pack and publish every task, then take tasks alongside the worker.
    for (let t = 0; t < tasks; t++) {
      pack(t);
      Atomics.store(ctl, PACKED, t + 1);
      if (Atomics.load(ctl, WORKER_WAITING) === 1) Atomics.notify(ctl, PACKED);
    }
    const p = this.slots;
    const x = this.runtime.exports;
    published?.();
    if (!this.workerOnly) this.runClaimed(tag, tasks, p, x);
    const waiting = now();
    // Wait for the tasks the worker holds; redo one it failed on (and leave it alone from then on), and
    // after a second without news take whatever it has not claimed (it may be starved of a core, or gone).
    spin(() => Atomics.load(ctl, DONE) >= tasks, Atomics.load(ctl, SPIN));
    Atomics.store(ctl, MAIN_WAITING, 1);
    for (let done; (done = Atomics.load(ctl, DONE)) < tasks;) {
      const failed = Atomics.exchange(ctl, FAILED, 0);
      if (failed !== 0) {
        this.broken = true;
        job.calls?.reset?.(failed - 1);
        runTask(failed - 1, p, x, this.runtime.memory, 0);
        Atomics.add(ctl, DONE, 1);
      } else if (Atomics.wait(ctl, DONE, done, 1000) === 'timed-out') this.runClaimed(tag, tasks, p, x);
    }
    Atomics.store(ctl, MAIN_WAITING, 0);
    const ended = now();
    if (job.calls?.brief === true) return;
    const starved =
      Atomics.load(ctl, WORKER_TASKS) - workerBefore < tasks / 4 || ended - waiting > (ended - started) / 4;
    if (starved && !this.workerOnly) {
      this.skip = this.backoff;
      this.backoff = Math.min(2 * this.backoff, 64);
      this.calm = 0;
    } else {
      this.backoff = 1;
      this.calm++;
    }
    Atomics.store(ctl, SPIN, this.calm >= CALM_JOBS ? SPIN_US : 0);
  }

  /**
   * Runs a job of calls (see {@link Calls}) on both threads: every task is
   * written already, so the worker may take any of them at once.
   */
  runCalls(calls: Calls): void {
    const { tasks } = calls;
    this.run(
      {
        f64: false,
        a: 0,
        b: 0,
        c: 0,
        m: 0,
        mPad: 0,
        nPad: 0,
        k: 0,
        kc: 0,
        mr: 0,
        rows: 0,
        raw: 0,
        transposeA: false,
        tasksPerBatch: tasks,
        tasks,
        calls,
      },
      () => {},
    );
  }

  /** The index of the exported function `name` in a {@link Calls} program (the exports' names, sorted). */
  functionIndex(name: string): number {
    this.names ??= new Map(
      Object.keys(this.runtime.exports)
        .sort()
        .map((key, i) => [key, i]),
    );
    const index = this.names.get(name) ?? -1;
    if (index < 0) throw new Error(`tapegrad: the kernel module has no function '${name}'`);
    return index;
  }

  private names: Map<string, number> | undefined;

  /** Claims and runs tasks on this thread until none are left. */
  private runClaimed(tag: number, tasks: number, p: Int32Array, x: KernelExports): void {
    for (let t; (t = claim(this.ctl, tag, tasks)) >= 0;) {
      runTask(t, p, x, this.runtime.memory, 0);
      Atomics.add(this.ctl, DONE, 1);
    }
  }
}
