// Runs one fuzz target: N inputs from a seeded generator, each executed with its time
// measured; a violated property (an exception the parser does not declare, a wrong answer,
// an input over the time bound) is a failure, grouped by signature and shrunk to a small
// input that still shows it. Failures matching a known, reported bug are counted apart so
// the suite stays green until main/ is fixed (and the pinned `it.fails` test then flips).
import { performance } from 'node:perf_hooks';
import fc from 'fast-check';
import { mutate, Rng, showInput, type MutateOptions } from './mutate';

export interface FuzzTarget<I> {
  name: string;
  /** The i-th input; deterministic for a seed. */
  gen: (rng: Rng, i: number) => I;
  /** Runs the parser on one input; throws (anything) when a property is violated. */
  exec: (input: I) => void | Promise<void>;
  show?: (input: I) => string;
  /** Candidates smaller than `input`, for shrinking (default: byte/char deletions). */
  shrink?: (input: I) => Iterable<I>;
  /** A label if this failure is a known, already reported bug. */
  known?: (err: unknown, input: I) => string | null;
}

export interface FuzzFailure {
  signature: string;
  count: number;
  message: string;
  /** The smallest input found that shows it, printable. */
  input: string;
  inputIndex: number;
}

export interface FuzzStats {
  name: string;
  inputs: number;
  seconds: number;
  perSecond: number;
  maxMs: number;
  maxInput: string;
  heapGrowthMb: number;
  failures: FuzzFailure[];
  known: Record<string, number>;
}

export interface RunOptions {
  n: number;
  seed?: number;
  /** A single input may take at most this long (ms); re-measured twice before it counts. */
  maxMs?: number;
  /** Heap growth over the run that counts as absurd (MB). */
  maxHeapGrowthMb?: number;
  /** Shrinking budget (executions) per failure signature. */
  shrinkBudget?: number;
}

export class Violation extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Violation';
  }
}

function messageOf(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return `non-Error thrown: ${String(e)}`;
}

/** Errors with the same type and the same words (numbers and quoted parts aside) are one bug. */
function signatureOf(e: unknown): string {
  const m = messageOf(e)
    .replace(/"[^"]*"|'[^']*'|`[^`]*`/g, '…')
    .replace(/\d+(\.\d+)?/g, 'N')
    .slice(0, 120);
  const frame = e instanceof Error ? (e.stack ?? '').split('\n').find((l) => l.includes('/main/')) : undefined;
  return frame ? `${m} @ ${frame.trim().replace(/:\d+\)?$/, '').replace(/^at /, '')}` : m;
}

function* deletions(x: Uint8Array | string): Iterable<Uint8Array | string> {
  const len = x.length;
  for (let size = Math.max(1, len >> 1); size >= 1; size >>= 1) {
    for (let at = 0; at + size <= len; at += size) {
      yield typeof x === 'string' ? x.slice(0, at) + x.slice(at + size) : Uint8Array.from([...x.subarray(0, at), ...x.subarray(at + size)]);
    }
  }
}

/** An input's cost: its wall time, or its CPU time when that is less. The worker is a
 *  process of its own (vitest's forks pool), so its CPU time is this input's work plus GC:
 *  a machine busy with other processes stretches the wall time, not the CPU time, and an
 *  input that makes a parser spin costs both. */
async function timed<I>(t: FuzzTarget<I>, input: I): Promise<{ ms: number; err: unknown }> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const cost = () => {
    const c = process.cpuUsage(c0);
    return Math.min(performance.now() - t0, (c.user + c.system) / 1000);
  };
  try {
    await t.exec(input);
    return { ms: cost(), err: undefined };
  } catch (err) {
    return { ms: cost(), err: err ?? new Error('undefined thrown') };
  }
}

async function shrinkInput<I>(t: FuzzTarget<I>, input: I, sig: string, budget: number): Promise<I> {
  const cands = t.shrink ?? ((x: I) => (typeof x === 'string' || x instanceof Uint8Array ? (deletions(x) as Iterable<I>) : []));
  let best = input;
  let left = budget;
  let progress = true;
  while (progress && left > 0) {
    progress = false;
    for (const c of cands(best)) {
      if (--left <= 0) break;
      const r = await timed(t, c);
      if (r.err !== undefined && signatureOf(r.err) === sig) {
        best = c;
        progress = true;
        break;
      }
    }
  }
  return best;
}

export async function runFuzz<I>(t: FuzzTarget<I>, opts: RunOptions): Promise<FuzzStats> {
  const seed = opts.seed ?? 1;
  const maxMs = opts.maxMs ?? 200;
  const rng = new Rng(seed);
  const show = t.show ?? ((x: I) => (typeof x === 'string' || x instanceof Uint8Array ? showInput(x) : JSON.stringify(x)?.slice(0, 600) ?? String(x)));
  const failures = new Map<string, FuzzFailure & { raw: I }>();
  const known: Record<string, number> = {};
  let maxSeen = 0;
  let maxInput = '';
  const heap0 = process.memoryUsage().heapUsed;
  let heapPeak = heap0;
  const started = performance.now();
  for (let i = 0; i < opts.n; i++) {
    const input = t.gen(rng, i);
    let { ms, err } = await timed(t, input);
    if (ms > maxMs && err === undefined) {
      // A GC pause is not the parser's fault: the best of three counts.
      for (let k = 0; k < 2 && ms > maxMs; k++) ms = Math.min(ms, (await timed(t, input)).ms);
      if (ms > maxMs) err = new Violation(`one input took ${ms.toFixed(0)} ms (bound ${maxMs} ms)`);
    }
    if (ms > maxSeen) {
      maxSeen = ms;
      maxInput = show(input).slice(0, 200);
    }
    if (i % 500 === 499) heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
    if (err === undefined) continue;
    const label = t.known?.(err, input) ?? null;
    if (label) {
      known[label] = (known[label] ?? 0) + 1;
      continue;
    }
    const sig = err instanceof Violation && /took \d+ ms/.test(err.message) ? 'slow input' : signatureOf(err);
    const f = failures.get(sig);
    if (f) {
      f.count++;
      continue;
    }
    failures.set(sig, { signature: sig, count: 1, message: messageOf(err), input: '', inputIndex: i, raw: input });
  }
  const seconds = (performance.now() - started) / 1000;
  for (const f of failures.values()) {
    const small = f.signature === 'slow input' ? f.raw : await shrinkInput(t, f.raw, f.signature, opts.shrinkBudget ?? 400);
    f.input = show(small);
  }
  heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
  const heapGrowthMb = (heapPeak - heap0) / 2 ** 20;
  const out: FuzzFailure[] = [...failures.values()].map(({ raw: _raw, ...f }) => f);
  if (heapGrowthMb > (opts.maxHeapGrowthMb ?? 768)) {
    out.push({ signature: 'heap', count: 1, message: `heap grew by ${heapGrowthMb.toFixed(0)} MB over the run`, input: '', inputIndex: -1 });
  }
  return { name: t.name, inputs: opts.n, seconds, perSecond: opts.n / seconds, maxMs: maxSeen, maxInput, heapGrowthMb, failures: out, known };
}

/** The failures as one readable message (for expect(...).toEqual([]) diffs and the bench). */
export function describeFailures(s: FuzzStats): string[] {
  return s.failures.map((f) => `${s.name}: ${f.message} (×${f.count}, first at input #${f.inputIndex}); smallest input: ${f.input}`);
}

export function summary(s: FuzzStats): string {
  const known = Object.entries(s.known).map(([k, v]) => `${k} ×${v}`).join(', ');
  return (
    `${s.name.padEnd(22)} ${String(s.inputs).padStart(7)} inputs  ${s.perSecond.toFixed(0).padStart(7)}/s  ` +
    `max ${s.maxMs.toFixed(1).padStart(6)} ms/input  heap +${s.heapGrowthMb.toFixed(0)} MB  ` +
    `failures ${s.failures.length}${known ? `  (known bugs: ${known})` : ''}`
  );
}

/** The seed of a fuzz test: CONCORD_FUZZ_SEED when given (to replay what the benchmark,
 *  bench/fuzz.ts, found with that seed), otherwise the test's own fixed seed. */
export function fuzzTestSeed(fallback: number, env: NodeJS.ProcessEnv = process.env): number {
  const given = env.CONCORD_FUZZ_SEED;
  if (given === undefined || given === '') return fallback;
  const v = Number(given);
  if (!Number.isSafeInteger(v) || v < 0 || v > 0xffffffff) throw new Error(`CONCORD_FUZZ_SEED must be an integer from 0 to ${0xffffffff}, not "${given}"`);
  return v;
}

/** How many inputs per parser: CONCORD_FUZZ_N, default 5000. */
export function fuzzCount(fallback = 5000): number {
  const v = Number(process.env.CONCORD_FUZZ_N);
  return Number.isSafeInteger(v) && v > 0 ? v : fallback;
}

/** A generator that alternates structured inputs (a fast-check arbitrary, sampled in
 *  seeded batches) with mutations of real samples (and, now and then, of a structured
 *  input). `toBytes`/`fromBytes` let the mutator work on bytes whatever the input type. */
export function mixed<I>(opts: {
  structured: fc.Arbitrary<I>;
  seeds: readonly I[];
  toBytes: (x: I) => Uint8Array;
  fromBytes: (b: Uint8Array, rng: Rng) => I;
  mutate?: MutateOptions;
  batch?: number;
}): (rng: Rng, i: number) => I {
  const batchSize = opts.batch ?? 500;
  let batch: I[] = [];
  let seedOf = 0;
  const seedBytes = opts.seeds.map(opts.toBytes);
  const mopts: MutateOptions = { others: seedBytes, ...opts.mutate };
  const structured = (rng: Rng): I => {
    if (!batch.length) batch = fc.sample(opts.structured, { seed: (rng.int(2 ** 31) ^ seedOf++) | 0, numRuns: batchSize });
    return batch.pop() as I;
  };
  return (rng, i) => {
    if (i % 2 === 0) return structured(rng);
    const base = rng.chance(0.85) ? rng.pick(seedBytes) : opts.toBytes(structured(rng));
    return opts.fromBytes(mutate(rng, base, mopts), rng);
  };
}
