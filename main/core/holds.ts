// Held mass deletions (sync-method.md, "Held mass deletions" and "Decisions on the
// extensions"): when one device reports, in one run, more deletions of truth records than
// the guard allows, they are held. While held, the device's map entry (LUID, base) lives in
// the hold, it has no pending entry for the record and nothing is planned for it there.
import type { Contact } from './contact';
import type { Guid, Luid, Spid } from './types';

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
