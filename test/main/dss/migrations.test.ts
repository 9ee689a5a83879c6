// The DSS schema and its migrations (style.md, "The data store"): each numbered migration
// in its own transaction that also sets user_version; a fresh DSS at the latest version; a
// DSS from a newer Concord refused and left byte for byte as it was; WAL, synchronous=FULL,
// foreign keys on.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DssError, loadMigrations, migrate, openDb, type Db, type Migration } from '../../../main/dss/db';
import { Dss } from '../../../main/dss/store';
import { contactOf } from '../../../main/core/contact';
import { Hub } from '../../../main/hub/hub';

const TMP = fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
const EXPECTED_TABLES = ['actions', 'carddav_books', 'carddav_cards', 'carddav_changes', 'conflicts', 'device_log', 'dup_keys', 'editor_queue', 'history', 'history_by_record', 'holds', 'maps', 'prefs', 'runs', 'sync_points', 'tombstones', 'truth', 'undos'];

let dir: string;
let file: string;
const open: Db[] = [];
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(TMP, 'concord-dss-migrations-'));
  file = path.join(dir, 'concord.sqlite');
});
afterEach(() => {
  for (const db of open.splice(0)) if (db.open) db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function track(db: Db): Db {
  open.push(db);
  return db;
}
const userVersion = (db: Db) => db.pragma('user_version', { simple: true }) as number;
const tables = (db: Db) => (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").pluck().all() as string[]);
const sha = (f: string) => createHash('sha256').update(fs.readFileSync(f)).digest('hex');

describe('the numbered migrations', () => {
  const real = loadMigrations();

  it('are numbered files in steps of ten, in order, with nothing else picked up', () => {
    expect(real.length).toBeGreaterThan(0);
    real.forEach((m, i) => {
      expect(m.name).toMatch(/^\d{4}-[a-z0-9-]+\.sql$/);
      // (Numbers are given out in steps of ten; a branch may hold a later one before an earlier.)
      expect(m.version % 10).toBe(0);
      if (i > 0) expect(m.version).toBeGreaterThan(real[i - 1]!.version);
      expect(m.sql.trim().length).toBeGreaterThan(0);
      // A migration never sets user_version itself: migrate() does, in the same transaction.
      expect(m.sql).not.toMatch(/user_version/i);
      expect(m.sql).not.toMatch(/\b(BEGIN|COMMIT)\b/i);
    });
  });

  it('each real migration applied alone, in turn, sets user_version to its own number', () => {
    for (let i = 0; i < real.length; i++) {
      const db = track(openDb(file, real.slice(0, i + 1)));
      expect(userVersion(db), `after ${real[i]!.name}`).toBe(real[i]!.version);
      db.close();
    }
  });

  it('a fresh DSS ends at the latest version with the expected tables', () => {
    const db = track(openDb(file));
    expect(userVersion(db)).toBe(real.at(-1)!.version);
    expect(tables(db)).toEqual(EXPECTED_TABLES);
    // The schema the store needs is all there: a Dss can prepare every statement.
    expect(() => new Dss(db)).not.toThrow();
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
    // Reopening runs nothing again (a second CREATE TABLE would fail).
    const again = track(openDb(file));
    expect(userVersion(again)).toBe(real.at(-1)!.version);
    expect(tables(again)).toEqual(EXPECTED_TABLES);
  });

  it('each migration is its own transaction: a failing one rolls back alone, the earlier ones stay', () => {
    const m10: Migration = { version: 10, name: '0010-a.sql', sql: 'CREATE TABLE a (x INTEGER) STRICT; INSERT INTO a VALUES (1);' };
    const m20: Migration = { version: 20, name: '0020-b.sql', sql: 'CREATE TABLE b (x INTEGER) STRICT; INSERT INTO b VALUES (2); INSERT INTO no_such_table VALUES (3);' };
    const m30: Migration = { version: 30, name: '0030-c.sql', sql: 'CREATE TABLE c (x INTEGER) STRICT;' };
    expect(() => openDb(file, [m10, m20, m30])).toThrow(/no_such_table/);
    const db = track(openDb(file, [m10]));
    expect(userVersion(db)).toBe(10);
    expect(tables(db)).toEqual(['a']); // b's CREATE and INSERT were rolled back with it
    expect(db.prepare('SELECT x FROM a').pluck().all()).toEqual([1]);
    db.close();
    // Fixed, the later migrations apply on top, each once, each setting user_version.
    const fixed: Migration = { ...m20, sql: 'CREATE TABLE b (x INTEGER) STRICT; INSERT INTO b VALUES (2);' };
    const seen: number[] = [];
    const db2 = track(openDb(file, [m10, fixed]));
    seen.push(userVersion(db2));
    migrate(db2, [m10, fixed, m30]);
    seen.push(userVersion(db2));
    expect(seen).toEqual([20, 30]);
    expect(tables(db2)).toEqual(['a', 'b', 'c']);
    expect(db2.prepare('SELECT x FROM a').pluck().all()).toEqual([1]);
  });

  it('user_version and the migration commit together: a migration interrupted mid-way leaves the old version', () => {
    const m10: Migration = { version: 10, name: '0010-a.sql', sql: 'CREATE TABLE a (x INTEGER) STRICT;' };
    // A statement that fails after others in the same file succeeded.
    const m20: Migration = { version: 20, name: '0020-b.sql', sql: "ALTER TABLE a ADD COLUMN y TEXT; UPDATE a SET y = 'v'; SELECT raise(ABORT, 'stop');" };
    track(openDb(file, [m10])).close();
    expect(() => openDb(file, [m10, m20])).toThrow();
    const db = track(openDb(file, [m10]));
    expect(userVersion(db)).toBe(10);
    expect((db.prepare('PRAGMA table_info(a)').all() as { name: string }[]).map((c) => c.name)).toEqual(['x']);
  });
});

describe('a DSS written by a newer Concord', () => {
  const latest = loadMigrations().at(-1)!.version;

  function newerFile(): string {
    const db = openDb(file);
    db.prepare("INSERT INTO prefs (key, value) VALUES ('region', 'DE')").run();
    db.pragma(`user_version = ${latest + 10}`);
    db.close();
    expect(fs.existsSync(`${file}-wal`)).toBe(false); // checkpointed: the bytes are all in the file
    return sha(file);
  }

  it('is refused by openDb with code newer-schema, naming both versions, and left unchanged', () => {
    const before = newerFile();
    let err: unknown;
    try {
      track(openDb(file));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DssError);
    expect((err as DssError).code).toBe('newer-schema');
    expect((err as DssError).message).toContain(String(latest + 10));
    expect((err as DssError).message).toContain(String(latest));
    expect((err as DssError).message).toContain(file);
    expect(sha(file)).toBe(before);
    expect(fs.existsSync(`${file}-wal`) && fs.statSync(`${file}-wal`).size > 0).toBe(false);
  });

  it('is refused by Dss.open and Hub.open too, still unchanged (no editor row, no region written)', () => {
    const before = newerFile();
    expect(() => Dss.open(file)).toThrow(expect.objectContaining({ code: 'newer-schema' }));
    expect(() => Hub.open({ dataDir: dir, region: 'GB' })).toThrow(expect.objectContaining({ name: 'DssError', code: 'newer-schema' }));
    expect(sha(file)).toBe(before);
  });

  it('one version higher than the latest is refused as well (the boundary)', () => {
    const db = openDb(file);
    db.pragma(`user_version = ${latest + 1}`);
    db.close();
    expect(() => openDb(file)).toThrow(expect.objectContaining({ code: 'newer-schema' }));
    // The latest itself opens.
    const ok = openDb(file, [...loadMigrations(), { version: latest + 1, name: 'x.sql', sql: 'SELECT 1;' }]);
    expect(userVersion(track(ok))).toBe(latest + 1);
  });
});

describe('connection settings', () => {
  it('WAL, synchronous=FULL (2), foreign_keys on — on a fresh DSS and on every reopen', () => {
    for (let i = 0; i < 2; i++) {
      const dss = Dss.open(file);
      try {
        expect(dss.db.pragma('journal_mode', { simple: true })).toBe('wal');
        expect(dss.db.pragma('synchronous', { simple: true })).toBe(2);
        expect(dss.db.pragma('foreign_keys', { simple: true })).toBe(1);
      } finally {
        dss.close();
      }
    }
  });

  it('the Hub works on such a connection', async () => {
    const hub = Hub.open({ dataDir: dir, region: 'GB' });
    try {
      expect(hub.dss.db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(hub.dss.db.pragma('synchronous', { simple: true })).toBe(2);
      expect(hub.dss.db.pragma('foreign_keys', { simple: true })).toBe(1);
    } finally {
      await hub.close();
    }
  });
});

// The migrations after the first, each applied to a DSS that holds contacts, as a user's
// DSS from an earlier Concord does. The earlier DSS is the current one with what those
// migrations took away put back: the dup_keys index by guid (0020) and the name keys
// (0030), at user_version 10.
describe('upgrading a DSS that holds data', () => {
  const people = [
    contactOf({ fn: 'Ada Lovelace', tel: [{ type: 'cell', value: '+447700900001' }], email: [{ type: '', value: 'Ada@Example.org' }] }),
    contactOf({ fn: 'Alan Turing', tel: [{ type: 'work', value: '+447700900002' }] }),
    contactOf({ fn: 'Grace Hopper', email: [{ type: '', value: 'grace@example.org' }] }),
  ];

  /** A DSS as Concord at schema 10 left it, holding `people`; returns what its truth held. */
  async function version10(): Promise<{ truth: string[]; reachKeys: string[] }> {
    const hub = Hub.open({ dataDir: dir, region: 'GB' });
    for (const c of people) hub.editor.add(c);
    await hub.sync([]);
    await hub.close();
    // The hub wrote at today's schema: its truth and keys move into a DSS of schema 10 (made by
    // the real 0010), so every later migration runs on it exactly once.
    fs.renameSync(file, `${file}.now`);
    for (const ext of ['-wal', '-shm']) fs.rmSync(`${file}${ext}`, { force: true });
    const db = track(openDb(file, loadMigrations().filter((m) => m.version <= 10)));
    const cols = (db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all('truth') as string[]).join(', ');
    db.exec(`ATTACH '${file}.now' AS now; INSERT INTO truth (${cols}) SELECT ${cols} FROM now.truth; INSERT INTO dup_keys (key, guid) SELECT key, guid FROM now.dup_keys; DETACH now;`);
    db.exec("CREATE INDEX IF NOT EXISTS dup_keys_guid ON dup_keys (guid); INSERT INTO dup_keys (key, guid) SELECT 'n:' || sort_name, guid FROM truth;");
    const truth = db.prepare('SELECT guid || contact || sort_name FROM truth ORDER BY guid').pluck().all() as string[];
    const reachKeys = db.prepare("SELECT key || guid FROM dup_keys WHERE key NOT LIKE 'n:%' ORDER BY 1").pluck().all() as string[];
    expect(truth).toHaveLength(3);
    expect(reachKeys.length).toBeGreaterThanOrEqual(4); // two numbers, two e-mails
    db.close();
    return { truth, reachKeys };
  }
  const truthOf = (db: Db) => db.prepare('SELECT guid || contact || sort_name FROM truth ORDER BY guid').pluck().all() as string[];
  const keysOf = (db: Db, like: string) => db.prepare('SELECT key || guid FROM dup_keys WHERE key LIKE ? ORDER BY 1').pluck().all(like) as string[];
  const hasIndex = (db: Db, name: string) => db.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = ?").pluck().get(name) === 1;

  it('0020 drops the dup_keys index by guid and keeps every row', async () => {
    const before = await version10();
    const real = loadMigrations();
    const db = track(openDb(file, real.filter((m) => m.version <= 20)));
    expect(userVersion(db)).toBe(20);
    expect(hasIndex(db, 'dup_keys_guid')).toBe(false);
    expect(truthOf(db)).toEqual(before.truth);
    expect(keysOf(db, 'n:%')).toHaveLength(3);
    expect(keysOf(db, '_:%').filter((k) => !k.startsWith('n:'))).toEqual(before.reachKeys);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
  });

  it('0030 drops the name keys, keeps numbers and e-mails, and the hub works on the result', async () => {
    const before = await version10();
    const db = track(openDb(file));
    expect(userVersion(db)).toBe(loadMigrations().at(-1)!.version);
    expect(keysOf(db, 'n:%')).toEqual([]);
    expect(keysOf(db, '_:%')).toEqual(before.reachKeys);
    expect(truthOf(db)).toEqual(before.truth);
    db.close();
    // The hub reads the upgraded truth, and a delete removes exactly that record's keys
    // (by (key, guid), without the index 0020 dropped).
    const hub = Hub.open({ dataDir: dir, region: 'GB' });
    try {
      expect(hub.contacts().map((r) => r.contact.fn).sort()).toEqual(['Ada Lovelace', 'Alan Turing', 'Grace Hopper']);
      const ada = hub.contacts().find((r) => r.contact.fn === 'Ada Lovelace')!;
      hub.editor.delete(ada.guid);
      await hub.sync([]);
      expect(hub.dss.db.prepare('SELECT count(*) FROM dup_keys WHERE guid = ?').pluck().get(ada.guid)).toBe(0);
      expect(keysOf(hub.dss.db, '_:%')).toEqual(before.reachKeys.filter((k) => !k.endsWith(ada.guid)));
      expect(hub.contacts().map((r) => r.contact.fn).sort()).toEqual(['Alan Turing', 'Grace Hopper']);
    } finally {
      await hub.close();
    }
  });
});
