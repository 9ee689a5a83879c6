// Held mass deletions (sync-method.md, "Held mass deletions" and "Decisions on the
// extensions"): when one device reports, in one run, more deletions of truth records than
// the guard allows, they are held. While held, the device's map entry (LUID, base) lives in
// the hold, it has no pending entry for the record and nothing is planned for it there.
import type { Contact } from './contact';
import type { Overlay } from './overlay';
import { heldFields } from './projection';
import { addChange, countIncoming, type RunState } from './run-state';
import type { Guid, Luid, MapEntry, ReportedRecord, Spid } from './types';

/** One held deletion: the device's map entry, moved into the hold. */
export interface Hold {
  spid: Spid;
  guid: Guid;
  luid: Luid;
  base: Contact | null;
  /** The run in which that base was set. */
  baseRun: number;
  /** The run that held it. */
  runId: number;
  /** The user approved it: at the next run it is that device's DELETED state. */
  approved: boolean;
}

/** The guard's rule: a device's deletions are held when there are more than `deletes` of
 *  them and (when `share` is set) more than that share of the truth. */
export interface GuardRule {
  deletes: number;
  share: number | null;
}

/** The default rule: more than 10 deletions and more than 10% of the truth. */
export const DEFAULT_GUARD: GuardRule = { deletes: 10, share: 0.1 };

/** Whether `count` deletions from one device in one run trip the guard (`truthCount` is
 *  read only when the count alone would trip it). */
export function guardTrips(rule: GuardRule | null | undefined, count: number, truthCount: () => number): boolean {
  if (!rule || count <= rule.deletes) return false;
  return rule.share === null || count > rule.share * truthCount();
}

/** The holds as a run sees them: those the DSS held when it began, and what the run
 *  changes (set: a new or changed hold; null: the hold ends). */
export class HoldSet {
  private readonly current = new Map<Spid, Map<Guid, Hold>>();
  readonly writes = new Map<Spid, Map<Guid, Hold | null>>();

  constructor(initial: Iterable<Hold> = []) {
    for (const h of initial) this.of(h.spid, true)!.set(h.guid, h);
  }

  private of(spid: Spid, create = false): Map<Guid, Hold> | undefined {
    let m = this.current.get(spid);
    if (!m && create) this.current.set(spid, (m = new Map()));
    return m;
  }

  get size(): number {
    let n = 0;
    for (const m of this.current.values()) n += m.size;
    return n;
  }

  has(spid: Spid, guid: Guid): boolean {
    return this.current.get(spid)?.has(guid) ?? false;
  }

  get(spid: Spid, guid: Guid): Hold | undefined {
    return this.current.get(spid)?.get(guid);
  }

  all(): Hold[] {
    return [...this.current.values()].flatMap((m) => [...m.values()]);
  }

  hold(h: Hold): void {
    this.of(h.spid, true)!.set(h.guid, h);
    this.write(h.spid, h.guid, h);
  }

  drop(spid: Spid, guid: Guid): void {
    if (!this.current.get(spid)?.delete(guid)) return;
    this.write(spid, guid, null);
  }

  private write(spid: Spid, guid: Guid, h: Hold | null): void {
    let m = this.writes.get(spid);
    if (!m) this.writes.set(spid, (m = new Map()));
    m.set(guid, h);
  }
}

/** The guard's count: one device's DELETED states of records the truth holds, without a
 *  pending DELETE (R1) and not held already (a held record has no map entry). */
export function countDeletions(ov: Overlay, spid: Spid, records: readonly ReportedRecord[]): number {
  let n = 0;
  for (const r of records) {
    if (r.state !== 'DELETED') continue;
    const m = ov.mapByLuid(spid, r.luid);
    if (m && ov.truth(m.guid) && ov.pending(spid, m.guid)?.action !== 'DELETE') n += 1;
  }
  return n;
}

/** Whether the guard holds this device's deletions in this run (never for a device that
 *  lost its sync state). */
export function guardHolds(run: RunState, spid: Spid, lostSyncState: boolean, records: readonly ReportedRecord[]): boolean {
  const { guard, truthCount } = run.input;
  return !lostSyncState && !!guard && guardTrips(guard, countDeletions(run.ov, spid, records), truthCount ?? (() => 0));
}

/** A deletion held instead of applied: read as NO_CHANGE, the map entry moves into the
 *  hold (the caller has dropped the pending entry and the map). */
export function holdDeletion(run: RunState, spid: Spid, m: MapEntry): void {
  run.ov.holds.hold({ spid, guid: m.guid, luid: m.luid, base: m.base, baseRun: m.run, runId: run.input.runId, approved: false });
}

/** Approved held deletions: each is that device's DELETED state, with the held base and
 *  its priority, whether or not it is online. The hold ends. */
export function recoverApprovedHolds(run: RunState): void {
  const { ov } = run;
  for (const h of ov.holds.all()) {
    if (!h.approved) continue;
    ov.holds.drop(h.spid, h.guid);
    // (Touches the record on that device: it is planned again, and gets the record back
    // if an update elsewhere wins.)
    ov.setPending(h.spid, h.guid, null);
    const p = run.points.get(h.spid);
    if (!p || !ov.truth(h.guid)) continue;
    addChange(run, h.guid, { spid: h.spid, priority: p.priority, kind: 'DELETED', data: null, base: h.base, baseRun: h.baseRun, fields: heldFields(p.capacity) });
    countIncoming(run, h.spid, 'delete');
  }
}
