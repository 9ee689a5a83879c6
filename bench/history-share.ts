// What the history costs the commit before the push (sync-method.md, "The safety net"):
// bench/core.ts's run with 1% of BENCH_N (default 100,000) records changed on one log
// device, four devices offline, repeated on one DSS with the history written and not
// written, in alternate runs (History.record replaced by nothing: the commit as it was
// before the history). The cost is the difference of each pair of neighbouring runs, so
// it includes all the history adds to the commit: the JavaScript, SQLite's statements and
// indexes, and the pages the COMMIT appends to the WAL (time in record() alone misses
// those). Measured per commit:
// - the main thread's CPU time (Linux: /proc/thread-self/schedstat), which other work on
//   a shared machine changes much less than the wall time;
// - the wall time, the figure bench/core.ts reports (noisy on a loaded machine);
// - the bytes the commit added to the WAL.
// `node bin/run-ts.mjs bench/history-share.ts`; BENCH_PAIRS (default 8) pairs of runs.
//
// Instruction counts, the same whatever the load: BENCH_CALLGRIND=1 marks the commit for
// callgrind, which then writes one file per stretch between marks:
//   BENCH_CALLGRIND=1 BENCH_PAIRS=1 valgrind --tool=callgrind --smc-check=all-non-file \
//     --dump-before=uv_getrusage --zero-before=uv_loadavg node bin/run-ts.mjs bench/history-share.ts
// (a mark is process.cpuUsage(), which dumps, then os.loadavg(), which zeroes; nothing else
// here calls either). The files' "summary:" lines are the instructions of the main thread;
// this script prints which file holds which commit.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { historyOf } from '../main/dss/history';
import { SimulatedDevice } from '../main/devices/simulated/device';
import { Hub } from '../main/hub/hub';
import { contactAt, generateContacts, Rng, userEdit } from './lib/gen';
import { describeMachine, loadAverage, median, removeDir } from './lib/harness';
import { firstSync } from './lib/tasks';

const n = Number(process.env.BENCH_N ?? 100_000);
const pairs = Number(process.env.BENCH_PAIRS ?? 8);
const callgrind = process.env.BENCH_CALLGRIND === '1';
const seed = 20250101;
const changed = Math.round(n / 100);

/** The main thread's CPU time in ms (null where /proc does not tell it). */
function threadMs(): number | null {
  try {
    return Number(fs.readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6;
  } catch {
    return null;
  }
}
let dumps = 0;
/** A callgrind mark: the stretch since the last one goes to a file of its own. */
function mark(): number {
  if (!callgrind) return 0;
  process.cpuUsage();
  os.loadavg();
  return ++dumps;
}

interface Commit {
  history: boolean;
  cpu: number | null;
  wall: number;
  walBytes: number;
  /** With BENCH_CALLGRIND: the number of the callgrind file that holds this commit. */
  dump: number;
}

if (!callgrind) {
  console.log(`== history's share of the commit: ${n.toLocaleString('en')} contacts, ${changed.toLocaleString('en')} changed per run ==`);
  console.log(`machine: ${describeMachine()}; load average ${loadAverage()}`);
}
mark();
// The steady state of bench/core.ts: d1 synced, four more devices that hold everything.
const template = await firstSync({ n, seed, keep: true });
// (firstSync reads its peak RSS through getrusage, which callgrind takes for a mark too.)
if (callgrind) dumps += 1;
const dataDir = template.dataDir;
const hub = Hub.open({ dataDir, region: 'GB' });
const d1 = new SimulatedDevice({ spid: 'd1', changeTracking: 'log', initial: generateContacts(n, seed) });
await d1.finish(true);
hub.attach(d1);
const h = historyOf(hub.dss.db);
const record = h.record.bind(h);
const wal = path.join(dataDir, 'concord.sqlite-wal');
const walSize = () => (fs.existsSync(wal) ? fs.statSync(wal).size : 0);

const rng = new Rng(seed * 7919 + changed);
let serial = 0;
async function run(history: boolean): Promise<Commit> {
  const picked = new Set<number>();
  while (picked.size < changed) picked.add(rng.int(n));
  for (const i of picked) d1.userUpdate(`d1-${i + 1}`, userEdit(rng, contactAt(seed, i), ++serial));
  h.record = history ? record : () => undefined;
  // Every run starts from an empty WAL (as after the hub's idle checkpoint), so the WAL's
  // growth is what the run wrote.
  hub.dss.db.pragma('wal_checkpoint(TRUNCATE)');
  const out: Commit = { history, cpu: null, wall: NaN, walBytes: NaN, dump: 0 };
  let t0 = NaN;
  let c0: number | null = null;
  let w0 = 0;
  // commit() calls the write hook first thing; the run says when it has committed.
  hub.dss.writeHook = (what) => {
    if (what !== 'commit') return;
    mark();
    w0 = walSize();
    c0 = threadMs();
    t0 = performance.now();
  };
  const off = hub.on('progress', (p) => {
    if (p.type !== 'committed') return;
    out.wall = performance.now() - t0;
    const c1 = threadMs();
    out.cpu = c0 === null || c1 === null ? null : c1 - c0;
    out.walBytes = walSize() - w0;
    out.dump = mark();
  });
  try {
    const s = await hub.sync(['d1']);
    if (s.counts.d1?.in.update !== changed) throw new Error(`expected ${changed} updates in, the run counted ${s.counts.d1?.in.update}`);
  } finally {
    off();
    hub.dss.writeHook = null;
    h.record = record;
  }
  return out;
}

const commits: Commit[] = [];
// One run of each first, not counted (the first commit on a newly opened DSS reads its
// pages into SQLite's cache).
await run(true);
await run(false);
for (let k = 0; k < pairs; k++) {
  // (The order flips each pair, so a drift of the machine's speed cancels out.)
  for (const history of k % 2 === 0 ? [true, false] : [false, true]) commits.push(await run(history));
}
await hub.close();
removeDir(dataDir);

if (callgrind) {
  for (const c of commits) console.log(`commit with history ${c.history ? 'on ' : 'off'}: callgrind file .${c.dump} (the commit; numbered from 1)`);
} else {
  const on = commits.filter((c) => c.history);
  const off = commits.filter((c) => !c.history);
  const diffs = (f: (c: Commit) => number | null) => {
    const d: number[] = [];
    for (let k = 0; k < pairs; k++) {
      const a = f(on[k]!);
      const b = f(off[k]!);
      if (a !== null && b !== null) d.push(a - b);
    }
    return d;
  };
  const row = (what: string, f: (c: Commit) => number | null, unit: string, digits: number) => {
    const a = on.map(f).filter((x): x is number => x !== null);
    const b = off.map(f).filter((x): x is number => x !== null);
    if (a.length === 0 || b.length === 0) return console.log(`${what}: not available here`);
    const d = diffs(f);
    const fmt = (x: number) => `${x.toFixed(digits)} ${unit}`;
    console.log(
      `${what}: history off ${fmt(median(b))}, on ${fmt(median(a))} (medians of ${pairs}); ` +
        `the history's cost ${fmt(median(d))} (median of the pairs' differences, from ${fmt(Math.min(...d))} to ${fmt(Math.max(...d))}), ` +
        `${((100 * median(d)) / median(b)).toFixed(1)}% of the commit without it`,
    );
  };
  row('main-thread CPU of the commit', (c) => c.cpu, 'ms', 1);
  row('wall time of the commit', (c) => c.wall, 'ms', 1);
  row('bytes the commit added to the WAL', (c) => c.walBytes / 1024, 'KiB', 0);
  console.log(`load average at end: ${loadAverage()}`);
}
