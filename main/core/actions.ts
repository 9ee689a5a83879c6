// Step 5, the effective action tables (sync-method.md, "Merging for offline devices" and
// "New actions come from state"): for every sync point, online or not, the new action of
// each record the run touched comes from comparing what the device holds (its base,
// through its projection) with the new truth, and is combined with what is still pending
// through the merge table (mergeActions).
import { mergeActions, type MaybeAction } from './merge';
import type { Overlay } from './overlay';
import { project } from './projection';
import type { RunPlan, RunState } from './run-state';
import type { Guid, PointInfo } from './types';

/** The new action tables of every device, merged with what is pending; returns the plan
 *  the commit writes. */
export function effectiveActions(run: RunState): RunPlan {
  const { ov, input } = run;
  // A read-only device is never written to: nothing is planned for it, so it never has
  // pending work (its base stays what it last reported).
  const devices = input.points.filter((p) => !p.isEditor && !p.readOnly);
  const touchedInOrder = inCreationOrder(ov, run.touched);
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
    const lost = run.lostMatched.has(p.spid) || (p.lostState === true && input.reports.has(p.spid));
    if (lost) ov.sendAllLacking(p.spid);
  }
  return run.plan;
}

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

/** The new action of one record on one device, merged with its pending one. */
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
