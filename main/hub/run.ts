// One sync run over the online sync points: load → retrieve → recover → reconcile → merge
// → commit → push → finish (sync-method.md, "One sync run"), each a named call. Steps 3–5
// are pure (main/core: recover, reconcile, effectiveActions, which merges through
// mergeActions); step 6 is main/dss/commit.ts; this file does the I/O around them.
import { equalContacts, normalizeContact, type Contact } from '../core/contact';
import { InvalidMergeError } from '../core/merge';
import { project } from '../core/projection';
import { effectiveActions } from '../core/actions';
import { reconcile } from '../core/reconcile';
import { recover } from '../core/recover';
import type { PointReport, RunInput, RunPlan } from '../core/run-state';
import type { LateAck, PointInfo, ReportedRecord, Spid } from '../core/types';
import { validateContact } from '../core/validate';
import { commit } from '../dss/commit';
import { safetyInput } from '../dss/holds';
import type { AckWrite, Dss } from '../dss/store';
import { LinkLostError, type PushOp, type PushResult, type SyncPoint } from './sync-point';
import type { RunCounts, RunSummary, SyncProgress, DeviceRecord } from './types';

/** Where a test may stop the hub dead (scenario faults `hubCrash`). */
export type CrashPoint = { at: 'afterRetrieve' } | { at: 'afterCommit' } | { at: 'afterAcks'; count: number };

/** Thrown to simulate the hub process dying; nothing after it runs. */
export class HubCrash extends Error {
  constructor(where: string) {
    super(`hub crashed (${where})`);
    this.name = 'HubCrash';
  }
}

export interface RunContext {
  dss: Dss;
  region: string;
  now: () => number;
  newGuid: () => string;
  emit: (p: SyncProgress) => void;
  crash?: CrashPoint;
  /** Asked between acknowledgements: stop the run at the next one (shutdown). */
  stopRequested?: () => boolean;
}

export function pointInfo(d: DeviceRecord): PointInfo {
  return { spid: d.spid, priority: d.priority, changeTracking: d.changeTracking, capacity: d.capacity, isEditor: d.kind === 'editor', lostState: d.lostState, readOnly: d.readOnly };
}

function emptyCounts(): RunCounts {
  return { in: { add: 0, update: 0, delete: 0 }, out: { add: 0, update: 0, delete: 0 }, skipped: 0, pending: 0 };
}

/** Plain words for a failure, for the history and the UI. */
export function describeFailure(e: unknown, device: string, phase: 'retrieve' | 'push'): string {
  const what = e instanceof LinkLostError ? `The connection to ${device} was lost` : `${device} failed (${(e as Error)?.message ?? String(e)})`;
  return phase === 'retrieve'
    ? `${what} while reading it. Nothing was changed; it will be synced next time.`
    : `${what} during the sync. Nothing was lost; what was not sent will be sent next time.`;
}

/** What step 1 sets up for one run: the paired sync points, the ones asked for and the
 *  ones online, the run's id and its per-device counts. The truth and the action tables
 *  are read through the DSS as the plan needs them (core/overlay.ts). */
interface LoadedRun {
  runId: number;
  startedAt: number;
  devices: DeviceRecord[];
  bySpid: Map<Spid, DeviceRecord>;
  /** The devices asked for, known to the DSS, in push order. */
  asked: Spid[];
  /** Those of them that are online now. */
  spids: Spid[];
  counts: Record<Spid, RunCounts>;
}

export async function runSync(ctx: RunContext, online: ReadonlyMap<Spid, SyncPoint>, order: readonly Spid[]): Promise<RunSummary> {
  const { dss } = ctx;
  // 1. Load.
  const run = load(ctx, online, order);
  // 2. Retrieve. A sync point whose link fails here is offline for this run.
  const reports = await retrieve(ctx, run, online);
  if (ctx.crash?.at === 'afterRetrieve') throw new HubCrash('after retrieve');

  // 3–5. Recover, reconcile, merge: a plan over the DSS, nothing written yet. The editor
  // is always online: its queued edits are read last, so an edit made while the devices
  // were read is in this run.
  const { edits, upTo } = dss.editorEdits();
  const input: RunInput = { runId: run.runId, region: ctx.region, points: run.devices.map(pointInfo), reports, editorEdits: edits, ...safetyInput(dss.db) };
  let plan: RunPlan;
  try {
    const state = recover(dss, input);
    reconcile(state, ctx.newGuid);
    plan = effectiveActions(state);
  } catch (e) {
    // An invalid cell of the merge table is a bug: fail the run before its commit.
    const reason = e instanceof InvalidMergeError ? `Internal error, nothing was changed: ${e.message}` : `The sync failed before anything was changed: ${(e as Error).message}`;
    const summary: RunSummary = { id: run.runId, startedAt: run.startedAt, finishedAt: ctx.now(), devices: run.spids, counts: run.counts, conflicts: 0, outcome: 'failed', error: reason };
    dss.finishRun(summary);
    ctx.emit({ type: 'run-failed', runId: run.runId, reason });
    return summary;
  }
  for (const [spid, c] of plan.incoming) if (run.counts[spid]) run.counts[spid]!.in = c;
  // What the devices sent is in the plan now, normalized: the raw records can go before
  // the commit (a first sync of 100,000 holds both otherwise).
  for (const r of reports.values()) {
    if (r.kind === 'log') r.records.length = 0;
    else r.listing.length = 0;
  }

  // 6. Commit: the new truth and every effective action table, atomically.
  const filled = commit(dss, plan.overlay, { runId: run.runId, now: ctx.now(), conflicts: plan.conflicts, editorUpTo: upTo, lostState: plan.lostState });
  ctx.emit({ type: 'committed', runId: run.runId, actions: [...plan.overlay.actions.values()].filter(Boolean).length + filled });
  const crashAfterAcks = ctx.crash?.at === 'afterAcks' ? ctx.crash.count : ctx.crash?.at === 'afterCommit' ? 0 : undefined;
  if (crashAfterAcks === 0) throw new HubCrash('after commit');

  // 7. Push, device by device, each acknowledgement committed as it arrives.
  await push(ctx, run, online, reports, crashAfterAcks);

  // 8. Finish.
  const { asked, counts } = run;
  const failed = asked.filter((s) => counts[s]!.error !== undefined);
  const summary: RunSummary = {
    id: run.runId,
    startedAt: run.startedAt,
    finishedAt: ctx.now(),
    devices: asked,
    counts,
    conflicts: plan.conflicts.length,
    outcome: failed.length === 0 ? 'ok' : failed.length === asked.length && asked.length > 0 ? 'failed' : 'partial',
  };
  dss.finishRun(summary);
  ctx.emit({ type: 'run-finished', runId: run.runId, summary });
  return summary;
}

/** Step 1: the paired sync points and the run's record in the DSS. */
function load(ctx: RunContext, online: ReadonlyMap<Spid, SyncPoint>, order: readonly Spid[]): LoadedRun {
  const { dss } = ctx;
  const startedAt = ctx.now();
  const devices = dss.devices();
  const bySpid = new Map(devices.map((d) => [d.spid, d]));
  const asked = order.filter((s) => bySpid.has(s));
  const spids = asked.filter((s) => online.has(s));
  const runId = dss.startRun(startedAt, asked);
  const counts: Record<Spid, RunCounts> = {};
  for (const s of asked) counts[s] = emptyCounts();
  for (const s of asked) {
    if (!online.has(s)) counts[s]!.error = `${bySpid.get(s)!.name} is not connected. It will be synced when it is.`;
  }
  ctx.emit({ type: 'run-started', runId, devices: spids });
  return { runId, startedAt, devices, bySpid, asked, spids, counts };
}

/** Step 2: what every online sync point reports, validated. A sync point whose link fails
 *  here is offline for this run: nothing it sent is used. */
async function retrieve(ctx: RunContext, run: LoadedRun, online: ReadonlyMap<Spid, SyncPoint>): Promise<Map<Spid, PointReport>> {
  const { dss } = ctx;
  const { runId, spids, bySpid, counts } = run;
  const reports = new Map<Spid, PointReport>();
  for (const [i, spid] of spids.entries()) {
    const sp = online.get(spid)!;
    const name = bySpid.get(spid)?.name ?? spid;
    ctx.emit({ type: 'device-retrieving', runId, spid, index: i + 1, of: spids.length });
    try {
      const r = await sp.retrieve();
      const c = counts[spid]!;
      for (const s of r.skipped) {
        c.skipped += 1;
        dss.logDevice(runId, spid, ctx.now(), 'warn', s.luid, `Skipped a record Concord could not read: ${s.reason}`);
      }
      const keep = (luid: string | null, data: unknown): Contact | null => {
        const v = validateContact(data);
        if (v.ok) return v.contact;
        c.skipped += 1;
        dss.logDevice(runId, spid, ctx.now(), 'warn', luid, `Skipped a record Concord could not read: ${v.reason}`);
        return null;
      };
      if (r.changeTracking === 'log') {
        const records: ReportedRecord[] = [];
        for (const rec of r.records) {
          if (rec.state === 'DELETED') records.push({ luid: String(rec.luid), state: 'DELETED' });
          else {
            const data = keep(rec.luid, rec.data);
            if (data) records.push({ luid: String(rec.luid), state: rec.state, data });
          }
        }
        const lateAcks: LateAck[] = r.lateAcks.map((a) => ({ ...a, data: a.data ? (keep(a.luid, a.data) ?? undefined) : undefined }));
        reports.set(spid, { kind: 'log', lostSyncState: r.lostSyncState, records, lateAcks });
        ctx.emit({ type: 'device-retrieved', runId, spid, records: records.length });
      } else {
        const listing: { luid: string; data: Contact }[] = [];
        for (const item of r.listing) {
          const luid = String(item.luid);
          const data = keep(luid, item.data);
          // An entry Concord cannot read is still on the device: it must not be read as
          // deleted, so a mapped one stands in with its base (no change).
          const stand = data ?? dss.mapByLuid(spid, luid)?.base ?? null;
          if (stand) listing.push({ luid, data: stand });
        }
        // Likewise an entry the adapter itself could not read.
        for (const s of r.skipped) {
          const base = s.luid === null ? null : dss.mapByLuid(spid, s.luid)?.base;
          if (base && s.luid !== null && !listing.some((x) => x.luid === s.luid)) listing.push({ luid: s.luid, data: base });
        }
        reports.set(spid, { kind: 'snapshot', lostSyncState: r.lostSyncState, listing });
        ctx.emit({ type: 'device-retrieved', runId, spid, records: listing.length });
      }
    } catch (e) {
      if (e instanceof HubCrash) throw e;
      counts[spid]!.error = describeFailure(e, name, 'retrieve');
      dss.logDevice(runId, spid, ctx.now(), 'error', null, counts[spid]!.error!);
      ctx.emit({ type: 'device-done', runId, spid, completed: false, error: counts[spid]!.error });
    }
  }
  return reports;
}

/** Step 7: each online sync point's effective action table, device by device in push
 *  order. Every acknowledgement is committed as it arrives; a link that drops leaves the
 *  unacknowledged entries for the next run. */
async function push(ctx: RunContext, run: LoadedRun, online: ReadonlyMap<Spid, SyncPoint>, reports: ReadonlyMap<Spid, PointReport>, crashAfterAcks: number | undefined): Promise<void> {
  const { dss } = ctx;
  const { runId, spids, bySpid, counts } = run;
  let acked = 0;
  for (const spid of spids) {
    if (!reports.has(spid)) continue;
    const sp = online.get(spid)!;
    const dev = bySpid.get(spid)!;
    const c = counts[spid]!;
    const ops = pushOps(dss, dev);
    let answered = 0;
    let refused = 0;
    ctx.emit({ type: 'device-pushing', runId, spid, index: spids.indexOf(spid) + 1, of: spids.length, done: 0, total: ops.length });
    try {
      if (ops.length > 0) {
        await sp.push(ops, (results: PushResult[]) => {
          if (ctx.stopRequested?.()) throw new LinkLostError('the hub is shutting down');
          const writes: AckWrite[] = [];
          for (const r of results) {
            answered += 1;
            if (!r.ok) {
              refused += 1;
              dss.logDevice(runId, spid, ctx.now(), 'warn', r.op.luid ?? null, `${dev.name} refused to ${r.op.action.toLowerCase()} a contact (${r.error.code}): ${r.error.message}. It stays pending.`);
              continue;
            }
            const stored = r.stored ? project(normalizeContact(r.stored, ctx.region), dev.capacity) : (r.op.data ?? null);
            const sent = r.stored && r.op.data && !equalContacts(stored ?? r.op.data, r.op.data) ? r.op.data : null;
            writes.push({ spid, guid: r.op.guid, action: r.op.action, luid: String(r.luid), base: stored, sent });
            c.out[r.op.action.toLowerCase() as 'add' | 'update' | 'delete'] += 1;
          }
          dss.commitAcks(writes, runId);
          acked += writes.length;
          ctx.emit({ type: 'device-pushing', runId, spid, index: spids.indexOf(spid) + 1, of: spids.length, done: answered, total: ops.length });
          if (crashAfterAcks !== undefined && acked >= crashAfterAcks) throw new HubCrash(`after ${acked} acknowledgements`);
        });
      }
    } catch (e) {
      if (e instanceof HubCrash) throw e;
      c.error = describeFailure(e, dev.name, 'push');
      dss.logDevice(runId, spid, ctx.now(), 'error', null, c.error);
    }
    const completed = c.error === undefined && refused === 0 && answered === ops.length;
    try {
      await sp.finish(completed);
    } catch (e) {
      dss.logDevice(runId, spid, ctx.now(), 'warn', null, `Closing the session with ${dev.name} failed: ${(e as Error).message}`);
    }
    c.pending = dss.pushList(spid).length;
    if (c.error === undefined && refused > 0) c.error = `${dev.name} refused ${refused} change(s); they stay pending and will be tried again.`;
    dss.finishDevice(spid, ctx.now(), completed ? 'ok' : 'partial', completed);
    ctx.emit({ type: 'device-done', runId, spid, completed, ...(c.error ? { error: c.error } : {}) });
  }
  for (const spid of spids) if (!reports.has(spid)) dss.finishDevice(spid, ctx.now(), 'failed', false);
}

/** The device's effective action table as push operations: DELETEs, then UPDATEs, then
 *  ADDs, each in creation order; the data is always the truth's current version through
 *  the device's projection. */
export function pushOps(dss: Dss, dev: DeviceRecord): PushOp[] {
  const ops: PushOp[] = [];
  for (const a of dss.pushList(dev.spid)) {
    const m = dss.mapOf(dev.spid, a.guid);
    if (a.action === 'DELETE') {
      if (m) ops.push({ action: 'DELETE', guid: a.guid, luid: m.luid });
      continue;
    }
    const rec = dss.truth(a.guid);
    if (!rec) continue;
    const data = project(rec.contact, dev.capacity);
    if (a.action === 'UPDATE') {
      if (m) ops.push({ action: 'UPDATE', guid: a.guid, luid: m.luid, data });
    } else ops.push({ action: 'ADD', guid: a.guid, data });
  }
  return ops;
}
