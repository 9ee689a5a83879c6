// The measurements of bench/core.ts. Each runs in a child process of its own (see
// child.ts), so that its heap, its peak RSS and its page cache effects are its own, with a
// real Hub on a real SQLite file in a fresh temp data folder.
import { performance } from 'node:perf_hooks';
import { contactOf, normalizeContact, type Contact } from '../../main/core/contact';
import { planRun } from '../../main/core/reconcile';
import type { PointReport } from '../../main/core/run-state';
import { commit } from '../../main/dss/commit';
import type { ReportedRecord, Spid } from '../../main/core/types';
import { SimulatedDevice } from '../../main/devices/simulated/device';
import { Hub } from '../../main/hub/hub';
import { pointInfo } from '../../main/hub/run';
import type { RunSummary } from '../../main/hub/types';
import { contactAt, generateContacts, Rng, userEdit } from './gen';
import { copyDataDir, maxRss, RssSampler, tempDataDir } from './harness';

export const SPIDS: Spid[] = ['d1', 'd2', 'd3', 'd4', 'd5'];
const FIXED_NOW = 1_750_000_000_000;

/** Per phase of one run, in ms: retrieve (and validation), plan (steps 3–5), commit (step
 *  6), push and finish (7–8, history included). */
export interface Phases {
  retrieve: number;
  plan: number;
  commit: number;
  push: number;
}

export interface TimedRun {
  ms: number;
  phases: Phases;
  summary: RunSummary;
  /** The JS heap in use when the plan was complete (just before the commit). */
  heapAtCommit: number;
}

/** A hub as the app opens it: GUIDs are random UUIDs, as in production (their random
 *  order is what the DSS's indexes see). */
function openHub(dataDir: string): Hub {
  return Hub.open({ dataDir, region: 'GB' });
}

function pairFive(hub: Hub): void {
  for (const [i, spid] of SPIDS.entries()) {
    hub.pairDevice({ spid, name: `Device ${i + 1}`, kind: 'simulated', link: 'simulated', changeTracking: 'log', priority: i + 1 });
  }
}

/** One sync of the given device, timed as a whole and per phase. */
export async function timedSync(hub: Hub, spids: Spid[]): Promise<TimedRun> {
  let tRetrieved = NaN;
  let tCommitStart = NaN;
  let tCommitEnd = NaN;
  let heapAtCommit = NaN;
  const off = hub.on('progress', (p) => {
    if (p.type === 'device-retrieved') tRetrieved = performance.now();
    // (Emitted as soon as commit() returns.)
    if (p.type === 'committed') tCommitEnd = performance.now();
  });
  const dss = hub.dss;
  // commit() calls the write hook first thing, before its transaction.
  const hook = dss.writeHook;
  dss.writeHook = (what) => {
    if (what === 'commit') {
      heapAtCommit = process.memoryUsage().heapUsed;
      tCommitStart = performance.now();
    }
    hook?.(what);
  };
  const t0 = performance.now();
  const summary = await hub.sync(spids);
  const t1 = performance.now();
  dss.writeHook = hook;
  off();
  if (summary.outcome !== 'ok') throw new Error(`the run did not succeed: ${summary.outcome} ${summary.error ?? JSON.stringify(summary.counts)}`);
  return {
    ms: t1 - t0,
    phases: { retrieve: tRetrieved - t0, plan: tCommitStart - tRetrieved, commit: tCommitEnd - tCommitStart, push: t1 - tCommitEnd },
    summary,
    heapAtCommit,
  };
}

/** The other four devices as if they had synced everything earlier (they are offline in
 *  every measurement): each maps every record, under its own LUIDs, with no pending
 *  action. Written straight into the DSS, which is much faster than pushing n records to
 *  each; the rows are exactly what acknowledged ADDs leave. */
function seedSteadyState(hub: Hub): void {
  const db = hub.dss.db;
  // Every column of d1's rows is copied (the schema may grow), but the device and the LUID.
  const cols = (db.prepare('PRAGMA table_info(maps)').all() as { name: string }[]).map((c) => c.name);
  const select = cols.map((c) => (c === 'spid' ? '?' : c === 'luid' ? `? || substr(luid, 3)` : c)).join(', ');
  db.transaction(() => {
    for (const spid of SPIDS.slice(1)) {
      db.prepare(`INSERT INTO maps (${cols.join(', ')}) SELECT ${select} FROM maps WHERE spid = 'd1'`).run(spid, spid);
      db.prepare('DELETE FROM actions WHERE spid = ?').run(spid);
      db.prepare(`UPDATE sync_points SET last_sync_at = ?, last_outcome = 'ok' WHERE spid = ?`).run(FIXED_NOW, spid);
    }
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
}

export interface FirstSyncResult {
  n: number;
  dataDir: string;
  run: { ms: number; phases: Phases; in: RunSummary['counts'][string]['in']; heapAtCommit: number };
  pendingPerOfflineDevice: number;
  rss: { beforeSync: number; peakSampled: number; samples: number; maxRss: number; afterGenerate: number; atStart: number };
  fileBytes: number;
}

/** The first sync of an n-contact `log` device into an empty hub with five devices paired
 *  (the other four offline). With `keep`, the data folder is then brought to the steady
 *  state (all five synced) and kept as the template of the other measurements. */
export async function firstSync(args: { n: number; seed: number; keep: boolean }): Promise<FirstSyncResult> {
  const atStart = process.memoryUsage.rss();
  const initial = generateContacts(args.n, args.seed);
  const afterGenerate = process.memoryUsage.rss();
  const dataDir = tempDataDir(`first-${args.n}`);
  const hub = openHub(dataDir);
  pairFive(hub);
  const d1 = new SimulatedDevice({ spid: 'd1', changeTracking: 'log', initial });
  initial.length = 0; // the device holds the contacts now
  hub.attach(d1);
  global.gc?.();
  const beforeSync = process.memoryUsage.rss();
  const sampler = new RssSampler();
  await sampler.start(20);
  const r = await timedSync(hub, ['d1']);
  const { peak, samples } = await sampler.stop();
  const rssMax = maxRss();
  const pending = hub.dss.pendingSummary('d2');
  if (args.keep) seedSteadyState(hub);
  await hub.close();
  const fs = await import('node:fs');
  const path = await import('node:path');
  const fileBytes = fs.statSync(path.join(dataDir, 'concord.sqlite')).size;
  return {
    n: args.n,
    dataDir,
    run: { ms: r.ms, phases: r.phases, in: r.summary.counts.d1!.in, heapAtCommit: r.heapAtCommit },
    pendingPerOfflineDevice: pending.add + pending.update + pending.delete,
    rss: { atStart, afterGenerate, beforeSync, peakSampled: peak, samples, maxRss: rssMax },
    fileBytes,
  };
}

/** d1 after the first sync: the same records under the same LUIDs, its change log empty. */
async function syncedDevice(n: number, seed: number): Promise<SimulatedDevice> {
  const d1 = new SimulatedDevice({ spid: 'd1', changeTracking: 'log', initial: generateContacts(n, seed) });
  await d1.finish(true);
  return d1;
}

export interface ChangesResult {
  n: number;
  changed: number;
  runs: TimedRun[];
  warmup: number;
}

/** Runs in which `changed` records changed on d1 (the others offline), on a copy of the
 *  steady-state template. The first `warmup` runs are not counted. */
export async function changes(args: { template: string; n: number; seed: number; changed: number; runs: number; warmup: number }): Promise<ChangesResult> {
  const dataDir = copyDataDir(args.template, `changes-${args.n}-${args.changed}`);
  const hub = openHub(dataDir);
  const d1 = await syncedDevice(args.n, args.seed);
  hub.attach(d1);
  const rng = new Rng(args.seed * 7919 + args.changed);
  const out: TimedRun[] = [];
  let serial = 0;
  for (let k = 0; k < args.warmup + args.runs; k++) {
    const picked = new Set<number>();
    while (picked.size < args.changed) picked.add(rng.int(args.n));
    for (const i of picked) d1.userUpdate(`d1-${i + 1}`, userEdit(rng, contactAt(args.seed, i), ++serial));
    const r = await timedSync(hub, ['d1']);
    const got = r.summary.counts.d1!.in.update;
    if (got !== args.changed) throw new Error(`expected ${args.changed} updates in, the run counted ${got}`);
    if (k >= args.warmup) out.push(r);
  }
  await hub.close();
  const { removeDir } = await import('./harness');
  removeDir(dataDir);
  return { n: args.n, changed: args.changed, runs: out, warmup: args.warmup };
}

export interface DuplicatesResult {
  n: number;
  incoming: number;
  exactCopies: number;
  editedCopies: number;
  planMs: number[];
  lostStatePlanMs: number[];
  /** The commit of the first plan, timed inside a transaction then rolled back: it writes
   *  the new device's ADDs of everything it lacks, which the plan leaves to it. */
  commitMs: number;
  rows: Record<string, number>;
}

/** Duplicate detection: a newly paired device reports `incoming` records as ADDED against
 *  a truth of n; 30% are copies of records the truth has, 20% the same people with their
 *  numbers written differently and a field changed, 50% new people. Times `planRun` with
 *  the DSS as its view (it writes nothing, so it can be repeated). */
export async function duplicates(args: { template: string; n: number; seed: number; incoming: number; repeat: number }): Promise<DuplicatesResult> {
  const dataDir = copyDataDir(args.template, `dups-${args.n}`);
  const hub = openHub(dataDir);
  hub.pairDevice({ spid: 'd6', name: 'New phone', kind: 'simulated', link: 'simulated', changeTracking: 'log', priority: 6 });
  const rng = new Rng(args.seed * 31 + 6);
  const exact = Math.round(args.incoming * 0.3);
  const edited = Math.round(args.incoming * 0.2);
  const records: ReportedRecord[] = [];
  const used = new Set<number>();
  const pickOld = () => {
    let i: number;
    do i = rng.int(args.n);
    while (used.has(i));
    used.add(i);
    return i;
  };
  for (let k = 0; k < exact; k++) records.push({ luid: `d6-${k + 1}`, state: 'ADDED', data: contactOf(contactAt(args.seed, pickOld())) });
  for (let k = 0; k < edited; k++) {
    const c = contactOf(contactAt(args.seed, pickOld()));
    // The same person as the phone stores it: numbers in E.164, "Family, Given", a note.
    const norm = normalizeContact(c, 'GB');
    const [family = '', given = ''] = c.n;
    const data: Contact = { ...c, fn: /,/.test(c.fn) || !/^[\p{Script=Latin}\s'-]+$/u.test(c.fn) ? c.fn : `${family}, ${given}`, tel: norm.tel, note: `from the new phone ${k}` };
    records.push({ luid: `d6-${exact + k + 1}`, state: 'ADDED', data });
  }
  const fresh = generateContacts(args.incoming - exact - edited, args.seed + 1000, 0);
  for (const [k, c] of fresh.entries()) records.push({ luid: `d6-${exact + edited + k + 1}`, state: 'ADDED', data: contactOf(c) });

  const points = hub.dss.devices().map(pointInfo);
  const plan = (lost: boolean) => {
    const report: PointReport = { kind: 'log', lostSyncState: lost, records: records.map((r) => ({ ...r })), lateAcks: [] };
    let g = 0;
    const t0 = performance.now();
    const p = planRun(hub.dss, { runId: 1, region: 'GB', points, reports: new Map([['d6', report]]), editorEdits: [] }, () => `new-${++g}`);
    return { ms: performance.now() - t0, p };
  };
  const planMs: number[] = [];
  let rows: Record<string, number> = {};
  let commitMs = NaN;
  // Repeats stop early when one plan takes long: the machine is shared.
  const budgetMs = 20_000;
  const began = performance.now();
  for (let k = 0; k < args.repeat && (k === 0 || performance.now() - began < budgetMs); k++) {
    const { ms, p } = plan(false);
    planMs.push(ms);
    if (k === 0) {
      rows = {};
      for (const r of p.rows) rows[r.row] = (rows[r.row] ?? 0) + 1;
      const db = hub.dss.db;
      db.exec('BEGIN');
      try {
        const t0 = performance.now();
        commit(hub.dss, p.overlay, { runId: 1, now: FIXED_NOW, conflicts: p.conflicts, editorUpTo: null, lostState: p.lostState });
        commitMs = performance.now() - t0;
      } finally {
        db.exec('ROLLBACK');
      }
    }
  }
  const lostStatePlanMs: number[] = [];
  if ((planMs[0] ?? Infinity) < 5000) {
    const began2 = performance.now();
    for (let k = 0; k < Math.min(3, args.repeat) && (k === 0 || performance.now() - began2 < budgetMs); k++) lostStatePlanMs.push(plan(true).ms);
  }
  await hub.close();
  const { removeDir } = await import('./harness');
  removeDir(dataDir);
  return { n: args.n, incoming: args.incoming, exactCopies: exact, editedCopies: edited, planMs, lostStatePlanMs, commitMs, rows };
}
