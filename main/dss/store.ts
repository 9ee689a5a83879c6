// The DSS: queries as small synchronous functions over one connection, and the two kinds
// of write transaction of a run — the commit before the push (step 6, commit.ts) and one
// commit per acknowledged message during it (step 7). This file keeps the run's path: the
// reads of DssView and the statements the run writes with. Sync points (devices.ts),
// preferences (prefs.ts), the editor's queue (editor-queue.ts) and the run log (run-log.ts)
// have files of their own, which `Dss` calls with one-line methods.
import type { Contact } from '../core/contact';
import { candidatesOf } from '../core/duplicates';
import type { EditorEdit } from '../core/run-state';
import type { ActionKind, Guid, Luid, MapEntry, PendingAction, Spid, TruthRecord } from '../core/types';
import type { DssView, Tombstone } from '../core/overlay';
import type { ConflictEntry, DeviceRecord, RunOutcome, RunSummary } from './records';
import { openDb, type Db } from './db';
import * as devices from './devices';
import * as editorQueue from './editor-queue';
import * as prefs from './prefs';
import * as runLog from './run-log';

interface TruthRow {
  guid: string;
  seq: number;
  contact: string;
  prov: string;
  updated_at: number;
}
interface MapRow {
  spid: string;
  guid: string;
  luid: string;
  base: string | null;
  base_run: number;
  sent: string | null;
}
interface ActionRow {
  spid: string;
  guid: string;
  action: ActionKind;
  seq: number;
  since: number;
  run: number;
}

const toTruth = (r: TruthRow): TruthRecord => ({
  guid: r.guid,
  seq: r.seq,
  contact: JSON.parse(r.contact) as Contact,
  prov: JSON.parse(r.prov) as TruthRecord['prov'],
});
type ContactParser = (json: string) => Contact;
const parseContact: ContactParser = (json) => JSON.parse(json) as Contact;
/** A parser for one bulk read: devices that hold the same version of a record have the same
 *  base text, parsed once and shared (the plan never changes a contact). */
function parser(seen = new Map<string, Contact>()): ContactParser {
  return (json) => {
    let c = seen.get(json);
    if (!c) seen.set(json, (c = parseContact(json)));
    return c;
  };
}
const toMap = (r: MapRow, parse: ContactParser = parseContact): MapEntry => ({
  spid: r.spid,
  guid: r.guid,
  luid: r.luid,
  base: r.base === null ? null : parse(r.base),
  run: r.base_run,
  sent: r.sent === null ? null : parse(r.sent),
});
const toAction = (r: ActionRow): PendingAction => ({ spid: r.spid, guid: r.guid, action: r.action, seq: r.seq, run: r.run });

/** A hook the crash tests use to stop a run at a DSS write (it throws). */
export type WriteHook = (what: string) => void;

export interface AckWrite {
  spid: Spid;
  guid: Guid;
  action: ActionKind;
  luid: Luid;
  /** What the device holds now (ADD/UPDATE). */
  base: Contact | null;
  /** What the hub sent, when the device stored something else. */
  sent: Contact | null;
}

/** SQLite's default: a checkpoint once the WAL holds this many pages (outside runs). */
const AUTO_CHECKPOINT_PAGES = 1000;

/** Keys or records per batch read. */
const BATCH = 10_000;

const isNameKey = (k: string) => k.startsWith('n:');
/** Detector keys by where the DSS keeps them: names (without their 'n:') in the truth's
 *  sort_name, numbers and e-mails in dup_keys. */
function splitKeys(keys: readonly string[]): { names: string[]; reach: string[] } {
  const names: string[] = [];
  const reach: string[] = [];
  for (const k of keys) {
    if (isNameKey(k)) names.push(k.slice(2));
    else reach.push(k);
  }
  return { names, reach };
}

export class Dss implements DssView {
  /** The prepared statements, prepared once per connection: the run's own, then those of
   *  the files beside this one, with the two transactions of devices.ts (commit.ts writes
   *  step 6 with them). */
  readonly st;
  /** Called before each write transaction; tests throw from it to simulate a crash. */
  writeHook: WriteHook | null = null;

  constructor(readonly db: Db) {
    const p = (sql: string) => db.prepare(sql);
    this.st = {
      truth: p('SELECT guid, seq, contact, prov, updated_at FROM truth WHERE guid = ?'),
      truthIndex: p('SELECT guid, seq FROM truth ORDER BY seq'),
      truthAll: p('SELECT guid, seq, contact, prov, updated_at FROM truth ORDER BY sort_name, seq'),
      truthCount: p('SELECT count(*) FROM truth').pluck(),
      maxSeq: p('SELECT coalesce(max(seq), 0) FROM (SELECT max(seq) AS seq FROM truth UNION ALL SELECT max(seq) FROM actions)').pluck(),
      truthPut: p(`INSERT INTO truth (guid, seq, contact, prov, sort_name, updated_at) VALUES (?, ?, ?, ?, ?, ?)
                   ON CONFLICT (guid) DO UPDATE SET contact = excluded.contact, prov = excluded.prov, sort_name = excluded.sort_name, updated_at = excluded.updated_at`),
      truthDelete: p('DELETE FROM truth WHERE guid = ?'),
      tombstone: p('SELECT spid, contact FROM tombstones WHERE guid = ?'),
      tombstonePut: p('INSERT OR REPLACE INTO tombstones (guid, spid, run_id, contact) VALUES (?, ?, ?, ?)'),
      keyDelete: p('DELETE FROM dup_keys WHERE key = ? AND guid = ?'),
      keyPut: p('INSERT OR IGNORE INTO dup_keys (key, guid) VALUES (?, ?)'),
      // The detector's name keys are the truth's sort names (indexed for the contact list);
      // dup_keys holds the numbers and e-mails.
      keyGet: p('SELECT guid FROM dup_keys WHERE key = ?').pluck(),
      nameGet: p('SELECT guid FROM truth WHERE sort_name = ?').pluck(),
      // (Joins on json_each rather than IN or DISTINCT, whose temporary B-trees cost a third
      // more; the callers pass each key once and take repeated rows in sets.)
      keysIn: p('SELECT k.key, k.guid FROM json_each(?) j JOIN dup_keys k ON k.key = j.value'),
      namesIn: p(`SELECT 'n:' || t.sort_name AS key, t.guid FROM json_each(?) j JOIN truth t ON t.sort_name = j.value`),
      // (No DISTINCT: its temporary B-tree made these several times slower; the caller's
      // Set removes repeats.)
      keysPresent: p('SELECT value FROM json_each(?) WHERE EXISTS (SELECT 1 FROM dup_keys WHERE key = value)').pluck(),
      namesPresent: p('SELECT value FROM json_each(?) WHERE EXISTS (SELECT 1 FROM truth WHERE sort_name = value)').pluck(),
      keyPairs: p('SELECT k.key, k.guid FROM json_each(?) j JOIN dup_keys k ON k.key = j.value ->> 0 AND k.guid = j.value ->> 1'),
      namePairs: p(`SELECT 'n:' || t.sort_name AS key, t.guid FROM json_each(?) j JOIN truth t ON t.guid = j.value ->> 1 AND t.sort_name = j.value ->> 0`),
      namePrefix: p('SELECT guid FROM truth WHERE sort_name >= ? AND sort_name < ?').pluck(),
      // (INDEXED BY: left to itself, SQLite scans the device's whole map with a Bloom filter.)
      mapsByLuidIn: p('SELECT spid, guid, luid, base, base_run, sent FROM maps INDEXED BY maps_luid WHERE spid = ? AND luid IN (SELECT value FROM json_each(?))'),
      mapsIn: p('SELECT spid, guid, luid, base, base_run, sent FROM maps WHERE spid = ? AND guid IN (SELECT value FROM json_each(?))'),
      actionsIn: p('SELECT spid, guid, action, seq, since, run FROM actions WHERE spid = ? AND guid IN (SELECT value FROM json_each(?))'),
      hasRows: p('SELECT EXISTS (SELECT 1 FROM maps WHERE spid = ?) OR EXISTS (SELECT 1 FROM actions WHERE spid = ?)').pluck(),
      map: p('SELECT spid, guid, luid, base, base_run, sent FROM maps WHERE spid = ? AND guid = ?'),
      mapByLuid: p('SELECT spid, guid, luid, base, base_run, sent FROM maps WHERE spid = ? AND luid = ?'),
      mapsOf: p('SELECT spid, guid, luid, base, base_run, sent FROM maps WHERE spid = ?'),
      mapPut: p(`INSERT INTO maps (spid, guid, luid, base, base_run, sent) VALUES (?, ?, ?, ?, ?, ?)
                 ON CONFLICT (spid, guid) DO UPDATE SET luid = excluded.luid, base = excluded.base, base_run = excluded.base_run, sent = excluded.sent`),
      mapDelete: p('DELETE FROM maps WHERE spid = ? AND guid = ?'),
      mapDeleteLuid: p('DELETE FROM maps WHERE spid = ? AND luid = ? AND guid <> ?'),
      mapsForget: p('DELETE FROM maps WHERE spid = ?'),
      action: p('SELECT spid, guid, action, seq, since, run FROM actions WHERE spid = ? AND guid = ?'),
      actionsOf: p('SELECT spid, guid, action, seq, since, run FROM actions WHERE spid = ?'),
      actionPut: p(`INSERT INTO actions (spid, guid, action, seq, since, run) VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT (spid, guid) DO UPDATE SET action = excluded.action, seq = excluded.seq, run = excluded.run,
                    since = CASE WHEN actions.action = excluded.action THEN actions.since ELSE excluded.since END`),
      actionDelete: p('DELETE FROM actions WHERE spid = ? AND guid = ?'),
      // An ADD of every record of the truth the device neither maps nor has an action for.
      actionsFillLacking: p(`INSERT INTO actions (spid, guid, action, seq, since, run)
                             SELECT $spid, t.guid, 'ADD', t.seq, $now, $run FROM truth t
                             WHERE NOT EXISTS (SELECT 1 FROM maps m WHERE m.spid = $spid AND m.guid = t.guid)
                               AND NOT EXISTS (SELECT 1 FROM actions a WHERE a.spid = $spid AND a.guid = t.guid)
                               AND NOT EXISTS (SELECT 1 FROM holds h WHERE h.spid = $spid AND h.guid = t.guid)`),
      pushList: p(`SELECT spid, guid, action, seq, since, run FROM actions WHERE spid = ?
                   ORDER BY CASE action WHEN 'DELETE' THEN 0 WHEN 'UPDATE' THEN 1 ELSE 2 END, seq`),
      pendingSummary: p(`SELECT action, count(*) AS n, min(since) AS since FROM actions WHERE spid = ? GROUP BY action`),
      ...devices.deviceStatements(db),
      ...prefs.prefStatements(db),
      ...editorQueue.queueStatements(db),
      ...runLog.runLogStatements(db),
    };
  }

  static open(file: string): Dss {
    return new Dss(openDb(file));
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** While a run writes, SQLite copies no WAL pages back into the database file (its
   *  automatic checkpoint would make the commit before the push, or an acknowledgement,
   *  wait for it); `checkpoint` does it once the hub is idle. Durability is the WAL's. */
  holdCheckpoints(): void {
    if (this.db.open) this.db.pragma('wal_autocheckpoint = 0');
  }
  checkpoint(): void {
    if (!this.db.open) return;
    this.db.pragma(`wal_autocheckpoint = ${AUTO_CHECKPOINT_PAGES}`);
    this.db.pragma('wal_checkpoint(PASSIVE)');
  }

  /** Called before each write transaction (see writeHook). */
  hook(what: string): void {
    this.writeHook?.(what);
  }

  // ---- DssView ------------------------------------------------------------------------
  truth(guid: Guid): TruthRecord | undefined {
    const r = this.st.truth.get(guid) as TruthRow | undefined;
    return r ? toTruth(r) : undefined;
  }
  *truthIndex(): Iterable<{ guid: Guid; seq: number }> {
    // (all(), not iterate(): the caller reads other tables while it walks the list; raw
    // rows, as they are cheaper to read.)
    for (const [guid, seq] of this.st.truthIndex.raw().all() as [Guid, number][]) yield { guid, seq };
  }
  mapOf(spid: Spid, guid: Guid): MapEntry | undefined {
    const r = this.st.map.get(spid, guid) as MapRow | undefined;
    return r ? toMap(r) : undefined;
  }
  mapByLuid(spid: Spid, luid: Luid): MapEntry | undefined {
    const r = this.st.mapByLuid.get(spid, luid) as MapRow | undefined;
    return r ? toMap(r) : undefined;
  }
  mapsByLuid(spid: Spid, luids: readonly Luid[], parsed?: Map<string, Contact>): MapEntry[] {
    const out: MapEntry[] = [];
    const parse = parser(parsed);
    for (let i = 0; i < luids.length; i += BATCH) {
      for (const r of this.st.mapsByLuidIn.all(spid, JSON.stringify(luids.slice(i, i + BATCH))) as MapRow[]) out.push(toMap(r, parse));
    }
    return out;
  }
  mapsOf(spid: Spid): MapEntry[] {
    return (this.st.mapsOf.all(spid) as MapRow[]).map((r) => toMap(r));
  }
  pending(spid: Spid, guid: Guid): PendingAction | undefined {
    const r = this.st.action.get(spid, guid) as ActionRow | undefined;
    return r ? toAction(r) : undefined;
  }
  pendingOf(spid: Spid): PendingAction[] {
    return (this.st.actionsOf.all(spid) as ActionRow[]).map(toAction);
  }
  candidates(keys: readonly string[], namePrefix?: string): Guid[] {
    // Point look-ups on the key index, intersected here: cheaper than one joined query.
    const prefix = namePrefix?.slice(2);
    const prefixed = prefix ? (this.st.namePrefix.all(prefix, `${prefix}\uffff`) as Guid[]) : undefined;
    return candidatesOf(keys, (k) => (isNameKey(k) ? this.st.nameGet.all(k.slice(2)) : this.st.keyGet.all(k)) as Guid[], prefixed);
  }
  // (The batch reads take their lists in slices, so that one query's argument stays a few
  // hundred kilobytes.)
  keyRows(keys: readonly string[]): Map<string, Guid[]> {
    const out = new Map<string, Guid[]>();
    const { names, reach } = splitKeys([...new Set(keys)]);
    for (const [st, list] of [[this.st.namesIn, names], [this.st.keysIn, reach]] as const) {
      for (let i = 0; i < list.length; i += BATCH) {
        for (const r of st.all(JSON.stringify(list.slice(i, i + BATCH))) as { key: string; guid: Guid }[]) {
          const found = out.get(r.key);
          if (found) found.push(r.guid);
          else out.set(r.key, [r.guid]);
        }
      }
    }
    return out;
  }
  keysPresent(keys: readonly string[]): Set<string> {
    const out = new Set<string>();
    const { names, reach } = splitKeys(keys);
    for (const [st, list, prefix] of [[this.st.namesPresent, names, 'n:'], [this.st.keysPresent, reach, '']] as const) {
      for (let i = 0; i < list.length; i += BATCH) for (const k of st.all(JSON.stringify(list.slice(i, i + BATCH))) as string[]) out.add(prefix + k);
    }
    return out;
  }
  keyPairs(pairs: readonly (readonly [string, Guid])[]): [string, Guid][] {
    const out: [string, Guid][] = [];
    const names = pairs.filter(([k]) => isNameKey(k)).map(([k, g]) => [k.slice(2), g]);
    const reach = pairs.filter(([k]) => !isNameKey(k));
    for (const [st, list] of [[this.st.namePairs, names], [this.st.keyPairs, reach]] as const) {
      for (let i = 0; i < list.length; i += BATCH) {
        for (const r of st.all(JSON.stringify(list.slice(i, i + BATCH))) as { key: string; guid: Guid }[]) out.push([r.key, r.guid]);
      }
    }
    return out;
  }
  rowsOf(spid: Spid, guids: readonly Guid[], parsed?: Map<string, Contact>): { maps: MapEntry[]; pending: PendingAction[] } {
    const list = JSON.stringify(guids);
    const parse = parser(parsed);
    return { maps: (this.st.mapsIn.all(spid, list) as MapRow[]).map((r) => toMap(r, parse)), pending: (this.st.actionsIn.all(spid, list) as ActionRow[]).map(toAction) };
  }
  /** Whether the device has any map entry or pending action at all. */
  hasRows(spid: Spid): boolean {
    return this.st.hasRows.get(spid, spid) === 1;
  }
  nextSeq(): number {
    return (this.st.maxSeq.get() as number) + 1;
  }
  tombstone(guid: Guid): Tombstone | undefined {
    const r = this.st.tombstone.get(guid) as { spid: string; contact: string } | undefined;
    return r ? { spid: r.spid, contact: JSON.parse(r.contact) as Contact } : undefined;
  }

  // ---- the truth, for the UI and export ------------------------------------------------
  allTruth(): (TruthRecord & { updatedAt: number })[] {
    return (this.st.truthAll.all() as TruthRow[]).map((r) => ({ ...toTruth(r), updatedAt: r.updated_at }));
  }
  truthCount(): number {
    return this.st.truthCount.get() as number;
  }

  // ---- step 7: acknowledgements ----------------------------------------------------------
  /** The acknowledgements of one message, in one transaction: each removes its action and
   *  moves the map and base to what the device now holds. */
  commitAcks(acks: readonly AckWrite[], runId: number): void {
    if (acks.length === 0) return;
    this.hook('ack');
    this.db.transaction(() => {
      for (const a of acks) {
        const pend = this.st.action.get(a.spid, a.guid) as ActionRow | undefined;
        if (pend && pend.action === a.action) this.st.actionDelete.run(a.spid, a.guid);
        if (a.action === 'DELETE') this.st.mapDelete.run(a.spid, a.guid);
        else {
          this.st.mapDeleteLuid.run(a.spid, a.luid, a.guid);
          this.st.mapPut.run(a.spid, a.guid, a.luid, a.base === null ? null : JSON.stringify(a.base), runId, a.sent ? JSON.stringify(a.sent) : null);
        }
      }
    })();
  }

  pushList(spid: Spid): PendingAction[] {
    return (this.st.pushList.all(spid) as ActionRow[]).map(toAction);
  }

  pendingSummary(spid: Spid): { add: number; update: number; delete: number; oldestSince: number | null } {
    const out = { add: 0, update: 0, delete: 0, oldestSince: null as number | null };
    for (const r of this.st.pendingSummary.all(spid) as { action: ActionKind; n: number; since: number }[]) {
      out[r.action.toLowerCase() as 'add' | 'update' | 'delete'] = r.n;
      out.oldestSince = out.oldestSince === null ? r.since : Math.min(out.oldestSince, r.since);
    }
    return out;
  }

  pendingDetails(spid: Spid): (ActionRow & { contact: string | null; base: string | null })[] {
    return this.db
      .prepare(
        `SELECT a.spid, a.guid, a.action, a.seq, a.since, t.contact, m.base FROM actions a
         LEFT JOIN truth t ON t.guid = a.guid LEFT JOIN maps m ON m.spid = a.spid AND m.guid = a.guid
         WHERE a.spid = ? ORDER BY a.since, a.seq`,
      )
      .all(spid) as (ActionRow & { contact: string | null; base: string | null })[];
  }

  // ---- sync points (devices.ts) -------------------------------------------------------------
  devices(): DeviceRecord[] {
    return devices.devices(this.st);
  }
  device(spid: Spid): DeviceRecord | undefined {
    return devices.device(this.st, spid);
  }
  putDevice(d: DeviceRecord): void {
    this.hook('device');
    devices.putDevice(this.st, d);
  }
  /** Forgets a device: its map, its action table and its row, in one transaction. */
  deleteDevice(spid: Spid): void {
    this.st.pointForget(spid);
  }
  setPriorities(order: readonly Spid[]): void {
    this.st.pointsReorder(order);
  }
  finishDevice(spid: Spid, at: number, outcome: RunOutcome, pushCompleted: boolean): void {
    this.hook('finish');
    devices.finishDevice(this.st, spid, at, outcome, pushCompleted);
  }

  // ---- preferences (prefs.ts) ------------------------------------------------------------------
  pref(key: string): string | undefined {
    return prefs.pref(this.st, key);
  }
  setPref(key: string, value: string): void {
    prefs.setPref(this.st, key, value);
  }

  // ---- the editor's queue (editor-queue.ts) ----------------------------------------------------
  queueEdit(e: EditorEdit, at: number): number {
    this.hook('editor');
    return editorQueue.queueEdit(this.st, e, at);
  }
  editorEdits(): { edits: EditorEdit[]; upTo: number | null } {
    return editorQueue.editorEdits(this.st);
  }
  queuedVersion(guid: Guid): Contact | null | undefined {
    return editorQueue.queuedVersion(this.st, guid);
  }

  // ---- runs, conflicts, the device log (run-log.ts) ---------------------------------------------
  startRun(at: number, spids: readonly Spid[]): number {
    this.hook('run-start');
    return runLog.startRun(this.st, at, spids);
  }
  finishRun(s: RunSummary): void {
    this.hook('run-finish');
    runLog.finishRun(this.st, s);
  }
  runs(limit: number): RunSummary[] {
    return runLog.runs(this.st, limit);
  }
  conflicts(limit: number): ConflictEntry[] {
    return runLog.conflicts(this.st, limit);
  }
  conflict(id: number): ConflictEntry | undefined {
    return runLog.conflict(this.st, id);
  }
  conflictCount(): number {
    return runLog.conflictCount(this.st);
  }
  markConflictResolved(id: number, at: number): void {
    runLog.markConflictResolved(this.st, id, at);
  }
  logDevice(runId: number | null, spid: Spid, at: number, level: 'info' | 'warn' | 'error', luid: Luid | null, message: string): void {
    runLog.logDevice(this.st, runId, spid, at, level, luid, message);
  }
  deviceLog(spid: Spid, limit = 100): runLog.DeviceLogEntry[] {
    return runLog.deviceLog(this.st, spid, limit);
  }
  /** A digest of everything the method keeps (truth, maps, actions), for idempotence checks. */
  stateDigest(): string {
    const rows = [
      ...(this.db.prepare('SELECT guid, contact FROM truth ORDER BY guid').raw().all() as unknown[]),
      '|',
      ...(this.db.prepare('SELECT spid, guid, luid, base FROM maps ORDER BY spid, guid').raw().all() as unknown[]),
      '|',
      ...(this.db.prepare('SELECT spid, guid, action FROM actions ORDER BY spid, guid').raw().all() as unknown[]),
    ];
    return JSON.stringify(rows);
  }
}

