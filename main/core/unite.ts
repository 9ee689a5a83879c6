// Reconciliation of the records added in this run (sync-method.md, "Reconciliation: the
// new truth", an ADDED record): the same person added on several devices is kept as one
// record, mapped to every device that has it, with the union of their data elements; where
// the same element differs, priority decides, as in a conflict. Each record is compared
// through the other's projection, so a SIM's shortened name still matches.
import { describeKey, fromElements, toElements, type Contact, type Elements } from './contact';
import { isDuplicate, reachKeys, DuplicateIndex } from './duplicates';
import { project, shortenName } from './projection';
import type { ConflictDraft, NewRecord, RunState } from './run-state';
import { ALL_ELEMENTS, type Guid, type Provenance, type Spid } from './types';

/** Puts the records added in this run into the truth, one per person, and maps each
 *  device's LUID to it (the editor names its own records). */
export function uniteAdded(run: RunState, newGuid: () => Guid): void {
  const { ov, input } = run;
  // A record one device added has one provenance, shared by all that device's records
  // (frozen: provenance is replaced, never changed in place).
  const soleProv = new Map<Spid, Readonly<Record<string, Provenance>>>();
  const soleWriter = (spid: Spid) => {
    let prov = soleProv.get(spid);
    if (!prov) soleProv.set(spid, (prov = Object.freeze({ [ALL_ELEMENTS]: Object.freeze({ spid, run: input.runId }) })));
    return prov;
  };
  for (const group of groupAdded(run.added)) {
    const { contact, prov, conflict } = unionOfAdded(group, input.runId, soleWriter);
    // The editor names its records when they are made (the UI shows them at once).
    const guid = group.length === 1 && group[0]?.editor ? group[0].luid : newGuid();
    ov.putTruth({ guid, seq: ov.allocateSeq(), contact, prov });
    run.touched.add(guid);
    for (const item of group) {
      if (!item.editor) ov.putMap({ spid: item.spid, guid, luid: item.luid, base: item.data });
    }
    if (conflict) run.plan.conflicts.push({ ...conflict, guid });
  }
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
    return { contact: only.fullName ? { ...only.data, fn: only.fullName } : only.data, prov: soleWriter(only.spid) };
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
  let contact = fromElements(els);
  // The name, where it came from a device whose projection cut it, as that device has it.
  const named = sorted.find((i) => i.spid === prov.fn?.spid && i.fullName && i.data.fn === contact.fn);
  if (named) contact = { ...contact, fn: named.fullName! };
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
