// Step 4, reconciliation (sync-method.md, "Reconciliation: the new truth"): the new truth
// of every record the run's recovered states changed. One change is applied; several are
// a conflict, resolved per data element by priority (a delete against an update per
// record), with cross-run edits competing at their writer's priority. Records added under
// new LUIDs are recovered against that truth by the duplicate detector (match.ts), their
// changes reconciled in turn, and the same person added on several devices kept once
// (unite.ts).
//
// `planRun` chains steps 3–5 (recover → reconcile → effectiveActions) for tests and
// benchmarks; the hub calls them one by one. None does I/O, reads a clock or makes ids of
// its own (`newGuid` is an argument).
import { describeKey, diffElements, emptyContact, equalContacts, fromElements, toElements, type Contact, type Elements } from './contact';
import { effectiveActions } from './actions';
import { dropUnmatchedPending, matchAdded } from './match';
import type { DssView } from './overlay';
import { project } from './projection';
import { recover } from './recover';
import { priorityOf, type Change, type ConflictDraft, type RunInput, type RunPlan, type RunState } from './run-state';
import { ALL_ELEMENTS, type Guid, type PointInfo, type Provenance, type Spid, type TruthRecord } from './types';
import { uniteAdded } from './unite';

/** Reconciles the recovered changes, then recovers and reconciles the records added under
 *  new LUIDs, then keeps one record per person added in this run. */
export function reconcile(run: RunState, newGuid: () => Guid): void {
  reconcileChanges(run);
  // R1, R5–R8 against the truth as this run's changes left it.
  matchAdded(run);
  // R8 and R6 on a log device bring changes of their own.
  reconcileChanges(run);
  uniteAdded(run, newGuid);
  dropUnmatchedPending(run);
}

/** The new truth of every record with recovered changes: exactly one change is applied,
 *  several are resolved as a conflict (logged). */
export function reconcileChanges(run: RunState): void {
  const { ov, input, plan } = run;
  const priority = (spid: Spid) => priorityOf(run, spid);
  for (const [guid, list] of run.changes) {
    const rec = ov.truth(guid);
    if (!rec) continue;
    const outcome = resolveRecord(rec, list, input.runId, priority, run.points, ov.baseTruth(guid));
    if (outcome.conflict) plan.conflicts.push(outcome.conflict);
    if (outcome.contact === null) ov.deleteTruth(guid, outcome.deletedBy ?? '?');
    else if (!equalContacts(outcome.contact, rec.contact) || outcome.provChanged) {
      ov.putTruth({ ...rec, contact: outcome.contact, prov: outcome.prov });
    }
  }
  run.changes.clear();
}

/** Steps 3–5 in one call: recover, reconcile, effectiveActions. */
export function planRun(view: DssView, input: RunInput, newGuid: () => Guid): RunPlan {
  const run = recover(view, input);
  reconcile(run, newGuid);
  return effectiveActions(run);
}

interface Proposal {
  spid: Spid;
  priority: number;
  run: number;
  value: string | undefined;
  fromTruth: boolean;
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
      const competing = proposals.get(d.key) ?? [];
      competing.push({ spid: u.spid, priority: u.priority, run: runId, value: d.to, fromTruth: false });
      // A cross-run conflict: someone else wrote the element since this device's base.
      const changedSince = !u.base ? true : u.baseRun ? writer !== undefined && writer.run > u.baseRun : seen.get(d.key) !== baseEls.get(d.key);
      if (changedSince && writer && writer.spid !== u.spid && !competing.some((x) => x.fromTruth)) {
        competing.push({ spid: writer.spid, priority: priorityOf(writer.spid), run: writer.run, value: truthEls.get(d.key), fromTruth: true });
      }
      proposals.set(d.key, competing);
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

