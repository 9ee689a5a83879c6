// History (sync-method.md, "The safety net"): every version the truth takes, with the run
// that made it and the sync point that wrote each changed element; deleted records keep
// their last version ("recently deleted"). Written by the commit before the push, first in
// its transaction (History.record), read by undo, restore and the UI.
import type { Contact } from '../core/contact';
import { ALL_ELEMENTS, type Guid, type Provenance, type Spid } from '../core/types';
import type { Overlay } from '../core/overlay';
import type { Db } from './db';

export type HistoryKind = 'added' | 'updated' | 'deleted' | 'restored';

export interface HistoryEntry {
  id: number;
  /** The run that committed this version (0: a restore marker, the user's own action). */
  runId: number;
  guid: Guid;
  kind: HistoryKind;
  at: number;
  /** The version before the run (null: the run added the record). */
  before: Contact | null;
  /** The version after it (null: the run deleted the record; for a marker, nothing). */
  after: Contact | null;
  /** Per changed element, the sync point that wrote it ('*': every element). */
  writers: Record<string, Spid>;
  /** A restore marker: the GUID of the record the restore made. */
  restoredAs?: Guid;
}

export interface DeletedRecord {
  guid: Guid;
  /** The run that deleted it. */
  runId: number;
  at: number;
  /** Who deleted it. */
  by: Spid;
  /** Its last version in the truth. */
  contact: Contact;
}

interface Row {
  id: number;
  run_id: number;
  guid: string;
  kind: HistoryKind;
  before: string | null;
  writers: string;
  note: string | null;
  at: number;
}

/** History is kept forever unless the user sets a retention; it is never shorter than this. */
export const MIN_RETENTION_DAYS = 30;
export const RETENTION_PREF = 'historyRetentionDays';
const DAY_MS = 24 * 60 * 60 * 1000;
/** Records whose entries one statement writes. */
const BATCH = 10_000;

const parse = (s: string | null): Contact | null => (s === null ? null : (JSON.parse(s) as Contact));

/** The history of one DSS: its statements, prepared once per connection. */
export class History {
  private readonly st;

  constructor(readonly db: Db) {
    const p = (sql: string) => db.prepare(sql);
    this.st = {
      put: p('INSERT INTO history (run_id, guid, kind, before, writers, note, at) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      putAdded: p(`INSERT INTO history (run_id, guid, kind, before, writers, note, at) SELECT ?, value, 'added', NULL, ?, NULL, ? FROM json_each(?)`),
      // [[guid, writers], ...] in; the version before is the truth's row (CROSS JOIN: the
      // list first, each record then found by its GUID, in the list's order).
      putVersions: p(`INSERT INTO history (run_id, guid, kind, before, writers, note, at)
                      SELECT $run, t.guid, $kind, t.contact, j.value ->> 1, NULL, $at FROM json_each($rows) j CROSS JOIN truth t ON t.guid = j.value ->> 0`),
      ofGuid: p('SELECT h.* FROM history_by_record g JOIN history h ON h.id = g.id WHERE g.guid = ? ORDER BY g.id'),
      ofRun: p("SELECT * FROM history WHERE run_id = ? AND kind <> 'restored' ORDER BY id"),
      later: p('SELECT EXISTS (SELECT 1 FROM history_by_record WHERE guid = ? AND id > ?)').pluck(),
      nextBefore: p("SELECT h.before, h.kind FROM history_by_record g JOIN history h ON h.id = g.id WHERE g.guid = ? AND g.id > ? AND h.kind <> 'restored' ORDER BY g.id LIMIT 1"),
      truth: p('SELECT contact FROM truth WHERE guid = ?').pluck(),
      deleted: p(`SELECT h.* FROM history h INDEXED BY history_deleted WHERE h.kind = 'deleted' AND h.at >= ?
                  AND NOT EXISTS (SELECT 1 FROM truth t WHERE t.guid = h.guid)
                  AND NOT EXISTS (SELECT 1 FROM history_by_record g JOIN history r ON r.id = g.id WHERE g.guid = h.guid AND r.kind = 'restored')
                  ORDER BY h.id DESC LIMIT ?`),
      deletedOne: p(`SELECT h.* FROM history_by_record g JOIN history h ON h.id = g.id WHERE g.guid = ? AND h.kind = 'deleted'
                     AND NOT EXISTS (SELECT 1 FROM truth t WHERE t.guid = h.guid)
                     AND NOT EXISTS (SELECT 1 FROM history_by_record g2 JOIN history r ON r.id = g2.id WHERE g2.guid = h.guid AND r.kind = 'restored')
                     ORDER BY h.id DESC LIMIT 1`),
      pruneIndex: p('DELETE FROM history_by_record WHERE id IN (SELECT id FROM history WHERE at < ?)'),
      prune: p('DELETE FROM history WHERE at < ?'),
      indexedUpTo: p("SELECT value FROM prefs WHERE key = 'historyIndexedUpTo'").pluck(),
      setIndexedUpTo: p("INSERT INTO prefs (key, value) VALUES ('historyIndexedUpTo', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value"),
      catchUp: p('INSERT OR IGNORE INTO history_by_record (guid, id) SELECT guid, id FROM history WHERE id > ? ORDER BY guid, id'),
      maxId: p('SELECT coalesce(max(id), 0) FROM history').pluck(),
      lastRun: p('SELECT coalesce(max(id), 0) FROM runs').pluck(),
      undone: p('UPDATE runs SET undone_at = ? WHERE id = ?'),
      undoneAt: p('SELECT undone_at FROM runs WHERE id = ?').pluck(),
      pref: p('SELECT value FROM prefs WHERE key = ?').pluck(),
    };
  }

  // ---- writing: the commit before the push --------------------------------------------
  /** One entry per record this run's plan changes in the truth, inside the commit's
   *  transaction and before any of its writes to the truth: the version before the run is
   *  copied by SQLite from the truth row itself (one statement per kind and batch), so no
   *  contact is turned into JSON again here. The writers come from the overlay. */
  record(ov: Overlay, runId: number, now: number): void {
    // Records one device added share one provenance object: its text is made once, and
    // their entries are written a batch per statement (a first sync adds 100,000; one
    // statement per row took twice as long).
    let lastProv: TruthProv | null = null;
    let lastWriters: Guid[] = [];
    const added = new Map<string, Guid[]>();
    const updated: [Guid, Record<string, Spid>][] = [];
    for (const r of ov.truthPuts.values()) {
      if (ov.isNew(r.guid)) {
        if (r.prov !== lastProv) {
          lastProv = r.prov;
          const w = JSON.stringify(writersOfRun(r.prov, runId) ?? {});
          let list = added.get(w);
          if (!list) added.set(w, (list = []));
          lastWriters = list;
        }
        lastWriters.push(r.guid);
        continue;
      }
      // The elements this run wrote are those whose provenance names it (a removed element
      // keeps its entry); none: a change of provenance alone, no new version.
      const writers = writersOfRun(r.prov, runId);
      if (writers) updated.push([r.guid, writers]);
    }
    // (A record the truth does not hold yet has no version before: the join leaves it out.)
    this.putVersions('updated', updated, runId, now);
    for (const [writers, guids] of added) {
      for (let i = 0; i < guids.length; i += BATCH) this.st.putAdded.run(runId, writers, now, JSON.stringify(guids.slice(i, i + BATCH)));
    }
    // A record added and deleted within the run never had a committed version (the join
    // leaves it out too).
    const deleted: [Guid, Record<string, Spid>][] = [];
    for (const guid of ov.truthDeletes) deleted.push([guid, { [ALL_ELEMENTS]: ov.tombstones.get(guid)?.spid ?? '?' }]);
    this.putVersions('deleted', deleted, runId, now);
  }

  /** Entries whose version before the run is the truth's row as the DSS holds it now. */
  private putVersions(kind: 'updated' | 'deleted', rows: readonly [Guid, Record<string, Spid>][], runId: number, now: number): void {
    for (let i = 0; i < rows.length; i += BATCH) {
      this.st.putVersions.run({ run: runId, kind, at: now, rows: JSON.stringify(i === 0 && rows.length <= BATCH ? rows : rows.slice(i, i + BATCH)) });
    }
  }

  /** A restore's marker on the deleted record: it leaves "recently deleted". */
  markRestored(guid: Guid, as: Guid, now: number): void {
    this.st.put.run(0, guid, 'restored', null, JSON.stringify({ [ALL_ELEMENTS]: 'hub' }), as, now);
  }

  markUndone(runId: number, at: number): void {
    this.st.undone.run(at, runId);
  }

  undoneAt(runId: number): number | null {
    return (this.st.undoneAt.get(runId) as number | null | undefined) ?? null;
  }

  // ---- reading ---------------------------------------------------------------------------
  /** Indexes by record the entries written since the last call (off the run's path: the
   *  commit writes history in append order only). Every read by record calls it first. */
  catchUp(): void {
    const from = Number((this.st.indexedUpTo.get() as string | undefined) ?? 0);
    const upTo = this.st.maxId.get() as number;
    if (upTo <= from) return;
    this.db.transaction(() => {
      this.st.catchUp.run(from);
      this.st.setIndexedUpTo.run(String(upTo));
    })();
  }

  /** Every version of one record, oldest first. */
  of(guid: Guid): HistoryEntry[] {
    this.catchUp();
    const rows = this.st.ofGuid.all(guid) as Row[];
    const versions = rows.filter((r) => r.kind !== 'restored');
    const current = parse((this.st.truth.get(guid) as string | undefined) ?? null);
    return rows.map((r) => {
      if (r.kind === 'restored') return toEntry(r, null);
      const i = versions.indexOf(r);
      const next = versions[i + 1];
      const after = r.kind === 'deleted' ? null : next ? parse(next.before) : current;
      return toEntry(r, after);
    });
  }

  /** The entries of one run (what it committed), restore markers excluded. */
  ofRun(runId: number): HistoryEntry[] {
    this.catchUp();
    return (this.st.ofRun.all(runId) as Row[]).map((r) => toEntry(r, r.kind === 'deleted' ? null : this.afterOf(r)));
  }

  private afterOf(r: Row): Contact | null {
    const next = this.st.nextBefore.get(r.guid, r.id) as { before: string | null } | undefined;
    if (next) return parse(next.before);
    return parse((this.st.truth.get(r.guid) as string | undefined) ?? null);
  }

  /** Whether anything changed the record after this entry (a later run, or a restore). */
  changedSince(guid: Guid, entryId: number): boolean {
    this.catchUp();
    return this.st.later.get(guid, entryId) === 1;
  }

  /** Records deleted from the truth and not restored, newest first, within the retention. */
  recentlyDeleted(now: number, limit = 1000): DeletedRecord[] {
    this.catchUp();
    return (this.st.deleted.all(this.cutoff(now), limit) as Row[]).map(toDeleted);
  }

  deleted(guid: Guid): DeletedRecord | undefined {
    this.catchUp();
    const r = this.st.deletedOne.get(guid) as Row | undefined;
    return r ? toDeleted(r) : undefined;
  }

  lastRunId(): number {
    return this.st.lastRun.get() as number;
  }

  /** The retention in days; null: forever (the default). */
  retentionDays(): number | null {
    const v = this.st.pref.get(RETENTION_PREF) as string | undefined;
    if (v === undefined || v === '' || v === 'forever') return null;
    const n = Number(v);
    return Number.isFinite(n) ? Math.max(MIN_RETENTION_DAYS, Math.floor(n)) : null;
  }

  private cutoff(now: number): number {
    const days = this.retentionDays();
    return days === null ? 0 : now - days * DAY_MS;
  }

  /** Removes the entries older than the retention the user set (never done otherwise).
   *  Returns how many went. */
  prune(now: number): number {
    if (this.retentionDays() === null) return 0;
    const cutoff = this.cutoff(now);
    return this.db.transaction(() => {
      this.st.pruneIndex.run(cutoff);
      return this.st.prune.run(cutoff).changes;
    })();
  }
}

type TruthProv = Readonly<Record<string, Provenance>>;

/** The elements this run wrote, by writer; null: none. */
function writersOfRun(prov: TruthProv, runId: number): Record<string, Spid> | null {
  let out: Record<string, Spid> | null = null;
  for (const k in prov) {
    const w = prov[k]!;
    if (w.run === runId) (out ??= {})[k] = w.spid;
  }
  return out;
}

function toEntry(r: Row, after: Contact | null): HistoryEntry {
  return {
    id: r.id,
    runId: r.run_id,
    guid: r.guid,
    kind: r.kind,
    at: r.at,
    before: parse(r.before),
    after,
    writers: JSON.parse(r.writers) as Record<string, Spid>,
    ...(r.kind === 'restored' && r.note ? { restoredAs: r.note } : {}),
  };
}

function toDeleted(r: Row): DeletedRecord {
  const w = JSON.parse(r.writers) as Record<string, Spid>;
  return { guid: r.guid, runId: r.run_id, at: r.at, by: w[ALL_ELEMENTS] ?? '?', contact: parse(r.before)! };
}

const byDb = new WeakMap<Db, History>();
/** The history of this connection (statements prepared once). */
export function historyOf(db: Db): History {
  let h = byDb.get(db);
  if (!h) byDb.set(db, (h = new History(db)));
  return h;
}
