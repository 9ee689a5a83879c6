// A real hub process killed with SIGKILL in the middle of a run (sync-method.md,
// "Persistence rules": nothing acknowledged is lost, nothing applied twice): the
// child (child-sync.ts) syncs a handset of 1,200 contacts and a laptop of 600 through a hub
// on a real disk folder; the test kills it at a random moment of a chosen phase, checks the
// DSS file it left (integrity, at the last commit or the next, every action row pointing at
// a record, no acknowledgement counted that a device did not apply), then lets a restarted
// child finish, and checks that everything converged with no duplicates and settles.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import type { Contact } from '../../main/core/contact';
import { project } from '../../main/core/projection';
import { Dss } from '../../main/dss/store';
import { Hub } from '../../main/hub/hub';
import { describeContact, firstDuplicate } from '../../main/scenario/checks';
import { LOG, SIM_CAPACITY, SNAP } from './child-sync';
import { rng } from '../lib/random';
import { tmpDir } from '../lib/tmp';
import { multisetDiff, REGION } from './world';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SIZES = { snap: 1200, log: 600 };
const TOTAL = SIZES.snap + SIZES.log;
/** Each device receives the other's contacts: ADDs it must apply. */
const INCOMING: Record<string, number> = { [SNAP]: SIZES.log, [LOG]: SIZES.snap };
const OWN: Record<string, number> = { [SNAP]: SIZES.snap, [LOG]: SIZES.log };
const SEED = Number(process.env.CONCORD_CRASH_SEED ?? Date.now() % 1_000_000);

const random = rng(SEED);

interface Child {
  proc: ChildProcess;
  lines: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const live = new Set<ChildProcess>();
afterAll(() => {
  for (const p of live) if (p.pid && p.exitCode === null && p.signalCode === null) process.kill(p.pid, 'SIGKILL');
});

/** Starts the child; `killWhen` sees each line as it arrives and returns true to SIGKILL
 *  the child there and then (by its PID). */
function startChild(dir: string, opts: { delay: number; retrieveDelay?: number; killWhen?: (line: string) => boolean }): Child {
  const args = ['bin/run-ts.mjs', 'test/crash/child-sync.ts', dir, '--snap', String(SIZES.snap), '--log', String(SIZES.log), '--delay', String(opts.delay), '--retrieve-delay', String(opts.retrieveDelay ?? 0)];
  const proc = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(proc);
  const lines: string[] = [];
  let killed = false;
  const stderr: string[] = [];
  proc.stderr!.on('data', (b: Buffer) => stderr.push(b.toString()));
  const rl = readline.createInterface({ input: proc.stdout! });
  rl.on('line', (line) => {
    lines.push(line);
    if (!killed && opts.killWhen?.(line)) {
      killed = true;
      process.kill(proc.pid!, 'SIGKILL');
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    let result: { code: number | null; signal: NodeJS.Signals | null } | null = null;
    let closed = false;
    const done = () => {
      if (result && closed) {
        live.delete(proc);
        if (result.code !== 0 && result.signal === null) lines.push(`(stderr) ${stderr.join('')}`);
        resolve(result);
      }
    };
    proc.on('exit', (code, signal) => {
      result = { code, signal };
      done();
    });
    rl.on('close', () => {
      closed = true;
      done();
    });
  });
  return { proc, lines, exited };
}

/** The DSS file as the killed child left it, read in this process. */
function inspectDss(dir: string, journal: Map<string, number>): { truth: number; pending: Record<string, number>; acked: Record<string, number> } {
  const dss = Dss.open(path.join(dir, 'concord.sqlite')); // runs quick_check: throws if corrupt
  try {
    const db = dss.db;
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    const one = (sql: string, ...a: unknown[]) => db.prepare(sql).pluck().get(...a) as number;
    const truth = one('SELECT count(*) FROM truth');
    // At the last commit or the next: the first commit writes the whole truth at once.
    expect([0, TOTAL], `the truth holds ${truth} records: partial`).toContain(truth);
    expect(one("SELECT count(*) FROM actions a WHERE action IN ('ADD', 'UPDATE') AND NOT EXISTS (SELECT 1 FROM truth t WHERE t.guid = a.guid)"), 'actions without a truth record').toBe(0);
    expect(one("SELECT count(*) FROM actions a WHERE action = 'DELETE' AND NOT EXISTS (SELECT 1 FROM maps m WHERE m.spid = a.spid AND m.guid = a.guid)"), 'DELETEs of unmapped records').toBe(0);
    expect(one('SELECT count(*) FROM maps m WHERE NOT EXISTS (SELECT 1 FROM truth t WHERE t.guid = m.guid)'), 'maps of records not in the truth').toBe(0);
    expect(one('SELECT count(*) FROM dup_keys k WHERE NOT EXISTS (SELECT 1 FROM truth t WHERE t.guid = k.guid)'), 'duplicate-detector keys of records not in the truth').toBe(0);
    const pending: Record<string, number> = {};
    const acked: Record<string, number> = {};
    for (const spid of [SNAP, LOG]) {
      const maps = one('SELECT count(*) FROM maps WHERE spid = ?', spid);
      pending[spid] = one('SELECT count(*) FROM actions WHERE spid = ?', spid);
      if (truth === 0) {
        expect(maps + pending[spid]!, `${spid}: maps or actions without a commit`).toBe(0);
        acked[spid] = 0;
      } else {
        // Every ADD the commit planned is either still pending or acknowledged (mapped).
        acked[spid] = maps - OWN[spid]!;
        expect(acked[spid]! + pending[spid]!, `${spid}: acknowledged + pending`).toBe(INCOMING[spid]);
        expect(one("SELECT count(*) FROM actions WHERE spid = ? AND action <> 'ADD'", spid)).toBe(0);
      }
      // No acknowledgement counted that the device did not apply; at most the one in
      // flight applied and not yet committed.
      const applied = journal.get(spid) ?? 0;
      expect(acked[spid]!, `${spid}: ${acked[spid]} acknowledgements in the DSS, ${applied} operations applied`).toBeLessThanOrEqual(applied);
      expect(applied - acked[spid]!, `${spid}: applied ${applied}, acknowledged ${acked[spid]}`).toBeLessThanOrEqual(1);
    }
    // The run the kill interrupted is recorded as started and never finished.
    const last = db.prepare('SELECT id, finished_at FROM runs ORDER BY id DESC LIMIT 1').get() as { id: number; finished_at: number | null } | undefined;
    expect(last?.finished_at ?? null, 'the killed run is not marked finished').toBeNull();
    return { truth, pending, acked };
  } finally {
    dss.close();
  }
}

/** Operations each device applied, from the child's journal (a line cut by the kill does
 *  not count: the child died before the device's state was written). */
function journalCounts(dir: string): Map<string, number> {
  const out = new Map<string, number>();
  const file = path.join(dir, 'devices.jsonl');
  if (!fs.existsSync(file)) return out;
  for (const l of fs.readFileSync(file, 'utf8').split('\n')) {
    try {
      const j = JSON.parse(l) as { d: string; op?: unknown };
      if (j.op) out.set(j.d, (out.get(j.d) ?? 0) + 1);
    } catch {
      // empty or cut line
    }
  }
  return out;
}

async function finishAndCheck(dir: string): Promise<void> {
  const c = startChild(dir, { delay: 0 });
  const { code, signal } = await c.exited;
  expect({ code, signal }, c.lines.slice(-5).join('\n')).toEqual({ code: 0, signal: null });
  expect(c.lines).toContain('run-finished ok');
  const final = JSON.parse(fs.readFileSync(path.join(dir, 'final.json'), 'utf8')) as {
    extra: { outcome: string; sent: number; dssChanged: boolean };
    devices: Record<string, Contact[]>;
  };
  // 4. Idempotent: the extra run sent nothing and changed nothing.
  expect(final.extra).toEqual({ outcome: 'ok', sent: 0, dssChanged: false });
  const hub = Hub.open({ dataDir: dir, region: REGION });
  try {
    const truth = hub.contacts().map((r) => r.contact);
    expect(truth).toHaveLength(TOTAL); // nothing lost, nothing doubled
    // 3. No duplicates, in the truth and on each device.
    for (const [where, cs] of [['the truth', truth], ...Object.entries(final.devices)] as [string, Contact[]][]) {
      expect(firstDuplicate(cs)?.map(describeContact) ?? null, `duplicates in ${where}`).toBeNull();
    }
    // 1. Converged: each device holds the truth through its projection; nothing pending.
    for (const [spid, cap] of [[SNAP, SIM_CAPACITY], [LOG, {}]] as const) {
      const diff = multisetDiff(final.devices[spid]!, truth.map((t) => project(t, cap)));
      expect(diff, `${spid} not converged`).toBeNull();
      expect(hub.pendingOf(spid), `${spid} still has pending actions`).toEqual([]);
    }
  } finally {
    await hub.close();
  }
}

type Phase = 'retrieve' | 'committed' | 'push';

/** The phase the kill landed in, from the last line the child printed before it died. */
function landed(lines: string[]): { phase: Phase | 'other'; line: string } {
  const line = lines.at(-1) ?? '';
  if (/^(run-started|retrieving|retrieved)\b/.test(line)) return { phase: 'retrieve', line };
  if (/^committed\b/.test(line)) return { phase: 'committed', line };
  const m = /^pushing (\w+) (\d+)\/(\d+)$/.exec(line);
  // The first device's push barely started (under a tenth: the mid-push kills aim beyond
  // that): the kill landed right after the commit, however slowly this process read it.
  if (m && m[1] === SNAP && Number(m[2]) < Number(m[3]) / 10) return { phase: 'committed', line };
  if (m && Number(m[2]) < Number(m[3])) return { phase: 'push', line };
  return { phase: 'other', line };
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

interface Plan {
  name: string;
  phase: Phase;
  killWhen: (line: string) => boolean;
  /** Kill the restarted child once more, mid-push, before the final restart. */
  again?: boolean;
}

function plans(): Plan[] {
  const retrieveOf = random() < 0.5 ? SNAP : LOG;
  const pushDev = random() < 0.5 ? SNAP : LOG;
  const frac = 0.1 + 0.8 * random();
  const at = Math.max(1, Math.floor(frac * INCOMING[pushDev]!));
  const frac2 = 0.2 + 0.6 * random();
  const otherDev = pushDev === SNAP ? LOG : SNAP;
  return [
    { name: `during retrieve (reading ${retrieveOf})`, phase: 'retrieve', killWhen: (l) => l.startsWith(`retrieving ${retrieveOf}`) },
    { name: 'right after "committed"', phase: 'committed', killWhen: (l) => l.startsWith('committed') },
    { name: `in the middle of the push to ${pushDev} (after ${at} of ${INCOMING[pushDev]})`, phase: 'push', killWhen: (l) => l.startsWith(`pushing ${pushDev} `) && Number(/ (\d+)\//.exec(l)?.[1]) >= at },
    {
      name: `in the middle of the push to ${otherDev} (at ${Math.round(frac2 * 100)}%), and the restarted hub killed mid-push again`,
      phase: 'push',
      killWhen: (l) => l.startsWith(`pushing ${otherDev} `) && Number(/ (\d+)\//.exec(l)?.[1]) >= Math.floor(frac2 * INCOMING[otherDev]!),
      again: true,
    },
  ];
}

describe(`a hub process SIGKILLed mid-run (seed ${SEED}; replay with CONCORD_CRASH_SEED=${SEED})`, () => {
  for (const plan of plans()) {
    it.concurrent(`killed ${plan.name}: the DSS is at a commit, and a restarted hub converges`, async () => {
      // A real disk folder: fsync is what this is about.
      const dir = tmpDir('crash');
      dirs.push(dir);
      const c = startChild(dir, { delay: 1, retrieveDelay: 300, killWhen: plan.killWhen });
      const { signal } = await c.exited;
      expect(signal, `the child was not killed; its last lines:\n${c.lines.slice(-5).join('\n')}`).toBe('SIGKILL');
      const where = landed(c.lines);
      console.log(`killed ${plan.name}: landed in ${where.phase} (last line "${where.line}")`);
      expect(where.phase, `the kill landed after "${where.line}"`).toBe(plan.phase);
      const state = inspectDss(dir, journalCounts(dir));
      if (plan.phase === 'retrieve') expect(state.truth).toBe(0);
      else expect(state.truth).toBe(TOTAL);
      if (plan.phase === 'committed') expect(state.acked[SNAP]! + state.acked[LOG]!, 'acknowledged before the kill landed').toBeLessThan(TOTAL / 10);
      if (plan.phase === 'push') expect(state.pending[SNAP]! + state.pending[LOG]!, 'nothing left to push').toBeGreaterThan(0);

      if (plan.again) {
        const before = state.pending[SNAP]! + state.pending[LOG]!;
        const c2 = startChild(dir, { delay: 1, killWhen: (l) => {
            // A fifth into whichever push it is doing: well inside it.
            const m = /^pushing \w+ (\d+)\/(\d+)$/.exec(l);
            return m !== null && Number(m[1]) >= Math.max(1, Math.ceil(Number(m[2]) / 5));
          },
        });
        const r2 = await c2.exited;
        expect(r2.signal, c2.lines.slice(-5).join('\n')).toBe('SIGKILL');
        const w2 = landed(c2.lines);
        console.log(`  restarted hub killed again: landed in ${w2.phase} (last line "${w2.line}")`);
        expect(w2.phase).toBe('push');
        const s2 = inspectDss(dir, journalCounts(dir));
        expect(s2.truth).toBe(TOTAL);
        expect(s2.pending[SNAP]! + s2.pending[LOG]!).toBeLessThan(before);
      }
      await finishAndCheck(dir);
    });
  }
});
