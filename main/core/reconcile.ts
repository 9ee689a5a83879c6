// Steps 3–5 of a run (sync-method.md): recover, reconcile, merge for offline devices.
// `planRun` reads the DSS through a view and writes its plan into an overlay; it does no
// I/O, reads no clock and makes no ids of its own (`newGuid` is an argument).
import {
  describeKey,
  diffElements,
  emptyContact,
  equalContacts,
  fromElements,
  normalizeContact,
  toElements,
  type Contact,
  type Elements,
  type Field,
} from './contact';
import { indexKeys, isDuplicate, nameKey, reachKeys, DuplicateIndex } from './duplicates';
import { mergeActions, type MaybeAction } from './merge';
import { heldFields, project, shortenName, type Capacity } from './projection';
import { guardTrips, HoldSet, type GuardRule, type Hold } from './holds';
import { recover, type RecoveryRow } from './recover';
import {
  ALL_ELEMENTS,
  type ActionKind,
  type Guid,
  type LateAck,
  type Luid,
  type PointInfo,
  type Provenance,
  type ReportedRecord,
  type Spid,
  type TruthRecord,
} from './types';
import { Overlay, type DssView } from './view';

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

interface Change {
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

interface NewRecord {
  spid: Spid;
  luid: Luid;
  priority: number;
  /** Normalized and through the device's projection. */
  data: Contact;
  /** What the device can hold: other records are compared with it through this. */
  capacity: Capacity;
  editor: boolean;
}

interface Proposal {
  spid: Spid;
  priority: number;
  run: number;
  value: string | undefined;
  fromTruth: boolean;
}

export function planRun(view: DssView, input: RunInput, newGuid: () => Guid): RunPlan {
  const ov = new Overlay(view, input.runId);
  if (input.holds?.length) ov.holds = new HoldSet(input.holds);
  const points = new Map(input.points.map((p) => [p.spid, p]));
  const priorityOf = (spid: Spid) => points.get(spid)?.priority ?? Number.MAX_SAFE_INTEGER;
  const plan: RunPlan = { overlay: ov, conflicts: [], incoming: new Map(), lostState: [], rows: [] };
  const touched = new Set<Guid>();
  const changes = new Map<Guid, Change[]>();
  const added: NewRecord[] = [];
  const count = (spid: Spid, k: keyof PlanCounts) => {
    const c = plan.incoming.get(spid) ?? { add: 0, update: 0, delete: 0 };
    c[k] += 1;
    plan.incoming.set(spid, c);
  };
  const addChange = (guid: Guid, ch: Change) => {
    const list = changes.get(guid) ?? [];
    list.push(ch);
    changes.set(guid, list);
    touched.add(guid);
  };
  const prep = (c: Contact, p: PointInfo) => project(normalizeContact(c, input.region), p.capacity);

  // Matched records per lost-state device: pending entries nothing matched are dropped.
  const lostMatched = new Map<Spid, Set<Guid>>();
  const unknownAdds: { p: PointInfo; luid: Luid; data: Contact; deletedHere: Set<Guid>; deleteBases: Map<Guid, Contact> }[] = [];

  for (const [spid, report] of input.reports) {
    const p = points.get(spid);
    if (!p || p.isEditor) continue;

    // A late acknowledgement is applied first, exactly as if it had arrived in time.
    if (report.kind === 'log') {
      for (const ack of report.lateAcks) {
        applyAck(ov, p, ack.action, ack.guid, ack.luid, ack.data ? prep(ack.data, p) : null);
        touched.add(ack.guid);
        plan.rows.push({ spid, luid: ack.luid, row: 'late-ack', guid: ack.guid });
      }
    }

    // A device that lost its sync state: forget its map and bases, but keep its pending
    // entries (and the last bases of pending DELETEs, to recognize what it must still
    // delete).
    const deleteBases = new Map<Guid, Contact>();
    if (report.lostSyncState) {
      plan.lostState.push(spid);
      lostMatched.set(spid, new Set());
      for (const a of ov.pendingOf(spid)) {
        if (a.action !== 'DELETE') continue;
        const m = ov.mapOf(spid, a.guid);
        if (m?.base) deleteBases.set(a.guid, m.base);
      }
      // (Records it still holds are matched again below and touched then; the rest it is
      // sent as ADDs like anything it lacks.)
      ov.forgetMaps(spid);
    }

    // The states: a log device says them; for a snapshot device they come from comparing
    // its listing with the projection the hub left there.
    const records: ReportedRecord[] = [];
    if (report.kind === 'log') {
      records.push(...report.records);
    } else {
      const listed = new Set<Luid>();
      for (const item of report.listing) {
        listed.add(item.luid);
        const m = ov.mapByLuid(spid, item.luid);
        if (!m) records.push({ luid: item.luid, state: 'ADDED', data: item.data });
        else if (!m.base || !equalContacts(prep(item.data, p), m.base)) {
          records.push({ luid: item.luid, state: 'UPDATED', data: item.data });
        }
      }
      for (const m of ov.mapsOf(spid)) if (!listed.has(m.luid)) records.push({ luid: m.luid, state: 'DELETED' });
    }

    // Deletions first, so that a record the device deletes in this run is never the
    // duplicate its new entries are matched to.
    const deletedHere = new Set<Guid>();
    const order = (r: ReportedRecord) => (r.state === 'DELETED' ? 0 : r.state === 'UPDATED' ? 1 : 2);
    records.sort((a, b) => order(a) - order(b));

    ov.prefetchLuids(spid, records.map((r) => r.luid));
    // The guard: too many deletions from this device in this run are held, not applied.
    const holding = !report.lostSyncState && !!input.guard && guardTrips(input.guard, countDeletions(ov, spid, records), input.truthCount ?? (() => 0));
    for (const r of records) {
      const known = ov.mapByLuid(spid, r.luid);
      if (r.state === 'DELETED') {
        if (!known) {
          plan.rows.push({ spid, luid: r.luid, row: 'ignored' });
          continue; // an unknown LUID reported as DELETED is ignored
        }
        const pend = ov.pending(spid, known.guid);
        const rec = recover({ pending: pend?.action ?? null, state: 'DELETED', duplicate: false });
        plan.rows.push({ spid, luid: r.luid, row: rec.row, guid: known.guid });
        if (rec.row === 'R1') continue;
        ov.setPending(spid, known.guid, null);
        ov.deleteMap(spid, known.guid);
        if (holding && ov.truth(known.guid)) {
          // Held: read as NO_CHANGE; the map entry moves into the hold.
          ov.holds.hold({ spid, guid: known.guid, luid: known.luid, base: known.base, baseRun: known.run, runId: input.runId, approved: false });
          continue;
        }
        deletedHere.add(known.guid);
        if (ov.truth(known.guid)) {
          addChange(known.guid, { spid, priority: p.priority, kind: 'DELETED', data: null, base: known.base, baseRun: known.run, fields: heldFields(p.capacity) });
          count(spid, 'delete');
        }
        continue;
      }
      if (!r.data) continue;
      const data = prep(r.data, p);
      if (known) {
        // A known LUID reported as ADDED is the same record: recovered as UPDATED.
        const pend = ov.pending(spid, known.guid);
        const rec = recover({ pending: pend?.action ?? null, state: 'UPDATED', duplicate: false });
        plan.rows.push({ spid, luid: r.luid, row: rec.row, guid: known.guid });
        if (rec.row === 'R1') {
          if (!known.base || !equalContacts(data, known.base)) plan.conflicts.push(editOfDeleted(ov, known.guid, spid, data));
          continue;
        }
        ov.setPending(spid, known.guid, null);
        ov.putMap({ spid, guid: known.guid, luid: r.luid, base: data });
        touched.add(known.guid);
        if (ov.truth(known.guid)) {
          addChange(known.guid, { spid, priority: p.priority, kind: 'UPDATED', data, base: known.base, baseRun: known.run, fields: heldFields(p.capacity) });
          count(spid, 'update');
        }
        continue;
      }
      // ADDED, or an UPDATED record the hub never mapped (the device's log outlived its
      // map, e.g. the device was forgotten and paired again): a record under a LUID the
      // hub has never seen.
      if (r.state === 'UPDATED') plan.rows.push({ spid, luid: r.luid, row: 'ignored' });

      // ADDED under a LUID the hub has never seen: the duplicate detector decides, once the
      // changes of this run are in the truth (a record another device or the editor
      // changes in this run may become its duplicate).
      unknownAdds.push({ p, luid: r.luid, data, deletedHere, deleteBases });
    }
  }

  // The hub's editor: always online, no action table, its adds never matched.
  const editor = input.points.find((p) => p.isEditor);
  for (const e of input.editorEdits) {
    const spid = editor?.spid ?? 'hub';
    const priority = editor?.priority ?? 0;
    const ep: PointInfo = editor ?? { spid, priority, changeTracking: 'log', capacity: {}, isEditor: true };
    if (e.kind === 'add') {
      added.push({ spid, luid: e.id, priority, data: prep(e.data, ep), capacity: ep.capacity, editor: true });
      count(spid, 'add');
    } else if (ov.truth(e.guid)) {
      const base = prep(e.base, ep);
      if (e.kind === 'delete') addChange(e.guid, { spid, priority, kind: 'DELETED', data: null, base, fields: undefined });
      else addChange(e.guid, { spid, priority, kind: 'UPDATED', data: prep(e.data, ep), base, fields: undefined });
      count(spid, e.kind === 'delete' ? 'delete' : 'update');
    }
  }

  // Approved held deletions: that device's DELETED states, with the held base, online or not.
  for (const h of ov.holds.all()) {
    if (!h.approved) continue;
    ov.holds.drop(h.spid, h.guid);
    ov.setPending(h.spid, h.guid, null);
    const p = points.get(h.spid);
    if (!p || !ov.truth(h.guid)) continue;
    addChange(h.guid, { spid: h.spid, priority: p.priority, kind: 'DELETED', data: null, base: h.base, baseRun: h.baseRun, fields: heldFields(p.capacity) });
    count(h.spid, 'delete');
  }

  // Reconcile: the new truth of every changed record.
  const reconcileChanges = () => {
    for (const [guid, list] of changes) {
      const rec = ov.truth(guid);
      if (!rec) continue;
      const outcome = resolveRecord(rec, list, input.runId, priorityOf, points, ov.baseTruth(guid));
      if (outcome.conflict) plan.conflicts.push(outcome.conflict);
      if (outcome.contact === null) ov.deleteTruth(guid, outcome.deletedBy ?? '?');
      else if (!equalContacts(outcome.contact, rec.contact) || outcome.provChanged) {
        ov.putTruth({ ...rec, contact: outcome.contact, prov: outcome.prov });
      }
    }
    changes.clear();
  };
  reconcileChanges();

  // Then the records reported ADDED under new LUIDs (R1, R5–R8).
  // Their detector keys and the DSS's rows of them are read a chunk at a time (the DSS
  // does not change while the run plans, so this reads what one batch would): a first
  // sync of 100,000 does not hold every record's keys at once.
  let addKeys: string[][] = [];
  let known: Map<string, Guid[]> | undefined;
  for (const [i, { p, luid, data, deletedHere, deleteBases }] of unknownAdds.entries()) {
    if (i % ADD_CHUNK === 0) {
      addKeys = unknownAdds.slice(i, i + ADD_CHUNK).map((u) => indexKeys(u.data));
      known = unknownAdds.length >= 16 ? knownKeys(ov, addKeys) : undefined;
    }
    const spid = p.spid;
    const match = findDuplicate(ov, p, data, addKeys[i % ADD_CHUNK]!, known, deletedHere, deleteBases);
    if (!match) {
      plan.rows.push({ spid, luid: luid, row: 'R5' });
      added.push({ spid, luid, priority: p.priority, data, capacity: p.capacity, editor: false });
      count(spid, 'add');
      continue;
    }
    const pend = ov.pending(spid, match);
    const deletedNow = !ov.truth(match) && ov.tombstones.has(match);
    // Deleted from the truth in this run: as R1, the device is told to delete it too.
    const rec = recover({ pending: deletedNow ? 'DELETE' : (pend?.action ?? null), state: 'ADDED', duplicate: true });
    plan.rows.push({ spid, luid, row: rec.row, guid: match });
    lostMatched.get(spid)?.add(match);
    touched.add(match);
    ov.putMap({ spid, guid: match, luid: luid, base: data });
    switch (rec.row) {
      case 'R1': {
        // It matches the last base of a pending DELETE: told again to delete.
        // The device holds it: an ADD still pending for it was applied (its ack lost), so
        // what it needs now is the DELETE.
        if (deletedNow && pend?.action === 'ADD') ov.setPending(spid, match, null);
        const base = deleteBases.get(match) ?? (deletedNow ? project(ov.tombstones.get(match)!.contact, p.capacity) : undefined);
        if (base && !equalContacts(data, base)) plan.conflicts.push(editOfDeleted(ov, match, spid, data));
        break;
      }
      case 'R7':
        // Not presented as new and not as a change: the device simply has not received
        // the pending UPDATE yet, which stays and brings it the truth's version. Its base
        // is what it reported, so planning sees that it differs.
        break;
      case 'R6':
        ov.setPending(spid, match, null);
        // The hub's writes never enter a change log, so on a log device this is the
        // user's own entry: the elements that differ are that device's changes. A snapshot
        // device holds the copy the hub sent, perhaps edited since by its user: an element
        // someone changed after the ADD was planned is stale there (the device gets an
        // UPDATE); any other difference is the user's edit.
        if (p.changeTracking === 'log') {
          addChange(match, { spid, priority: p.priority, kind: 'UPDATED', data, base: null, fields: heldFields(p.capacity) });
        } else {
          const sent = ov.truth(match);
          if (sent) addChange(match, { spid, priority: p.priority, kind: 'UPDATED', data, base: project(sent.contact, p.capacity), staleSince: pend?.run ?? 0, fields: heldFields(p.capacity) });
        }
        break;
      case 'R8':
        addChange(match, { spid, priority: p.priority, kind: 'UPDATED', data, base: null, fields: heldFields(p.capacity) });
        count(spid, 'update');
        break;
      default:
        throw new Error(`recovery of an ADDED duplicate gave ${rec.row}`);
    }
  }

  // R8 and R6 on a log device bring changes of their own.
  reconcileChanges();

  // Records added in this run: the same person added on several devices is one record.
  // A record one device added has one provenance, shared by all that device's records
  // (frozen: provenance is replaced, never changed in place).
  const soleProv = new Map<Spid, Readonly<Record<string, Provenance>>>();
  const soleWriter = (spid: Spid) => {
    let prov = soleProv.get(spid);
    if (!prov) soleProv.set(spid, (prov = Object.freeze({ [ALL_ELEMENTS]: Object.freeze({ spid, run: input.runId }) })));
    return prov;
  };
  for (const group of groupAdded(added)) {
    const { contact, prov, conflict } = unionOfAdded(group, input.runId, soleWriter);
    // The editor names its records when they are made (the UI shows them at once).
    const guid = group.length === 1 && group[0]?.editor ? group[0].luid : newGuid();
    ov.putTruth({ guid, seq: ov.allocateSeq(), contact, prov });
    touched.add(guid);
    for (const item of group) {
      if (!item.editor) ov.putMap({ spid: item.spid, guid, luid: item.luid, base: item.data });
    }
    if (conflict) plan.conflicts.push({ ...conflict, guid });
  }

  // A lost-state device's pending entries that nothing matched are dropped.
  for (const [spid, matched] of lostMatched) {
    for (const a of ov.pendingOf(spid)) {
      if (!matched.has(a.guid)) {
        ov.setPending(spid, a.guid, null);
        touched.add(a.guid);
      }
    }
  }

  // New actions come from state, merged with what is still pending (step 5).
  const devices = input.points.filter((p) => !p.isEditor);
  const touchedInOrder = inCreationOrder(ov, touched);
  for (const p of devices) {
    // A record whose truth, map and action on this device this run left alone needs no
    // new decision there: the run that last changed them planned it (a duplicate matched
    // on one device costs no reads of the others).
    const todo = touchedInOrder.filter((g) => ov.changedFor(p.spid, g));
    ov.prefetch(p.spid, todo);
    for (const guid of todo) planAction(ov, p, guid);
  }
  for (const p of devices) {
    // A capacity-limited device holds what it holds, then the records it lacks in
    // creation order, as many as fit.
    if (p.capacity.maxEntries !== undefined) {
      fitToCapacity(ov, p, p.capacity.maxEntries);
      continue;
    }
    // A device that lost its sync state gets everything it lacks. (A newly paired device
    // counts as having lost its state until its first push completes.)
    const lost = lostMatched.has(p.spid) || (p.lostState === true && input.reports.has(p.spid));
    if (lost) ov.sendAllLacking(p.spid);
  }
  return plan;
}

/** The guard's count: DELETED states of records the truth holds, without a pending DELETE. */
function countDeletions(ov: Overlay, spid: Spid, records: readonly ReportedRecord[]): number {
  let n = 0;
  for (const r of records) {
    if (r.state !== 'DELETED') continue;
    const m = ov.mapByLuid(spid, r.luid);
    if (m && ov.truth(m.guid) && ov.pending(spid, m.guid)?.action !== 'DELETE') n += 1;
  }
  return n;
}

/** How many records reported ADDED under new LUIDs have their detector keys read at once. */
const ADD_CHUNK = 4096;

/** Records in creation order (a first sync touches them in that order already: then no
 *  sort, and no object per record to sort them by). */
function inCreationOrder(ov: Overlay, guids: ReadonlySet<Guid>): Guid[] {
  const list = [...guids];
  const seqs = new Float64Array(list.length);
  let sorted = true;
  for (let i = 0; i < list.length; i++) {
    const g = list[i]!;
    seqs[i] = ov.truth(g)?.seq ?? ov.baseTruth(g)?.seq ?? 0;
    if (i > 0 && seqs[i]! < seqs[i - 1]!) sorted = false;
  }
  if (sorted) return list;
  const order = Array.from(list.keys()).sort((a, b) => seqs[a]! - seqs[b]! || a - b);
  return order.map((i) => list[i]!);
}

/** R1 with an edit: the device changed a record the truth already deleted. It is told again
 *  to delete, and its version goes to the conflict log, so nothing is lost: the user can
 *  choose it later ("Use this version" adds it back). */
function editOfDeleted(ov: Overlay, guid: Guid, spid: Spid, data: Contact): ConflictDraft {
  const t = ov.tombstone(guid);
  return {
    guid,
    kind: 'delete-update',
    result: null,
    versions: [
      { spid: t?.spid ?? '?', contact: null, won: true },
      { spid, contact: data, won: false },
    ],
    elements: [],
  };
}

/** One acknowledgement, in time or late: the action is done on the device. */
export function applyAck(ov: Overlay, p: PointInfo, action: ActionKind, guid: Guid, luid: Luid, stored: Contact | null): void {
  const pend = ov.pending(p.spid, guid);
  const m = ov.mapOf(p.spid, guid);
  // An acknowledgement the hub already counted (sent again): nothing to do.
  if (pend?.action !== action && (action === 'DELETE' ? !m : m?.luid === luid)) return;
  if (pend?.action === action) ov.setPending(p.spid, guid, null);
  switch (action) {
    case 'ADD':
    case 'UPDATE':
      // As if it had arrived in time: the device's base dates from the run that planned it.
      ov.putMap({ spid: p.spid, guid, luid, base: stored, run: pend?.run ?? m?.run ?? 0 });
      return;
    case 'DELETE':
      ov.deleteMap(p.spid, guid);
      return;
  }
}

function planAction(ov: Overlay, p: PointInfo, guid: Guid): void {
  const rec = ov.truth(guid);
  const m = ov.mapOf(p.spid, guid);
  if (ov.holds.has(p.spid, guid)) {
    // Held: nothing is planned there, until the device holds the record again (R8).
    if (!m) return;
    ov.holds.drop(p.spid, guid);
  }
  const pend = ov.pending(p.spid, guid);
  let next: MaybeAction = null;
  if (rec) {
    if (m) {
      const proj = project(rec.contact, p.capacity);
      const holds = (m.base && ov.sameContact(proj, m.base)) || (m.sent && ov.sameContact(proj, m.sent));
      next = holds ? null : 'UPDATE';
    }
    else if (pend?.action === 'ADD') next = 'ADD';
    // A device that has not completed a sync since it was paired (or lost its state) is
    // sent everything it lacks when it is next online: no ADD is stored for it meanwhile
    // (a first sync of 100,000 contacts would otherwise write 100,000 rows per such device).
    else if (p.lostState) next = null;
    // A capacity-limited device gets the records it lacks in creation order, as many as
    // fit (fitToCapacity, once every record is planned).
    else if (p.capacity.maxEntries !== undefined) next = null;
    else next = 'ADD';
  } else if (m || pend?.action === 'ADD') {
    next = 'DELETE';
  }
  const effective = mergeActions(pend?.action ?? null, next, guid, p.spid);
  if (effective === (pend?.action ?? null)) return;
  const seq = rec?.seq ?? pend?.seq ?? 0;
  ov.setPending(p.spid, guid, effective === null ? null : { spid: p.spid, guid, action: effective, seq, run: ov.runId });
}

/** maxEntries: ADDs are planned for as many records as fit — those the device holds
 *  first (its user's own entries included), then the records it lacks in creation order.
 *  A record that did not fit keeps its place in that order when room frees up; an ADD
 *  that no longer fits is dropped (planned again when room frees up). */
function fitToCapacity(ov: Overlay, p: PointInfo, maxEntries: number): void {
  const pending = ov.pendingOf(p.spid);
  const deleting = new Set(pending.filter((a) => a.action === 'DELETE').map((a) => a.guid));
  const adds = new Set(pending.filter((a) => a.action === 'ADD').map((a) => a.guid));
  const held = new Set(ov.mapsOf(p.spid).map((m) => m.guid).filter((g) => !deleting.has(g)));
  let room = maxEntries - held.size;
  const keep = new Set<Guid>();
  if (room > 0) {
    for (const { guid, seq } of ov.truthIndex()) {
      if (held.has(guid) || ov.holds.has(p.spid, guid)) continue;
      keep.add(guid);
      if (!adds.has(guid)) ov.setPending(p.spid, guid, { spid: p.spid, guid, action: 'ADD', seq, run: ov.runId });
      if (--room <= 0) break;
    }
  }
  for (const guid of adds) if (!keep.has(guid)) ov.setPending(p.spid, guid, null);
}

/** The duplicate `O` of a record a device reports as ADDED, if any (R6/R7/R8, or R1 for a
 *  lost-state device). Candidates are compared through the device's projection, exclude
 *  records already mapped on the same device and records it deletes in this run. When
 *  several match: a pending ADD first, then a pending UPDATE, then the oldest record. */
function findDuplicate(
  ov: Overlay,
  p: PointInfo,
  data: Contact,
  keys: readonly string[],
  known: ReadonlyMap<string, readonly Guid[]> | undefined,
  deletedHere: ReadonlySet<Guid>,
  deleteBases: ReadonlyMap<Guid, Contact>,
): Guid | undefined {
  const name = nameKey(data);
  const shortened = p.capacity.maxNameLength !== undefined && Array.from(data.fn).length >= p.capacity.maxNameLength - 1;
  const guids = new Set([...ov.candidates(keys, shortened && name ? `n:${name}` : undefined, known), ...ov.newCandidates(data)]);
  const matches: { guid: Guid; seq: number; rank: number }[] = [];
  for (const guid of guids) {
    if (deletedHere.has(guid) || ov.mapOf(p.spid, guid)) continue;
    const rec = ov.truth(guid);
    if (!rec || !isDuplicate(data, project(rec.contact, p.capacity))) continue;
    const pend = ov.pending(p.spid, guid)?.action;
    matches.push({ guid, seq: rec.seq, rank: pend === 'ADD' ? 0 : pend === 'UPDATE' ? 1 : 2 });
  }
  for (const [guid, base] of deleteBases) {
    if (!ov.mapOf(p.spid, guid) && isDuplicate(data, base)) matches.push({ guid, seq: -1, rank: -1 });
  }
  // A record another device deleted in this very run is not brought back by a device that
  // still holds it (one that lost its sync state, or a handset listing it): it is that
  // record, and the device is told to delete it too.
  if (matches.length === 0) {
    for (const [guid, t] of ov.tombstones) {
      if (!deletedHere.has(guid) && !ov.mapOf(p.spid, guid) && isDuplicate(data, project(t.contact, p.capacity))) matches.push({ guid, seq: -1, rank: -1 });
    }
  }
  matches.sort((a, b) => a.rank - b.rank || a.seq - b.seq);
  return matches[0]?.guid;
}

interface Outcome {
  contact: Contact | null;
  deletedBy?: Spid;
  prov: Readonly<Record<string, Provenance>>;
  provChanged: boolean;
  conflict?: ConflictDraft;
}

/** Resolves every change to one record: per data element by priority, a delete against an
 *  update per record, cross-run edits competing at their writer's priority. */
export function resolveRecord(
  rec: TruthRecord,
  list: readonly Change[],
  runId: number,
  priorityOf: (spid: Spid) => number,
  points: ReadonlyMap<Spid, PointInfo>,
  /** The record as the DSS held it before this run. */
  previous?: TruthRecord,
): Outcome {
  const truthEls = toElements(rec.contact);
  const before = previous ? toElements(previous.contact) : undefined;
  const updaters = list.filter((c) => c.kind === 'UPDATED');
  const deleters = list.filter((c) => c.kind === 'DELETED');

  // Element proposals of the updaters, with the truth's value competing where someone
  // else changed the element since the updater's base.
  const proposals = new Map<string, Proposal[]>();
  for (const u of updaters) {
    // The truth as this device would hold it: a name it had to shorten is no change.
    const seen = toElements(project(rec.contact, points.get(u.spid)?.capacity ?? {}));
    const baseEls = u.base ? toElements(u.base) : seen;
    const dataEls = toElements(u.data ?? emptyContact());
    let diffs = diffElements(baseEls, dataEls, u.fields);
    // Without a base (R8: a contact the user entered again), nothing the device lacks is
    // read as removed.
    if (!u.base) diffs = diffs.filter((d) => d.to !== undefined);
    for (const d of diffs) {
      const writer = writerOf(rec.prov, d.key, truthEls);
      if (u.staleSince !== undefined && writer && writer.run > u.staleSince && writer.spid !== u.spid) {
        // Changed in an earlier run: the device's value is stale. Changed in this very run:
        // stale if it is the value the truth had before, else its user's edit, which competes.
        if (writer.run < runId || before?.get(d.key) === d.to) continue;
      }
      const list2 = proposals.get(d.key) ?? [];
      list2.push({ spid: u.spid, priority: u.priority, run: runId, value: d.to, fromTruth: false });
      // A cross-run conflict: someone else wrote the element since this device's base.
      const changedSince = !u.base ? true : u.baseRun ? writer !== undefined && writer.run > u.baseRun : seen.get(d.key) !== baseEls.get(d.key);
      if (changedSince && writer && writer.spid !== u.spid && !list2.some((x) => x.fromTruth)) {
        list2.push({ spid: writer.spid, priority: priorityOf(writer.spid), run: writer.run, value: truthEls.get(d.key), fromTruth: true });
      }
      proposals.set(d.key, list2);
    }
  }

  // Delete against update, per record: the best deleter against the best updater; a tie
  // keeps the data. An updater is also whoever changed the record since a deleter's base.
  let deleteWins = false;
  let deleteConflict = false;
  const crossRunUpdaters: Spid[] = [];
  if (deleters.length > 0) {
    for (const d of deleters) {
      if (d.baseRun) {
        // Whoever wrote an element after the deleter's base was set changed the record
        // since the deleter last saw it — a field the deleter cannot hold included.
        for (const w of writers(rec.prov, truthEls)) {
          if (w.run > d.baseRun && w.spid !== d.spid && !crossRunUpdaters.includes(w.spid)) crossRunUpdaters.push(w.spid);
        }
        continue;
      }
      if (!d.base) continue;
      const cap = points.get(d.spid)?.capacity ?? {};
      const now = project(rec.contact, cap);
      if (equalContacts(now, d.base)) continue;
      for (const ch of diffElements(toElements(d.base), toElements(now), d.fields)) {
        const w = writerOf(rec.prov, ch.key, truthEls);
        if (w && w.spid !== d.spid && !crossRunUpdaters.includes(w.spid)) crossRunUpdaters.push(w.spid);
      }
    }
    const bestDel = Math.min(...deleters.map((d) => d.priority));
    const updPriorities = [...updaters.map((u) => u.priority), ...crossRunUpdaters.map(priorityOf)];
    if (updPriorities.length === 0) deleteWins = true;
    else {
      deleteConflict = true;
      deleteWins = bestDel < Math.min(...updPriorities);
    }
  }

  if (deleteWins) {
    const deletedBy = [...deleters].sort((a, b) => a.priority - b.priority)[0]?.spid;
    if (!deleteConflict) return { contact: null, deletedBy, prov: rec.prov, provChanged: true };
    return {
      contact: null,
      deletedBy,
      prov: rec.prov,
      provChanged: true,
      conflict: {
        guid: rec.guid,
        kind: 'delete-update',
        result: null,
        versions: [
          ...deleters.map((d) => ({ spid: d.spid, contact: null, won: true })),
          ...updaters.map((u) => ({ spid: u.spid, contact: u.data, won: false })),
          ...crossRunUpdaters.filter((s) => !updaters.some((u) => u.spid === s)).map((s) => ({ spid: s, contact: rec.contact, won: false })),
        ],
        elements: [],
      },
    };
  }

  // Apply the element winners.
  const els: Elements = new Map(truthEls);
  const prov = { ...rec.prov };
  let provChanged = false;
  const conflictEls: ConflictDraft['elements'] = [];
  const losers = new Set<Spid>();
  for (const [key, props] of proposals) {
    const sorted = [...props].sort((a, b) => a.priority - b.priority || b.run - a.run || Number(a.fromTruth) - Number(b.fromTruth));
    const winner = sorted[0];
    if (!winner) continue;
    const distinct = new Set(props.map((x) => x.value ?? '\u0000none'));
    if (distinct.size > 1) {
      const lost = sorted.filter((x) => x.value !== winner.value);
      for (const l of lost) losers.add(l.spid);
      conflictEls.push({
        key,
        label: describeKey(key),
        winner: { spid: winner.spid, value: winner.value ?? null },
        losers: dedupe(lost.map((l) => ({ spid: l.spid, value: l.value ?? null }))),
      });
    }
    // Writing the value the truth already has is no write: the element keeps its writer
    // (else a device echoing a record back would take it over, and outrank a later edit).
    if (winner.fromTruth || winner.value === truthEls.get(key)) continue;
    if (winner.value === undefined) els.delete(key);
    else els.set(key, winner.value);
    prov[key] = { spid: winner.spid, run: runId };
    provChanged = true;
  }
  const contact = fromElements(els);
  const isConflict = conflictEls.length > 0 || deleteConflict;
  if (!isConflict) return { contact, prov, provChanged };
  const versions: ConflictDraft['versions'] = [];
  for (const u of updaters) versions.push({ spid: u.spid, contact: u.data, won: !losers.has(u.spid) });
  for (const d of deleters) versions.push({ spid: d.spid, contact: null, won: false });
  const truthSides = new Set([...proposals.values()].flat().filter((x) => x.fromTruth).map((x) => x.spid));
  for (const s of crossRunUpdaters) truthSides.add(s);
  for (const s of truthSides) {
    if (!versions.some((v) => v.spid === s)) versions.push({ spid: s, contact: rec.contact, won: !losers.has(s) });
  }
  return {
    contact,
    prov,
    provChanged,
    conflict: { guid: rec.guid, kind: deleteConflict ? 'delete-update' : 'elements', result: contact, versions, elements: conflictEls },
  };
}

/** The DSS's detector rows of the keys of many incoming records (a first sync), in a few
 *  reads instead of a query per key, as candidatesOf reads them: for a named record only
 *  the records that share its name and a number or e-mail (or, when it has neither, its
 *  name). Common names are held by many records; the numbers are nearly unique, so the
 *  names are checked against what the numbers and e-mails found, never listed in full. */
export function knownKeys(ov: Overlay, keyLists: readonly (readonly string[])[]): Map<string, Guid[]> {
  const isName = (k: string) => k.startsWith('n:');
  const names = ov.keysPresent(keyLists.flatMap((keys) => keys.filter(isName)));
  const reach: string[] = [];
  const nameOnly: string[] = [];
  for (const keys of keyLists) {
    const name = keys.find(isName);
    if (name !== undefined && !names.has(name)) continue; // no record has its name
    if (name !== undefined && keys.length === 1) nameOnly.push(name);
    else for (const k of keys) if (!isName(k)) reach.push(k);
  }
  const known = reach.length > 0 ? ov.keyRows(reach) : new Map<string, Guid[]>();
  // The records found by a number or e-mail that also have the name.
  const pairs: [string, Guid][] = [];
  for (const keys of keyLists) {
    const name = keys.find(isName);
    if (name === undefined || !names.has(name)) continue;
    for (const k of keys) for (const g of known.get(k) ?? []) pairs.push([name, g]);
  }
  const named = new Map<string, Set<Guid>>();
  const add = (k: string, g: Guid) => {
    let set = named.get(k);
    if (!set) named.set(k, (set = new Set()));
    set.add(g);
  };
  for (const [k, g] of ov.keyPairs(pairs)) add(k, g);
  if (nameOnly.length > 0) for (const [k, guids] of ov.keyRows(nameOnly)) for (const g of guids) add(k, g);
  for (const [k, set] of named) known.set(k, [...set]);
  return known;
}

/** Who last wrote an element of the truth (`els`: the truth's elements). */
function writerOf(prov: Readonly<Record<string, Provenance>>, key: string, els: Elements): Provenance | undefined {
  return prov[key] ?? (els.has(key) ? prov[ALL_ELEMENTS] : undefined);
}

/** Everyone who wrote an element of the record, removed elements included. */
function writers(prov: Readonly<Record<string, Provenance>>, els: Elements): Provenance[] {
  const out: Provenance[] = [];
  for (const [k, w] of Object.entries(prov)) if (k !== ALL_ELEMENTS) out.push(w);
  const all = prov[ALL_ELEMENTS];
  if (all && [...els.keys()].some((k) => !Object.hasOwn(prov, k))) out.push(all);
  return out;
}

function dedupe<T>(items: T[]): T[] {
  const seen = new Set<string>();
  return items.filter((x) => {
    const k = JSON.stringify(x);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Whether two records added in the same run name the same person, each compared through
 *  the other's projection (a SIM's shortened name still matches the laptop's full one). */
function sameAdded(a: NewRecord, b: NewRecord): boolean {
  return isDuplicate(a.data, project(b.data, a.capacity)) || isDuplicate(project(a.data, b.capacity), b.data);
}

/** Groups the records added in one run that name the same person (never two from one
 *  device: two entries the user made there are two contacts; never the editor's). */
function* groupAdded(added: readonly NewRecord[]): Iterable<NewRecord[]> {
  // From one device only (a first sync): nothing to group.
  if (new Set(added.filter((a) => !a.editor).map((a) => a.spid)).size <= 1) {
    for (const a of added) yield [a];
    return;
  }
  const groups: NewRecord[][] = [];
  // Candidates: groups with a member of the same signature or name and a shared number or
  // e-mail, or (a shortened name) sharing a number or e-mail; each checked by sameAdded.
  const index = new DuplicateIndex<number>();
  const byReach = new Map<string, number[]>();
  for (const item of added) {
    if (!item.editor) {
      const candidates = new Set(index.find(item.data));
      for (const k of reachKeys(item.data)) for (const i of byReach.get(k) ?? []) candidates.add(i);
      const target = [...candidates]
        .sort((a, b) => a - b)
        .map((i) => groups[i]!)
        .find((g) => !g.some((x) => x.spid === item.spid) && g.some((x) => sameAdded(item, x)));
      if (target) {
        target.push(item);
        continue;
      }
    }
    groups.push([item]);
    if (!item.editor) {
      const i = groups.length - 1;
      index.add(i, item.data);
      for (const k of reachKeys(item.data)) {
        const list = byReach.get(k) ?? [];
        list.push(i);
        byReach.set(k, list);
      }
    }
  }
  yield* groups;
}

/** The kept record of a same-person group: the union of its data elements; where the
 *  same element differs, priority decides, as in a conflict. */
function unionOfAdded(
  group: readonly NewRecord[],
  runId: number,
  soleWriter: (spid: Spid) => Readonly<Record<string, Provenance>>,
): { contact: Contact; prov: Readonly<Record<string, Provenance>>; conflict?: Omit<ConflictDraft, 'guid'> } {
  if (group.length === 1) {
    // One device's record: taken as it is.
    const only = group[0]!;
    return { contact: only.data, prov: soleWriter(only.spid) };
  }
  const sorted = [...group].sort((a, b) => a.priority - b.priority);
  const els: Elements = new Map();
  const prov: Record<string, Provenance> = {};
  const conflictEls: ConflictDraft['elements'] = [];
  const losers = new Set<Spid>();
  for (const item of sorted) {
    for (const [k, v] of toElements(item.data)) {
      // A name the device had to shorten is no version of its own: the full name another
      // device entered is kept.
      if (k === 'fn' && shortenedFrom(item, v, group)) continue;
      const have = els.get(k);
      if (have === undefined) {
        els.set(k, v);
        prov[k] = { spid: item.spid, run: runId };
      } else if (have !== v) {
        losers.add(item.spid);
        const existing = conflictEls.find((c) => c.key === k);
        if (existing) existing.losers.push({ spid: item.spid, value: v });
        else conflictEls.push({ key: k, label: describeKey(k), winner: { spid: prov[k]?.spid ?? item.spid, value: have }, losers: [{ spid: item.spid, value: v }] });
      }
    }
  }
  const contact = fromElements(els);
  if (conflictEls.length === 0) return { contact, prov };
  return {
    contact,
    prov,
    conflict: {
      kind: 'added-twice',
      result: contact,
      versions: sorted.map((i) => ({ spid: i.spid, contact: i.data, won: !losers.has(i.spid) })),
      elements: conflictEls,
    },
  };
}

/** Whether `fn`, the name of a record added on a device that shortens names, is another
 *  same-run record's longer name cut to the device's length. */
function shortenedFrom(item: NewRecord, fn: string, group: readonly NewRecord[]): boolean {
  const max = item.capacity.maxNameLength;
  if (max === undefined) return false;
  return group.some((x) => x !== item && x.data.fn !== fn && shortenName(x.data.fn, max) === fn);
}
