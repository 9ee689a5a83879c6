// Recovery of the records devices reported ADDED under LUIDs the hub has never seen (R1,
// R5–R8 of sync-method.md, "Recovery"): the duplicate detector finds the record `O` each
// one duplicates, if any, and recoverRecord decides from what is pending for `O`. Runs
// once the run's other changes are in the truth, so a record another device or the editor
// changed in this run can be the match.
import { equalContacts, type Contact } from './contact';
import { indexKeys, isDuplicate, nameKey } from './duplicates';
import type { Overlay } from './overlay';
import { heldFields, project } from './projection';
import { editOfDeleted, recoverRecord } from './recover';
import { addChange, countIncoming, type RunState } from './run-state';
import { assertNever, type Guid, type PointInfo } from './types';

/** How many records reported ADDED under new LUIDs have their detector keys read at once. */
const ADD_CHUNK = 4096;

/** R1 and R5–R8 for every record in `run.unknownAdds`: a match is mapped (the device's LUID
 *  to `O`'s GUID, its copy as the base) and presented as recoverRecord says; a record
 *  without one is new (R5), for uniteAdded. */
export function matchAdded(run: RunState): void {
  const { ov, plan, unknownAdds } = run;
  // Their detector keys and the DSS's rows of them are read a chunk at a time (the DSS
  // does not change while the run plans, so this reads what one batch would): a first
  // sync of 100,000 does not hold every record's keys at once.
  let addKeys: string[][] = [];
  let known: Map<string, Guid[]> | undefined;
  for (const [i, { p, luid, data, fullName, deletedHere, deleteBases }] of unknownAdds.entries()) {
    if (i % ADD_CHUNK === 0) {
      addKeys = unknownAdds.slice(i, i + ADD_CHUNK).map((u) => indexKeys(u.data));
      known = unknownAdds.length >= 16 ? knownKeys(ov, addKeys) : undefined;
    }
    const spid = p.spid;
    const match = findDuplicate(ov, p, data, addKeys[i % ADD_CHUNK]!, known, deletedHere, deleteBases);
    if (!match) {
      const rec = recoverRecord({ pending: null, state: 'ADDED', duplicate: false, changeTracking: p.changeTracking });
      plan.rows.push({ spid, luid, row: rec.row });
      run.added.push({ spid, luid, priority: p.priority, data, ...(fullName ? { fullName } : {}), capacity: p.capacity, editor: false });
      countIncoming(run, spid, 'add');
      continue;
    }
    const pend = ov.pending(spid, match);
    const deletedNow = !ov.truth(match) && ov.tombstones.has(match);
    // Deleted from the truth in this run: as R1, the device is told to delete it too.
    // It matches the last base of a pending DELETE (or, on a read-only device, of a record
    // deleted elsewhere it still held): R1, as for a pending DELETE.
    const told = deletedNow || deleteBases.has(match);
    const rec = recoverRecord({ pending: told ? 'DELETE' : (pend?.action ?? null), state: 'ADDED', duplicate: true, changeTracking: p.changeTracking });
    plan.rows.push({ spid, luid, row: rec.row, guid: match });
    run.lostMatched.get(spid)?.add(match);
    run.touched.add(match);
    ov.putMap({ spid, guid: match, luid, base: data });
    if (!rec.keepPending) ov.setPending(spid, match, null);
    switch (rec.actual) {
      case null: {
        // R1: it matches the last base of a pending DELETE, or a record deleted in this
        // run: told to delete. The device holds it: an ADD still pending for it was applied
        // (its ack lost), so what it needs now is the DELETE.
        if (deletedNow && pend?.action === 'ADD') ov.setPending(spid, match, null);
        const base = deleteBases.get(match) ?? (deletedNow ? project(ov.tombstones.get(match)!.contact, p.capacity) : undefined);
        if (base && !equalContacts(data, base)) plan.conflicts.push(editOfDeleted(ov, match, spid, data));
        break;
      }
      case 'NO_CHANGE':
        // R7: not presented; its base is what it reported, so planning sees that it
        // differs from the truth and the pending UPDATE stays.
        break;
      case 'UPDATED':
        switch (rec.compare) {
          case 'sent': {
            // R6 on a snapshot device: an element someone changed after the ADD was planned
            // is stale there (the device gets an UPDATE); any other difference is its
            // user's edit.
            const sent = ov.truth(match);
            if (sent) addChange(run, match, { spid, priority: p.priority, kind: 'UPDATED', data, base: project(sent.contact, p.capacity), staleSince: pend?.run ?? 0, fields: heldFields(p.capacity) });
            break;
          }
          case 'none':
          case 'base':
          case undefined:
            // R8, and R6 on a log device: compared with no base.
            addChange(run, match, { spid, priority: p.priority, kind: 'UPDATED', data, base: null, fields: heldFields(p.capacity) });
            // (R6 is the device confirming the hub's own ADD: not counted as its change.)
            if (rec.row === 'R8') countIncoming(run, spid, 'update');
            break;
          default:
            assertNever(rec.compare, 'comparison');
        }
        break;
      case 'ADDED':
      case 'DELETED':
        throw new Error(`recovery of an ADDED duplicate gave ${rec.row}`);
      default:
        assertNever(rec.actual, 'actual state');
    }
  }
}

/** A lost-state device keeps its pending entries only for the records its report matched
 *  (R6, R7, R1): the others are dropped. */
export function dropUnmatchedPending(run: RunState): void {
  const { ov } = run;
  for (const [spid, matched] of run.lostMatched) {
    for (const a of ov.pendingOf(spid)) {
      if (!matched.has(a.guid)) {
        ov.setPending(spid, a.guid, null);
        run.touched.add(a.guid);
      }
    }
  }
}

/** The duplicate `O` of a record a device reports as ADDED, if any (R6/R7/R8, or R1 for a
 *  lost-state device). Candidates are compared through the device's projection, exclude
 *  records already mapped on the same device and records it deletes in this run. When
 *  several match: a pending ADD first, then a pending UPDATE, then the oldest record. */
export function findDuplicate(
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

