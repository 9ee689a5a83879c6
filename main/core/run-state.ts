// What one run's plan carries from step to step (sync-method.md, "One sync run"): what the
// hub loaded and retrieved (RunInput), what recovery made of it (RunState: the overlay,
// the changes each record received, the records added under new LUIDs), and what the
// commit writes (RunPlan). The steps are recover (recover.ts), reconcile (reconcile.ts,
// with match.ts and unite.ts) and the effective action tables (actions.ts).
import { normalizeContact, type Contact, type Field } from './contact';
import { HoldSet, type GuardRule, type Hold } from './holds';
import { Overlay, type DssView } from './overlay';
import { project, type Capacity } from './projection';
import type { RecoveryRow } from './recover';
import type { Guid, LateAck, Luid, PointInfo, ReportedRecord, Spid } from './types';

/** What one online sync point said in step 2. */
export type PointReport =
  | { kind: 'log'; lostSyncState: boolean; records: ReportedRecord[]; lateAcks: LateAck[] }
  | { kind: 'snapshot'; lostSyncState: boolean; listing: { luid: Luid; data: Contact }[] };

/** An edit made in the hub's own editor, queued until this run. `base` is the truth's
 *  version the user edited, so only the elements the user changed count. An add carries
 *  the GUID the editor gave the new record. */
export type EditorEdit =
  | { kind: 'add'; id: Guid; data: Contact }
  | { kind: 'update'; guid: Guid; data: Contact; base: Contact }
  | { kind: 'delete'; guid: Guid; base: Contact };

export interface RunInput {
  runId: number;
  region: string;
  /** Every paired sync point, the editor included. */
  points: PointInfo[];
  /** The online ones (whose retrieve succeeded), in push order, and what each said. */
  reports: Map<Spid, PointReport>;
  editorEdits: EditorEdit[];
  /** Held mass deletions, the guard's rule (null: off) and the truth's size for it. */
  holds?: Hold[];
  guard?: GuardRule | null;
  truthCount?: () => number;
}

export interface ConflictDraft {
  guid: Guid;
  kind: 'elements' | 'delete-update' | 'added-twice';
  result: Contact | null;
  versions: { spid: Spid; contact: Contact | null; won: boolean }[];
  elements: { key: string; label: string; winner: { spid: Spid; value: string | null }; losers: { spid: Spid; value: string | null }[] }[];
}

export interface PlanCounts {
  add: number;
  update: number;
  delete: number;
}

/** What the commit (step 6) writes: the overlay and the conflict log. */
export interface RunPlan {
  overlay: Overlay;
  conflicts: ConflictDraft[];
  /** Changes each device brought into the truth. */
  incoming: Map<Spid, PlanCounts>;
  /** Devices that said they lost their sync state in this run. */
  lostState: Spid[];
  /** Which recovery rows fired, for the run's log and for tests. */
  rows: { spid: Spid; luid: Luid; row: RecoveryRow | 'late-ack' | 'ignored'; guid?: Guid }[];
}

/** One sync point's recovered change to a known record, presented to reconciliation. */
export interface Change {
  spid: Spid;
  priority: number;
  kind: 'UPDATED' | 'DELETED';
  /** The device's version, normalized and through its projection. */
  data: Contact | null;
  /** What the hub knew the device to hold before; null: unknown, so nothing the device
   *  lacks is read as removed and every element it has competes with the truth (R8). */
  base: Contact | null;
  /** The run in which that base was set (0: unknown). */
  baseRun?: number;
  /** The device may hold an older copy the hub sent in that run (R6 on a snapshot device):
   *  where someone changed an element since, the device's value is stale, not an edit. */
  staleSince?: number;
  fields: ReadonlySet<Field> | undefined;
}

/** A record added in this run (R5, or an add in the hub's editor). */
export interface NewRecord {
  spid: Spid;
  luid: Luid;
  priority: number;
  /** Normalized and through the device's projection. */
  data: Contact;
  /** The name as the device reported it, when its projection cut it (see typedName). */
  fullName?: string;
  /** What the device can hold: other records are compared with it through this. */
  capacity: Capacity;
  editor: boolean;
}

/** A record a device reported ADDED under a LUID the hub has never seen: recovered (R1,
 *  R5–R8) by the duplicate detector once the run's other changes are in the truth. */
export interface UnknownAdd {
  p: PointInfo;
  luid: Luid;
  data: Contact;
  fullName?: string;
  /** Records the same device deletes in this run: never its duplicate. */
  deletedHere: ReadonlySet<Guid>;
  /** A lost-state device's pending DELETEs, with the last base of each (R1 if matched). */
  deleteBases: ReadonlyMap<Guid, Contact>;
}

/** The run between the steps. */
export interface RunState {
  readonly input: RunInput;
  readonly ov: Overlay;
  readonly points: ReadonlyMap<Spid, PointInfo>;
  readonly plan: RunPlan;
  /** Records whose truth, map or action this run may change: planned in step 5. */
  readonly touched: Set<Guid>;
  /** Recovered changes of known records, not yet reconciled. */
  readonly changes: Map<Guid, Change[]>;
  readonly added: NewRecord[];
  readonly unknownAdds: UnknownAdd[];
  /** Per device that lost its sync state, the records its report matched: its pending
   *  entries nothing matched are dropped. */
  readonly lostMatched: Map<Spid, Set<Guid>>;
}

export function newRunState(view: DssView, input: RunInput): RunState {
  const ov = new Overlay(view, input.runId);
  if (input.holds?.length) ov.holds = new HoldSet(input.holds);
  return {
    input,
    ov,
    points: new Map(input.points.map((p) => [p.spid, p])),
    plan: { overlay: ov, conflicts: [], incoming: new Map(), lostState: [], rows: [] },
    touched: new Set(),
    changes: new Map(),
    added: [],
    unknownAdds: [],
    lostMatched: new Map(),
  };
}

export function priorityOf(run: RunState, spid: Spid): number {
  return run.points.get(spid)?.priority ?? Number.MAX_SAFE_INTEGER;
}

/** Counts a change a device brought into the truth. */
export function countIncoming(run: RunState, spid: Spid, k: keyof PlanCounts): void {
  const c = run.plan.incoming.get(spid) ?? { add: 0, update: 0, delete: 0 };
  c[k] += 1;
  run.plan.incoming.set(spid, c);
}

/** Presents a recovered change of a known record to reconciliation. */
export function addChange(run: RunState, guid: Guid, ch: Change): void {
  const list = run.changes.get(guid) ?? [];
  list.push(ch);
  run.changes.set(guid, list);
  run.touched.add(guid);
}

/** A device's contact as the run compares it: normalized, through its projection. */
export function prepare(run: RunState, c: Contact, p: PointInfo): Contact {
  return project(normalizeContact(c, run.input.region), p.capacity);
}

/** The name a device reported for a new record, when it is longer than its projection
 *  keeps: a handset stores a name without a number suffix up to its full length, while the
 *  projection always keeps the suffix's room. The truth takes the name as typed; the
 *  device's map keeps the projection, so the device is compared as before and is not
 *  rewritten. Undefined when the projection kept the whole name. */
export function typedName(run: RunState, reported: Contact, prepared: Contact): string | undefined {
  const fn = normalizeContact(reported, run.input.region).fn;
  return fn !== prepared.fn && prepared.fn !== '' && fn.startsWith(prepared.fn) ? fn : undefined;
}
