// Step 3, recovery (sync-method.md, "Recovery"): the actual state of each record on each
// online device, from what its action table says was still to be done and what the device
// now reports. `recoverRecord` is the table (take the first row that matches); its result
// says what happens next — which state is presented to reconciliation, whether the pending
// entry stays, and what a device's version is compared with. `recover` applies it to
// every report of a run. Records reported ADDED under LUIDs the hub has never seen are
// recovered (R1, R5–R8) by the duplicate detector in match.ts, once the run's other
// changes are in the truth.
import { equalContacts, type Contact } from './contact';
import { guardHolds, holdDeletion, recoverApprovedHolds } from './holds';
import type { DssView, Overlay } from './overlay';
import { heldFields } from './projection';
import {
  addChange,
  countIncoming,
  newRunState,
  prepare,
  typedName,
  type ConflictDraft,
  type RunInput,
  type RunState,
} from './run-state';
import { assertNever, type ActionKind, type ChangeTracking, type DataState, type Guid, type Luid, type PointInfo, type ReportedRecord, type Spid } from './types';

export type RecoveryRow = 'R1' | 'R2' | 'R3' | 'R4' | 'R5' | 'R6' | 'R7' | 'R8';

export interface RecoveryInput {
  /** This device's action-table entry for the record (for ADDED: for the duplicate `O`). */
  pending: ActionKind | null;
  state: DataState;
  /** For ADDED: whether the duplicate detector found a record `O` the hub knows. */
  duplicate: boolean;
  /** For ADDED: the LUID is one the hub already maps (a client re-sending its change log):
   *  the same record, recovered as UPDATED. */
  mapped?: boolean;
  /** How the device reports (R6 reads its copy differently on each). Default `log`. */
  changeTracking?: ChangeTracking;
}

/** What an UPDATED record is compared with, so that only the elements the device changed
 *  count: `base`, the version the hub knew it to hold (its map entry's base); `none`, nothing
 *  (a contact the user entered again: nothing it lacks is read as removed, every element it
 *  has competes with the truth); `sent`, the copy the hub sent with the ADD whose
 *  acknowledgement was lost (an element someone changed since is stale there, not an
 *  edit). */
export type ComparedWith = 'base' | 'none' | 'sent';

export interface Recovery {
  row: RecoveryRow;
  /** The actual state presented to reconciliation; null: not presented. */
  actual: DataState | null;
  /** Keep the pending entry as it is (false: drop it). */
  keepPending: boolean;
  /** For an UPDATED actual state: what the device's version is compared with. */
  compare?: ComparedWith;
}

export function recoverRecord({ pending, state, duplicate, mapped = false, changeTracking = 'log' }: RecoveryInput): Recovery {
  // R1: the truth deleted it in an earlier run; the device is told again, whatever it says.
  // (For ADDED, `pending` is the entry of the duplicate O: a record matching the last base
  // of a pending DELETE is told again to delete, never resurrected.)
  if (pending === 'DELETE') return { row: 'R1', actual: null, keepPending: true };
  switch (state) {
    case 'DELETED':
      return { row: 'R2', actual: 'DELETED', keepPending: false };
    case 'UPDATED':
      // The source's flow chart says "deemed DELETED" here; its own text means UPDATED.
      return { row: 'R3', actual: 'UPDATED', keepPending: false, compare: 'base' };
    case 'NO_CHANGE':
      return { row: 'R4', actual: 'NO_CHANGE', keepPending: true };
    case 'ADDED':
      // A known LUID reported as ADDED is the same record: recovered as UPDATED.
      if (mapped) return { row: 'R3', actual: 'UPDATED', keepPending: false, compare: 'base' };
      if (!duplicate) return { row: 'R5', actual: 'ADDED', keepPending: true };
      // R6: the hub asked the device to add O, the device did, the acknowledgement was lost:
      // the ADD is dropped and the device's copy mapped. The hub's writes never enter a
      // change log, so on a log device this is the user's own entry and the elements that
      // differ are its changes (as R8). A snapshot device holds the copy the hub sent,
      // perhaps edited since by its user.
      if (pending === 'ADD') return { row: 'R6', actual: 'UPDATED', keepPending: false, compare: changeTracking === 'log' ? 'none' : 'sent' };
      // R7: not presented at all; the device gets the truth's version through the pending
      // UPDATE (it simply has not received it yet: no conflict).
      if (pending === 'UPDATE') return { row: 'R7', actual: 'NO_CHANGE', keepPending: true };
      // R8: the user entered a contact the hub already has: an UPDATE of O from this device.
      return { row: 'R8', actual: 'UPDATED', keepPending: true, compare: 'none' };
    default:
      return assertNever(state, 'data state');
  }
}

/** Step 3 for every online sync point: late acknowledgements, lost sync state, the states
 *  of a snapshot listing, the recovery of each record the hub has mapped, and the editor's
 *  queued edits. Records under new LUIDs are left in `unknownAdds` for matchAdded. */
export function recover(view: DssView, input: RunInput): RunState {
  const run = newRunState(view, input);
  for (const [spid, report] of input.reports) {
    const p = run.points.get(spid);
    if (!p || p.isEditor) continue;
    const { ov, plan } = run;

    // A late acknowledgement is applied first, exactly as if it had arrived in time.
    if (report.kind === 'log') {
      for (const ack of report.lateAcks) {
        applyAck(ov, p, ack.action, ack.guid, ack.luid, ack.data ? prepare(run, ack.data, p) : null);
        run.touched.add(ack.guid);
        plan.rows.push({ spid, luid: ack.luid, row: 'late-ack', guid: ack.guid });
      }
    }

    // A device that lost its sync state: forget its map and bases, but keep its pending
    // entries (and the last bases of pending DELETEs, to recognize what it must still
    // delete).
    const deleteBases = new Map<Guid, Contact>();
    if (report.lostSyncState) {
      plan.lostState.push(spid);
      run.lostMatched.set(spid, new Set());
      for (const a of ov.pendingOf(spid)) {
        if (a.action !== 'DELETE') continue;
        const m = ov.mapOf(spid, a.guid);
        if (m?.base) deleteBases.set(a.guid, m.base);
      }
      // A read-only device is never sent a DELETE: its entries of records deleted elsewhere
      // stand for one, so what it still lists of them is R1 again, not a new record.
      if (p.readOnly) for (const m of ov.mapsOf(spid)) if (m.base && !ov.truth(m.guid)) deleteBases.set(m.guid, m.base);
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
        else if (!m.base || !equalContacts(prepare(run, item.data, p), m.base)) {
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
    const holding = guardHolds(run, spid, report.lostSyncState, records);
    for (const r of records) {
      const known = ov.mapByLuid(spid, r.luid);
      if (r.state === 'DELETED' && !known) {
        plan.rows.push({ spid, luid: r.luid, row: 'ignored' });
        continue; // an unknown LUID reported as DELETED is ignored
      }
      if (r.state !== 'DELETED' && !r.data) continue;
      const data = r.state === 'DELETED' || !r.data ? null : prepare(run, r.data, p);
      if (!known) {
        // An UPDATED record the hub never mapped (the device's log outlived its map, e.g.
        // the device was forgotten and paired again) is a record under a LUID the hub has
        // never seen, as an ADDED one: the duplicate detector decides, once the changes of
        // this run are in the truth (a record another device or the editor changes in this
        // run may become its duplicate).
        if (r.state === 'UPDATED') plan.rows.push({ spid, luid: r.luid, row: 'ignored' });
        if (data) {
          const fullName = r.state === 'ADDED' ? typedName(run, r.data!, data) : undefined;
          run.unknownAdds.push({ p, luid: r.luid, data, ...(fullName ? { fullName } : {}), deletedHere, deleteBases });
        }
        continue;
      }
      const guid = known.guid;
      // A read-only device keeps its entry of a record deleted elsewhere while it lists it
      // (it cannot be told to delete it): that entry stands for the pending DELETE (R1).
      const pending = ov.pending(spid, guid)?.action ?? (p.readOnly && !ov.truth(guid) ? 'DELETE' : null);
      const rec = recoverRecord({ pending, state: r.state, duplicate: false, mapped: true, changeTracking: p.changeTracking });
      plan.rows.push({ spid, luid: r.luid, row: rec.row, guid });
      if (!rec.keepPending) ov.setPending(spid, guid, null);
      switch (rec.actual) {
        case null:
          // R1 with an edit: the device changed a record the truth already deleted.
          if (data && (!known.base || !equalContacts(data, known.base))) plan.conflicts.push(editOfDeleted(ov, guid, spid, data));
          // On a read-only device its base is what it lists, and a record it no longer
          // lists is no longer mapped.
          if (p.readOnly) {
            if (data) ov.putMap({ spid, guid, luid: r.luid, base: data });
            else ov.deleteMap(spid, guid);
          }
          break;
        case 'DELETED':
          ov.deleteMap(spid, guid);
          if (holding && ov.truth(guid)) {
            holdDeletion(run, spid, known);
            break;
          }
          deletedHere.add(guid);
          if (ov.truth(guid)) {
            addChange(run, guid, { spid, priority: p.priority, kind: 'DELETED', data: null, base: known.base, baseRun: known.run, fields: heldFields(p.capacity) });
            countIncoming(run, spid, 'delete');
          }
          break;
        case 'UPDATED':
          ov.putMap({ spid, guid, luid: r.luid, base: data });
          run.touched.add(guid);
          if (ov.truth(guid)) {
            addChange(run, guid, { spid, priority: p.priority, kind: 'UPDATED', data, base: known.base, baseRun: known.run, fields: heldFields(p.capacity) });
            countIncoming(run, spid, 'update');
          }
          break;
        case 'ADDED':
        case 'NO_CHANGE':
          // (Not for a record the device reported under a LUID the hub maps.)
          break;
        default:
          assertNever(rec.actual, 'actual state');
      }
    }
  }
  recoverEditorEdits(run);
  recoverApprovedHolds(run);
  return run;
}

/** The hub's editor: always online, no action table, its adds never matched. Its queued
 *  edits are its states in this run. */
function recoverEditorEdits(run: RunState): void {
  const { input, ov } = run;
  const editor = input.points.find((p) => p.isEditor);
  for (const e of input.editorEdits) {
    const spid = editor?.spid ?? 'hub';
    const priority = editor?.priority ?? 0;
    const ep: PointInfo = editor ?? { spid, priority, changeTracking: 'log', capacity: {}, isEditor: true };
    if (e.kind === 'add') {
      run.added.push({ spid, luid: e.id, priority, data: prepare(run, e.data, ep), capacity: ep.capacity, editor: true });
      countIncoming(run, spid, 'add');
    } else if (ov.truth(e.guid)) {
      const base = prepare(run, e.base, ep);
      if (e.kind === 'delete') addChange(run, e.guid, { spid, priority, kind: 'DELETED', data: null, base, fields: undefined });
      else addChange(run, e.guid, { spid, priority, kind: 'UPDATED', data: prepare(run, e.data, ep), base, fields: undefined });
      countIncoming(run, spid, e.kind === 'delete' ? 'delete' : 'update');
    }
  }
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
    default:
      assertNever(action, 'action');
  }
}

/** R1 with an edit: the device changed a record the truth already deleted. It is told again
 *  to delete, and its version goes to the conflict log, so nothing is lost: the user can
 *  choose it later ("Use this version" adds it back). */
export function editOfDeleted(ov: Overlay, guid: Guid, spid: Spid, data: Contact): ConflictDraft {
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
