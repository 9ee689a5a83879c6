// Step 6 of a run (sync-method.md, "One sync run"): the commit before the push. The new
// truth, every effective action table, the conflict log and the consumed editor edits are
// written in one SQLite transaction, or nothing is. Nothing has been sent to any device yet;
// a crash before this point loses nothing.
import type { Contact } from '../core/contact';
import { nameKey, reachKeys } from '../core/duplicates';
import type { Overlay } from '../core/overlay';
import type { ConflictDraft } from '../core/run-state';
import type { Guid, MapEntry, Spid, TruthRecord } from '../core/types';
import { historyOf } from './history';
import { writeHolds } from './holds';
import { undosOf } from './undos';
import type { Dss } from './store';

export interface CommitOptions {
  runId: number;
  now: number;
  conflicts: ConflictDraft[];
  /** The last editor edit the run consumed (removed from the queue), if any. */
  editorUpTo: number | null;
  /** Devices that said they lost their sync state in this run. */
  lostState: Spid[];
}

/** Writes the new truth, maps and effective action tables, the conflict log and the
 *  consumed editor edits in one transaction. Nothing has been sent to any device yet.
 *  Returns how many ADDs it wrote for the devices the plan sends all they lack
 *  (Overlay.sendAll: the overlay holds no object for each of those). */
export function commit(dss: Dss, ov: Overlay, opts: CommitOptions): number {
  const { st, db } = dss;
  dss.hook('commit');
  let filled = 0;
  db.transaction(() => {
    // History first: each version before the run is copied from the truth row this commit
    // is about to replace or delete (sync-method.md, "The safety net": history).
    historyOf(db).record(ov, opts.runId, opts.now);
    // A record's detector keys are those of the version the DSS holds (read by the plan).
    const dropKeys = (guid: Guid, c: Contact) => {
      for (const k of reachKeys(c)) st.keyDelete.run(k, guid);
    };
    for (const guid of ov.truthDeletes) {
      const before = ov.baseTruth(guid);
      st.truthDelete.run(guid);
      if (before) dropKeys(guid, before.contact);
      const t = ov.tombstones.get(guid);
      if (t) st.tombstonePut.run(guid, t.spid, opts.runId, JSON.stringify(t.contact));
    }
    for (const spid of ov.forgotten) st.mapsForget.run(spid);
    // Removals first, so that a LUID moved from one record to another never collides.
    for (const [spid, guid, m] of ov.maps.entries()) if (!m) st.mapDelete.run(spid, guid);
    const putMap = (m: MapEntry, base: string | null) => {
      // (A device the DSS held no rows of has no LUID to collide with.)
      if (!ov.startedEmpty(m.spid)) st.mapDeleteLuid.run(m.spid, m.luid, m.guid);
      st.mapPut.run(m.spid, m.guid, m.luid, base, m.run, m.sent ? JSON.stringify(m.sent) : null);
    };
    const mapped = [...ov.maps.spids()];
    // Records one device added share one provenance object (core/unite.ts): written once.
    let lastProv: TruthRecord['prov'] | null = null;
    let lastProvJson = '';
    for (const r of ov.truthPuts.values()) {
      // The detector's keys change only when a name, number or e-mail does. (The version
      // before this run is read before the write below replaces it.)
      const before = ov.isNew(r.guid) ? undefined : ov.baseTruth(r.guid);
      const json = JSON.stringify(r.contact);
      // (The sort name is also the detector's name key.)
      if (r.prov !== lastProv) {
        lastProv = r.prov;
        lastProvJson = JSON.stringify(r.prov);
      }
      st.truthPut.run(r.guid, r.seq, json, lastProvJson, nameKey(r.contact), opts.now);
      // A device that holds this very version (the one that brought it): its map row now,
      // with the same JSON.
      for (const spid of mapped) {
        const m = ov.maps.get(spid, r.guid);
        if (m && m.base === r.contact) putMap(m, json);
      }
      const keys = reachKeys(r.contact);
      if (before) {
        const old = reachKeys(before.contact);
        if (old.length === keys.length && old.every((k, i) => k === keys[i])) continue;
        dropKeys(r.guid, before.contact);
      }
      for (const k of keys) st.keyPut.run(k, r.guid);
    }
    for (const m of ov.maps.values()) {
      if (!m || (m.base !== null && m.base === ov.truthPuts.get(m.guid)?.contact)) continue; // written above
      putMap(m, m.base === null ? null : JSON.stringify(m.base));
    }
    for (const [spid, guid, a] of ov.actions.entries()) {
      if (a) st.actionPut.run(spid, guid, a.action, a.seq, opts.now, a.run ?? opts.runId);
      else st.actionDelete.run(spid, guid);
    }
    // Last, over the truth, maps and actions just written (as the plan read them).
    for (const spid of ov.sendAll) filled += st.actionsFillLacking.run({ spid, now: opts.now, run: opts.runId }).changes;
    for (const c of opts.conflicts) {
      st.conflictPut.run(opts.runId, opts.now, c.guid, c.kind, c.result ? JSON.stringify(c.result) : null, JSON.stringify(c.versions), JSON.stringify(c.elements));
    }
    if (opts.editorUpTo !== null) {
      st.queueDelete.run(opts.editorUpTo);
      undosOf(db).carried(opts.runId, opts.editorUpTo);
    }
    writeHolds(db, ov, opts.now);
    for (const spid of opts.lostState) db.prepare('UPDATE sync_points SET lost_state = 1 WHERE spid = ?').run(spid);
  })();
  return filled;
}
