// Held mass deletions in the DSS (sync-method.md, "Held mass deletions"): the holds, the
// guard's rule (a preference), and the user's two answers. The commit before the push
// writes what a run changed in them (writeHolds).
import type { Contact } from '../core/contact';
import { DEFAULT_GUARD, type GuardRule, type Hold } from '../core/holds';
import type { Guid, Spid } from '../core/types';
import type { Overlay } from '../core/overlay';
import type { Db } from './db';

/** The guard's rule: absent, the default (more than 10 and more than 10% of the truth);
 *  'off'; or JSON `{ "deletes": N, "share": S | null }`. */
export const GUARD_PREF = 'guard';

interface HoldRow {
  spid: string;
  guid: string;
  luid: string;
  base: string | null;
  base_run: number;
  run_id: number;
  at: number;
  approved_at: number | null;
}

export function guardRule(db: Db): GuardRule | null {
  const v = db.prepare('SELECT value FROM prefs WHERE key = ?').pluck().get(GUARD_PREF) as string | undefined;
  if (v === undefined) return DEFAULT_GUARD;
  if (v === 'off') return null;
  const o = JSON.parse(v) as Partial<GuardRule>;
  return { deletes: o.deletes ?? DEFAULT_GUARD.deletes, share: o.share === undefined ? DEFAULT_GUARD.share : o.share };
}

export function setGuardRule(db: Db, rule: GuardRule | null): void {
  db.prepare('INSERT INTO prefs (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(GUARD_PREF, rule ? JSON.stringify(rule) : 'off');
}

const toHold = (r: HoldRow): Hold => ({
  spid: r.spid,
  guid: r.guid,
  luid: r.luid,
  base: r.base === null ? null : (JSON.parse(r.base) as Contact),
  baseRun: r.base_run,
  runId: r.run_id,
  approved: r.approved_at !== null,
});

export function loadHolds(db: Db): Hold[] {
  return (db.prepare('SELECT * FROM holds').all() as HoldRow[]).map(toHold);
}

/** What a run's plan reads of the safety net: the holds, the guard and the truth's size. */
export function safetyInput(db: Db): { holds: Hold[]; guard: GuardRule | null; truthCount: () => number } {
  return { holds: loadHolds(db), guard: guardRule(db), truthCount: () => db.prepare('SELECT count(*) FROM truth').pluck().get() as number };
}

/** In the commit's transaction: the holds this run made or ended; and a hold ends by itself
 *  when its record left the truth. */
export function writeHolds(db: Db, ov: Overlay, now: number): void {
  const holds = ov.holds;
  if (holds.size === 0 && holds.writes.size === 0) return;
  const put = db.prepare(`INSERT INTO holds (spid, guid, luid, base, base_run, run_id, at, approved_at) VALUES (?, ?, ?, ?, ?, ?, ?, NULL)
                          ON CONFLICT (spid, guid) DO UPDATE SET luid = excluded.luid, base = excluded.base, base_run = excluded.base_run, run_id = excluded.run_id, at = excluded.at, approved_at = NULL`);
  const del = db.prepare('DELETE FROM holds WHERE spid = ? AND guid = ?');
  for (const [spid, m] of holds.writes) {
    for (const [guid, h] of m) {
      if (h) put.run(spid, guid, h.luid, h.base === null ? null : JSON.stringify(h.base), h.baseRun, h.runId, now);
      else del.run(spid, guid);
    }
  }
  for (const h of holds.all()) if (ov.truthDeletes.has(h.guid)) del.run(h.spid, h.guid);
}

export interface HeldDevice {
  spid: Spid;
  /** How many deletions are held, and since when. */
  count: number;
  since: number;
  approved: boolean;
  records: { guid: Guid; name: string }[];
}

/** The holds per device, with the records' names as the truth has them now. */
export function heldByDevice(db: Db): HeldDevice[] {
  const rows = db
    .prepare('SELECT h.spid, h.guid, h.at, h.approved_at, t.contact FROM holds h LEFT JOIN truth t ON t.guid = h.guid ORDER BY h.spid, t.sort_name')
    .all() as { spid: string; guid: string; at: number; approved_at: number | null; contact: string | null }[];
  const out = new Map<Spid, HeldDevice>();
  for (const r of rows) {
    let d = out.get(r.spid);
    if (!d) out.set(r.spid, (d = { spid: r.spid, count: 0, since: r.at, approved: true, records: [] }));
    const c = r.contact ? (JSON.parse(r.contact) as Contact) : null;
    d.count += 1;
    d.since = Math.min(d.since, r.at);
    d.approved &&= r.approved_at !== null;
    d.records.push({ guid: r.guid, name: c ? c.fn || c.n.filter(Boolean).join(' ') || c.tel[0]?.value || '' : '' });
  }
  return [...out.values()];
}

/** Approve: queued; the next run reconciles each as that device's DELETED state. */
export function approveHolds(db: Db, spid: Spid, at: number): number {
  return db.prepare('UPDATE holds SET approved_at = ? WHERE spid = ? AND approved_at IS NULL').run(at, spid).changes;
}

/** Keep the contacts: at once, the holds (and any queued approval) are dropped and the
 *  device is to get the truth's current version of each as an ADD at its next run (a
 *  device with maxEntries keeps only those that fit, when its next run plans it). */
export function keepHolds(db: Db, spid: Spid, now: number): number {
  return db.transaction(() => {
    const run = db.prepare('SELECT coalesce(max(id), 0) FROM runs').pluck().get() as number;
    db.prepare(`INSERT INTO actions (spid, guid, action, seq, since, run)
                SELECT h.spid, h.guid, 'ADD', t.seq, ?, ? FROM holds h JOIN truth t ON t.guid = h.guid WHERE h.spid = ?
                ON CONFLICT (spid, guid) DO NOTHING`).run(now, run, spid);
    return db.prepare('DELETE FROM holds WHERE spid = ?').run(spid).changes;
  })();
}
